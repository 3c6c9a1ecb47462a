import type { ColumnType, Selectable } from 'kysely';

type Immutable<S, I = S> = ColumnType<S, I, never>;

/** A complete subtree of the Merkle log (migration 0006): append-only. */
export interface MerkleNodesTable {
  level: Immutable<number>;
  idx: Immutable<number>;
  /** 32-byte SHA-256. */
  hash: Immutable<Uint8Array>;
}

/** The latest signed checkpoint per log: changed only by compare-and-swap. */
export interface LogCheckpointsTable {
  log_id: string;
  size: number;
  body: string;
}

/** Every published checkpoint (log_id, size) → signed note. */
export interface LogCheckpointHistoryTable {
  log_id: Immutable<string>;
  size: Immutable<number>;
  body: Immutable<string>;
}

export type MerkleNodeRow = Selectable<MerkleNodesTable>;
export type LogCheckpointRow = Selectable<LogCheckpointsTable>;

/** A witness's cosignature line on the published checkpoint of a size. */
export interface LogCosignaturesTable {
  log_id: Immutable<string>;
  size: Immutable<number>;
  witness: Immutable<string>;
  line: Immutable<string>;
}

/** The log's checkpoint origin (migration 0025): written with its first checkpoint, never changed. */
export interface LogOriginTable {
  log_id: Immutable<string>;
  origin: Immutable<string>;
}
