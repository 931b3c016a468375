import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Test against @jotauth/client's sources, not a possibly stale dist/.
    conditions: ['source'],
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.js'],
    restoreMocks: true,
  },
});
