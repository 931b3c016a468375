import { defineConfig } from 'vitest/config';

// Unit tests of the demo's plain functions; the pages themselves are covered in Chromium by
// tests/e2e/browser (Python + Playwright) against the real servers.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.spec.ts'],
  },
});
