import type { Selectable } from 'kysely';

/** When subject links began (migration 0016): one row, id 1. */
export interface SubjectLogTable {
  id: number;
  since_size: number;
}

/** Each subject's newest entry (migration 0016): log state, not a projection. */
export interface SubjectHeadsTable {
  subject: string;
  seq: number;
  leaf_hash: string;
}

/** The subject map's non-empty nodes by path (migration 0016). */
export interface SubjectMapNodesTable {
  path: string;
  hash: Uint8Array;
  leaf_key: Uint8Array | null;
  leaf_value: Uint8Array | null;
}

export type SubjectHeadRow = Selectable<SubjectHeadsTable>;
export type SubjectMapNodeRow = Selectable<SubjectMapNodesTable>;
