import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonColumn } from './json-column.js';

export interface PartiesTable {
  id: ColumnType<string, string, never>;
  name: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  sector: string | null;
  /** The whole Party as registered. */
  party: JsonColumn;
  created_seq: ColumnType<number, number, never>;
}

export type PartyRow = Selectable<PartiesTable>;
export type NewParty = Insertable<PartiesTable>;
export type PartyUpdate = Updateable<PartiesTable>;
