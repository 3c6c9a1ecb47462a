import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrations, openPostgresStore, StoreError, type Store } from '../../src/store/index.js';
import { sha256Hex } from '../../src/trust/index.js';
import { expectRejectsCode } from '../support/errors.js';
import { emptyPostgresDatabase, freshStore, STORES, type TestStore } from '../support/stores.js';

let dir: string;
let dirUrl: URL;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lodestone-migrations-'));
  dirUrl = pathToFileURL(`${dir}/`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (file: string, text: string) => writeFile(join(dir, file), text);

async function tables(store: Store): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select table_name as name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
    store.db,
  );
  return rows.map((r) => r.name);
}

describe('loadMigrations', () => {
  it('reads NNNN_name.sql files in version order, ignoring other files, with a checksum of the LF-normalised text', async () => {
    await write('0002_second.sql', 'create table b (x int);\r\ncreate table c (x int);\r\n');
    await write('0001_first.sql', 'create table a (x int);\n');
    await write('README.md', 'not a migration');
    const migrations = await loadMigrations(dirUrl);
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, '0001_first'],
      [2, '0002_second'],
    ]);
    expect(migrations[1]!.sql).toBe('create table b (x int);\ncreate table c (x int);\n');
    expect(migrations[1]!.sha256).toBe(sha256Hex('create table b (x int);\ncreate table c (x int);\n'));
  });

  it.each([
    ['a misnamed file', ['1_first.sql']],
    ['upper case', ['0001_First.sql']],
    ['version 0000', ['0000_zero.sql']],
    ['a version used twice', ['0001_a.sql', '0001_b.sql']],
  ])('refuses %s as MIGRATION_INVALID', async (_name, files) => {
    for (const f of files) await write(f, 'select 1;');
    await expectRejectsCode(loadMigrations(dirUrl), StoreError, 'MIGRATION_INVALID');
  });

  it('the package migrations are what the schema tests expect', async () => {
    expect((await loadMigrations()).map((m) => m.name).slice(0, 2)).toEqual(['0001_journal', '0002_projections']);
  });
});

describe.each(STORES)('migration runner: %s', (kind) => {
  let handle: TestStore | undefined;
  afterEach(async () => {
    await handle?.dispose();
    handle = undefined;
  });

  it('applies only what is pending; a failing migration leaves no trace and is applied once fixed', async () => {
    await write('0001_first.sql', 'create table first_t (x int);');
    handle = await freshStore(kind, { migrationsDir: dirUrl });
    expect(await tables(handle.store)).toEqual(['first_t', 'schema_migrations']);

    await write('0002_second.sql', 'create table second_t (x int);\ninsert into second_t values (1);\nselect 1 / 0;');
    const e = await expectRejectsCode(handle.reopen(), StoreError, 'MIGRATION_INVALID');
    expect(e.message).toContain('0002_second');
    expect(e.message).toContain('division by zero');

    await write('0002_second.sql', 'create table second_t (x int);\ninsert into second_t values (1);');
    const store = await handle.reopen();
    expect(store.migrations.applied).toEqual([{ version: 2, name: '0002_second' }]);
    expect(await tables(store)).toEqual(['first_t', 'schema_migrations', 'second_t']);
    expect(
      await store.db.selectFrom('schema_migrations').select(['version', 'name']).orderBy('version').execute(),
    ).toEqual([
      { version: 1, name: '0001_first' },
      { version: 2, name: '0002_second' },
    ]);
  });

  it('refuses a pending migration older than one already applied (MIGRATION_INVALID), and a renamed one (MIGRATION_CHANGED)', async () => {
    await write('0001_first.sql', 'select 1;');
    await write('0003_third.sql', 'select 3;');
    handle = await freshStore(kind, { migrationsDir: dirUrl });
    await write('0002_second.sql', 'select 2;');
    await expectRejectsCode(handle.reopen(), StoreError, 'MIGRATION_INVALID');
    await unlink(join(dir, '0002_second.sql'));
    await unlink(join(dir, '0003_third.sql'));
    await write('0003_renamed.sql', 'select 3;');
    await expectRejectsCode(handle.reopen(), StoreError, 'MIGRATION_CHANGED');
  });
});

describe.runIf(STORES.includes('postgres'))('migration runner: concurrent starts on PostgreSQL', () => {
  it('are serialised by the advisory lock: every migration is applied exactly once', async () => {
    const { databaseUrl, drop } = await emptyPostgresDatabase();
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore({ databaseUrl, poolSize: 2 })));
      const applied = stores.flatMap((s) => s.migrations.applied.map((m) => m.name)).sort();
      const all = await loadMigrations();
      expect(applied).toEqual(all.map((m) => m.name).sort());
      expect(
        await stores[0]!.db.selectFrom('schema_migrations').select('version').orderBy('version').execute(),
      ).toEqual(all.map((m) => ({ version: m.version })));
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await drop();
    }
  });
});
