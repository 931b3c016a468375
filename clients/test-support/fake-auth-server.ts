/**
 * The one stand-in for the jotauth auth server and an API behind it, shared by the unit tests
 * of @jotauth/client, @jotauth/angular and @jotauth/angularjs. It models just enough: access
 * tokens valid until replaced, a refresh cookie (the session) that can be refused, held open
 * or made unreachable, and a record of every request. The model answers plain {@link Reply}s;
 * `fetch` turns them into `Response`s (the client, Angular's client calls) and `backendReply`
 * into `$httpBackend` tuples (AngularJS), so every package tests against the same server.
 */

/** A request as the server saw it. `url` is the one the client used (maybe relative). */
export interface RecordedCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | null;
}

/** An answer of the model: a status with a JSON (or text) body, or a dropped connection. */
export type Reply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  | 'network_error';

/** What a route or an override may answer; a `Response` or a promise only in fetch mode. */
export type Answer = Reply | Response | Promise<Reply | Response>;

export type Handler = (call: RecordedCall) => Answer;

/** The signed-in user `/me` returns (unless `state.user` is replaced). */
export const USER = { id: 'u1', email: 'ada@example.org', name: 'Ada', roles: ['user'], scope: 'lessons' };

/** The one password the fake refuses (401 invalid_credentials); any other signs in. */
export const WRONG_PASSWORD = 'wrong';

/** A JSON success. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, body, headers: { 'content-type': 'application/json', ...headers } };
}

/** An RFC 9457 problem with the server's `code`. */
export function problem(status: number, code: string, headers: Record<string, string> = {}): Reply {
  return {
    status,
    body: { type: 'about:blank', title: code, status, detail: `${code}!`, code },
    headers: { 'content-type': 'application/problem+json', ...headers },
  };
}

