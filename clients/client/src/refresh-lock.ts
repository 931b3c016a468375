/** The part of the Web Locks API (`navigator.locks`) the client uses. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** Runs a task while holding the cross-tab refresh lock. */
export type Exclusive = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * The cross-tab refresh mutex: with Web Locks, one tab of the origin at a time refreshes,
 * and the others queue on the lock (the browser releases it when a tab closes or crashes,
 * so nobody waits on a timeout). Refresh tokens rotate (DESIGN.md §6): two tabs sending the
 * same one at once would look like reuse. Without Web Locks (old browsers, insecure
 * contexts, `lockName` null) the task runs at once; the in-tab single flight still holds.
 */
export function createRefreshLock(locks: LockManagerLike | null, lockName: string | null): Exclusive {
  if (!locks || lockName === null) return (task) => task();
  return (task) => locks.request(lockName, task);
}

/** `navigator.locks` where the browser has it, else null. */
export function browserLocks(): LockManagerLike | null {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks && typeof locks.request === 'function' ? locks : null;
}
