// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dashboard/**', 'bench/results/**', '.data/**', 'api/openapi.json', 'deploy/k8s/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no Node
    // built-ins, no database access, only domain/ and activity *types*.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows must not import Node built-ins.' })),
        patterns: [
          { group: ['**/db/**', '**/api/**'], message: 'Workflows must not import db/ or api/.' },
          { group: ['**/activities/**'], allowTypeImports: true, message: 'Workflows import activities as types only.' },
        ],
      }],
    },
  },
  {
    // domain/ is pure: libraries only.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/db/**', '**/api/**', '**/activities/**', '**/workflows/**'], message: 'domain/ is pure and imports only libraries.' }],
      }],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/api/**', '**/workflows/**'], message: 'activities/ may import domain/ and db/ only.' }],
      }],
    },
  },
);
