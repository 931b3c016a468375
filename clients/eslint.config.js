// ESLint flat config for the whole clients/ workspace.
// TypeScript in every package gets typescript-eslint's recommended rules; the framework-free
// packages (client, angularjs) are linted type-aware with the strict preset, because they carry
// the token-handling logic where a floating promise or an unsafe `any` is a real bug.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const strictPackages = ['client/**/*.ts', 'angularjs/**/*.ts', 'test-support/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      'demo/.angular/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: strictPackages })),
  {
    files: strictPackages,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests build deliberately odd inputs (hostile URLs, malformed tokens) and stub fetch.
    files: ['client/test/**/*.ts', 'angularjs/test/**/*.ts', 'test-support/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
