import type { Clock } from './types.js';

/**
 * Tracks a refresh that another tab announced, so this tab waits for its result instead of
 * sending a second refresh (which would rotate the refresh token twice).
 */
export interface RemoteRefresh {
  /** Another tab started refreshing. */
  started(): void;
  /** Its outcome: true refreshed, false session ended, undefined gave up (this tab may try). */
  settle(result: boolean | undefined): void;
  /** The outcome of the refresh in progress elsewhere; undefined at once when there is none. */
  wait(): Promise<boolean | undefined>;
}

/** Create the tracker; a remote refresh that says nothing for `waitMs` is given up. */
export function createRemoteRefresh(clock: Clock, waitMs: number): RemoteRefresh {
  let pending: { promise: Promise<boolean | undefined>; resolve: (r: boolean | undefined) => void; timer: unknown } | null =
    null;
  const settle = (result: boolean | undefined): void => {
    if (!pending) return;
    clock.clearTimeout(pending.timer);
    pending.resolve(result);
    pending = null;
  };
  return {
    started() {
      if (pending) return;
      let resolve: (r: boolean | undefined) => void = () => undefined;
      const promise = new Promise<boolean | undefined>((r) => (resolve = r));
      pending = { promise, resolve, timer: clock.setTimeout(() => { settle(undefined); }, waitMs) };
    },
    settle,
    wait: () => pending?.promise ?? Promise.resolve(undefined),
  };
}
