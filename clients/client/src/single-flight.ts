/**
 * Wrap an async task so concurrent callers share one run: while a run is in flight every
 * caller gets its promise; the next call after it settles starts a new run.
 */
export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () =>
    (inFlight ??= task().finally(() => {
      inFlight = null;
    }));
}
