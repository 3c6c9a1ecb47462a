import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonColumn } from './json-column.js';

/** A list's content as imported once: reference data keyed by (list, sha256), never changed. */
export interface ListSnapshotsTable {
  list: ColumnType<string, string, never>;
  /** Hex SHA-256 of the imported file(s). */
  sha256: ColumnType<string, string, never>;
  format: ColumnType<string, string, never>;
  entry_count: ColumnType<number, number, never>;
  error_count: ColumnType<number, number, never>;
  created_at: ColumnType<Date, Date | string, never>;
}

/** One entry of a snapshot, as the list's own id and the parsed entry (JSON). */
export interface ListEntriesTable {
  list: ColumnType<string, string, never>;
  sha256: ColumnType<string, string, never>;
  entry_id: ColumnType<string, string, never>;
  /** Hex SHA-256 of the entry's canonical JSON (for deltas between snapshots). */
  digest: ColumnType<string, string, never>;
  entry: JsonColumn;
}

/** Projection of `list.imported`: which snapshot of a list is in force from which journal entry. */
export interface ListImportsTable {
  seq: ColumnType<number, number, never>;
  list: string;
  sha256: string;
  format: string;
  imported_at: ColumnType<Date, Date | string, Date | string>;
  entry_count: number;
  error_count: number;
  added: number;
  removed: number;
  changed: number;
  /** Who issued the list, as stated at import ("MOFCOM", "US Treasury OFAC"); null when not stated. */
  authority: ColumnType<string | null, string | null | undefined, never>;
  /** The list's legal effect: deny, review or information (the default). */
  effect: ColumnType<'deny' | 'review' | 'information', 'deny' | 'review' | 'information' | undefined, never>;
  /** The export regime (ISO country) a deny or review list has its effect under; null for information lists and older imports. */
  country: ColumnType<string | null, string | null | undefined, never>;
}

export type ListSnapshotRow = Selectable<ListSnapshotsTable>;
export type NewListSnapshot = Insertable<ListSnapshotsTable>;
export type ListEntryRow = Selectable<ListEntriesTable>;
export type NewListEntry = Insertable<ListEntriesTable>;
export type ListImportRow = Selectable<ListImportsTable>;
export type NewListImport = Insertable<ListImportsTable>;
