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
  type StoreTimeouts,
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
  /** Store timeouts other than the defaults (PGlite: only `acquireMs`; also on every `reopen`). */
  timeouts?: Partial<StoreTimeouts>;
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
 * What the shared PGlite looked like right after the package's migrations ran on an empty `public`
 * schema: a fingerprint of the schema's catalog, its tables, and the rows and sequence positions
 * the migrations left (the seed rows such as journal_head's).
 */
interface MigratedBaseline {
  readonly fingerprint: string;
  readonly tables: readonly string[];
  readonly seeds: readonly { table: string; rows: string }[];
  readonly sequences: readonly { sequence: string; value: string; called: boolean }[];
}

let baseline: MigratedBaseline | undefined;

/**
 * Everything in `public` a test could change other than rows: relations and their columns,
 * defaults, constraints, indexes, functions, triggers (and whether they are enabled), types.
 * A test that creates a trigger, disables one or adds a table changes it; its next fresh store is
 * then made by dropping the schema and migrating again rather than by emptying the tables.
 */
const FINGERPRINT_SQL = `with rels as (select oid from pg_class where relnamespace = 'public'::regnamespace)
select md5(coalesce(string_agg(x, '|' order by x), '')) as fp from (
  select concat_ws(':', 'c', relname, relkind::text, relnatts, relhastriggers, relpersistence::text) as x
    from pg_class where relnamespace = 'public'::regnamespace
  union all select concat_ws(':', 'a', attrelid::regclass, attnum, attname, atttypid, atttypmod, attnotnull, atthasdef, attisdropped, attgenerated::text, attidentity::text)
    from pg_attribute where attrelid in (select oid from rels) and attnum > 0
  union all select concat_ws(':', 'd', adrelid::regclass, adnum, md5(pg_get_expr(adbin, adrelid)))
    from pg_attrdef where adrelid in (select oid from rels)
  union all select concat_ws(':', 'k', conrelid::regclass, conname, md5(pg_get_constraintdef(oid)), convalidated, condeferrable, condeferred)
    from pg_constraint where connamespace = 'public'::regnamespace
  union all select concat_ws(':', 'i', indexrelid::regclass, md5(pg_get_indexdef(indexrelid)), indisvalid)
    from pg_index where indrelid in (select oid from rels)
  union all select concat_ws(':', 'p', oid::regprocedure, md5(prosrc), md5(coalesce(proconfig::text, '')))
    from pg_proc where pronamespace = 'public'::regnamespace
  union all select concat_ws(':', 't', tgrelid::regclass, tgname, tgenabled::text, md5(pg_get_triggerdef(oid)))
    from pg_trigger where tgrelid in (select oid from rels)
  union all select concat_ws(':', 'r', ev_class::regclass, rulename, ev_enabled::text)
    from pg_rewrite where ev_class in (select oid from rels) and rulename <> '_RETURN'
  union all select concat_ws(':', 'v', c.oid::regclass, md5(pg_get_viewdef(c.oid)))
    from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
  union all select concat_ws(':', 'y', typname, typtype::text) from pg_type where typnamespace = 'public'::regnamespace
  union all select concat_ws(':', 'pol', polrelid::regclass, polname) from pg_policy where polrelid in (select oid from rels)
  union all select concat_ws(':', 'rls', oid::regclass, relrowsecurity, relforcerowsecurity)
    from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')
) s`;

async function fingerprint(pglite: PGlite): Promise<string> {
  const { rows } = await pglite.query<{ fp: string }>(FINGERPRINT_SQL);
  return rows[0]!.fp;
}

async function captureBaseline(pglite: PGlite): Promise<MigratedBaseline> {
  const tables = (
    await pglite.query<{ t: string }>(
      `select quote_ident(relname) as t from pg_class
       where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') order by relname`,
    )
  ).rows.map((r) => r.t);
  const counted =
    tables.length === 0
      ? []
      : (
          await pglite.query<{ t: string; rows: string | null }>(
            tables.map((t) => `select '${t}' as t, (select json_agg(x)::text from ${t} x) as rows`).join(' union all '),
          )
        ).rows;
  const seeds = counted.filter((r) => r.rows !== null).map((r) => ({ table: r.t, rows: r.rows! }));
  const sequences = (
    await pglite.query<{ sequence: string; value: string; called: boolean }>(
      `select format('%I.%I', schemaname, sequencename) as sequence,
              coalesce(last_value, start_value)::text as value, last_value is not null as called
       from pg_sequences where schemaname = 'public'`,
    )
  ).rows;
  return { fingerprint: await fingerprint(pglite), tables, seeds, sequences };
}

/**
 * Puts the migrated schema back as the migrations left it, when nothing but rows changed since
 * `b` was captured: the tables that have rows (and the seeded ones) are truncated in one
 * statement, the seed rows inserted again and the sequences set back. Triggers are off for the
 * transaction (session_replication_role = replica), so the journal's refusal of TRUNCATE does not
 * apply to this test-only reset. Returns false, changing nothing, when the schema differs.
 */
async function resetToBaseline(pglite: PGlite, b: MigratedBaseline): Promise<boolean> {
  if ((await fingerprint(pglite)) !== b.fingerprint) return false;
  const filled = (
    await pglite.query<{ t: string }>(
      b.tables.map((t) => `select '${t}' as t where exists (select from ${t})`).join(' union all '),
    )
  ).rows.map((r) => r.t);
  const toEmpty = [...new Set([...filled, ...b.seeds.map((s) => s.table)])];
  await pglite.transaction(async (tx) => {
    await tx.exec('set local session_replication_role = replica');
    if (toEmpty.length > 0) await tx.exec(`truncate table ${toEmpty.join(', ')} restart identity cascade`);
    for (const s of b.seeds)
      await tx.query(`insert into ${s.table} select * from json_populate_recordset(null::${s.table}, $1)`, [s.rows]);
    for (const q of b.sequences)
      await tx.query('select setval($1::regclass, $2::bigint, $3)', [q.sequence, q.value, q.called]);
  });
  return true;
}

/**
 * A fresh PGlite store in tens of milliseconds instead of ~0.7 s for a new instance: one in-memory
 * PGlite per worker (started from the cached initdb tarball). The first fresh store of a worker
 * (or one after a test changed the schema) drops `public` and runs the migrations (~0.5 s of CPU);
 * the next ones only empty the tables and put back the rows the migrations seed (see
 * resetToBaseline; ~0.05 s). With a test's own `migrationsDir` the schema is always dropped and
 * migrated from scratch. `reopen` closes the store and attaches a new one to the same instance,
 * which runs the migrations again (none pending); restarting PGlite itself is covered by
 * pglite-data-dir.test.ts.
 */
async function freshPglite(opts: FreshStoreOptions): Promise<TestStore> {
  sharedPglite ??= startSharedPglite();
  const pglite = await sharedPglite;
  let store: PgliteStore;
  if (opts.migrationsDir === undefined && baseline !== undefined && (await resetToBaseline(pglite, baseline))) {
    store = await attachPgliteStore(pglite, opts);
  } else {
    baseline = undefined;
    await pglite.exec('drop schema if exists public cascade; create schema public;');
    store = await attachPgliteStore(pglite, opts);
    if (opts.migrationsDir === undefined) baseline = await captureBaseline(pglite);
  }
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
  baseline = undefined;
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
  const template = opts.migrationsDir === undefined ? inject('postgresTemplate') : '';
  const { databaseUrl, drop } = template === '' ? await emptyPostgresDatabase() : await copyOfTemplate(template);
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
  return newDatabase(''); // PostgreSQL ≥ 15; file_copy is ~3× faster than the default WAL_LOG for a small database
}

/**
 * A new database copied from the migrated template global setup made (test/global-setup.ts): what
 * opening an empty database and running the migrations would give, made by the server copying
 * files instead of running ~1,000 lines of DDL.
 */
function copyOfTemplate(template: string): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  return newDatabase(` template ${template}`);
}

async function newDatabase(template: string): Promise<{ databaseUrl: string; drop: () => Promise<void> }> {
  const { pool, url } = postgresAdmin();
  const name = `lodestone_t_${randomBytes(6).toString('hex')}`;
  await pool.query(`create database ${name}${template} strategy file_copy`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    databaseUrl: dbUrl.toString(),
    drop: async () => {
      await pool.query(`drop database if exists ${name} with (force)`);
    },
  };
}
