import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { ValidationError } from '../../src/domain/index.js';
import {
  attachPgliteStore,
  DEFAULT_STORE_TIMEOUTS,
  openPostgresStore,
  openStore,
  storeTimeoutsFromEnv,
  StoreError,
} from '../../src/store/index.js';
import { sql } from 'kysely';
import { expectRejectsCode } from '../support/errors.js';
import { emptyPostgresDatabase, STORES } from '../support/stores.js';

describe('opening a store', () => {
  it('maps an unreachable PostgreSQL to CONNECTION_FAILED', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const e = await expectRejectsCode(
      openStore({ databaseUrl: 'postgres://lodestone:secret@127.0.0.1:1/lodestone' }),
      StoreError,
      'CONNECTION_FAILED',
    );
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('refuses a PGlite instance not created with PGLITE_PARSERS, before touching it', async () => {
    const notConfigured = { parsers: {} } as unknown as PGlite;
    await expect(attachPgliteStore(notConfigured)).rejects.toThrow(ValidationError);
  });
});

describe('store timeouts', () => {
  it('come from LODESTONE_*_TIMEOUT_MS (whole milliseconds, 0 = off), naming a bad variable', () => {
    expect(storeTimeoutsFromEnv({})).toEqual({});
    expect(
      storeTimeoutsFromEnv({
        LODESTONE_STATEMENT_TIMEOUT_MS: '1500',
        LODESTONE_LOCK_TIMEOUT_MS: '0',
        LODESTONE_ACQUIRE_TIMEOUT_MS: '',
      }),
    ).toEqual({ statementMs: 1500, lockMs: 0 });
    expect(() => storeTimeoutsFromEnv({ LODESTONE_LOCK_TIMEOUT_MS: '2s' })).toThrow(
      /LODESTONE_LOCK_TIMEOUT_MS: must be a whole number of milliseconds/,
    );
    expect(DEFAULT_STORE_TIMEOUTS).toEqual({ statementMs: 30_000, lockMs: 10_000, acquireMs: 10_000 });
  });
});

describe.runIf(STORES.includes('postgres'))('opening a PostgreSQL store', () => {
  it('sets statement_timeout and lock_timeout on its connections: a statement past them is STORE_UNAVAILABLE, and the pool keeps working', async () => {
    const { databaseUrl, drop } = await emptyPostgresDatabase();
    const store = await openPostgresStore({ databaseUrl, timeouts: { statementMs: 300, lockMs: 200 } });
    try {
      const shown = await sql<{
        s: string;
        l: string;
      }>`select current_setting('statement_timeout') as s, current_setting('lock_timeout') as l`.execute(store.db);
      expect(shown.rows[0]).toEqual({ s: '300ms', l: '200ms' });
      await expectRejectsCode(sql`select pg_sleep(2)`.execute(store.db), StoreError, 'STORE_UNAVAILABLE');
      await expectRejectsCode(
        store.transaction(async (tx) => {
          await sql`select pg_sleep(2)`.execute(tx);
        }),
        StoreError,
        'STORE_UNAVAILABLE',
      );
      expect((await sql<{ one: number }>`select 1 as one`.execute(store.db)).rows[0]?.one).toBe(1);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('maps a wrong password and a missing database to CONNECTION_FAILED', async () => {
    const url = new URL(inject('postgresUrl'));
    url.password = 'wrong';
    await expectRejectsCode(openPostgresStore({ databaseUrl: url.toString() }), StoreError, 'CONNECTION_FAILED');
    const missing = new URL(inject('postgresUrl'));
    missing.pathname = '/lodestone_does_not_exist';
    await expectRejectsCode(openPostgresStore({ databaseUrl: missing.toString() }), StoreError, 'CONNECTION_FAILED');
  });

  it('keeps its int8 and date parsers to its own pool: the global pg type parsers are unchanged', async () => {
    const { databaseUrl, drop } = await emptyPostgresDatabase();
    const client = new pg.Client({ connectionString: databaseUrl });
    try {
      const store = await openPostgresStore({ databaseUrl });
      await store.close();
      await client.connect();
      const { rows } = await client.query<{ n: unknown; d: unknown }>(
        `select 9007199254740993::int8 as n, '2025-10-09'::date as d`,
      );
      expect(rows[0]?.n).toBe('9007199254740993'); // pg's default: int8 as a string
      expect(rows[0]?.d).toBeInstanceOf(Date); // pg's default: date as a local-time Date
    } finally {
      await client.end();
      await drop();
    }
  });
});
