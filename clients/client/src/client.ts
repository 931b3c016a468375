import { createAuthFetch } from './auth-fetch.js';
import { resolveConfig } from './config.js';
import { createCredentialHeaders } from './credentials.js';
import { openTabChannel, type TabMessage } from './cross-tab.js';
import { callSafely, createEmitter } from './emitter.js';
import { AuthError, authErrorFrom, readJsonObject } from './errors.js';
import { createRefreshLock } from './refresh-lock.js';
import { proactiveRefreshDelay } from './refresh-timing.js';
import { createRequestAuth } from './request-auth.js';
import { singleFlight } from './single-flight.js';
import { createTokenStorage } from './storage.js';
import { readTokenGrant, type TokenGrant } from './token-response.js';
import {
  type CompletedLogin,
  type MfaChallenge,
  readMfaChallenge,
  readRecoveryCodes,
  type SecondFactorProof,
} from './second-factor.js';
import type {
  AuthClient,
  AuthClientConfig,
  AuthEndpoints,
  AuthEventMap,
  AuthUser,
  Credentials,
  SignUpDetails,
  UnauthenticatedEvent,
  UserState,
} from './types.js';
import { createUrlPolicy } from './url-policy.js';
import { parseAuthUser } from './user.js';

/** Refresh answers meaning "this session is over" (as opposed to "try again later"). */
const SESSION_REFUSED = new Set([400, 401, 403]);
/** Retry delay of a proactive refresh that could not reach the server. */
const RETRY_MS = 5000;

/** The endpoints whose 401 is an answer (a wrong password, no session), never refreshed. */
const AUTH_ENDPOINTS: ReadonlySet<keyof AuthEndpoints> = new Set([
  'login',
  'refresh',
  'logout',
  'loginMfa',
  'reauthenticate',
]);
/** 401 codes that mean "the access token is gone", not "the password is wrong". */
const TOKEN_MISSING = new Set(['missing_token', 'invalid_token', 'unauthorized']);
/** A refused second factor or a throttle leaves the attempt usable; anything else ends it. */
const ATTEMPT_SURVIVES = new Set([
  'second_factor_invalid',
  'second_factor_throttled',
  'throttled',
  'network_error',
]);

/**
 * Create a client for one jotauth auth server (DESIGN.md §8). It keeps the user state, adds
 * credentials to requests for allowed URLs only, refreshes the access token once on 401 (one
 * refresh in flight however many requests fail together) and shortly before expiry, lets one
 * tab of the origin refresh at a time (Web Locks) and tells the other tabs over
 * BroadcastChannel.
 */
