import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { createAuthClient } from '@jotauth/client';
import type { Observable } from 'rxjs';

import { AuthService, authInterceptor, type JotAuthConfig, provideJotAuth } from '../src/index.js';
import { createFakeAuthServer, type FakeAuthServer } from '../../test-support/fake-auth-server.js';

/** An Angular injector with HttpClient + authInterceptor + provideJotAuth over a real client. */
export interface Harness {
  readonly server: FakeAuthServer;
  readonly http: HttpClient;
  readonly backend: HttpTestingController;
  readonly auth: AuthService;
}

/** Configure TestBed with jotauth; `config` adds to the defaults (same-origin API). */
export function setUp(
  delivery: 'body' | 'cookie',
  config: JotAuthConfig = {},
  prepare: (server: FakeAuthServer) => void = () => undefined,
  server: FakeAuthServer = createFakeAuthServer({ delivery }),
): Harness {
  prepare(server);
  const client = createAuthClient({
    delivery,
    clock: config.clock,
    crossTab: false,
    locks: null,
    refreshJitterMs: 0,
    fetch: server.fetch,
    allowedUrls: config.allowedUrls,
    blockedUrls: config.blockedUrls,
  });
  TestBed.configureTestingModule({
    providers: [
      provideRouter([]),
      provideHttpClient(withInterceptors([authInterceptor])),
      provideHttpClientTesting(),
      provideJotAuth({ delivery, loginRoute: '/signin', forbiddenRoute: '/forbidden', ...config, client }),
    ],
  });
  return {
    server,
    http: TestBed.inject(HttpClient),
    backend: TestBed.inject(HttpTestingController),
    auth: TestBed.inject(AuthService),
  };
}

/** {@link setUp}, then a login, with the calls so far forgotten. */
export async function signedIn(delivery: 'body' | 'cookie', config: JotAuthConfig = {}): Promise<Harness> {
  const harness = setUp(delivery, config);
  await harness.auth.login({ email: 'ada@example.org', password: 'right' });
  harness.server.calls.length = 0;
  return harness;
}

/** Let promise callbacks (the client's refresh, the retry) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Answer every request waiting at HttpClient's test backend from the fake server, as if the
 * API were that server. Returns how many it answered.
 */
export function answerFromServer(backend: HttpTestingController, server: FakeAuthServer): number {
  const pending: TestRequest[] = backend.match(() => true);
  for (const request of pending) {
    const { headers, body } = request.request;
    const recorded = new Headers();
    for (const name of headers.keys()) recorded.set(name, headers.get(name) ?? '');
    const reply = server.answer({
      url: request.request.urlWithParams,
      method: request.request.method,
      headers: recorded,
      body: body === null ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    if (reply instanceof Response || reply instanceof Promise) {
      throw new TypeError('answerFromServer needs a synchronous Reply');
    }
    if (reply === 'network_error') {
      request.error(new ProgressEvent('error'));
    } else {
      const text = reply.body === undefined ? null : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      request.flush(text, { status: reply.status, statusText: String(reply.status), headers: { ...reply.headers } });
    }
  }
  return pending.length;
}

/** Subscribe to `request` and keep the error it fails with (undefined until then). */
export function failureOf(request: Observable<unknown>): { error: unknown } {
  const failed: { error: unknown } = { error: undefined };
  request.subscribe({ error: (error: unknown) => (failed.error = error) });
  return failed;
}
