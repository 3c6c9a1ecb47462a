import { statfsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, type Transaction } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { ValidationError } from '../domain/index.js';
import type { Database } from './database.js';
import { ErrorMappingDialect } from './error-mapping-dialect.js';
import { mapDatabaseError, StoreError } from './errors.js';
import { chooseDatabaseHost, parseDatabaseHosts, type DatabaseHosts } from './hosts.js';
import { lockDataDir, type DataDirLock } from './lock.js';
import { loadMigrations, runMigrations, type MigrationReport, type MigrationTarget } from './migrate.js';
import { DATE_OID, INT8_OID, parseDate, parseInt8 } from './type-parsers.js';

/**
 * The database behind Lodestone: PGlite (embedded, in-process) or PostgreSQL, with the same schema
 * and the same SQL. Migrations have been applied by the time a Store is returned.
 *
 * Guarantees:
 * - Atomicity and durability: `transaction` commits everything `fn` wrote, or (if `fn` throws or the
 *   commit fails) nothing. Once it resolves the commit is durable as configured by the server
 *   (PostgreSQL: synchronous_commit; PGlite on disk: written to its data directory).
 * - Isolation: PostgreSQL READ COMMITTED. Writers that append to the journal are serialised by the
 *   journal head row lock from their append until they commit. PGlite has one connection, so its
 *   transactions run one at a time.
 * - Inside `fn`, use only `tx`. Using `store.db` or a nested `store.transaction` there deadlocks on
 *   PGlite (it waits for the one connection `fn` holds) and on PostgreSQL runs outside the
 *   transaction. `transaction` does not nest (no savepoints); the API's group commit
 *   (src/app/group-commit.ts) makes its savepoints itself, in SQL, inside one transaction.
 * - Errors from the database arrive as StoreError where a caller can act on them (CONFLICT,
 *   NOT_FOUND, INVALID_ROW, CONNECTION_FAILED, …); int8 values arrive as exact JS numbers or the
 *   read fails with UNSAFE_INTEGER; dates arrive as 'YYYY-MM-DD' text; timestamptz as Date.
 */