export function createAuthClient(config: AuthClientConfig = {}): AuthClient {
  const settings = resolveConfig(config);
  const { clock, delivery, endpoints } = settings;
  const fetchImpl = settings.fetch;
  const storage =
    delivery === 'body' ? createTokenStorage(settings.storage, settings.storageKey) : null;
  const credentialHeaders = createCredentialHeaders({
    storage,
    xsrfCookieName: settings.xsrfCookieName,
    xsrfHeaderName: settings.xsrfHeaderName,
  });
  const policy = createUrlPolicy({
    allowed: settings.allowedUrls,
    blocked: settings.blockedUrls,
    pageUrl: settings.pageUrl,
  });
  const endpointNames = Object.keys(endpoints) as (keyof AuthEndpoints)[];
  const endpointKeys = endpointNames.map((name) => [name, endpointKey(endpoints[name])] as const);
  const events = createEmitter<AuthEventMap>();
  const userListeners = new Set<(user: UserState) => void>();
  const exclusive = createRefreshLock(settings.locks, settings.refreshLockName);
  const tabs = settings.channelName ? openTabChannel(settings.channelName, onTabMessage) : null;

  let user: UserState = undefined;
  /** The second step the last login or re-authentication asked for, until finished. */
  let pending: MfaChallenge | null = null;
  /** Whether `pending` re-authenticates the current session (the user stays who they are). */
  let pendingReauth = false;
  let userRequest: Promise<AuthUser | null> | null = null;
  let expiresAt: number | null = storage?.load()?.expiresAt ?? null;
  /** Changes with every new access token; lets a failed request see that it may just retry. */
  let generation = 0;
  /** Changes on login and logout, so a /me answer for an older session is ignored. */
  let sessionEpoch = 0;
  let timer: unknown = null;

  function endpointKey(url: string): string {
    try {
      const parsed = new URL(url, settings.pageUrl);
      return parsed.origin + parsed.pathname;
    } catch {
      return url;
    }
  }

  function setUser(next: UserState): void {
    if (next === user) return;
    const wasLoggedIn = Boolean(user);
    user = next;
    for (const listener of [...userListeners]) {
      callSafely(() => {
        listener(next);
      });
    }
    if (next && !wasLoggedIn) events.emit('authenticated', next);
  }

  function setExpiry(next: number | null): void {
    if (next === expiresAt) return;
    expiresAt = next;
    events.emit('expiry', next);
  }

  function cancelTimer(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  }

  function scheduleRefresh(): void {
    cancelTimer();
    if (expiresAt === null) return;
    const jitter = Math.random() * settings.refreshJitterMs;
    const delay = proactiveRefreshDelay(expiresAt, clock.now(), settings.refreshBeforeMs, jitter);
    timer = clock.setTimeout(refreshProactively, delay);
  }

  function refreshProactively(): void {
    timer = null;
    refresh().catch(() => {
      // Server unreachable: keep trying while the current token still works.
      if (timer === null && expiresAt !== null && expiresAt > clock.now()) {
        timer = clock.setTimeout(refreshProactively, RETRY_MS);
      }
    });
  }

  function adopt(grant: TokenGrant): void {
    if (storage && grant.token) storage.save(grant.token);
    generation += 1;
    setExpiry(grant.expiresAt);
    scheduleRefresh();
  }

  function endSession(detail: UnauthenticatedEvent, tellOtherTabs: boolean): void {
    cancelTimer();
    // "No session here" says nothing about a login waiting for its second step.
    if (detail.reason !== 'anonymous') pending = null;
    storage?.clear();
    sessionEpoch += 1;
    setExpiry(null);
    userRequest = Promise.resolve(null);
    setUser(null);
    events.emit('unauthenticated', detail);
    if (tellOtherTabs) tabs?.post({ type: 'logout' });
  }

  async function callAuth(
    url: string,
    body: Record<string, unknown> | undefined,
    headers: Record<string, string>,
    send: typeof fetch = fetchImpl,
  ): Promise<Response> {
    const allHeaders: Record<string, string> = { Accept: 'application/json', ...headers };
    if (body) allHeaders['Content-Type'] = 'application/json';
    try {
      return await send(url, {
        method: 'POST',
        headers: allHeaders,
        body: body && JSON.stringify(body),
        credentials: 'include',
      });
    } catch {
      throw new AuthError('network_error', 0, `could not reach ${url}`);
    }
  }

  async function refreshHere(): Promise<boolean> {
    // Body delivery sends no bearer token: the refresh cookie is the credential here.
    const response = await callAuth(
      endpoints.refresh,
      { delivery },
      storage ? {} : credentialHeaders('POST'),
    );
    if (response.ok) {
      const grant = readTokenGrant(await readJsonObject(response), clock.now());
      if (storage && !grant.token) {
        throw new AuthError('invalid_response', response.status, 'refresh gave no access_token');
      }
      adopt(grant);
      // Posted before the lock is released, so a waiting tab mostly has the token when it
      // gets the lock; when the notice is late it refreshes again, one after the other: safe.
      tabs?.post({ type: 'refreshed', token: grant.token, expiresAt: grant.expiresAt });
      return true;
    }
    const error = await authErrorFrom(response);
    if (!SESSION_REFUSED.has(response.status)) throw error;
    // Never having known a user on this page means there was no session to end here, and
    // none to end in other tabs (one of which may be logging in right now).
    const hadUser = user !== undefined;
    endSession({ reason: hadUser ? 'session_ended' : 'anonymous', code: error.code }, hadUser);
    return false;
  }

  const refresh = singleFlight((): Promise<boolean> => {
    const askedAt = { generation, sessionEpoch };
    return exclusive(async () => {
      // Another tab held the lock and told us its outcome meanwhile: use it, send nothing.
      if (generation !== askedAt.generation) return true;
      if (sessionEpoch !== askedAt.sessionEpoch && user === null) return false;
      return refreshHere();
    });
  });

  function matchEndpoint(url: string): keyof AuthEndpoints | null {
    const key = endpointKey(url);
    return endpointKeys.find(([, known]) => known === key)?.[0] ?? null;
  }

  const requests = createRequestAuth({
    policy,
    withCookies: delivery === 'cookie',
    credentialHeaders,
    generation: () => generation,
    isAuthEndpoint: (url) => {
      const name = matchEndpoint(url);
      return name !== null && AUTH_ENDPOINTS.has(name);
    },
    tokenKnownExpired: () => Boolean(storage?.load()) && expiresAt !== null && expiresAt <= clock.now(),
    refresh,
    signedOut: () => user === null,
  });
  const authFetch = createAuthFetch(requests, fetchImpl);

  async function loadUser(): Promise<AuthUser | null> {
    const epoch = sessionEpoch;
    let response: Response;
    try {
      response = await authFetch(endpoints.me, {
        headers: { Accept: 'application/json' },
        credentials: 'include',
      });
    } catch {
      throw new AuthError('network_error', 0, `could not reach ${endpoints.me}`);
    }
    if (epoch !== sessionEpoch) return user ?? null; // logged in or out meanwhile
    if (response.status === 401) {
      if (user !== null) endSession({ reason: 'anonymous' }, false);
      return null;
    }
    if (!response.ok) throw await authErrorFrom(response);
    const loaded = parseAuthUser(await readJsonObject(response));
    if (!loaded) throw new AuthError('invalid_response', response.status, '/me gave no user');
    setUser(loaded);
    return loaded;
  }

  function getUser(options: { readonly force?: boolean } = {}): Promise<AuthUser | null> {
    if (userRequest && !options.force) return userRequest;
    const request = loadUser();
    userRequest = request;
    // A failure (server unreachable) is not an answer: the next call asks again.
    request.catch(() => {
      if (userRequest === request) userRequest = null;
    });
    return request;
  }

  async function login(credentials: Credentials): Promise<AuthUser> {
    const { email, password } = credentials;
    return loginWith(endpoints.login, { email, password });
  }

  async function loginWith(url: string, body: Record<string, unknown>): Promise<AuthUser> {
    return startSession(await callAuth(url, { ...body, delivery }, {}));
  }

  async function completeLogin(proof: SecondFactorProof): Promise<CompletedLogin> {
    const challenge = pending;
    if (!challenge) throw new AuthError('mfa_token_invalid', 0, 'no second step is pending');
    const body = { mfa_token: challenge.mfaToken, ...proof };
    let recoveryCodes: string[] | null = null;
    try {
      // A re-authentication's token is bound to the session: its credentials go along.
      const response = await callAuth(endpoints.loginMfa, body, credentialHeaders('POST'));
      const read = (answer: Record<string, unknown> | null): void => {
        recoveryCodes = readRecoveryCodes(answer);
      };
      const user = await startSession(response, read, pendingReauth);
      return { user, recoveryCodes };
    } catch (error) {
      if (pending === challenge && !(error instanceof AuthError && ATTEMPT_SURVIVES.has(error.code))) {
        pending = null;
      }
      throw error;
    }
  }

  async function reauthenticate(options: { readonly password?: string } = {}): Promise<AuthUser> {
    const body = { password: options.password, delivery };
    const send = (): Promise<Response> =>
      callAuth(endpoints.reauthenticate, body, {}, authFetch);
    let response = await send();
    // An access token that expired meanwhile is refreshed once; a wrong password is an answer.
    if (response.status === 401 && TOKEN_MISSING.has((await authErrorFrom(response.clone())).code)) {
      if (await refresh()) response = await send();
    }
    return startSession(response, undefined, true);
  }

  async function signUp(details: SignUpDetails): Promise<AuthUser | null> {
    const { email, password, name } = details;
    const response = await callAuth(endpoints.signup, { email, password, name, delivery }, {});
    // 202: "check your mail" — no session until the address is verified, or an
    // enumeration-safe server that answers every sign-up alike.
    return response.status === 202 ? null : startSession(response);
  }

  async function startSession(
    response: Response,
    read?: (body: Record<string, unknown> | null) => void,
    sameUser = false,
  ): Promise<AuthUser> {
    if (!response.ok) throw await authErrorFrom(response);
    const answer = await readJsonObject(response);
    const challenge = readMfaChallenge(answer, clock.now());
    if (challenge) {
      pending = challenge;
      pendingReauth = sameUser;
      throw new AuthError('mfa_required', response.status, 'a second factor is needed', null, null, challenge);
    }
    pending = null;
    read?.(answer);
    const grant = readTokenGrant(answer, clock.now());
    if (storage && !grant.token) {
      throw new AuthError('invalid_response', response.status, 'login gave no access_token');
    }
    sessionEpoch += 1;
    adopt(grant);
    if (!sameUser) setUser(undefined);
    const loggedIn = await getUser({ force: true });
    if (!loggedIn) throw new AuthError('unauthorized', 401, '/me refused the new session');
    tabs?.post({ type: 'login', token: grant.token, expiresAt: grant.expiresAt });
    return loggedIn;
  }

  async function logout(): Promise<void> {
    try {
      await callAuth(endpoints.logout, undefined, credentialHeaders('POST'));
    } catch {
      // The local session ends anyway: staying signed in because the server is unreachable
      // would be the worse failure on a shared device.
    }
    endSession({ reason: 'logout' }, true);
  }

  async function logoutEverywhere(): Promise<void> {
    let response: Response;
    try {
      response = await authFetch(endpoints.logoutAll, { method: 'POST', credentials: 'include' });
    } catch {
      throw new AuthError('network_error', 0, `could not reach ${endpoints.logoutAll}`);
    }
    // 401: no session left to end here either; logging out locally is all that remains.
    if (!response.ok && response.status !== 401) {
      const { message, retryAfter, serverCode } = await authErrorFrom(response);
      throw new AuthError('logout_all_failed', response.status, message, retryAfter, serverCode);
    }
    await logout();
  }

  function onTabMessage(message: TabMessage): void {
    switch (message.type) {
      case 'refreshed':
        adopt(message);
        return;
      case 'logout':
        if (user !== null) endSession({ reason: 'other_tab' }, false);
        return;
      case 'login':
        sessionEpoch += 1;
        adopt(message);
        setUser(undefined);
        getUser({ force: true }).catch(() => undefined);
        return;
    }
  }

  if (expiresAt !== null) scheduleRefresh();

  return {
    get user() {
      return user;
    },
    get expiresAt() {
      return expiresAt;
    },
    get secondStep() {
      return pending;
    },
    delivery,
    login,
    loginWith,
    completeLogin,
    reauthenticate,
    signUp,
    logout,
    logoutEverywhere,
    getUser,
    subscribe(listener) {
      userListeners.add(listener);
      listener(user);
      return () => userListeners.delete(listener);
    },
    on: (event, listener) => events.on(event, listener),
    fetch: authFetch,
    refresh,
    requests,
    authHeaders: (url, method = 'GET') => (policy.allows(url) ? credentialHeaders(method) : {}),
    isAllowedUrl: (url) => policy.allows(url),
    endpoints,
    matchEndpoint,
    dispose() {
      cancelTimer();
      tabs?.close();
    },
  };
}