/** Build a JWT-shaped token (unsigned: the clients never verify) with the given claims. */
export function makeToken(claims: Record<string, unknown>): string {
  const part = (value: unknown): string =>
    btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${part({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })}.${part(claims)}.c2ln`;
}

/** A deferred gate: a handler waits on `wait()` until `open()`. */
export function gate(): { wait: () => Promise<void>; open: () => void } {
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return {
    wait: () => opened,
    open: () => {
      release();
    },
  };
}

export interface FakeServerOptions {
  readonly delivery?: 'cookie' | 'body';
  /** Seconds from "now" until a freshly issued access token expires; default 900. */
  readonly ttlSeconds?: number;
  /** Time source for token expiry; default Date.now. */
  readonly now?: () => number;
  /** A session (refresh cookie) exists before the app starts, e.g. from an earlier visit. */
  readonly loggedIn?: boolean;
}

/** The fake's mutable state; tests change it to arrange a situation. */
export interface FakeServerState {
  user: Record<string, unknown>;
  /** Body delivery: the one access token the API accepts now. */
  currentToken: string | null;
  /** The session (refresh cookie) still works. */
  sessionValid: boolean;
  /** Cookie delivery: the access cookie still works. */
  accessValid: boolean;
  /** Every call fails as if the network were down. */
  offline: boolean;
  /** When set, refresh waits for this before answering (fetch mode only). */
  refreshGate: { wait: () => Promise<void> } | null;
  /** When set, refresh answers this instead of issuing a token. */
  refreshFailure: (() => Reply | Response) | null;
  /**
   * The user's second factor (DESIGN §13): when set, login and re-authentication answer
   * `mfa_required`, and `/api/auth/login/mfa` takes this code; null: no factors.
   */
  secondFactorCode: string | null;
  /** Answers by `"METHOD /path"`, ahead of the built-in routes. */
  readonly overrides: Map<string, Handler>;
}

/** One fake server: its state, its record of calls and its two front doors. */
export interface FakeAuthServer {
  readonly delivery: 'cookie' | 'body';
  readonly state: FakeServerState;
  /** Every request, oldest first; `calls.length = 0` forgets them. */
  readonly calls: RecordedCall[];
  /** The calls to one path (query ignored). */
  callsTo(path: string): RecordedCall[];
  /** Issue a token (a login or refresh succeeded) and answer as the server would. */
  issue(): Reply;
  /** Make the current access token stop working (as if it expired); the session lives on. */
  expireAccessToken(): void;
  /** Answer a call (recorded). */
  answer(call: RecordedCall): Answer;
  /** The server as a `fetch`: every call is recorded, answered and turned into a Response. */
  readonly fetch: typeof fetch;
  /** The server as an ngMock `$httpBackend` responder: `[status, data, headers]`, synchronous. */
  backendReply(method: string, url: string, data: unknown, headers: Record<string, unknown>): [number, unknown?, Record<string, string>?];
}

/** Paths resolve against this when the client used a relative URL. */
const BASE = 'http://localhost:3000';

export function pathOf(url: string): string {
  return new URL(url, BASE).pathname;
}

/**
 * The fake server. Body delivery: `/api/*` (auth endpoints aside) needs `Authorization:
 * Bearer <current token>`. Cookie delivery: needs `accessValid` (the cookie a browser sends).
 */
export function createFakeAuthServer(options: FakeServerOptions = {}): FakeAuthServer {
  const delivery = options.delivery ?? 'body';
  const ttl = options.ttlSeconds ?? 900;
  const now = options.now ?? (() => Date.now());
  const calls: RecordedCall[] = [];
  let serial = 0;
  const state: FakeServerState = {
    user: USER,
    currentToken: null,
    sessionValid: options.loggedIn ?? false,
    // A new page in body delivery holds no access token yet; cookies would still be there.
    accessValid: (options.loggedIn ?? false) && delivery === 'cookie',
    offline: false,
    refreshGate: null,
    refreshFailure: null,
    secondFactorCode: null,
    overrides: new Map(),
  };
  /** The one live mfa_token, and the wrong codes it may still take. */
  let mfaToken: string | null = null;
  let mfaTriesLeft = 0;

  const challenge = (): Reply => {
    serial += 1;
    mfaToken = `mfa-${serial}`;
    mfaTriesLeft = 3;
    return json({ mfa_required: true, mfa_token: mfaToken, expires_in: 300, methods: ['totp', 'recovery_code'] });
  };

  const secondStep = (call: RecordedCall): Reply => {
    const body = JSON.parse(call.body ?? '{}') as { mfa_token?: string; code?: string };
    if (mfaToken === null || body.mfa_token !== mfaToken) return problem(401, 'mfa_token_invalid');
    if (body.code !== state.secondFactorCode) {
      mfaTriesLeft -= 1;
      if (mfaTriesLeft === 0) mfaToken = null;
      return problem(401, 'second_factor_invalid');
    }
    mfaToken = null;
    return issue();
  };

  const issue = (): Reply => {
    serial += 1;
    const expiresAt = Math.floor(now() / 1000) + ttl;
    state.currentToken = makeToken({ sub: USER.id, exp: expiresAt, jti: `t${serial}` });
    state.sessionValid = true;
    state.accessValid = true;
    if (delivery === 'cookie') return { status: 204 };
    return json({ access_token: state.currentToken, token_type: 'Bearer', expires_in: ttl, expires_at: expiresAt });
  };

  const endSession = (): void => {
    state.sessionValid = false;
    state.accessValid = false;
    state.currentToken = null;
  };

  const authorized = (call: RecordedCall): boolean =>
    delivery === 'body'
      ? state.currentToken !== null && call.headers.get('authorization') === `Bearer ${state.currentToken}`
      : state.accessValid;

  const refreshNow = (): Reply | Response =>
    state.refreshFailure?.() ?? (state.sessionValid ? issue() : problem(401, 'missing_refresh_token'));

  const answer = (call: RecordedCall): Answer => {
    calls.push(call);
    if (state.offline) return 'network_error';
    const path = pathOf(call.url);
    const override = state.overrides.get(`${call.method} ${path}`);
    if (override) return override(call);
    switch (`${call.method} ${path}`) {
      case 'POST /api/auth/login': {
        const body = JSON.parse(call.body ?? '{}') as { password?: string };
        if (body.password === WRONG_PASSWORD) return problem(401, 'invalid_credentials');
        return state.secondFactorCode === null ? issue() : challenge();
      }
      case 'POST /api/auth/login/mfa':
        return secondStep(call);
      case 'POST /api/auth/reauthenticate': {
        if (!authorized(call)) return problem(401, 'missing_token');
        const body = JSON.parse(call.body ?? '{}') as { password?: string };
        if (body.password === WRONG_PASSWORD) return problem(401, 'invalid_credentials');
        return state.secondFactorCode === null ? issue() : challenge();
      }
      case 'POST /api/auth/refresh':
        // Synchronous unless held, so the $httpBackend front door can use it too.
        return state.refreshGate ? state.refreshGate.wait().then(refreshNow) : refreshNow();
      case 'POST /api/auth/logout':
      case 'POST /api/auth/logout-all':
        endSession();
        return { status: 204 };
      case 'GET /api/auth/me':
        return authorized(call) ? json(state.user) : problem(401, call.headers.has('authorization') ? 'invalid_token' : 'missing_token');
      default:
        return authorized(call) ? json({ ok: true, path }) : problem(401, 'invalid_token');
    }
  };

  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const raw = input instanceof Request ? input.url : String(input);
    const request = new Request(input instanceof Request ? input : new URL(raw, BASE), init);
    const body = request.body ? await request.text() : null;
    const reply = await answer({ url: raw, method: request.method, headers: request.headers, body });
    if (reply instanceof Response) return reply;
    if (reply === 'network_error') throw new TypeError('Failed to fetch');
    return toResponse(reply);
  };

  const backendReply: FakeAuthServer['backendReply'] = (method, url, data, headers) => {
    const recorded = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string') recorded.set(name, value);
    }
    const reply = answer({ url, method, headers: recorded, body: typeof data === 'string' ? data : null });
    if (reply instanceof Response || reply instanceof Promise) {
      throw new TypeError('fake-auth-server: $httpBackend needs a synchronous Reply');
    }
    if (reply === 'network_error') return [-1];
    const replyHeaders = { ...reply.headers };
    return [reply.status, typeof reply.body === 'string' || reply.body === undefined ? reply.body : JSON.stringify(reply.body), replyHeaders];
  };

  return {
    delivery,
    state,
    calls,
    callsTo: (path) => calls.filter((call) => pathOf(call.url) === path),
    issue,
    expireAccessToken: () => {
      state.currentToken = null;
      state.accessValid = false;
    },
    answer,
    fetch,
    backendReply,
  };
}

/** A Reply as a fetch Response. */
export function toResponse(reply: Exclude<Reply, 'network_error'>): Response {
  const { status, body, headers } = reply;
  const text = body === undefined || body === null ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, headers: { ...headers } });
}

/** Let pending promise callbacks and macrotasks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}
