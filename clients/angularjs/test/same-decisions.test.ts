import type { IHttpResponse, IPromise } from 'angular';
import { describe, expect, it } from 'vitest';
import { type AdapterFactory, runScenario, SCENARIOS } from '../../test-support/adapter-scenarios.js';
import { createHarness, outcome } from './harness.js';

/** `$http` with the jotauth interceptor as the adapter under test, over ngMock's backend. */
const angularjsAdapter: AdapterFactory = (server, config) => {
  const h = createHarness({ server, config, withoutNgXsrf: true });
  return {
    login: async () => {
      await h.drain();
      outcome(h.$auth.login({ email: 'ada@example.org', password: 'right' }));
      await h.drain();
    },
    send: async ({ method, url, headers, body }) => {
      const result = outcome(h.$http({ method, url, headers, data: body }) as IPromise<IHttpResponse<unknown>>);
      await h.drain();
      return (result.value ?? (result.error as IHttpResponse<unknown>)).status;
    },
    signedIn: () => Boolean(h.$rootScope.user),
    dispose: () => {
      h.destroy();
    },
  };
};

describe('the $http interceptor decides as every adapter does', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    expect(await runScenario(scenario, angularjsAdapter)).toEqual(scenario.expected);
  });
});
