import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonColumn } from './json-column.js';

export interface ClassificationsTable {
  id: ColumnType<string, string, never>;
  /** The journal entry that recorded this classification. */
  seq: ColumnType<number, number, never>;
  actor: string;
  label: string | null;
  /** The date the rules were evaluated as of: 'YYYY-MM-DD' (a Postgres date, read back as text). */
  as_of: string;
  controlled: boolean;
  codes: string[];
  item: JsonColumn;
  result: JsonColumn;
  created_at: ColumnType<Date, Date | string, Date | string>;
}

export type ClassificationRow = Selectable<ClassificationsTable>;
export type NewClassification = Insertable<ClassificationsTable>;
export type ClassificationUpdate = Updateable<ClassificationsTable>;