export interface Store {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<Database>;
  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Closes the connection(s) and, for PGlite, releases the data directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * The same store, with work added at the end of every transaction opened through it (inside the
 * transaction, after the caller's function returned, so it commits with that work or not at all),
 * and optionally `committed(tx)` once the commit has succeeded (not after a rollback).
 * Everything else — `db`, `close`, `kind` — is the store's own.
 */
export function withTransactionEnd(
  store: Store,
  atEnd: (tx: Transaction<Database>) => Promise<void>,
  atStart?: (tx: Transaction<Database>) => void,
  committed?: (tx: Transaction<Database>) => void,
): Store {
  const transaction: Store['transaction'] = async (fn) => {
    let opened: Transaction<Database> | undefined;
    const result = await store.transaction(async (tx) => {
      opened = tx;
      atStart?.(tx);
      const out = await fn(tx);
      await atEnd(tx);
      return out;
    });
    if (opened !== undefined) committed?.(opened);
    return result;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export interface PgliteStore extends Store {
  readonly kind: 'pglite';
  /** The absolute data directory, or 'memory://'. */
  readonly dataDir: string;
  /** The migrations this open applied. */
  readonly migrations: MigrationReport;
  /** A tarball of the whole database, loadable with `openPgliteStore({ dataDir: 'memory://', loadDataDir })`. */
  dumpDataDir(compression?: 'none' | 'gzip'): Promise<Blob>;
}

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The migrations this open applied. */
  readonly migrations: MigrationReport;
}

export interface OpenStoreOptions {
  /** A PostgreSQL connection URL. When given, PostgreSQL is used and `dataDir` is ignored. */
  databaseUrl?: string;
  /** PGlite data directory (callers default it to `.lodestone/` in the working directory), or 'memory://'. */
  dataDir?: string;
  /** How long the database may keep a caller waiting (defaults: DEFAULT_STORE_TIMEOUTS). */
  timeouts?: Partial<StoreTimeouts>;
}

/**
 * How long the store may keep a caller waiting before the call fails with StoreError
 * STORE_UNAVAILABLE (503 over HTTP, exit 5 on the CLI) and its transaction rolls back, so a frozen
 * or locked database turns into a quick, retryable refusal instead of requests that hang.
 * 0 turns a limit off.
 */
export interface StoreTimeouts {
  /** PostgreSQL `statement_timeout` of every pooled connection: the longest a statement may run. */
  readonly statementMs: number;
  /** PostgreSQL `lock_timeout`: the longest a statement may wait for a lock (a row, a table). */
  readonly lockMs: number;
  /**
   * The longest a caller waits for a connection: PostgreSQL, for a free pooled connection (or a new
   * one to be established); PGlite, for its one connection while another transaction holds it.
   */
  readonly acquireMs: number;
}

/** Defaults: generous for the largest legitimate statements (a 50 MB EPCIS document's rows), short enough that a stuck database answers within seconds. */
export const DEFAULT_STORE_TIMEOUTS: StoreTimeouts = Object.freeze({
  statementMs: 30_000,
  lockMs: 10_000,
  acquireMs: 10_000,
});

/** The environment variables that set the store timeouts, in milliseconds (documented in the README). */
export const STORE_TIMEOUT_ENV = Object.freeze({
  statementMs: 'LODESTONE_STATEMENT_TIMEOUT_MS',
  lockMs: 'LODESTONE_LOCK_TIMEOUT_MS',
  acquireMs: 'LODESTONE_ACQUIRE_TIMEOUT_MS',
} as const);

/** Store timeouts from the environment (unset ones are left to the defaults); a value that is not a whole number of milliseconds is a ValidationError naming the variable. */
export function storeTimeoutsFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<StoreTimeouts> {
  const out: { -readonly [K in keyof StoreTimeouts]?: number } = {};
  for (const [k, name] of Object.entries(STORE_TIMEOUT_ENV) as [keyof StoreTimeouts, string][]) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n > 2_147_483_647)
      throw new ValidationError(
        name,
        `must be a whole number of milliseconds (0 turns the limit off), got ${JSON.stringify(v)}`,
      );
    out[k] = n;
  }
  return out;
}

function timeoutsOf(given: Partial<StoreTimeouts> | undefined): StoreTimeouts {
  const t = { ...DEFAULT_STORE_TIMEOUTS, ...given };
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isSafeInteger(v) || v < 0 || v > 2_147_483_647)
      throw new ValidationError(`timeouts.${k}`, 'must be a whole number of milliseconds (0 turns the limit off)');
  }
  return t;
}

export const MEMORY = 'memory://';

/** Opens PostgreSQL if `databaseUrl` is given, else PGlite in `dataDir`. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const timeouts = opts.timeouts === undefined ? {} : { timeouts: opts.timeouts };
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '')
    return openPostgresStore({ databaseUrl: opts.databaseUrl, ...timeouts });
  if (opts.dataDir !== undefined && opts.dataDir !== '') return openPgliteStore({ dataDir: opts.dataDir, ...timeouts });
  throw new ValidationError('store', 'needs a databaseUrl or a dataDir');
}

export interface OpenPgliteOptions {
  /** A directory (created if missing; the database lives in its `pgdata/`, the lock file beside it), or 'memory://'. */
  dataDir: string;
  /** Initial contents (from `dumpDataDir`) for a 'memory://' store. */
  loadDataDir?: Blob;
  /** Where the migration files are (default MIGRATIONS_DIR, the package's migrations/). */
  migrationsDir?: URL;
  /** Only `acquireMs` applies to PGlite (see StoreTimeouts). */
  timeouts?: Partial<StoreTimeouts>;
}

/**
 * The PGlite `parsers` option every Lodestone PGlite instance is created with: int8 as an exact JS
 * number (StoreError UNSAFE_INTEGER beyond ±(2^53 − 1)) and date as 'YYYY-MM-DD' text.
 */
