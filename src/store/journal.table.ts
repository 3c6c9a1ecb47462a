import type { ColumnType, Insertable, Selectable } from 'kysely';

/** Append-only: every column is insert-only (the database refuses UPDATE, DELETE and TRUNCATE too). */
type Immutable<S, I = S> = ColumnType<S, I, never>;

export interface JournalTable {
  /** Gapless, 1-based. */
  seq: Immutable<number>;
  type: Immutable<string>;
  /** The party id that made the record. */
  actor: Immutable<string>;
  key_id: Immutable<string>;
  /** payload.at of the record. */
  recorded_at: Immutable<Date, string>;
  /** canonicalJson(record): the exact Merkle leaf content. */
  canonical: Immutable<string>;
  /** Hex SHA-256 of canonical. */
  record_hash: Immutable<string>;
  /** Hex RFC 6962 leaf hash of canonical. */
  leaf_hash: Immutable<string>;
}

export type JournalRow = Selectable<JournalTable>;
export type NewJournalRow = Insertable<JournalTable>;
