import type { Kysely, Transaction } from 'kysely';
import {
  appendNodeIds,
  consistencyProof,
  consistencyProofNodeIds,
  inclusionProof,
  inclusionProofNodeIds,
  nodesForAppend,
  treeRoot,
  treeRootNodeIds,
  type NodeId,
  type NodeReader,
} from '../trust/index.js';
import type { Database } from './database.js';
import { StoreError } from './errors.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Fetches the named complete subtrees in one query; the reader throws NOT_FOUND for any missing one. */
async function readNodes(db: Db, ids: readonly NodeId[]): Promise<NodeReader> {
  const found = new Map<string, Uint8Array>();
  if (ids.length > 0) {
    const rows = await db
      .selectFrom('merkle_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) => eb.or(ids.map((id) => eb.and([eb('level', '=', id.level), eb('idx', '=', id.index)]))))
      .execute();
    for (const r of rows) found.set(`${r.level}/${r.idx}`, new Uint8Array(r.hash));
  }
  return (level, index) => {
    const h = found.get(`${level}/${index}`);
    if (h === undefined)
      throw new StoreError(
        'NOT_FOUND',
        `Merkle node (${level}, ${index}) is missing: the log's subtree index is damaged`,
      );
    return h;
  };
}

/**
 * The transparency log's storage port (migration 0006).
 *
 * - Nodes: `appendLeaf` stores leaf `index`'s hash and every subtree it completes, in the caller's
 *   transaction — journalRepo.append calls it, so a journal entry and its leaf commit together or
 *   not at all, serialised by the journal_head row lock (leaves are appended in order with no
 *   gap). Nodes are append-only (triggers refuse UPDATE, DELETE, TRUNCATE). Reads at size n touch
 *   O(log n) rows by primary key.
 * - Checkpoints: one current signed note per log, replaced only by `casCheckpoint`
 *   (UPDATE … WHERE body = <expected>, row count checked), so two publishers cannot both win and
 *   a stale publisher cannot move it backwards; the caller checks the new one is consistent with
 *   the one it read. Every published checkpoint is also kept in the history (one per size: a
 *   second, different checkpoint of the same size is refused as CONFLICT).
 */
export const logRepo = {
  async appendLeaf(tx: Transaction<Database>, index: number, leafHashHex: string): Promise<void> {
    await logRepo.appendLeaves(tx, index, [leafHashHex]);
  },

  /**
   * Appends the consecutive leaves `first`, `first + 1`, … and every subtree they complete: the
   * stored left siblings read in one query, the new nodes computed in memory and inserted in one
   * statement.
   */
  async appendLeaves(tx: Transaction<Database>, first: number, leafHashesHex: readonly string[]): Promise<void> {
    if (leafHashesHex.length === 0) return;
    const made = new Map<string, Uint8Array>();
    const wanted = new Map<string, NodeId>();
    for (let i = first; i < first + leafHashesHex.length; i++) {
      // Siblings left of the run are stored; those inside it are made by an earlier leaf of the run.
      for (const id of appendNodeIds(i))
        if ((id.index + 1) * 2 ** id.level <= first) wanted.set(`${id.level}/${id.index}`, id);
    }
    const stored = await readNodes(tx, [...wanted.values()]);
    const get: NodeReader = (level, index) => made.get(`${level}/${index}`) ?? stored(level, index);
    const rows: { level: number; idx: number; hash: Uint8Array }[] = [];
    leafHashesHex.forEach((hex, k) => {
      for (const n of nodesForAppend(first + k, new Uint8Array(Buffer.from(hex, 'hex')), get)) {
        made.set(`${n.level}/${n.index}`, n.hash);
        rows.push({ level: n.level, idx: n.index, hash: n.hash });
      }
    });
    for (let i = 0; i < rows.length; i += 5000)
      await tx
        .insertInto('merkle_nodes')
        .values(rows.slice(i, i + 5000))
        .execute();
  },

  async root(db: Db, size: number): Promise<Uint8Array> {
    return treeRoot(size, await readNodes(db, treeRootNodeIds(size)));
  },

  async inclusionProof(db: Db, index: number, size: number): Promise<Uint8Array[]> {
    return inclusionProof(index, size, await readNodes(db, inclusionProofNodeIds(index, size)));
  },

  async consistencyProof(db: Db, size1: number, size2: number): Promise<Uint8Array[]> {
    return consistencyProof(size1, size2, await readNodes(db, consistencyProofNodeIds(size1, size2)));
  },

  /** The root at `size` and the consistency proof from `size1` to it (0 < size1 ≤ size), read in one query. */
  async rootAndConsistencyProof(
    db: Db,
    size1: number,
    size: number,
  ): Promise<{ root: Uint8Array; proof: Uint8Array[] }> {
    const get = await readNodes(db, [...treeRootNodeIds(size), ...consistencyProofNodeIds(size1, size)]);
    return { root: treeRoot(size, get), proof: consistencyProof(size1, size, get) };
  },

  /** The number of leaves (level-0 nodes). */
  async size(db: Db): Promise<number> {
    const r = await db
      .selectFrom('merkle_nodes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('level', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  async getCheckpoint(db: Db, logId: string): Promise<{ size: number; body: string } | undefined> {
    return db.selectFrom('log_checkpoints').select(['size', 'body']).where('log_id', '=', logId).executeTakeFirst();
  },

  /**
   * Replaces the log's checkpoint if it is still `expected` (undefined: there is none yet).
   * Returns false when another publisher changed it first (nothing written).
   */
  async casCheckpoint(
    tx: Transaction<Database>,
    logId: string,
    expected: string | undefined,
    next: { size: number; body: string },
  ): Promise<boolean> {
    if (expected === undefined) {
      const r = await tx
        .insertInto('log_checkpoints')
        .values({ log_id: logId, ...next })
        .onConflict((oc) => oc.column('log_id').doNothing())
        .executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
    } else {
      const r = await tx
        .updateTable('log_checkpoints')
        .set(next)
        .where('log_id', '=', logId)
        .where('body', '=', expected)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
    }
    const inserted = await tx
      .insertInto('log_checkpoint_history')
      .values({ log_id: logId, ...next })
      .onConflict((oc) => oc.columns(['log_id', 'size']).doNothing())
      .returning('size')
      .executeTakeFirst();
    if (inserted !== undefined) return true;
    const stored = await tx
      .selectFrom('log_checkpoint_history')
      .select('body')
      .where('log_id', '=', logId)
      .where('size', '=', next.size)
      .executeTakeFirstOrThrow();
    if (stored.body !== next.body) {
      // Same size, another body. Our checkpoints are deterministic apart from nothing (Ed25519 is
      // deterministic), so this is a different root: a fork. Refuse.
      throw new StoreError('CONFLICT', `log ${logId} already published a different checkpoint of size ${next.size}`);
    }
    return true;
  },

  /** The log's stored origin (migration 0024), if it has published a checkpoint. */
  async origin(db: Db, logId: string): Promise<string | undefined> {
    return (await db.selectFrom('log_origin').select('origin').where('log_id', '=', logId).executeTakeFirst())?.origin;
  },

  /** Stores the log's origin unless one is stored; returns the stored one (which wins). */
  async claimOrigin(tx: Transaction<Database>, logId: string, origin: string): Promise<string> {
    await tx
      .insertInto('log_origin')
      .values({ log_id: logId, origin })
      .onConflict((oc) => oc.column('log_id').doNothing())
      .execute();
    return (await tx.selectFrom('log_origin').select('origin').where('log_id', '=', logId).executeTakeFirstOrThrow())
      .origin;
  },

  /** The stored complete subtrees (`level`, first … first + count - 1) that exist, in index order. */
  async nodes(db: Db, level: number, first: number, count: number): Promise<Uint8Array[]> {
    const rows = await db
      .selectFrom('merkle_nodes')
      .select(['idx', 'hash'])
      .where('level', '=', level)
      .where('idx', '>=', first)
      .where('idx', '<', first + count)
      .orderBy('idx')
      .execute();
    return rows.map((r) => new Uint8Array(r.hash));
  },

  async checkpointAt(db: Db, logId: string, size: number): Promise<string | undefined> {
    const r = await db
      .selectFrom('log_checkpoint_history')
      .select('body')
      .where('log_id', '=', logId)
      .where('size', '=', size)
      .executeTakeFirst();
    return r?.body;
  },
};

export const cosignaturesRepo = {
  async add(tx: Transaction<Database>, logId: string, size: number, witness: string, line: string): Promise<void> {
    await tx
      .insertInto('log_cosignatures')
      .values({ log_id: logId, size, witness, line })
      .onConflict((oc) => oc.columns(['log_id', 'size', 'witness']).doNothing())
      .execute();
  },
  async list(db: Db, logId: string, size: number): Promise<string[]> {
    const rows = await db
      .selectFrom('log_cosignatures')
      .select('line')
      .where('log_id', '=', logId)
      .where('size', '=', size)
      .orderBy('witness')
      .execute();
    return rows.map((r) => r.line);
  },
};
