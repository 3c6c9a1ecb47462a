import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkLog,
  createApp,
  latestCheckpoint,
  LOG_ID,
  logVerifier,
  registerParty,
  runDemo,
  type AppContext,
} from '../../src/app/index.js';
import { journalRepo, logRepo } from '../../src/store/index.js';
import { leafHash, openCheckpoint, verifyConsistency, verifyInclusion } from '../../src/trust/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const party = (i: number) => ({ id: `party-${i}`, name: `Party ${i}`, country: 'DE', sector: 'magnet-manufacturing' });

describe.each(STORES)('transparency log on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-11-24T09:00:00.000Z');

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date((t += 1000)) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('every record is a leaf; the checkpoint is the root of the journal; stored proofs verify', async () => {
    await runDemo(ctx);
    const db = current().store.db;
    const check = await checkLog(ctx);
    const n = await journalRepo.count(db);
    expect(check.size).toBe(n);
    const cp = await latestCheckpoint(ctx);
    expect(cp?.checkpoint.size).toBe(n);
    const { checkpoint } = openCheckpoint(cp!.body, await logVerifier(ctx));
    for await (const row of journalRepo.stream(db)) {
      expect(Buffer.from(leafHash(row.canonical)).toString('hex')).toBe(row.leaf_hash);
      verifyInclusion(
        row.seq - 1,
        n,
        leafHash(row.canonical),
        await logRepo.inclusionProof(db, row.seq - 1, n),
        checkpoint.root,
      );
    }
    // Every published checkpoint (one per transaction that appended) is consistent with the latest.
    const sizes = (
      await sql<{
        size: number;
      }>`select size from log_checkpoint_history where log_id = ${LOG_ID} order by size`.execute(db)
    ).rows.map((r) => r.size);
    expect(sizes.at(-1)).toBe(n);
    for (const m of sizes.filter((x) => x < n)) {
      const old = await logRepo.checkpointAt(db, LOG_ID, m);
      const oldCp = openCheckpoint(old!, await logVerifier(ctx)).checkpoint;
      verifyConsistency(m, n, oldCp.root, checkpoint.root, await logRepo.consistencyProof(db, m, n));
    }
  });

  it('refuses to rewrite subtrees and checkpoint history', async () => {
    await registerParty(ctx, party(1));
    const db = current().store.db;
    await expect(sql`update merkle_nodes set hash = hash where level = 0`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from merkle_nodes`.execute(db)).rejects.toThrow(/append-only/);
    await expect(
      sql`insert into log_checkpoint_history (log_id, size, body) values (${LOG_ID}, 1, 'fork')`.execute(db),
    ).rejects.toThrow();
  });

  it('a checkpoint published by another writer between two appends of this process is extended, not overwritten (what the process remembers is checked by compare-and-swap)', async () => {
    const db = current().store.db;
    await registerParty(ctx, party(1)); // through the context's store: it remembers this checkpoint
    // Another writer (here: a transaction not opened through the context's store, as another
    // process's would be) appends and publishes the next checkpoint.
    await registerParty({ ...ctx, store: current().store }, party(2));
    const theirs = await latestCheckpoint(ctx);
    await registerParty(ctx, party(3));
    const n = await journalRepo.count(db);
    const check = await checkLog(ctx);
    expect(check.size).toBe(n);
    // The history holds the other writer's checkpoint and one extending it, each once.
    const history = (
      await sql<{
        size: number;
      }>`select size from log_checkpoint_history where log_id = ${LOG_ID} order by size`.execute(db)
    ).rows.map((r) => r.size);
    expect(history.slice(-2)).toEqual([theirs!.checkpoint.size, n]);
    const latest = await latestCheckpoint(ctx);
    verifyConsistency(
      theirs!.checkpoint.size,
      n,
      theirs!.checkpoint.root,
      latest!.checkpoint.root,
      await logRepo.consistencyProof(db, theirs!.checkpoint.size, n),
    );
  });

  it("a stored checkpoint replaced behind the process's back is judged as stored: a forged one stops the next append, nothing written", async () => {
    const db = current().store.db;
    await registerParty(ctx, party(1));
    const before = await journalRepo.count(db);
    await sql`update log_checkpoints set body = ${'forged\n1\nAAAA\n\n— nobody x\n'} where log_id = ${LOG_ID}`.execute(
      db,
    );
    await expect(registerParty(ctx, party(2))).rejects.toThrow();
    expect(await journalRepo.count(db)).toBe(before);
  });

  /** STYLE.md §6: break one write of the append path, check nothing half-done is visible, unbreak, check progress. */
  const faults: { name: string; table: string; when: string }[] = [
    { name: 'journal insert', table: 'journal', when: 'before insert' },
    { name: 'leaf insert', table: 'merkle_nodes', when: 'before insert' },
    { name: 'leaf insert (after the row is written)', table: 'merkle_nodes', when: 'after insert' },
    { name: 'checkpoint compare-and-swap', table: 'log_checkpoints', when: 'before update' },
    { name: 'checkpoint history', table: 'log_checkpoint_history', when: 'before insert' },
    { name: 'projection write', table: 'parties', when: 'before insert' },
  ];

  it('a failure anywhere in an append persists the record and its leaf and checkpoint, or none of them', async () => {
    const db = current().store.db;
    await registerParty(ctx, party(0));
    await sql`create function inject_fault() returns trigger language plpgsql as $$ begin raise exception 'injected fault'; end; $$`.execute(
      db,
    );
    let last = await checkLog(ctx);
    let i = 1;
    for (const f of faults) {
      await sql`create trigger inject_fault ${sql.raw(f.when)} on ${sql.table(f.table)} for each row execute function inject_fault()`.execute(
        db,
      );
      await expect(registerParty(ctx, party(i)), f.name).rejects.toThrow(/injected fault/);
      const broken = await checkLog(ctx);
      expect(broken, f.name).toEqual(last);
      expect(await logRepo.size(db)).toBe(last.size);
      await sql`drop trigger inject_fault on ${sql.table(f.table)}`.execute(db);
      await registerParty(ctx, party(i));
      const after = await checkLog(ctx);
      expect(after.size, f.name).toBe(last.size + 1);
      last = after;
      i++;
    }
  });
});
