import { describe, expect, it } from 'vitest';
import { mapDatabaseError, StoreError } from '../../src/store/errors.js';

const driverError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('mapDatabaseError: a full disk', () => {
  it('maps PostgreSQL disk_full (53100) and ENOSPC to STORAGE_FULL, saying nothing was written', () => {
    for (const e of [
      driverError('53100', 'could not extend file "base/16384/16402": No space left on device'),
      driverError('ENOSPC', 'ENOSPC: no space left on device, write'),
      new Error('could not write to file "pg_wal/xlogtemp.42": No space left on device'),
    ]) {
      const mapped = mapDatabaseError(e);
      expect(mapped).toBeInstanceOf(StoreError);
      expect((mapped as StoreError).code).toBe('STORAGE_FULL');
      expect((mapped as StoreError).message).toMatch(/out of disk space; nothing of this transaction was written/);
      expect((mapped as StoreError).cause).toBe(e);
    }
  });

  it('maps U+0000 in text (22P05 from PostgreSQL, 22021 from PGlite) to UNSUPPORTED_VALUE', () => {
    for (const code of ['22P05', '22021']) {
      const mapped = mapDatabaseError(driverError(code, 'invalid byte sequence for encoding "UTF8": 0x00'));
      expect((mapped as StoreError).code).toBe('UNSUPPORTED_VALUE');
    }
  });

  it('leaves other failures alone', () => {
    const e = driverError('42P01', 'relation "nope" does not exist');
    expect(mapDatabaseError(e)).toBe(e);
  });
});

describe('mapDatabaseError: a database that does not answer in time', () => {
  it('maps statement_timeout (57014), lock_timeout (55P03) and a pool acquire timeout to STORE_UNAVAILABLE', () => {
    for (const e of [
      driverError('57014', 'canceling statement due to statement timeout'),
      driverError('55P03', 'canceling statement due to lock timeout'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      const mapped = mapDatabaseError(e);
      expect((mapped as StoreError).code).toBe('STORE_UNAVAILABLE');
      expect((mapped as StoreError).cause).toBe(e);
    }
  });
});

describe('mapDatabaseError: a connection that broke', () => {
  it('maps a pg client that refuses queries after its connection broke to CONNECTION_FAILED (503, not 500)', () => {
    for (const e of [
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('Connection terminated unexpectedly'),
      driverError('57P01', 'terminating connection due to administrator command'),
    ]) {
      const mapped = mapDatabaseError(e);
      expect(mapped).toBeInstanceOf(StoreError);
      expect((mapped as StoreError).code).toBe('CONNECTION_FAILED');
    }
  });
});

describe('mapDatabaseError: a server that takes no writes', () => {
  it('maps read_only_sql_transaction (25006, a standby or a demoted primary) to STORE_UNAVAILABLE (503), saying nothing was written', () => {
    const mapped = mapDatabaseError(driverError('25006', 'cannot execute INSERT in a read-only transaction'));
    expect(mapped).toBeInstanceOf(StoreError);
    expect((mapped as StoreError).code).toBe('STORE_UNAVAILABLE');
    expect((mapped as StoreError).message).toMatch(/read-only.*nothing of this transaction was written/);
  });
});
