import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Test against @jotauth/client's TypeScript sources, not a possibly stale dist/.
    conditions: ['source', 'module', 'browser', 'development'],
  },
  test: {
    environment: 'jsdom',
    environmentOptions: { jsdom: { url: 'http://app.example.test/' } },
    setupFiles: ['test/setup.ts'],
    include: ['test/**/*.spec.ts'],
  },
});