export const PGLITE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = Object.freeze({
  [INT8_OID]: parseInt8,
  [DATE_OID]: parseDate,
});

/**
 * Opens PGlite. On disk, the data directory is locked for this process (StoreError STORE_LOCKED if
 * another live process or another open store holds it; a lock left by a dead process is taken over).
 * Closing the store closes PGlite and releases the lock.
 */
export async function openPgliteStore(opts: OpenPgliteOptions): Promise<PgliteStore> {
  const memory = opts.dataDir === MEMORY;
  if (!memory && opts.loadDataDir !== undefined)
    throw new ValidationError('loadDataDir', `is only supported with dataDir ${MEMORY}`);
  const dataDir = memory ? MEMORY : resolve(opts.dataDir);
  const lock: DataDirLock | undefined = memory ? undefined : await lockDataDir(dataDir);
  let pglite: PGlite | undefined;
  try {
    pglite = await PGlite.create({
      ...(memory ? {} : { dataDir: join(dataDir, 'pgdata') }),
      ...(opts.loadDataDir === undefined ? {} : { loadDataDir: opts.loadDataDir }),
      parsers: { ...PGLITE_PARSERS },
    });
    return await storeOnPglite(pglite, {
      dataDir,
      migrationsDir: opts.migrationsDir,
      owned: true,
      lock,
      acquireMs: timeoutsOf(opts.timeouts).acquireMs,
    });
  } catch (e) {
    await pglite?.close().catch(() => undefined);
    await lock?.release();
    throw memory ? mapDatabaseError(e) : abortOnFullDisk(e, dataDir);
  }
}

/**
 * PGlite's WebAssembly build aborts ("RuntimeError: Aborted()") instead of raising an SQL error when
 * it cannot write its files while starting up. When that happens on a data directory whose file
 * system has (almost) no room left, say so: that is the cause the user can act on.
 */
function abortOnFullDisk(e: unknown, dataDir: string): unknown {
  const mapped = mapDatabaseError(e);
  if (!(mapped instanceof Error) || mapped instanceof StoreError || !/Aborted\(\)/.test(mapped.message)) return mapped;
  let free: number;
  try {
    const fs = statfsSync(dataDir);
    free = fs.bavail * fs.bsize;
  } catch {
    return mapped;
  }
  if (free >= 16 * 2 ** 20) return mapped;
  return new StoreError(
    'STORAGE_FULL',
    `the database is out of disk space: ${Math.floor(free / 1024)} kB free under ${dataDir}, and PGlite could not start (${mapped.message})`,
    { cause: e },
  );
}

/**
 * A store on a PGlite instance the caller created (with `parsers: PGLITE_PARSERS`; checked) and
 * keeps owning: closing the store leaves the instance open, and no data-dir lock is taken — the
 * caller must make sure nothing else uses the instance meanwhile. Applies migrations. For tests
 * (one instance per worker, reset between tests) and embedders that manage PGlite themselves.
 */
export async function attachPgliteStore(
  pglite: PGlite,
  opts: { migrationsDir?: URL; timeouts?: Partial<StoreTimeouts> } = {},
): Promise<PgliteStore> {
  for (const [oid, parser] of Object.entries(PGLITE_PARSERS)) {
    if (pglite.parsers[oid] !== parser)
      throw new ValidationError('pglite', 'must be created with { parsers: PGLITE_PARSERS }');
  }
  try {
    return await storeOnPglite(pglite, {
      dataDir: pglite.dataDir ?? MEMORY,
      migrationsDir: opts.migrationsDir,
      owned: false,
      lock: undefined,
      acquireMs: timeoutsOf(opts.timeouts).acquireMs,
    });
  } catch (e) {
    throw mapDatabaseError(e);
  }
}

