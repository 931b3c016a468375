import type { StoredToken } from './types.js';

/**
 * Notices between tabs of the same origin: they say what happened, they coordinate nothing
 * (the refresh lock, refresh-lock.ts, does that). Tokens travel only in body delivery: the
 * channel is same-origin, the same trust boundary as the tab's own memory.
 */
export type TabMessage =
  | { readonly type: 'login'; readonly token: StoredToken | null; readonly expiresAt: number | null }
  | {
      readonly type: 'refreshed';
      readonly token: StoredToken | null;
      readonly expiresAt: number | null;
    }
  | { readonly type: 'logout' };

/** One tab's end of the cross-tab channel. */
export interface TabChannel {
  post(message: TabMessage): void;
  close(): void;
}

const TYPES = new Set(['login', 'refreshed', 'logout']);

const NO_CHANNEL: TabChannel = { post: () => undefined, close: () => undefined };

/**
 * Open the channel named `name`; a no-op channel where BroadcastChannel does not exist or is
 * refused (opaque origins such as sandboxed frames): each tab then works on its own.
 */
export function openTabChannel(name: string, onMessage: (message: TabMessage) => void): TabChannel {
  let channel: BroadcastChannel;
  try {
    channel = new BroadcastChannel(name);
  } catch {
    return NO_CHANNEL;
  }
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isTabMessage(event.data)) onMessage(event.data);
  };
  return {
    post: (message) => {
      channel.postMessage(message);
    },
    close: () => {
      channel.close();
    },
  };
}

function isTabMessage(data: unknown): data is TabMessage {
  if (typeof data !== 'object' || data === null) return false;
  const { type, token } = data as { type?: unknown; token?: unknown };
  if (typeof type !== 'string' || !TYPES.has(type)) return false;
  return (
    token === undefined ||
    token === null ||
    (typeof token === 'object' && typeof (token as { accessToken?: unknown }).accessToken === 'string')
  );
}
