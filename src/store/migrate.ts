import { readdir, readFile } from 'node:fs/promises';
import { sha256Hex } from '../trust/index.js';
import { mapDatabaseError, StoreError } from './errors.js';

/** One SQL file of migrations/: `NNNN_name.sql`, applied in version order, each in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Hex SHA-256 of the file's text with CRLF normalised to LF (so a Windows checkout does not look changed). */
  readonly sha256: string;
}

export interface MigrationReport {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly { version: number; name: string }[];
  /** The highest version now applied (0 for none). */
  readonly version: number;
}

/** A raw SQL session inside one transaction: `exec` runs a multi-statement script without parameters. */
export interface MigrationSession {
  exec(sql: string): Promise<void>;
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** Runs `fn` in one transaction on the raw driver (pg client or PGlite), committing if it resolves. */
export interface MigrationTarget {
  transaction<T>(fn: (session: MigrationSession) => Promise<T>): Promise<T>;
}

/** migrations/ at the package root; the same relative path works from src/store and dist/store. */
export const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

const FILE_PATTERN = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;
/** Key of the transaction-scoped advisory lock that serialises migration runs on one database. */
const MIGRATION_LOCK_KEY = 7_461_837_019;

export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = FILE_PATTERN.exec(file);
    if (m === null)
      throw new StoreError('MIGRATION_INVALID', `migrations/${file}: name must be NNNN_lower_snake_name.sql`);
    const version = Number(m[1]);
    if (version === 0) throw new StoreError('MIGRATION_INVALID', `migrations/${file}: versions start at 0001`);
    const previous = migrations.at(-1);
    if (previous?.version === version)
      throw new StoreError('MIGRATION_INVALID', `migrations/${file}: version ${m[1]} is used twice`);
    const sql = (await readFile(new URL(file, dir), 'utf8')).replace(/\r\n/g, '\n');
    migrations.push({ version, name: file.slice(0, -'.sql'.length), sql, sha256: sha256Hex(sql) });
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  sha256: string;
}

/**
 * Brings the database up to date. Refuses to run (and changes nothing) if a migration that was
 * applied has changed since (MIGRATION_CHANGED), if the database has migrations this code does not
 * know (MIGRATION_UNKNOWN), or if a pending migration is older than one already applied
 * (MIGRATION_INVALID). Each pending file runs in its own transaction together with its
 * schema_migrations row, so a failing file leaves no trace. Concurrent runs against one Postgres
 * database are serialised by a transaction-scoped advisory lock; the loser finds the work done.
 */
export async function runMigrations(
  target: MigrationTarget,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const appliedNow: { version: number; name: string }[] = [];
  const pending = await target.transaction(async (s) => {
    await lock(s);
    await s.exec(`create table if not exists schema_migrations (
      version int primary key,
      name text not null,
      sha256 text not null,
      applied_at timestamptz not null default now()
    )`);
    const applied = await appliedRows(s);
    check(applied, migrations);
    const maxApplied = Math.max(0, ...applied.map((r) => r.version));
    const todo = migrations.filter((m) => !applied.some((r) => r.version === m.version));
    const early = todo.find((m) => m.version < maxApplied);
    if (early !== undefined) {
      throw new StoreError(
        'MIGRATION_INVALID',
        `migration ${early.name} is pending but the later version ${maxApplied} is already applied`,
      );
    }
    return todo;
  });
  for (const m of pending) {
    await target.transaction(async (s) => {
      await lock(s);
      const applied = await appliedRows(s);
      check(applied, migrations);
      if (applied.some((r) => r.version === m.version)) return; // another process did it meanwhile
      try {
        await s.exec(m.sql);
      } catch (e) {
        const mapped = mapDatabaseError(e);
        if (mapped instanceof StoreError && mapped.code === 'CONNECTION_FAILED') throw mapped;
        throw new StoreError('MIGRATION_INVALID', `migration ${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
      await s.query('insert into schema_migrations (version, name, sha256) values ($1, $2, $3)', [
        m.version,
        m.name,
        m.sha256,
      ]);
      appliedNow.push({ version: m.version, name: m.name });
    });
  }
  return { applied: appliedNow, version: Math.max(0, ...migrations.map((m) => m.version)) };
}

async function lock(s: MigrationSession): Promise<void> {
  await s.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
}

async function appliedRows(s: MigrationSession): Promise<AppliedRow[]> {
  return s.query<AppliedRow>('select version, name, sha256 from schema_migrations order by version');
}

function check(applied: readonly AppliedRow[], migrations: readonly Migration[]): void {
  for (const row of applied) {
    const m = migrations.find((x) => x.version === row.version);
    if (m === undefined) {
      throw new StoreError(
        'MIGRATION_UNKNOWN',
        `database has migration ${row.name} (version ${row.version}), which this version of Lodestone does not know: it is newer than the code`,
      );
    }
    if (m.sha256 !== row.sha256 || m.name !== row.name) {
      throw new StoreError(
        'MIGRATION_CHANGED',
        `migration ${m.name} was changed after it was applied (recorded ${row.name} sha256 ${row.sha256}, file has ${m.sha256}); add a new migration instead of editing an applied one`,
      );
    }
  }
}
