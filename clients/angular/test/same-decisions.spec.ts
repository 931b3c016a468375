import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { type AdapterFactory, runScenario, SCENARIOS } from '../../test-support/adapter-scenarios.js';
import { answerFromServer, setUp } from './harness.js';

/** HttpClient with authInterceptor as the adapter under test; the fake server answers the API. */
const angularAdapter: AdapterFactory = (server, config) => {
  const { http, backend, auth } = setUp(server.delivery, { clock: config.clock }, undefined, server);
  return {
    login: async () => {
      await auth.login({ email: 'ada@example.org', password: 'right' });
    },
    send: async ({ method, url, headers, body }) => {
      let done = false;
      const status = firstValueFrom(
        http.request(method, url, { body, headers, observe: 'response', responseType: 'text' }),
      ).then(
        (response) => response.status,
        (error: unknown) => {
          if (error instanceof HttpErrorResponse) return error.status;
          throw error;
        },
      );
      void status.finally(() => (done = true));
      while (!done) {
        answerFromServer(backend, server);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return status;
    },
    signedIn: () => auth.isLoggedIn(),
    dispose: () => {
      TestBed.resetTestingModule();
    },
  };
};

describe('authInterceptor decides as every adapter does', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    expect(await runScenario(scenario, angularAdapter)).toEqual(scenario.expected);
  });
});