interface PgliteStoreSetup {
  readonly dataDir: string;
  readonly migrationsDir: URL | undefined;
  /** Whether closing the store closes the PGlite instance. */
  readonly owned: boolean;
  /** Released when the store closes. */
  readonly lock: DataDirLock | undefined;
  /** How long a caller waits for the one connection (0: forever). */
  readonly acquireMs: number;
}

async function storeOnPglite(
  pglite: PGlite,
  { dataDir, migrationsDir, owned, lock, acquireMs }: PgliteStoreSetup,
): Promise<PgliteStore> {
  await pglite.exec(`set TimeZone = 'UTC'; set DateStyle = 'ISO, YMD';`);
  const migrations = await runMigrations(pgliteTarget(pglite), await loadMigrations(migrationsDir));
  const db = new Kysely<Database>({
    dialect: new ErrorMappingDialect(new PGliteDialect(pglite), { destroyInner: owned, acquireMs }),
  });
  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    dataDir,
    db,
    migrations,
    transaction: (fn) => db.transaction().execute(fn),
    dumpDataDir: (compression = 'gzip') => pglite.dumpDataDir(compression),
    close: () =>
      (closed ??= (async () => {
        try {
          await db.destroy(); // closes the PGlite instance if the store owns it
        } finally {
          await lock?.release();
        }
      })()),
  };
}

export interface OpenPostgresOptions {
  databaseUrl: string;
  /** Maximum pooled connections (default 10). */
  poolSize?: number;
  /** Statement, lock and acquire timeouts (defaults: DEFAULT_STORE_TIMEOUTS). */
  timeouts?: Partial<StoreTimeouts>;
  /** Where the migration files are (default MIGRATIONS_DIR, the package's migrations/). */
  migrationsDir?: URL;
}

/**
 * Opens a PostgreSQL (≥ 15) database through a pg connection pool. A URL listing several hosts
 * (a primary and its streaming replicas, `?target_session_attrs=read-write`) connects the pool to
 * the first that takes writes, chosen now (see parseDatabaseHosts; docs/ha.md).
 */
export async function openPostgresStore(opts: OpenPostgresOptions): Promise<PostgresStore> {
  const t = timeoutsOf(opts.timeouts);
  const hosts = parseDatabaseHosts(opts.databaseUrl);
  const databaseUrl = await chooseDatabaseHost(hosts, t.acquireMs);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: t.acquireMs,
    application_name: 'lodestone',
    keepAlive: true,
    // Session settings every connection starts with, so both stores read values the same way; the
    // timeouts make a locked or stuck database a quick STORE_UNAVAILABLE instead of a hang.
    options: `-c TimeZone=UTC -c DateStyle=ISO -c statement_timeout=${String(t.statementMs)} -c lock_timeout=${String(t.lockMs)}`,
    // Scoped to this pool: the global pg.types parsers stay untouched.
    types: { getTypeParser: postgresTypeParser },
  });
  // An idle pooled connection that dies must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor may a checked-out one (the server going away mid-transaction): its error event would be
  // unhandled and kill the process. The failure reaches the caller as the query's own error
  // (CONNECTION_FAILED, 503 on HTTP), and the pool discards the broken connection on release.
  const follow = hosts.urls.length > 1 ? followWritableHost(pool, hosts, t.acquireMs) : undefined;
  pool.on('connect', (client) => {
    client.on('error', () => {
      follow?.lost();
    });
  });
  if (follow !== undefined)
    pool.on('error', () => {
      follow.lost();
    });
  try {
    const migrations = await runMigrations(postgresTarget(pool), await loadMigrations(opts.migrationsDir));
    const dialect = new PostgresDialect({ pool: follow === undefined ? pool : follow.pool });
    const db = new Kysely<Database>({ dialect: new ErrorMappingDialect(dialect) });
    let closed: Promise<void> | undefined;
    return {
      kind: 'postgres',
      db,
      migrations,
      transaction: (fn) => db.transaction().execute(fn),
      close: () => {
        follow?.stop();
        return (closed ??= db.destroy()); // ends the pool
      },
    };
  } catch (e) {
    follow?.stop();
    await pool.end().catch(() => undefined);
    throw mapDatabaseError(e);
  }
}

