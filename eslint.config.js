// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// Who may import whom (each folder's README states it; these rules hold what lint can check).
// Tests beside the code (*.test.ts, *.fixture.ts) keep their folder's layer
// rules but may import test/ (the harness); domain/ tests may use Node built-ins (as an
// oracle, say), and api/ tests may import activities/ to set up what the worker would have written.
const testFiles = (folder) => [`${folder}/**/*.test.ts`, `${folder}/**/*.fixture.ts`];

const noTest = {
  group: ['**/test/**'],
  message: 'Production code never imports test/: test support lives in test/harness/ or beside the code as *.test.ts.',
};
const noBuiltins = (message) => nodeBuiltins.map((name) => ({ name, message }));

/** One `no-restricted-imports` per file: a later config object replaces an earlier one's lists, it does not extend them. */
const restrict = ({ paths = [], patterns = [] }) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

/** Per folder: `layers` hold for every file in it, `production` only for the code outside its tests. */
const folders = {
  // Workflow code is replayed deterministically inside Temporal's sandbox: no Node
  // built-ins, no database access, only domain/ and activity *types*.
  workflows: {
    layers: {
      paths: noBuiltins('Workflows must not import Node built-ins.'),
      patterns: [
        { group: ['**/db/**', '**/api/**'], message: 'Workflows must not import db/ or api/.' },
        { group: ['**/activities/**'], allowTypeImports: true, message: 'Workflows import activities as types only.' },
      ],
    },
  },
  // domain/ is pure: libraries only. Workflows run it inside the sandbox, so no Node built-ins either.
  domain: {
    layers: {
      patterns: [
        {
          group: ['**/db/**', '**/api/**', '**/activities/**', '**/workflows/**', '**/cli/**'],
          message: 'domain/ is pure and imports only libraries.',
        },
      ],
    },
    production: { paths: noBuiltins('domain/ is pure: no Node built-ins.') },
  },
  activities: {
    layers: { patterns: [{ group: ['**/api/**', '**/workflows/**'], message: 'activities/ may import domain/ and db/ only.' }] },
  },
  // The API starts and asks workflows through the Temporal client; the contract is all it shares with them.
  api: {
    production: {
      patterns: [
        { group: ['**/workflows/**', '!**/workflows/contract.ts'], message: 'api/ imports from workflows/ only workflows/contract.ts.' },
        { group: ['**/activities/**'], message: 'api/ never imports activities/.' },
      ],
    },
  },
  db: {},
  cli: {},
  // The dashboard talks to the API over HTTP and WebSocket; it imports nothing else of the repository.
  'dashboard/src': {
    layers: {
      patterns: [
        {
          regex: '^(\\.\\./)+(api|activities|workflows|domain|db|cli|test|bench|deploy)(/|$)',
          message: 'The dashboard imports nothing outside dashboard/: it talks to the API over HTTP.',
        },
      ],
    },
  },
};

const boundaries = Object.entries(folders).flatMap(([folder, { layers = {}, production = {} }]) => [
  {
    files: [`${folder}/**/*.ts`, ...(folder === 'dashboard/src' ? [`${folder}/**/*.svelte`] : [])],
    ignores: testFiles(folder),
    rules: restrict({
      paths: [...(layers.paths ?? []), ...(production.paths ?? [])],
      patterns: [...(layers.patterns ?? []), ...(production.patterns ?? []), noTest],
    }),
  },
  { files: testFiles(folder), rules: layers.paths || layers.patterns ? restrict(layers) : { 'no-restricted-imports': 'off' } },
]);

// An area's route files decode, call one service function and encode: the transaction and the
// handling of what the database refuses belong to its service (api/README.md, *One shape per
// area*). Its own object, so it repeats api/'s rules: a later object replaces an earlier one's lists.
const routeFiles = {
  files: ['api/**/*-routes.ts'],
  rules: restrict({
    patterns: [
      ...folders.api.production.patterns,
      noTest,
      {
        group: ['**/db/postgres/tenant-scope.ts'],
        allowTypeImports: true,
        message: 'Route files open no transaction: call the area service, which does.',
      },
      {
        group: ['slonik'],
        allowTypeImports: true,
        message: "Route files handle no driver errors: the repository answers 'taken' or 'missing', the service turns it into a problem.",
      },
    ],
  }),
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dashboard/node_modules/**',
      'dashboard/build/**',
      'dashboard/.svelte-kit/**',
      'dashboard/static/**',
      'dashboard/src/lib/api/schema.d.ts',
      'bench/results/**',
      '.data/**',
      'api/openapi.json',
      'deploy/k8s/**',
    ],
  },
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
  // The dashboard's own tsconfig (dashboard/tsconfig.json) types its files; the browser's globals as well as Node's.
  { files: ['dashboard/**/*.ts'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  // Svelte components: the plugin's recommended rules, TypeScript in <script lang="ts"> typed by the dashboard's tsconfig.
  ...svelte.configs.recommended,
  {
    files: ['dashboard/**/*.svelte', 'dashboard/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
        parser: tseslint.parser,
      },
    },
    rules: {
      // The dashboard is served at the root (no paths.base), so a root-relative href is already
      // the resolved one; wrapping each in resolve() would only matter under a base path.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
  ...boundaries,
  routeFiles,
  // Layout is Prettier's (.prettierrc.json): ESLint's formatting rules step aside, the Svelte ones too.
  prettier,
  ...svelte.configs.prettier,
);
