import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noIo = {
  patterns: [
    { group: ['node:*', 'fs', 'path', 'child_process', 'net', 'http', 'os'], message: 'The engine and the domain do no I/O: put it in an adapter or a service.' },
    { group: ['better-sqlite3', 'pg', '@nats-io/*', '@kurrent/*'], message: 'Drivers belong in adapter packages.' },
    { group: ['@interlend/store-*', '@interlend/cli', '@interlend/nats'], message: 'Imports point inward: services -> adapters -> domain -> engine.' },
    { group: ['*/src/*', '@interlend/*/src/*'], message: 'Import a package through its public entry, not its src/.' },
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['packages/engine/src/**/*.ts'],
    ignores: ['packages/engine/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...noIo.patterns, { group: ['@interlend/ill'], message: 'The engine knows no ILL words.' }] }] },
  },
  {
    files: ['packages/ill/src/**/*.ts'],
    ignores: ['packages/ill/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', noIo] },
  },
);
