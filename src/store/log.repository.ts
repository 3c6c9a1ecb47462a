import { sql, type Kysely, type Transaction } from 'kysely';
import {
  consistencyProof,
  hashChildren,
  consistencyProofNodeIds,
  inclusionProof,
  inclusionProofNodeIds,
  treeRoot,
  treeRootNodeIds,
  type NodeId,
  type NodeReader,
} from '../trust/index.js';
import type { Database } from './database.js';
import { StoreError } from './errors.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Merkle nodes inserted per statement by `appendLeaves` (about 40 bytes each on the wire). */
const NODES_PER_STATEMENT = 50_000;

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
    if (!/^[0-9a-f]{64}$/.test(leafHashHex))
      throw new StoreError(
        'INVALID_ROW',
        `leafHashHex must be 64 lower-case hex digits, got ${JSON.stringify(leafHashHex)}`,
        {
          field: 'leafHashHex',
        },
      );
    await logRepo.appendLeaves(tx, index, [Buffer.from(leafHashHex, 'hex')]);
  },

  /**
   * Appends the consecutive leaves `first`, `first + 1`, … (32-byte hashes) and every subtree they
   * complete. The stored complete subtrees left of the run that it completes a parent of — part
   * of the frontier of a tree of `first` leaves, at most one per level — are read in one query; the run is
   * then folded in memory with one hash per new subtree (the frontier updated as it goes), and every
   * node is inserted in one statement per NODES_PER_STATEMENT (levels and indexes as arrays, the
   * hashes as one bytea, unnested by PostgreSQL).
   */
  async appendLeaves(tx: Transaction<Database>, first: number, leaves: readonly Uint8Array[]): Promise<void> {
    if (leaves.length === 0) return;
    if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(first + leaves.length))
      throw new RangeError(`first must be a leaf index (a safe integer ≥ 0), got ${String(first)}`);
    // frontier[level]: the complete subtree at `level` waiting for its right sibling (the run's next node there).
    const frontier: (Uint8Array | undefined)[] = [];
    const ids: NodeId[] = [];
    // The frontier node at `level` is read only if the run completes its right sibling, whose last leaf
    // is 2^level − (first mod 2^level) leaves into the run.
    for (let level = 0, i = first; i > 0; level++, i = Math.floor(i / 2))
      if (i % 2 === 1 && 2 ** level - (first % 2 ** level) <= leaves.length) ids.push({ level, index: i - 1 });
    if (ids.length > 0) {
      const stored = await readNodes(tx, ids);
      for (const id of ids) frontier[id.level] = stored(id.level, id.index);
    }
    const levels: number[] = [];
    const indexes: number[] = [];
    const hashes: Uint8Array[] = [];
    for (const [k, leaf] of leaves.entries()) {
      if (leaf.length !== 32)
        throw new StoreError('INVALID_ROW', `leaves[${k}] must be a 32-byte hash, got ${leaf.length} bytes`, {
          field: `leaves[${k}]`,
        });
      let hash = leaf;
      let index = first + k;
      let level = 0;
      levels.push(0);
      indexes.push(index);
      hashes.push(hash);
      while (index % 2 === 1) {
        const left = frontier[level];
        if (left === undefined)
          throw new StoreError(
            'NOT_FOUND',
            `Merkle node (${level}, ${index - 1}) is missing: the log's subtree index is damaged`,
          );
        frontier[level] = undefined;
        hash = hashChildren(left, hash);
        index = (index - 1) / 2;
        level += 1;
        levels.push(level);
        indexes.push(index);
        hashes.push(hash);
      }
      frontier[level] = hash;
    }
    for (let i = 0; i < levels.length; i += NODES_PER_STATEMENT) {
      const end = Math.min(i + NODES_PER_STATEMENT, levels.length);
      await sql`insert into merkle_nodes (level, idx, hash)
        select v.level, v.idx, substring(${Buffer.concat(hashes.slice(i, end))}::bytea from (v.n * 32 - 31)::int for 32)
        from unnest(${levels.slice(i, end)}::smallint[], ${indexes.slice(i, end)}::bigint[]) with ordinality as v (level, idx, n)`.execute(
        tx,
      );
    }
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
