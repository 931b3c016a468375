/** A typed event emitter: `on` returns the unsubscribe function. */
export interface Emitter<M> {
  on<K extends keyof M>(event: K, listener: (value: M[K]) => void): () => void;
  emit<K extends keyof M>(event: K, value: M[K]): void;
}

/** Create an emitter. A throwing listener is reported asynchronously and does not stop the others. */
export function createEmitter<M>(): Emitter<M> {
  const listeners = new Map<keyof M, Set<(value: never) => void>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    emit(event, value) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        callSafely(() => {
          (listener as (value: M[typeof event]) => void)(value);
        });
      }
    },
  };
}

/** Run a listener; a throw must not break the client's state machine, so rethrow it later. */
export function callSafely(run: () => void): void {
  try {
    run();
  } catch (error) {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}
