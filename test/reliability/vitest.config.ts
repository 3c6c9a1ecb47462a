import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: crash, fault and load tests (test/reliability/*.rel.ts), kept out of
 * `npm test` because they take minutes. Each test starts its own PostgreSQL (it stops and starts
 * it), so there is no global PostgreSQL here; dist/ is built first for bin/lodestone.js.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: {
    include: ['test/reliability/**/*.rel.ts'],
    globalSetup: ['test/build-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
