import type { LockManagerLike } from '../src/index.js';

/** A Web Locks stand-in shared by the "tabs" of a test: exclusive locks, granted in FIFO order. */
export interface FakeLocks extends LockManagerLike {
  /** How many callbacks have been granted each lock so far. */
  granted(name: string): number;
  /** Whether someone is waiting for the lock. */
  waiting(name: string): number;
}

/**
 * Create the fake. `handoffMs` delays giving a released lock to the next waiter, the way a
 * browser's lock service and its BroadcastChannel deliver on separate routes: with a delay,
 * the holder's notice arrives first; with 0 the waiter may get the lock before it.
 */
export function createFakeLocks(handoffMs = 0): FakeLocks {
  const held = new Set<string>();
  const queues = new Map<string, (() => void)[]>();
  const grants = new Map<string, number>();
  const release = (name: string): void => {
    const next = queues.get(name)?.shift();
    if (next) setTimeout(next, handoffMs);
    else held.delete(name);
  };
  return {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const run = (): void => {
          grants.set(name, (grants.get(name) ?? 0) + 1);
          callback()
            .then(resolve, reject)
            .finally(() => {
              release(name);
            });
        };
        if (held.has(name)) {
          queues.set(name, [...(queues.get(name) ?? []), run]);
        } else {
          held.add(name);
          run();
        }
      });
    },
    granted: (name) => grants.get(name) ?? 0,
    waiting: (name) => queues.get(name)?.length ?? 0,
  };
}
