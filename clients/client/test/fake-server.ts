/**
 * A scriptable stand-in for the jotauth auth server and one API, used as the client's injected
 * `fetch`. It models just enough: access tokens that are valid until replaced, a refresh
 * endpoint that can be held open or made to fail, and a record of every request.
 */
import { vi } from 'vitest';

export interface RecordedCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | null;
}

export type Handler = (call: RecordedCall) => Response | Promise<Response>;

/** Build a JWT-shaped token (unsigned: the client never verifies) with the given claims. */
export function makeToken(claims: Record<string, unknown>): string {
  const part = (value: unknown): string =>
    btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${part({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })}.${part(claims)}.c2ln`;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function problem(status: number, code: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title: code, status, detail: `${code}!`, code }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

export const USER = { id: 'u1', email: 'ada@example.org', name: 'Ada', roles: ['user'], scope: 'lessons' };

/** A deferred gate: requests wait on `wait()` until `open()`. */
export function gate(): { wait: () => Promise<void>; open: () => void } {
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { wait: () => opened, open: () => { release(); } };
}

export interface FakeServerOptions {
  readonly delivery?: 'cookie' | 'body';
  /** Seconds from "now" until a freshly issued access token expires. */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

/**
 * The fake server. Body delivery: `/api/*` (other than auth) needs `Authorization: Bearer
 * <current token>`. Cookie delivery: needs `sessionValid` (the "cookie" the browser would send).
 */
export function createFakeServer(options: FakeServerOptions = {}) {
  const delivery = options.delivery ?? 'body';
  const ttl = options.ttlSeconds ?? 900;
  const now = options.now ?? (() => Date.now());
  const calls: RecordedCall[] = [];
  let serial = 0;
  const state = {
    currentToken: null as string | null,
    /** The session (refresh cookie) still works. */
    sessionValid: false,
    /** Cookie delivery: the access cookie still works. */
    accessValid: false,
    /** When set, refresh waits for this before answering. */
    refreshGate: null as null | { wait: () => Promise<void> },
    /** When set, refresh answers this instead of issuing a token. */
    refreshFailure: null as null | (() => Response),
    overrides: new Map<string, Handler>(),
  };

  const issue = (): Response => {
    serial += 1;
    const expiresAt = Math.floor(now() / 1000) + ttl;
    state.currentToken = makeToken({ sub: USER.id, exp: expiresAt, jti: `t${serial}` });
    state.sessionValid = true;
    state.accessValid = true;
    if (delivery === 'cookie') return new Response(null, { status: 204 });
    return json({ access_token: state.currentToken, token_type: 'Bearer', expires_in: ttl, expires_at: expiresAt });
  };

  const authorized = (call: RecordedCall): boolean =>
    delivery === 'body'
      ? state.currentToken !== null && call.headers.get('authorization') === `Bearer ${state.currentToken}`
      : state.accessValid;

  const route: Handler = async (call) => {
    const path = new URL(call.url, 'http://localhost:3000').pathname;
    const override = state.overrides.get(`${call.method} ${path}`);
    if (override) return override(call);
    switch (`${call.method} ${path}`) {
      case 'POST /api/auth/login': {
        const body = JSON.parse(call.body ?? '{}') as { password?: string };
        return body.password === 'right' ? issue() : problem(401, 'invalid_credentials');
      }
      case 'POST /api/auth/refresh':
        if (state.refreshGate) await state.refreshGate.wait();
        if (state.refreshFailure) return state.refreshFailure();
        return state.sessionValid ? issue() : problem(401, 'session_expired');
      case 'POST /api/auth/logout':
        state.sessionValid = false;
        state.accessValid = false;
        state.currentToken = null;
        return new Response(null, { status: 204 });
      case 'GET /api/auth/me':
        return authorized(call) ? json(USER) : problem(401, 'invalid_token');
      default:
        return authorized(call) ? json({ ok: true, path }) : problem(401, 'invalid_token');
    }
  };

  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const request = new Request(typeof input === 'string' && input.startsWith('/') ? `http://localhost:3000${input}` : input, init);
    const call: RecordedCall = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.body ? await request.text() : null,
    };
    calls.push(call);
    return route(call);
  });

  const callsTo = (path: string): RecordedCall[] =>
    calls.filter((call) => new URL(call.url).pathname === path);

  /** Make the current access token stop working (as if it expired); the session lives on. */
  const expireAccessToken = (): void => {
    state.currentToken = null;
    state.accessValid = false;
  };

  return { fetch: fetch as unknown as typeof globalThis.fetch, fetchMock: fetch, calls, callsTo, state, issue, expireAccessToken };
}

/** Let pending promise callbacks and macrotasks (BroadcastChannel delivery) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}