/**
 * With several hosts listed, the pool follows the writable host:
 *
 * - A connection lost (the server went away) makes it look for the writable host again, once a
 *   second until one answers (a replica is promoted), and point its new connections there.
 *   Transactions in flight when the server went away fail (CONNECTION_FAILED, nothing of them
 *   written); later ones land on the new primary without reopening the store.
 * - A server that still answers but takes no writes (SQLSTATE 25006: a primary demoted to a standby,
 *   or set read-only, while the connections stayed up) does the same: the failed transaction is
 *   STORE_UNAVAILABLE, nothing written, and the search starts.
 * - `pool` is what Kysely connects through: a pooled connection made before the host last changed
 *   is closed instead of reused, so idle connections to the old server do not linger.
 */
function followWritableHost(
  pool: pg.Pool,
  hosts: DatabaseHosts,
  connectTimeoutMs: number,
): { lost(): void; stop(): void; readonly pool: PostgresPool } {
  // pg-pool creates every new client from `pool.options` (pg-pool's newClient), so changing the
  // connection string there moves the connections made from now on.
  const options = (pool as unknown as { options: { connectionString?: string } }).options;
  const state = { probing: false, stopped: false, host: 0 };
  const hostOf = new WeakMap<object, number>();
  pool.on('connect', (client) => {
    hostOf.set(client, state.host);
  });
  const pause = () =>
    new Promise<void>((resolve) => {
      setTimeout(resolve, 1000).unref();
    });
  const lost = () => {
    if (state.probing || state.stopped) return;
    state.probing = true;
    void (async () => {
      try {
        while (!state.stopped) {
          try {
            const chosen = await chooseDatabaseHost(hosts, connectTimeoutMs || 10_000);
            if (chosen !== options.connectionString) {
              options.connectionString = chosen;
              state.host++;
            }
            return;
          } catch {
            await pause();
          }
        }
      } finally {
        state.probing = false;
      }
    })();
  };
  const readOnly = (e: unknown) => {
    if ((e as { code?: unknown } | null)?.code === '25006') lost();
  };
  return {
    lost,
    stop() {
      state.stopped = true;
    },
    pool: {
      async connect() {
        for (;;) {
          const client = await pool.connect();
          if (hostOf.get(client) !== state.host) {
            client.release(true); // made for the host before the last change: close it
            continue;
          }
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          return {
            query: ((...args: unknown[]) => {
              const r = query(...args);
              if (r instanceof Promise) r.catch(readOnly);
              return r;
            }) as PostgresPoolClient['query'],
            release: () => {
              client.release();
            },
          };
        }
      },
      end: () => pool.end(),
    },
  };
}

type TypeId = Parameters<typeof pg.types.getTypeParser>[0];

function postgresTypeParser(oid: TypeId, format?: 'text' | 'binary'): unknown {
  if (format !== 'binary') {
    if (oid === pg.types.builtins.INT8) return parseInt8;
    if (oid === pg.types.builtins.DATE) return parseDate;
  }
  return pg.types.getTypeParser(oid, format);
}

function postgresTarget(pool: pg.Pool): MigrationTarget {
  return {
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        // A migration may rewrite a large table and wait for other sessions' locks: no timeouts.
        await client.query('set local statement_timeout = 0');
        await client.query('set local lock_timeout = 0');
        const result = await fn({
          exec: async (sql) => {
            await client.query(sql); // no parameters: simple protocol, several statements allowed
          },
          query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
        });
        await client.query('commit');
        return result;
      } catch (e) {
        await client.query('rollback').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw e;
      } finally {
        client.release(broken);
      }
    },
  };
}

function pgliteTarget(pglite: PGlite): MigrationTarget {
  return {
    transaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          exec: async (sql) => {
            await tx.exec(sql);
          },
          query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
        }),
      ),
  };
}
