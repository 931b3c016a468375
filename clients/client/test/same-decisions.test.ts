import { describe, expect, it } from 'vitest';
import { createAuthClient } from '../src/index.js';
import { type AdapterFactory, runScenario, SCENARIOS } from '../../test-support/adapter-scenarios.js';

/** The client's own `fetch` as the adapter under test. */
const fetchAdapter: AdapterFactory = (server, config) => {
  const client = createAuthClient({ ...config, fetch: server.fetch });
  return {
    login: async () => {
      await client.login({ email: 'ada@example.org', password: 'right' });
    },
    send: async ({ method, url, headers, body }) => (await client.fetch(url, { method, headers, body })).status,
    signedIn: () => Boolean(client.user),
    dispose: () => {
      client.dispose();
    },
  };
};

describe('the fetch wrapper decides as every adapter does', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    expect(await runScenario(scenario, fetchAdapter)).toEqual(scenario.expected);
  });
});
