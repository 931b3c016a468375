import type { IHttpResponse } from 'angular';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, header, outcome, problem, type Harness } from './harness.js';

let h: Harness | null = null;
beforeEach(() => {
  document.cookie = 'XSRF-TOKEN=csrf-1; path=/';
});
afterEach(() => {
  h?.destroy();
  h = null;
  document.cookie = 'XSRF-TOKEN=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
});

async function loggedInBody(extra = {}): Promise<Harness> {
  h = createHarness({ config: { delivery: 'body', ...extra } });
  await h.drain();
  outcome(h.$auth.login({ email: 'ada@example.org', password: 'right' }));
  await h.drain();
  expect(h.$rootScope.user).toMatchObject({ id: 'u1' });
  h.broadcasts.length = 0;
  h.requests.length = 0; // count only what the test itself causes
  return h;
}

function get(harness: Harness, url: string, config = {}) {
  return outcome(harness.$http({ method: 'GET', url, ...config }) as angular.IPromise<IHttpResponse<unknown>>);
}

describe('request: credentials only for allowed URLs', () => {
  it('adds the bearer token to same-origin API calls in body delivery', async () => {
    const harness = await loggedInBody();
    const result = get(harness, '/api/lessons');
    await harness.drain();
    expect(result.value).toMatchObject({ status: 200 });
    expect(header(harness.requestsTo('/api/lessons')[0]!.headers, 'authorization')).toBe(`Bearer ${harness.server.state.currentToken!}`);
  });

  it.each([
    'https://api.example.com.evil.com/lessons',
    '//evil.com/lessons',
    'https://evil.com/api/lessons',
    'http://localhost:3001/api/lessons',
  ])('sends no token to %s', async (url) => {
    const harness = await loggedInBody();
    get(harness, url);
    await harness.drain();
    const sent = harness.requests.at(-1)!;
    expect(sent.url).toBe(url);
    expect(header(sent.headers, 'authorization')).toBeUndefined();
  });

  it('keeps a header the app set itself', async () => {
    const harness = await loggedInBody();
    get(harness, '/api/lessons', { headers: { authorization: 'Bearer app' } });
    await harness.drain();
    expect(header(harness.requestsTo('/api/lessons')[0]!.headers, 'authorization')).toBe('Bearer app');
  });

  it('adds X-XSRF-TOKEN for an allowed cross-origin API on unsafe methods only (cookie delivery)', async () => {
    h = createHarness({ loggedIn: true, config: { allowedUrls: ['https://api.example.com'] } });
    await h.drain();
    outcome(h.$http.post('https://api.example.com/lessons', { title: 'x' }));
    outcome(h.$http.delete('https://api.example.com/lessons/1'));
    outcome(h.$http.get('https://api.example.com/lessons'));
    outcome(h.$http.post('https://api.example.com.evil.com/lessons', {}));
    await h.drain();
    const byUrl = (method: string, url: string) => h!.requests.find((r) => r.method === method && r.url === url)!;
    expect(header(byUrl('POST', 'https://api.example.com/lessons').headers, 'x-xsrf-token')).toBe('csrf-1');
    expect(header(byUrl('DELETE', 'https://api.example.com/lessons/1').headers, 'x-xsrf-token')).toBe('csrf-1');
    expect(header(byUrl('GET', 'https://api.example.com/lessons').headers, 'x-xsrf-token')).toBeUndefined();
    expect(header(byUrl('POST', 'https://api.example.com.evil.com/lessons').headers, 'x-xsrf-token')).toBeUndefined();
  });

  it('respects the blocked list', async () => {
    const harness = await loggedInBody({ blockedUrls: ['/api/public/'] });
    get(harness, '/api/public/feed');
    await harness.drain();
    expect(header(harness.requestsTo('/api/public/feed')[0]!.headers, 'authorization')).toBeUndefined();
  });
});

