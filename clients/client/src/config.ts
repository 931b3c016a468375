import { browserLocks, type LockManagerLike } from './refresh-lock.js';
import type { AuthClientConfig, AuthEndpoints, Clock, Delivery, StorageKind, TokenStorage } from './types.js';

/** The configuration with every default filled in and every URL resolved. */
export interface ResolvedConfig {
  readonly delivery: Delivery;
  /** Absolute (or page-relative when no page URL is known) endpoint URLs. */
  readonly endpoints: AuthEndpoints;
  readonly allowedUrls: readonly string[];
  readonly blockedUrls: readonly string[];
  readonly pageUrl: string | undefined;
  readonly storage: StorageKind | TokenStorage;
  readonly storageKey: string;
  readonly xsrfCookieName: string;
  readonly xsrfHeaderName: string;
  readonly refreshBeforeMs: number;
  readonly refreshJitterMs: number;
  /** BroadcastChannel name, or null when cross-tab coordination is off. */
  readonly channelName: string | null;
  /** Web Locks name of the cross-tab refresh mutex, or null when cross-tab coordination is off. */
  readonly refreshLockName: string | null;
  /** The Web Locks manager, or null where there is none. */
  readonly locks: LockManagerLike | null;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
}

const DEFAULT_ENDPOINTS: AuthEndpoints = {
  login: '/api/auth/login',
  refresh: '/api/auth/refresh',
  logout: '/api/auth/logout',
  me: '/api/auth/me',
  logoutAll: '/api/auth/logout-all',
  signup: '/api/auth/signup',
  loginMfa: '/api/auth/login/mfa',
  reauthenticate: '/api/auth/reauthenticate',
};

/** The global timers and Date.now, looked up at call time so fake timers installed later apply. */
const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => {
    globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Fill in defaults; throws a TypeError for a configuration that cannot work. */
export function resolveConfig(config: AuthClientConfig): ResolvedConfig {
  const pageUrl = typeof location === 'undefined' ? undefined : location.href;
  const baseUrl = (config.baseUrl ?? '').replace(/\/+$/, '');
  const join = (path: string): string => (/^https?:\/\//i.test(path) ? path : baseUrl + path);
  const paths = { ...DEFAULT_ENDPOINTS, ...config.endpoints };
  const endpoints = Object.fromEntries(
    Object.entries(paths).map(([name, path]) => [name, join(path)]),
  ) as unknown as AuthEndpoints;
  const delivery: string = config.delivery ?? 'cookie'; // checked: plain-JS callers exist
  if (delivery !== 'cookie' && delivery !== 'body') {
    throw new TypeError(`jotauth: delivery must be 'cookie' or 'body', not ${delivery}`);
  }
  const pageOrigin = pageUrl ? [new URL(pageUrl).origin] : [];
  const authOrigin = baseUrl ? [new URL(baseUrl, pageUrl).origin] : pageOrigin;
  const crossTab = config.crossTab ?? true;
  const channelName = crossTab === false ? null : crossTab === true ? 'jotauth' : crossTab;
  return {
    delivery,
    endpoints,
    // The auth server always gets credentials: /me and logout need them.
    allowedUrls: [...(config.allowedUrls ?? pageOrigin), ...authOrigin],
    blockedUrls: config.blockedUrls ?? [],
    pageUrl,
    storage: config.storage ?? 'memory',
    storageKey: config.storageKey ?? 'jotauth.token',
    xsrfCookieName: config.xsrfCookieName ?? 'XSRF-TOKEN',
    xsrfHeaderName: config.xsrfHeaderName ?? 'X-XSRF-TOKEN',
    refreshBeforeMs: (config.refreshBeforeSeconds ?? 30) * 1000,
    refreshJitterMs: config.refreshJitterMs ?? 2000,
    channelName,
    refreshLockName: channelName === null ? null : `${channelName}.refresh`,
    locks: config.locks === undefined ? browserLocks() : config.locks,
    fetch: config.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: config.clock ?? systemClock,
  };
}
