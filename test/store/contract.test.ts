/**
 * The store contract: one suite, run unchanged against every store in STORES (PGlite and
 * PostgreSQL by default; env STORES=pglite narrows it). Each test gets a fresh, migrated database.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  classificationsRepo,
  dumpProjections,
  journalRepo,
  loadMigrations,
  logRepo,
  partiesRepo,
  partyKeysRepo,
  PROJECTION_TABLES,
  rulePacksRepo,
  StoreError,
  truncateProjections,
  type AppendResult,
  type Store,
} from '../../src/store/index.js';
import { canonicalJson, leafHashHex, parseCanonicalJson, sha256Hex, verifyRecord } from '../../src/trust/index.js';
import { expectRejectsCode } from '../support/errors.js';
import { testParty, testRecord } from '../support/records.js';
import { STORES, useFreshStore } from '../support/stores.js';

const MAX = Number.MAX_SAFE_INTEGER;
const alice = testParty('alice-magnets');

async function appendOne(store: Store, n: number) {
  return store.transaction((tx) => journalRepo.append(tx, testRecord(alice, n)));
}

async function seqs(store: Store): Promise<number[]> {
  return (await store.db.selectFrom('journal').select('seq').orderBy('seq').execute()).map((r) => r.seq);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(STORES)('store contract: %s', (kind) => {
  const fresh = useFreshStore(kind);

  describe('migrations', () => {
    it('are recorded with name and checksum, and re-running them changes nothing', async () => {
      const files = await loadMigrations();
      expect(files.map((m) => m.name).slice(0, 2)).toEqual(['0001_journal', '0002_projections']);
      const before = await fresh().store.db.selectFrom('schema_migrations').selectAll().orderBy('version').execute();
      expect(before.map(({ version, name, sha256 }) => ({ version, name, sha256 }))).toEqual(
        files.map(({ version, name, sha256 }) => ({ version, name, sha256 })),
      );
      expect(before.every((r) => r.applied_at instanceof Date)).toBe(true);

      const reopened = await fresh().reopen();
      expect(reopened.kind).toBe(kind);
      expect(reopened.migrations).toEqual({ applied: [], version: files.at(-1)?.version });
      expect(await reopened.db.selectFrom('schema_migrations').selectAll().orderBy('version').execute()).toEqual(
        before,
      );
    });

    it('refuses to start when an applied migration has changed', async () => {
      await fresh()
        .store.db.updateTable('schema_migrations')
        .set({ sha256: sha256Hex('edited') })
        .where('version', '=', 1)
        .execute();
      const e = await expectRejectsCode(fresh().reopen(), StoreError, 'MIGRATION_CHANGED');
      expect(e.message).toContain('0001_journal');
    });

    it('refuses to start when the database knows a migration the code does not', async () => {
      await fresh()
        .store.db.insertInto('schema_migrations')
        .values({ version: 9999, name: '9999_future', sha256: sha256Hex('x') })
        .execute();
      await expectRejectsCode(fresh().reopen(), StoreError, 'MIGRATION_UNKNOWN');
    });
  });

  describe('journal', () => {
    it('appends with gapless seq 1..n, storing the canonical bytes and hashes that recompute', async () => {
      const { store } = fresh();
      const records = range(1, 5).map((n) =>
        testRecord(alice, n, { n, text: 'é€😀', nested: [{ b: 1, a: [true, null] }] }),
      );
      const results: AppendResult[] = [];
      for (const r of records) results.push(await store.transaction((tx) => journalRepo.append(tx, r)));
      expect(results.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(await journalRepo.count(store.db)).toBe(5);

      const rows = await journalRepo.read(store.db);
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      rows.forEach((row, i) => {
        const record = records[i]!;
        expect(row.canonical).toBe(canonicalJson(record));
        expect(row.record_hash).toBe(sha256Hex(row.canonical));
        expect(row.leaf_hash).toBe(leafHashHex(row.canonical));
        expect(results[i]).toEqual({ seq: row.seq, recordHash: row.record_hash, leafHash: row.leaf_hash });
        expect(row.type).toBe('test.recorded');
        expect(row.actor).toBe(alice.id);
        expect(row.key_id).toBe(alice.keys.keyId);
        expect(row.recorded_at).toEqual(new Date(record.payload.at));
        // canonical keeps the signed bytes, and still verifies
        verifyRecord(parseCanonicalJson(row.canonical), alice.keys.publicKey);
      });
      expect((await journalRepo.get(store.db, 3))?.record_hash).toBe(results[2]!.recordHash);
      expect(await journalRepo.get(store.db, 6)).toBeUndefined();
    });

    it('property: for any JSON body, the stored canonical bytes are the signed record, byte for byte', async () => {
      const { store } = fresh();
      const bodies = fc.sample(
        fc.jsonValue({ stringUnit: 'binary' }).filter((v) => !JSON.stringify(v).includes('\\u0000')),
        { numRuns: 60, seed: 8785 },
      );
      await store.transaction(async (tx) => {
        for (const [i, body] of bodies.entries()) await journalRepo.append(tx, testRecord(alice, i, body));
      });
      const rows = await journalRepo.read(store.db);
      expect(rows).toHaveLength(bodies.length);
      rows.forEach((row, i) => {
        expect(row.canonical).toBe(canonicalJson(testRecord(alice, i, bodies[i])));
        verifyRecord(parseCanonicalJson(row.canonical), alice.keys.publicKey);
      });
    });

    it('reads pages by fromSeq and limit, and streams every entry in order in batches', async () => {
      const { store } = fresh();
      for (const n of range(1, 23)) await appendOne(store, n);
      expect((await journalRepo.read(store.db, { fromSeq: 5, limit: 3 })).map((r) => r.seq)).toEqual([5, 6, 7]);
      expect(await journalRepo.read(store.db, { fromSeq: 24 })).toEqual([]);
      for (const batch of [1, 7, 23, 100]) {
        const streamed: number[] = [];
        for await (const row of journalRepo.stream(store.db, batch)) streamed.push(row.seq);
        expect(streamed).toEqual(range(1, 23));
      }
    });

    it('a transaction that throws after appending leaves no journal row and no projection row; the next append gets the next seq', async () => {
      const { store } = fresh();
      await appendOne(store, 1);
      await expect(
        store.transaction(async (tx) => {
          const { seq } = await journalRepo.append(tx, testRecord(alice, 2));
          await partiesRepo.insert(tx, {
            id: 'alice-magnets',
            name: 'Alice',
            country: 'IN',
            sector: null,
            party: {},
            created_seq: seq,
          });
          throw new Error('use case failed after writing');
        }),
      ).rejects.toThrow('use case failed after writing');
      expect(await seqs(store)).toEqual([1]);
      expect(await journalRepo.count(store.db)).toBe(1);
      expect(await partiesRepo.list(store.db)).toEqual([]);
      expect((await appendOne(store, 3)).seq).toBe(2);
      expect(await seqs(store)).toEqual([1, 2]);
    });

    it('a database error later in the transaction rolls back the append too', async () => {
      const { store } = fresh();
      const first = await appendOne(store, 1);
      await partiesRepo.insert(store.db, {
        id: 'p',
        name: 'P',
        country: 'IN',
        sector: null,
        party: {},
        created_seq: first.seq,
      });
      await expectRejectsCode(
        store.transaction(async (tx) => {
          const { seq } = await journalRepo.append(tx, testRecord(alice, 2));
          await partiesRepo.insert(tx, {
            id: 'p',
            name: 'P again',
            country: 'IN',
            sector: null,
            party: {},
            created_seq: seq,
          });
        }),
        StoreError,
        'CONFLICT',
      );
      expect(await seqs(store)).toEqual([1]);
      expect((await appendOne(store, 3)).seq).toBe(2);
    });

    it('20 concurrent appending transactions get seq 1..20, no gaps, no duplicates, even with rollbacks among them', async () => {
      const { store } = fresh();
      const outcomes = await Promise.allSettled(
        range(1, 30).map((n) =>
          store.transaction(async (tx) => {
            const result = await journalRepo.append(tx, testRecord(alice, n));
            await sql`select pg_sleep(0.005)`.execute(tx); // hold the head lock a moment, so transactions overlap
            // The journal's size as this transaction sees it is its own last seq (no other appender can come in between).
            expect(await journalRepo.sizeIn(tx)).toBe(await journalRepo.count(tx));
            expect(await journalRepo.sizeIn(tx)).toBe(result.seq);
            if (n % 3 === 0) throw new Error(`transaction ${n} rolls back`);
            return result.seq;
          }),
        ),
      );
      const committed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(10);
      expect([...committed].sort((a, b) => a - b)).toEqual(range(1, 20));
      expect(await seqs(store)).toEqual(range(1, 20));
      expect(await journalRepo.count(store.db)).toBe(20);
    });

    it('refuses the same signed record twice (a replay) as CONFLICT', async () => {
      const { store } = fresh();
      const record = testRecord(alice, 1);
      await store.transaction((tx) => journalRepo.append(tx, record));
      const e = await expectRejectsCode(
        store.transaction((tx) => journalRepo.append(tx, record)),
        StoreError,
        'CONFLICT',
      );
      expect(e.constraint).toBe('journal_record_hash_key');
      expect((await appendOne(store, 2)).seq).toBe(2);
    });

    it('is append-only: UPDATE, DELETE and TRUNCATE of journal rows are refused', async () => {
      const { store } = fresh();
      await appendOne(store, 1);
      await expectRejectsCode(sql`update journal set actor = 'mallory'`.execute(store.db), StoreError, 'APPEND_ONLY');
      await expectRejectsCode(sql`delete from journal`.execute(store.db), StoreError, 'APPEND_ONLY');
      await expectRejectsCode(sql`truncate journal cascade`.execute(store.db), StoreError, 'APPEND_ONLY');
      await expect(sql`truncate journal`.execute(store.db)).rejects.toThrow(/foreign key/); // refused even before the trigger
      expect((await journalRepo.get(store.db, 1))?.actor).toBe(alice.id);
    });

    it('stores a record whose body holds U+0000 (escaped in the canonical text), byte for byte; a raw U+0000 in text is UNSUPPORTED_VALUE', async () => {
      const { store } = fresh();
      const record = testRecord(alice, 1, { s: 'a\u0000b' });
      expect((await store.transaction((tx) => journalRepo.append(tx, record))).seq).toBe(1);
      const row = await journalRepo.get(store.db, 1);
      expect(row?.canonical).toBe(canonicalJson(record));
      expect(row?.canonical).toContain('a\\u0000b');
      await expectRejectsCode(
        store.transaction((tx) => sql`select cast(${'a\u0000b'} as text)`.execute(tx)),
        StoreError,
        'UNSUPPORTED_VALUE',
      );
      expect((await appendOne(store, 2)).seq).toBe(2);
    });

    it('with defer, writes the first row at once and the rest (and every leaf) at flush; reads in the transaction see them', async () => {
      const { store } = fresh();
      await appendOne(store, 100);
      const third = testRecord(alice, 3);
      await store.transaction(async (tx) => {
        const out: AppendResult[] = [];
        for (const n of range(1, 5))
          out.push(await journalRepo.append(tx, n === 3 ? third : testRecord(alice, n), { defer: true }));
        expect(out.map((r) => r.seq)).toEqual(range(2, 6));
        // So far only the transaction's first row is written; the others are pending, with their times.
        expect((await tx.selectFrom('journal').select('seq').orderBy('seq').execute()).map((r) => r.seq)).toEqual([
          1, 2,
        ]);
        expect(journalRepo.pendingRecordedAt(tx, 4)?.toISOString()).toBe(third.payload.at);
        expect(journalRepo.pendingRecordedAt(tx, 2)).toBeUndefined();
        expect(journalRepo.pendingRecordedAt(tx, 7)).toBeUndefined();
        expect(await journalRepo.sizeIn(tx)).toBe(6);
        // A read through the repository writes them first.
        expect((await journalRepo.get(tx, 4))?.record_hash).toBe(out[2]?.recordHash);
        expect(journalRepo.pendingRecordedAt(tx, 4)).toBeUndefined();
        expect(await journalRepo.count(tx)).toBe(6);
        expect((await journalRepo.append(tx, testRecord(alice, 6), { defer: true })).seq).toBe(7);
        await journalRepo.flush(tx);
      });
      expect(await seqs(store)).toEqual(range(1, 7));
      expect(await journalRepo.count(store.db)).toBe(7);
      expect(await logRepo.size(store.db)).toBe(7);
      const row = await journalRepo.get(store.db, 4);
      expect(row?.canonical).toBe(canonicalJson(third));
      expect(row?.leaf_hash).toBe(leafHashHex(canonicalJson(third)));
      expect(new Date(row?.recorded_at ?? 0).toISOString()).toBe(third.payload.at);
      expect((await appendOne(store, 7)).seq).toBe(8);
    });

    it('with defer, a record twice is CONFLICT (in the transaction or already committed), and a row naming an entry never appended fails at commit; nothing is kept', async () => {
      const { store } = fresh();
      const twice = testRecord(alice, 2);
      const inTx = await expectRejectsCode(
        store.transaction(async (tx) => {
          await journalRepo.append(tx, testRecord(alice, 1), { defer: true });
          await journalRepo.append(tx, twice, { defer: true });
          await journalRepo.append(tx, twice, { defer: true });
        }),
        StoreError,
        'CONFLICT',
      );
      expect(inTx.constraint).toBe('journal_record_hash_key');
      await store.transaction((tx) => journalRepo.append(tx, twice));
      const atFlush = await expectRejectsCode(
        store.transaction(async (tx) => {
          await journalRepo.append(tx, testRecord(alice, 3), { defer: true });
          await journalRepo.append(tx, twice, { defer: true });
          await journalRepo.flush(tx);
        }),
        StoreError,
        'CONFLICT',
      );
      expect(atFlush.constraint).toBe('journal_record_hash_key');
      const atCommit = await expectRejectsCode(
        store.transaction(async (tx) => {
          const { seq } = await journalRepo.append(tx, testRecord(alice, 4), { defer: true });
          await partiesRepo.insert(tx, {
            id: 'p',
            name: 'P',
            country: 'IN',
            sector: null,
            party: {},
            created_seq: seq + 5,
          });
          await journalRepo.append(tx, testRecord(alice, 5), { defer: true });
          await journalRepo.flush(tx);
        }),
        StoreError,
        'NOT_FOUND',
      );
      expect(atCommit.constraint).toBe('parties_created_seq_fkey');
      expect(await seqs(store)).toEqual([1]);
      expect(await logRepo.size(store.db)).toBe(1);
      expect((await appendOne(store, 6)).seq).toBe(2);
    });
  });

  describe('integers', () => {
    it('int8 values round-trip exactly up to ±(2^53 − 1) and larger ones are refused, not rounded', async () => {
      const { store } = fresh();
      const { rows } = await sql<{
        max: number;
        min: number;
      }>`select ${MAX}::int8 as max, ${-MAX}::int8 as min`.execute(store.db);
      expect(rows).toEqual([{ max: MAX, min: -MAX }]);
      await expectRejectsCode(sql`select ${MAX}::int8 + 1 as n`.execute(store.db), StoreError, 'UNSAFE_INTEGER');
      await expectRejectsCode(sql`select ${-MAX}::int8 - 1 as n`.execute(store.db), StoreError, 'UNSAFE_INTEGER');
      await expectRejectsCode(
        sql`select count(*) + 9223372036854775806 as n from journal`.execute(store.db),
        StoreError,
        'UNSAFE_INTEGER',
      );
    });

    it('journal seq and projection bigint columns round-trip 2^53 − 2, and the append that would pass 2^53 − 1 fails and rolls back', async () => {
      const { store } = fresh();
      await store.db
        .updateTable('journal_head')
        .set({ next_seq: MAX - 1 })
        .where('id', '=', 1)
        .execute();
      // The jump skips leaves of the transparency log: give leaf MAX − 2 the one left sibling it completes a subtree with.
      await store.db
        .insertInto('merkle_nodes')
        .values({ level: 0, idx: MAX - 3, hash: new Uint8Array(32) })
        .execute();
      const { seq } = await appendOne(store, 1);
      expect(seq).toBe(MAX - 1);
      expect(await journalRepo.count(store.db)).toBe(MAX - 1);
      const party = await partiesRepo.insert(store.db, {
        id: 'big',
        name: 'Big',
        country: 'US',
        sector: null,
        party: { seq },
        created_seq: seq,
      });
      expect(party.created_seq).toBe(MAX - 1);
      expect((await journalRepo.get(store.db, MAX - 1))?.seq).toBe(MAX - 1);
      await expectRejectsCode(appendOne(store, 2), StoreError, 'UNSAFE_INTEGER');
      expect(await seqs(store)).toEqual([MAX - 1]);
      expect(await journalRepo.count(store.db)).toBe(MAX - 1);
    });
  });

  describe('projections', () => {
    async function seed(store: Store) {
      return store.transaction(async (tx) => {
        const a = await journalRepo.append(tx, testRecord(alice, 1));
        const b = await journalRepo.append(tx, testRecord(alice, 2));
        const party = await partiesRepo.insert(tx, {
          id: 'alice-magnets',
          name: 'Alice Magnets Pvt Ltd',
          country: 'IN',
          sector: 'magnet-manufacturing',
          party: {
            id: 'alice-magnets',
            aliases: ['Alice', 'アリス'],
            identifiers: [{ scheme: 'IEC', value: '0123456789' }],
          },
          created_seq: a.seq,
        });
        const key = await partyKeysRepo.insert(tx, {
          key_id: alice.keys.keyId,
          party_id: party.id,
          algorithm: 'Ed25519',
          public_key: alice.keys.publicKey,
          created_seq: a.seq,
        });
        const pack = await rulePacksRepo.upsert(tx, {
          pack_id: 'cn-mofcom-2025',
          version: '2025-10-09',
          sha256: sha256Hex('pack'),
          body: { rules: [{ id: 'r1', codes: ['1C902.a'], threshold: { ppm: 1000 } }] },
          loaded_seq: a.seq,
        });
        const classification = await classificationsRepo.insert(tx, {
          id: 'cls-1',
          seq: b.seq,
          actor: alice.id,
          label: null,
          as_of: '2025-12-01',
          controlled: true,
          codes: ['1C902.a', '1C903'],
          item: {
            form: 'magnet',
            composition: [
              ['Dy', 42_000],
              ['Nd', 290_000],
            ],
          },
          result: [{ rule: 'r1', matched: true }],
          created_at: '2025-10-09T08:30:00.002Z',
        });
        return { a, b, party, key, pack, classification };
      });
    }

    it('insert and select round-trip every column type (text, char(2), jsonb, text[], date, boolean, timestamptz, bigint)', async () => {
      const { store } = fresh();
      const { a, b, party, key, pack, classification } = await seed(store);
      expect(party).toEqual({
        id: 'alice-magnets',
        name: 'Alice Magnets Pvt Ltd',
        country: 'IN',
        sector: 'magnet-manufacturing',
        party: {
          id: 'alice-magnets',
          aliases: ['Alice', 'アリス'],
          identifiers: [{ scheme: 'IEC', value: '0123456789' }],
        },
        created_seq: a.seq,
      });
      expect(await partiesRepo.get(store.db, 'alice-magnets')).toEqual(party);
      expect(await partiesRepo.get(store.db, 'nobody')).toBeUndefined();
      expect(await partiesRepo.list(store.db)).toEqual([party]);

      expect(key).toEqual({
        key_id: alice.keys.keyId,
        party_id: 'alice-magnets',
        algorithm: 'Ed25519',
        public_key: alice.keys.publicKey,
        created_seq: a.seq,
        revoked_seq: null,
        valid_from_seq: a.seq,
        valid_until_seq: null,
        replaced_by: null,
        revocation_reason: null,
        compromised_at: null,
      });
      expect(await partyKeysRepo.get(store.db, alice.keys.keyId)).toEqual(key);
      expect(await partyKeysRepo.listByParty(store.db, 'alice-magnets')).toEqual([key]);
      expect(await partyKeysRepo.listByParty(store.db, 'nobody')).toEqual([]);

      expect(pack.body).toEqual({ rules: [{ id: 'r1', codes: ['1C902.a'], threshold: { ppm: 1000 } }] });
      expect(await rulePacksRepo.list(store.db)).toEqual([pack]);

      expect(classification).toEqual({
        id: 'cls-1',
        seq: b.seq,
        actor: alice.id,
        label: null,
        as_of: '2025-12-01',
        controlled: true,
        codes: ['1C902.a', '1C903'],
        item: {
          form: 'magnet',
          composition: [
            ['Dy', 42_000],
            ['Nd', 290_000],
          ],
        },
        result: [{ rule: 'r1', matched: true }],
        created_at: new Date('2025-10-09T08:30:00.002Z'),
      });
      expect(await classificationsRepo.get(store.db, 'cls-1')).toEqual(classification);
      expect(await classificationsRepo.list(store.db)).toEqual([classification]);
      expect(await classificationsRepo.list(store.db, { actor: 'someone-else' })).toEqual([]);
    });

    it('empty arrays and dates at the edges of the year round-trip', async () => {
      const { store } = fresh();
      const { seq } = await appendOne(store, 1);
      const row = await classificationsRepo.insert(store.db, {
        id: 'c',
        seq,
        actor: 'a',
        label: 'Lot 7',
        as_of: '2024-02-29',
        controlled: false,
        codes: [],
        item: [],
        result: {},
        created_at: new Date('1999-12-31T23:59:59.999Z'),
      });
      expect(row).toMatchObject({
        as_of: '2024-02-29',
        codes: [],
        item: [],
        result: {},
        label: 'Lot 7',
        created_at: new Date('1999-12-31T23:59:59.999Z'),
      });
    });

    it('rule pack upsert is idempotent for the same content and refuses changed content as CONFLICT', async () => {
      const { store } = fresh();
      const { a, pack } = await seed(store);
      const { seq } = await appendOne(store, 3);
      const again = await rulePacksRepo.upsert(store.db, {
        pack_id: pack.pack_id,
        version: pack.version,
        sha256: pack.sha256,
        body: pack.body,
        loaded_seq: seq,
      });
      expect(again).toEqual(pack);
      expect(again.loaded_seq).toBe(a.seq);
      const e = await expectRejectsCode(
        rulePacksRepo.upsert(store.db, {
          pack_id: pack.pack_id,
          version: pack.version,
          sha256: sha256Hex('edited'),
          body: {},
          loaded_seq: seq,
        }),
        StoreError,
        'CONFLICT',
      );
      expect(e.constraint).toBe('rule_packs_pkey');
      const next = await rulePacksRepo.upsert(store.db, {
        pack_id: pack.pack_id,
        version: '2026-01-01',
        sha256: sha256Hex('edited'),
        body: {},
        loaded_seq: seq,
      });
      expect((await rulePacksRepo.list(store.db)).map((p) => p.version)).toEqual(['2025-10-09', next.version]);
    });

    it('maps constraint violations to StoreError codes naming the constraint', async () => {
      const { store } = fresh();
      const { a, b } = await seed(store);
      const party = { id: 'alice-magnets', name: 'Dup', country: 'IN', sector: null, party: {}, created_seq: a.seq };
      expect((await expectRejectsCode(partiesRepo.insert(store.db, party), StoreError, 'CONFLICT')).constraint).toBe(
        'parties_pkey',
      );
      expect(
        (
          await expectRejectsCode(
            classificationsRepo.insert(store.db, {
              id: 'cls-2',
              seq: b.seq,
              actor: 'a',
              label: null,
              as_of: '2025-01-01',
              controlled: false,
              codes: [],
              item: {},
              result: {},
              created_at: new Date(),
            }),
            StoreError,
            'CONFLICT',
          )
        ).constraint,
      ).toBe('classifications_seq_key');
      expect(
        (
          await expectRejectsCode(
            partyKeysRepo.insert(store.db, {
              key_id: 'ed25519:x',
              party_id: 'nobody',
              algorithm: 'Ed25519',
              public_key: 'x',
              created_seq: a.seq,
            }),
            StoreError,
            'NOT_FOUND',
          )
        ).constraint,
      ).toBe('party_keys_party_id_fkey');
      expect(
        (
          await expectRejectsCode(
            partiesRepo.insert(store.db, { ...party, id: 'p2', created_seq: 999 }),
            StoreError,
            'NOT_FOUND',
          )
        ).constraint,
      ).toBe('parties_created_seq_fkey');
      expect(
        (
          await expectRejectsCode(
            partiesRepo.insert(store.db, { ...party, id: 'p3', country: 'in' }),
            StoreError,
            'INVALID_ROW',
          )
        ).constraint,
      ).toBe('parties_country_check');
    });

    it('truncateProjections empties every projection table and leaves the journal intact; dumpProjections is deterministic', async () => {
      const { store } = fresh();
      await seed(store);
      const dump = await dumpProjections(store.db);
      expect(Object.keys(dump)).toEqual([...PROJECTION_TABLES]);
      const seeded: readonly string[] = ['classifications', 'rule_packs', 'party_keys', 'parties'];
      expect(Object.values(dump).map((rows) => rows.length)).toEqual(
        PROJECTION_TABLES.map((t) => (seeded.includes(t) ? 1 : 0)),
      );
      expect(await dumpProjections(store.db)).toEqual(dump);
      const journalBefore = await journalRepo.read(store.db);

      await store.transaction((tx) => truncateProjections(tx));
      expect(await dumpProjections(store.db)).toEqual(Object.fromEntries(PROJECTION_TABLES.map((t) => [t, []])));
      expect(await journalRepo.read(store.db)).toEqual(journalBefore);
      expect(await journalRepo.count(store.db)).toBe(2);
    });

    it('a failed rebuild transaction keeps the old projections', async () => {
      const { store } = fresh();
      await seed(store);
      const dump = await dumpProjections(store.db);
      await expect(
        store.transaction(async (tx) => {
          await truncateProjections(tx);
          throw new Error('replay failed');
        }),
      ).rejects.toThrow('replay failed');
      expect(await dumpProjections(store.db)).toEqual(dump);
    });
  });
});
