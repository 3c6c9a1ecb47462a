import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import type { FederationEvidenceRow, FederationMirrorRow, FederationPeerRow } from './federation.tables.js';
import { jsonText } from './json-column.js';

type Db = Kysely<Database>;

/**
 * Federation state (migration 0030). A peer's pins (its keys and countries, `followed_seq`) are the
 * projection of its root-signed `federation.peer.followed` record; how far the replication loop got
 * with it (heard, cosigned, applied) and the mirror are operator state, left alone by a rebuild.
 * Party homes, peer trust lists, evidence and split-view alerts are projections of `federation.*`
 * journal records.
 */
export const federationRepo = {
  /** Projects a `federation.peer.followed` record: the peer's pins, from journal entry `followed_seq` on. */
  async addPeer(
    db: Db,
    p: {
      node: string;
      origin: string;
      log_vkey: string;
      witness_vkey: string;
      trust_root_key: string;
      countries: string[];
      public_url?: string | null;
      followed_seq: number;
    },
  ): Promise<void> {
    await db
      .insertInto('federation_peers')
      .values(p)
      .onConflict((oc) =>
        oc.column('node').doUpdateSet({
          origin: p.origin,
          log_vkey: p.log_vkey,
          witness_vkey: p.witness_vkey,
          trust_root_key: p.trust_root_key,
          countries: p.countries,
          public_url: p.public_url ?? null,
          followed_seq: p.followed_seq,
        }),
      )
      .execute();
  },
  /**
   * For a rebuild, before the journal is replayed: no peer's pins are backed by a record until its
   * `federation.peer.followed` record is replayed again. (The rows stay: their replication progress
   * and the mirror are operator state.)
   */
  async forgetFollowed(tx: Transaction<Database>): Promise<void> {
    await tx.updateTable('federation_peers').set({ followed_seq: null }).execute();
  },
  async peers(db: Db): Promise<FederationPeerRow[]> {
    return db.selectFrom('federation_peers').selectAll().orderBy('node').execute();
  },
  async peer(db: Db, node: string): Promise<FederationPeerRow | undefined> {
    return db.selectFrom('federation_peers').selectAll().where('node', '=', node).executeTakeFirst();
  },
  /** The peer's row, locked for update: one replication step at a time per peer. */
  async lockPeer(tx: Transaction<Database>, node: string): Promise<FederationPeerRow | undefined> {
    return tx.selectFrom('federation_peers').selectAll().where('node', '=', node).forUpdate().executeTakeFirst();
  },
  async updatePeer(
    db: Db,
    node: string,
    set: Partial<{
      cosigned_size: number;
      cosigned_body: string | null;
      cosigned_range: string | null;
      applied_seq: number;
      heard_size: number;
      heard_body: string | null;
      heard_at: string | null;
      split_alert_seq: number | null;
      last_error: string | null;
    }>,
  ): Promise<void> {
    await db.updateTable('federation_peers').set(set).where('node', '=', node).execute();
  },

  /** Stores a peer's record; 'same' if that seq is already held with the same hash, 'conflict' if with another. */
  async mirror(
    db: Db,
    r: { node: string; seq: number; record_hash: string; leaf_hash: string; canonical: string },
  ): Promise<'stored' | 'same' | 'conflict'> {
    const inserted = await db
      .insertInto('federation_mirror')
      .values(r)
      .onConflict((oc) => oc.columns(['node', 'seq']).doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return 'stored';
    const held = await db
      .selectFrom('federation_mirror')
      .select('record_hash')
      .where('node', '=', r.node)
      .where('seq', '=', r.seq)
      .executeTakeFirst();
    return held?.record_hash === r.record_hash ? 'same' : 'conflict';
  },
  /** Whether every one of the peer's records 1..size is held (seqs are unique per peer: a count says it). */
  async holdsAll(db: Db, node: string, size: number): Promise<boolean> {
    const r = await db
      .selectFrom('federation_mirror')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('node', '=', node)
      .where('seq', '<=', size)
      .executeTakeFirst();
    return Number(r?.n ?? 0) === size;
  },
  async mirrorCount(db: Db, node: string): Promise<number> {
    const r = await db
      .selectFrom('federation_mirror')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('node', '=', node)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },
  /** The peer's leaf hashes (hex) for seqs from..to, in order. */
  async leafHashesBetween(db: Db, node: string, from: number, to: number): Promise<string[]> {
    const rows = await db
      .selectFrom('federation_mirror')
      .select('leaf_hash')
      .where('node', '=', node)
      .where('seq', '>=', from)
      .where('seq', '<=', to)
      .orderBy('seq')
      .execute();
    return rows.map((r) => r.leaf_hash);
  },
  /** The peer's leaf hashes (hex) for seqs 1..size, in order. */
  async leafHashes(db: Db, node: string, size: number): Promise<string[]> {
    const rows = await db
      .selectFrom('federation_mirror')
      .select('leaf_hash')
      .where('node', '=', node)
      .where('seq', '<=', size)
      .orderBy('seq')
      .execute();
    return rows.map((r) => r.leaf_hash);
  },
  async mirrored(db: Db, node: string, fromSeq: number, toSeq: number): Promise<FederationMirrorRow[]> {
    return db
      .selectFrom('federation_mirror')
      .selectAll()
      .where('node', '=', node)
      .where('seq', '>=', fromSeq)
      .where('seq', '<=', toSeq)
      .orderBy('seq')
      .execute();
  },
  /** The peer's records whose canonical text contains `needle` (a lot id), in seq order. */
  async mirroredMentioning(db: Db, node: string, needle: string, before: number): Promise<FederationMirrorRow[]> {
    return db
      .selectFrom('federation_mirror')
      .selectAll()
      .where('node', '=', node)
      .where('seq', '<', before)
      .where('canonical', 'like', `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
      .orderBy('seq')
      .execute();
  },

  async outbox(db: Db): Promise<{ published_seq: number; published_checkpoint_size: number }> {
    return db
      .selectFrom('federation_outbox')
      .select(['published_seq', 'published_checkpoint_size'])
      .executeTakeFirstOrThrow();
  },
  async setOutbox(db: Db, set: Partial<{ published_seq: number; published_checkpoint_size: number }>): Promise<void> {
    await db.updateTable('federation_outbox').set(set).execute();
  },
  /** Journal rows after `afterSeq` (at most `limit`), as this node publishes them. */
  async journalAfter(
    db: Db,
    afterSeq: number,
    limit: number,
  ): Promise<{ seq: number; canonical: string; record_hash: string; leaf_hash: string }[]> {
    return db
      .selectFrom('journal')
      .select(['seq', 'canonical', 'record_hash', 'leaf_hash'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  },

  // Projections of federation.* records.
  async addPartyHome(
    tx: Transaction<Database>,
    r: { party_id: string; node: string; peer_seq: number; record_hash: string; imported_seq: number },
  ): Promise<void> {
    await tx.insertInto('federation_party_homes').values(r).execute();
  },
  async partyHome(db: Db, partyId: string): Promise<{ node: string } | undefined> {
    return db.selectFrom('federation_party_homes').select('node').where('party_id', '=', partyId).executeTakeFirst();
  },
  async addTrustList(
    tx: Transaction<Database>,
    r: { node: string; version: number; entries: unknown; record_hash: string; imported_seq: number },
  ): Promise<void> {
    await tx
      .insertInto('federation_trust_lists')
      .values({ ...r, entries: jsonText(r.entries) })
      .execute();
  },
  /** The newest trust-list version of each journalled peer whose countries include `country`. */
  async trustListsFor(
    db: Db,
    country: string,
  ): Promise<{ node: string; version: number; entries: unknown; record_hash: string }[]> {
    const rows = await db
      .selectFrom('federation_trust_lists as t')
      .innerJoin('federation_peers as p', 'p.node', 't.node')
      .select(['t.node', 't.version', 't.entries', 't.record_hash'])
      .where(sql<boolean>`${country} = any(p.countries)`)
      // Only a peer whose countries the root key signed (a journalled federation.peer.followed).
      .where('p.followed_seq', 'is not', null)
      .where((eb) =>
        eb(
          't.version',
          '=',
          eb
            .selectFrom('federation_trust_lists as u')
            .select((e) => e.fn.max('u.version').as('v'))
            .whereRef('u.node', '=', 't.node'),
        ),
      )
      .orderBy('t.node')
      .execute();
    return rows;
  },
  async addEvidence(
    tx: Transaction<Database>,
    r: {
      node: string;
      peer_seq: number;
      record_type: string;
      shipment_id: string;
      lot_ids: string[];
      summary: string;
      at: string;
      imported_seq: number;
    },
  ): Promise<void> {
    await tx.insertInto('federation_evidence').values(r).execute();
  },
  async evidence(db: Db, opts: { shipmentId?: string } = {}): Promise<FederationEvidenceRow[]> {
    let q = db.selectFrom('federation_evidence').selectAll();
    if (opts.shipmentId !== undefined) q = q.where('shipment_id', '=', opts.shipmentId);
    return q.orderBy('node').orderBy('peer_seq').orderBy('shipment_id').execute();
  },
  /** The evidence row that tracks `lotId` (material that descends from a shipment of this node), if any. */
  async trackedLot(db: Db, node: string, lotId: string): Promise<{ shipment_id: string } | undefined> {
    return db
      .selectFrom('federation_evidence')
      .select('shipment_id')
      .where('node', '=', node)
      .where(sql<boolean>`${lotId} = any(lot_ids)`)
      .orderBy('peer_seq')
      .executeTakeFirst();
  },
  async addAlert(
    tx: Transaction<Database>,
    r: { seq: number; node: string; cosigned: string; shown: string; explanation: string },
  ): Promise<void> {
    await tx.insertInto('federation_alerts').values(r).execute();
  },
  async alerts(db: Db): Promise<{ seq: number; node: string; cosigned: string; shown: string; explanation: string }[]> {
    return db.selectFrom('federation_alerts').selectAll().orderBy('seq').execute();
  },
};
