import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { ValidationError } from '../../src/domain/index.js';
import { attachPgliteStore, openPostgresStore, openStore, StoreError } from '../../src/store/index.js';
import { expectRejectsCode } from '../support/errors.js';
import { emptyPostgresDatabase, STORES } from '../support/stores.js';

describe('opening a store', () => {
  it('maps an unreachable PostgreSQL to CONNECTION_FAILED', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const e = await expectRejectsCode(openStore({ databaseUrl: 'postgres://lodestone:secret@127.0.0.1:1/lodestone' }), StoreError, 'CONNECTION_FAILED');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('refuses a PGlite instance not created with PGLITE_PARSERS, before touching it', async () => {
    const notConfigured = { parsers: {} } as unknown as PGlite;
    await expect(attachPgliteStore(notConfigured)).rejects.toThrow(ValidationError);
  });
});

describe.runIf(STORES.includes('postgres'))('opening a PostgreSQL store', () => {
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
      const { rows } = await client.query<{ n: unknown; d: unknown }>(`select 9007199254740993::int8 as n, '2025-10-09'::date as d`);
      expect(rows[0]?.n).toBe('9007199254740993'); // pg's default: int8 as a string
      expect(rows[0]?.d).toBeInstanceOf(Date); // pg's default: date as a local-time Date
    } finally {
      await client.end();
      await drop();
    }
  });
});
