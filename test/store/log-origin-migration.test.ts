/**
 * Migration 0024 (the log's origin): a log that already has checkpoints keeps the origin they were
 * signed with, `lodestone-log`, so its checkpoints, bundles and cosignatures keep verifying; the
 * origin row can never be changed afterwards.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { freshStore, STORES } from '../support/stores.js';

const MIGRATIONS = new URL('../../migrations/', import.meta.url);

describe.each(STORES)("migration 0024 keeps an existing log's origin (%s)", (kind) => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-0024-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a log with checkpoints before 0024 keeps "lodestone-log"; the row refuses changes', async () => {
    const all = readdirSync(MIGRATIONS)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    for (const f of all.filter((f) => f < '0024_')) copyFileSync(new URL(f, MIGRATIONS), join(dir, f));
    const ts = await freshStore(kind, { migrationsDir: pathToFileURL(`${dir}/`) });
    try {
      await sql`insert into log_checkpoints (log_id, size, body) values ('lodestone-log', 0, 'old checkpoint')`.execute(
        ts.store.db,
      );
      for (const f of all.filter((f) => f >= '0024_')) copyFileSync(new URL(f, MIGRATIONS), join(dir, f));
      const db = (await ts.reopen()).db;
      expect(await db.selectFrom('log_origin').selectAll().execute()).toEqual([
        { log_id: 'lodestone-log', origin: 'lodestone-log' },
      ]);
      await expect(sql`update log_origin set origin = 'elsewhere.example/log'`.execute(db)).rejects.toThrow();
      await expect(sql`delete from log_origin`.execute(db)).rejects.toThrow();
    } finally {
      await ts.dispose();
    }
  }, 120_000);
});