describe('responseError: refresh once on 401 and retry', () => {
  it('refreshes and retries through $http, so the caller only sees the success', async () => {
    const harness = await loggedInBody();
    harness.server.expireAccessToken(); // the access token expired on the server side

    const result = get(harness, '/api/lessons');
    await harness.drain();

    expect(result.value).toMatchObject({ status: 200, data: { ok: true } });
    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(1);
    const [first, retry] = harness.requestsTo('/api/lessons');
    expect(header(first!.headers, 'authorization')).not.toBe(header(retry!.headers, 'authorization'));
    expect(header(retry!.headers, 'authorization')).toBe(`Bearer ${harness.server.state.currentToken!}`);
    expect(harness.broadcasts).toEqual([]);
  });

  it('sends exactly one refresh for ten concurrent 401s and retries every request', async () => {
    const harness = await loggedInBody();
    harness.server.expireAccessToken();

    const results = Array.from({ length: 10 }, (_, i) => get(harness, `/api/lessons/${i}`));
    await harness.drain();

    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(1);
    expect(results.every((r) => (r.value)?.status === 200)).toBe(true);
    expect(harness.requests.filter((r) => r.url.startsWith('/api/lessons/'))).toHaveLength(20);
  });

  it('ends the session when the refresh is refused: $unauthenticated once, user false, requests rejected', async () => {
    const harness = await loggedInBody();
    harness.server.expireAccessToken();
    harness.server.state.refreshFailure = () => problem(401, 'session_revoked');

    const results = [get(harness, '/api/a'), get(harness, '/api/b')];
    await harness.drain();

    expect(results.map((r) => (r.error as IHttpResponse<unknown>).status)).toEqual([401, 401]);
    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(1);
    expect(harness.$rootScope.user).toBe(false);
    expect(harness.broadcasts).toEqual([
      { name: '$unauthenticated', args: [{ reason: 'session_ended', code: 'session_revoked' }] },
    ]);
  });

  it('gives up after the retry: a second 401 is final and broadcast', async () => {
    const harness = await loggedInBody();
    harness.server.state.overrides.set('GET /api/forbidden-ish', () => problem(401, 'invalid_token'));

    const result = get(harness, '/api/forbidden-ish');
    await harness.drain();

    expect((result.error as IHttpResponse<unknown>).status).toBe(401);
    expect(harness.requestsTo('/api/forbidden-ish')).toHaveLength(2);
    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(1);
    expect(harness.broadcasts).toEqual([
      { name: '$unauthenticated', args: [{ reason: 'request_refused', status: 401, url: '/api/forbidden-ish' }] },
    ]);
    expect(harness.$rootScope.user).toMatchObject({ id: 'u1' }); // one refused request is not a logout
  });

  it('treats a 401 from /me like any API call: refresh, retry, no broadcast', async () => {
    const harness = await loggedInBody();
    harness.server.expireAccessToken();

    const result = get(harness, '/api/auth/me');
    await harness.drain();

    expect(result.value).toMatchObject({ status: 200 });
    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(1);
    expect(harness.broadcasts).toEqual([]);
  });

  it('leaves a third-party 401 alone: no refresh, no broadcast', async () => {
    const harness = await loggedInBody();
    const result = get(harness, 'https://other.example.net/thing');
    await harness.drain();
    expect((result.error as IHttpResponse<unknown>).status).toBe(401);
    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(0);
    expect(harness.broadcasts).toEqual([]);
  });

  it('keeps the session and reports the request when the refresh endpoint is down (503)', async () => {
    const harness = await loggedInBody();
    harness.server.expireAccessToken();
    harness.server.state.refreshFailure = () => problem(503, 'unavailable');

    const result = get(harness, '/api/lessons');
    await harness.drain();

    expect((result.error as IHttpResponse<unknown>).status).toBe(401);
    expect(harness.$rootScope.user).toMatchObject({ id: 'u1' });
    expect(harness.broadcasts).toEqual([
      { name: '$unauthenticated', args: [{ reason: 'request_refused', status: 401, url: '/api/lessons' }] },
    ]);
  });

  it('passes other errors through untouched', async () => {
    const harness = await loggedInBody();
    harness.server.state.overrides.set('GET /api/boom', () => ({ status: 500, body: 'boom' }));
    const result = get(harness, '/api/boom');
    await harness.drain();
    expect((result.error as IHttpResponse<unknown>).status).toBe(500);
    expect(harness.requestsTo('/api/auth/refresh')).toHaveLength(0);
  });

  it('refreshes in cookie delivery too and retries with the XSRF header', async () => {
    h = createHarness({ loggedIn: true });
    await h.drain();
    h.server.expireAccessToken();

    const result = outcome(h.$http.post('/api/lessons', { title: 'x' }));
    await h.drain();

    expect(result.value).toMatchObject({ status: 200 });
    expect(h.requestsTo('/api/auth/refresh')).toHaveLength(1);
    const [, retry] = h.requestsTo('/api/lessons');
    expect(header(retry!.headers, 'x-xsrf-token')).toBe('csrf-1');
    expect(retry!.body).toBe('{"title":"x"}');
  });
});
