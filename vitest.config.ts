import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that run after all the others, one at a time: each measures something against the clock
 * that other test files running beside it would distort — a process that must exit within seconds
 * of printing (the bug it guards against kept it ~10 s). Alone they get the machine to themselves.
 * Other tests that once ran here assert ordering and causality instead, or bounds generous for a
 * loaded machine with the reason stated, and run in the suite.
 */
const ALONE = ['test/cli/exits-promptly.test.ts'];

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
