import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.lodestone/**', 'coverage/**', 'bin/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'src/domain imports nothing of ours.' },
            {
              group: ['node:*', 'kysely', 'pg', '@electric-sql/*', 'fastify', 'commander'],
              message: 'src/domain is pure: no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/rules/**/*.ts', 'src/screening/**/*.ts', 'src/monitor/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
            {
              group: [
                '../store*',
                '../app*',
                '../cli*',
                '../http*',
                'kysely',
                'pg',
                '@electric-sql/*',
                'fastify',
                'commander',
                'node:fs*',
                'node:net',
                'node:http',
              ],
              message: 'pure module: no I/O, no outer layers.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/epcis/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
            {
              group: [
                '../store*',
                '../app*',
                '../cli*',
                '../http*',
                'kysely',
                'pg',
                '@electric-sql/*',
                'fastify',
                'commander',
                'node:fs*',
                'node:net',
                'node:http*',
              ],
              message: 'src/epcis is pure: no I/O, no outer layers.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/verify/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
            {
              group: [
                '../store*',
                '../app*',
                '../cli*',
                '../screening*',
                'kysely',
                'pg',
                '@electric-sql/*',
                'commander',
                'node:fs*',
                'node:net',
                'node:http*',
              ],
              message: 'src/verify is offline and read-only: src/trust, src/domain and src/rules only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The HTTP edge: use cases (src/app), values (src/domain), crypto (src/trust), the offline verifier, and
    // src/store only for its own operator-state tables (credentials, grants, idempotency) and ownership reads.
    files: ['src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
            {
              group: ['../cli*', '../rules*', '../screening*', 'commander'],
              message: 'src/http may import src/app, src/domain, src/trust, src/verify and src/store only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The federation transport (NATS JetStream): use cases (src/app), its own operator-state tables (src/store)
    // and hashing (src/trust). Only the CLI imports it.
    files: ['src/federation/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
            {
              group: ['../cli*', '../http*', '../rules*', '../screening*', '../verify*', 'commander'],
              message: 'src/federation may import src/app, src/domain, src/trust and src/store only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Nothing imports the HTTP edge except the CLI (which serves it).
    // (the pure modules' own rules already forbid the outer layers)
    files: ['src/app/**/*.ts', 'src/trust/**/*.ts', 'src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*/*', '!../*/index.js'], message: 'Import another module only through its index.ts.' },
            { group: ['../http*'], message: 'only src/cli imports src/http.' },
            { group: ['../federation*'], message: 'only src/cli imports src/federation.' },
          ],
        },
      ],
    },
  },
  {
    // The web console (React, in the browser): JSX handlers are arrow shorthands that return setState's void.
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../../src/*/**',
                '../../../src/*/**',
                '!../../src/verify/**',
                '!../../../src/verify/**',
                '!../../src/domain/quantities.js',
              ],
              message:
                'The console bundles only the offline verifier (src/verify) and, in format.ts, the quantity formatting (src/domain/quantities.ts) from the server code.',
            },
          ],
        },
      ],
    },
  },
  {
    // No import cycles in the server or the console: a module and everything it imports form a tree, so each
    // layer can be read, tested and changed from the bottom up (docs/architecture.md, "Module layout").
    files: ['src/**/*.ts', 'console/src/**/*.ts', 'console/src/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      // Parse the files a module imports as TypeScript too (without this the rule cannot follow them and sees no cycle).
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.json', 'console/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
