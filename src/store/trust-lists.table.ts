import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonColumn } from './json-column.js';

/** One version of the trust list (migration 0017): a projection of `trustlist.published`. */
export interface TrustListsTable {
  version: ColumnType<number, number, never>;
  /** The journal entry that published it. */
  seq: ColumnType<number, number, never>;
  /** Hex SHA-256 of that entry's canonical record (what the next version names as `previous`). */
  record_hash: ColumnType<string, string, never>;
  previous_hash: ColumnType<string | null, string | null, never>;
  root_key_id: ColumnType<string, string, never>;
  root_public_key: ColumnType<string, string, never>;
  /** The entries as published: `{ party, role, country }[]`. */
  entries: JsonColumn;
  published_at: ColumnType<string, string, never>;
}

/** The version in force (one row). */
export interface TrustListHeadTable {
  singleton: ColumnType<boolean, boolean | undefined, never>;
  version: number;
  seq: number;
}

export type TrustListRow = Selectable<TrustListsTable>;
export type NewTrustList = Insertable<TrustListsTable>;
export type TrustListHeadRow = Selectable<TrustListHeadTable>;
