import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { createAuthClient } from '@jotauth/client';

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
): Harness {
  const server = createFakeAuthServer({ delivery });
  prepare(server);
  const client = createAuthClient({
    delivery,
    clock: config.clock,
    crossTab: false,
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

/** Let promise callbacks (the client's refresh, the retry) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}
