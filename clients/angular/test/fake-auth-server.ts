/**
 * A scripted stand-in for the auth server's login, refresh, logout and /me endpoints, given
 * to @jotauth/client as its `fetch`. API calls made with HttpClient never reach it: those go
 * to Angular's HttpTestingController.
 */
export interface FakeAuthServer {
  readonly fetch: typeof fetch;
  /** When true, every call fails as if the network were down. */
  offline: boolean;
  /** Calls per path, e.g. `calls('/api/auth/refresh')`. */
  calls(path: string): number;
  /** Forget the calls so far (the app's start-up asks /me and tries a refresh). */
  resetCalls(): void;
  /** What the next refresh answers: a new token, or a refusal with this status. */
  refreshAnswer: 'token' | 401 | 503;
  /** The access token the server would accept now (body delivery). */
  readonly currentToken: string;
  /** Roles of the user /me returns. */
  roles: string[];
  /** Whether /me answers 200 (someone is logged in) or 401. */
  loggedIn: boolean;
}

/** Gives the access tokens out in the body (`delivery: 'body'`) or as cookies (204). */
export function fakeAuthServer(delivery: 'body' | 'cookie'): FakeAuthServer {
  const counts = new Map<string, number>();
  let tokenNumber = 0;
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  const grant = (server: FakeAuthServer): Response => {
    tokenNumber += 1;
    server.loggedIn = true;
    if (delivery === 'cookie') return new Response(null, { status: 204 });
    return json(200, {
      access_token: `token-${tokenNumber}`,
      token_type: 'Bearer',
      expires_in: 900,
      expires_at: Math.floor(Date.now() / 1000) + 900,
    });
  };
  const server: FakeAuthServer = {
    refreshAnswer: 'token',
    offline: false,
    roles: [],
    loggedIn: false,
    get currentToken() {
      return `token-${tokenNumber}`;
    },
    calls: (path) => counts.get(path) ?? 0,
    resetCalls: () => {
      counts.clear();
    },
    fetch: async (input) => {
      const path = new URL(String(input), 'http://app.example.test/').pathname;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      if (server.offline) throw new TypeError('Failed to fetch');
      await Promise.resolve();
      switch (path) {
        case '/api/auth/login':
          return grant(server);
        case '/api/auth/refresh':
          if (!server.loggedIn) return json(401, { status: 401, code: 'missing_refresh_token' });
          if (server.refreshAnswer === 'token') return grant(server);
          server.loggedIn = false;
          return json(server.refreshAnswer, { status: server.refreshAnswer, code: 'session_revoked' });
        case '/api/auth/logout-all':
          server.loggedIn = false;
          return new Response(null, { status: 204 });
        case '/api/auth/logout':
          server.loggedIn = false;
          return new Response(null, { status: 204 });
        case '/api/auth/me':
          return server.loggedIn
            ? json(200, { id: '1', email: 'ada@example.com', name: 'Ada', roles: server.roles, scope: '' })
            : json(401, { status: 401, code: 'not_authenticated' });
        default:
          return json(404, { status: 404 });
      }
    },
  };
  return server;
}
