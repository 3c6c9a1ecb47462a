import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that run after all the others, one at a time: each measures something against the clock
 * or the connection pool that other test files running beside it would starve — the 200
 * concurrent drawdowns (a pooled connection within 10 s), a process that must exit within
 * seconds of printing, a server that must stop while a keep-alive connection is open, how long a
 * write waits while the disk is frozen. Alone they get the machine as they did before the suite
 * ran two files at once; no timeout was lengthened.
 */
const ALONE = [
  'test/app/licensing.test.ts',
  'test/adversarial/http.test.ts',
  'test/http/serve.test.ts',
  'test/cli/newcomer.test.ts',
];

const common = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    // Run once for the whole run (the projects below inherit what they provide: postgresUrl,
    // postgresTemplate), not once per project.
    globalSetup: ['test/build-setup.ts', 'test/global-setup.ts'],
    projects: [
      {
        test: {
          ...common,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ALONE],
          // Two files at once: vitest's default on a 2-core machine is one (cores − 1), which
          // leaves a core idle whenever a file waits on PostgreSQL, Chromium, NATS or a child process.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: 'alone',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
