/**
 * Fresh databases for store tests, one per test, for each store kind.
 *
 * - PGlite: one in-memory PGlite per worker; for each fresh store its `public` schema is dropped
 *   and the migrations run again (~10 ms for the reset plus the migrations, against ~0.7 s to start
 *   a PGlite instance from a `dumpDataDir` tarball and 4–7 s to initdb one).
 * - PostgreSQL: every fresh store is a new database `lodestone_t_<random>` on the server from
 *   global-setup (`inject('postgresUrl')`), migrated by opening it, and dropped after the test (in
 *   the background; the file's afterAll waits for the drops).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, inject } from 'vitest';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import {
  attachPgliteStore,
  openPostgresStore,
  PGLITE_PARSERS,
  type PgliteStore,
  type PostgresStore,
} from '../../src/store/index.js';
import { forgetPgliteInitdbDump, pgliteInitdbDump } from './pglite-cache.js';
import { selectedStores, type StoreKind } from './store-kinds.js';

export { STORE_KINDS, type StoreKind } from './store-kinds.js';

/** The stores the suite runs against: ['pglite', 'postgres'], or as narrowed by env STORES. */
export const STORES: readonly StoreKind[] = selectedStores();

export interface TestStore {
  readonly kind: StoreKind;
  /** The open store (replaced by `reopen`). */
  readonly store: PgliteStore | PostgresStore;
  /**
   * Closes the store and opens the same database again, which runs the migrations again. If that
   * open fails, the database is kept and `reopen` can be called again.
   */
  reopen(): Promise<PgliteStore | PostgresStore>;
  /** Closes the store and deletes the database. */
  dispose(): Promise<void>;
}

export interface FreshStoreOptions {
  /** Migrations to apply instead of the package's (also on every `reopen`). */
  migrationsDir?: URL;
}

export async function freshStore(kind: StoreKind, opts: FreshStoreOptions = {}): Promise<TestStore> {
  switch (kind) {
    case 'pglite':
      return freshPglite(opts);
    case 'postgres':
      return freshPostgres(opts);
  }
}

/**
 * Registers beforeEach/afterEach hooks that give every test in the current describe block a fresh
 * store of `kind`; returns a getter for it.
 */
export function useFreshStore(kind: StoreKind): () => TestStore {
  let current: TestStore | undefined;
  beforeEach(async () => {
    current = await freshStore(kind);
  });
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('no fresh store: call this inside a test');
    return current;
  };
}

let sharedPglite: Promise<PGlite> | undefined;

async function startSharedPglite(): Promise<PGlite> {
  const options = { parsers: { ...PGLITE_PARSERS } };
  try {
    return await PGlite.create({ ...options, loadDataDir: await pgliteInitdbDump() });
  } catch {
    await forgetPgliteInitdbDump(); // a damaged cache: rebuild it next time, run initdb now
    return PGlite.create(options);
  }
}

/**
 * A fresh PGlite store in tens of milliseconds instead of ~0.7 s for a new instance: one in-memory
 * PGlite per worker (started from the cached initdb tarball), whose `public` schema — every table,
 * function and the migration record — is dropped and migrated again for each test. `reopen`
 * closes the store and attaches a new one to the same instance, which runs the migrations again;
 * restarting PGlite itself is covered by pglite-data-dir.test.ts.
 */
async function freshPglite(opts: FreshStoreOptions): Promise<TestStore> {
  sharedPglite ??= startSharedPglite();
  const pglite = await sharedPglite;
  await pglite.exec('drop schema if exists public cascade; create schema public;');
  let store = await attachPgliteStore(pglite, opts);
  let open = true;
  return {
    kind: 'pglite',
    get store() {
      return store;
    },
    async reopen() {
      if (open) await store.close();
      open = false;
      store = await attachPgliteStore(pglite, opts);
      open = true;
      return store;
    },
    async dispose() {
      if (open) await store.close();
      open = false;
    },
  };
}

afterAll(async () => {
  const pglite = await sharedPglite;
  sharedPglite = undefined;
  await pglite?.close();
});

let admin: pg.Pool | undefined;

function postgresAdmin(): { pool: pg.Pool; url: string } {
  const url = inject('postgresUrl');
  if (url === '')
    throw new Error(
      'postgres store requested, but global setup started no PostgreSQL (is STORES set without "postgres"?)',
    );
  admin ??= new pg.Pool({ connectionString: url, max: 4, allowExitOnIdle: true });
  return { pool: admin, url };
}

/** Databases being dropped in the background (dropping is off the tests' critical path). */
const pendingDrops: Promise<void>[] = [];

afterAll(async () => {
  await Promise.all(pendingDrops.splice(0));
  await admin?.end();
  admin = undefined;
});

async function freshPostgres(opts: FreshStoreOptions): Promise<TestStore> {
  const { databaseUrl, drop } = await emptyPostgresDatabase();
  let store: PostgresStore;
  try {
    store = await openPostgresStore({ databaseUrl, ...opts });
  } catch (e) {
    await drop();
    throw e;
  }
  let open = true;
  return {
    kind: 'postgres',
    get store() {
      return store;
    },
    async reopen() {
      if (open) await store.close();
      open = false;
      store = await openPostgresStore({ databaseUrl, ...opts });
      open = true;
      return store;
    },
    async dispose() {
      if (open) await store.close();
      open = false;
      const dropping = drop();
      dropping.catch(() => undefined); // handled here so it is not "unhandled"; afterAll still sees the failure
      pendingDrops.push(dropping);
    },
  };
}

/** A new, empty PostgreSQL database (no migrations); returns its URL and a function that drops it. */
export async function emptyPostgresDatabase(): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  const { pool, url } = postgresAdmin();
  const name = `lodestone_t_${randomBytes(6).toString('hex')}`;
  await pool.query(`create database ${name} strategy file_copy`); // PostgreSQL ≥ 15; ~3× faster than the default WAL_LOG for a small database
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    databaseUrl: dbUrl.toString(),
    drop: async () => {
      await pool.query(`drop database if exists ${name} with (force)`);
    },
  };
}
