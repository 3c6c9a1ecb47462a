import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonColumn } from './json-column.js';

export interface RulePacksTable {
  pack_id: ColumnType<string, string, never>;
  version: ColumnType<string, string, never>;
  /** Hex SHA-256 of the pack file as loaded. */
  sha256: string;
  body: JsonColumn;
  loaded_seq: number;
}

export type RulePackRow = Selectable<RulePacksTable>;
export type NewRulePack = Insertable<RulePacksTable>;
export type RulePackUpdate = Updateable<RulePacksTable>;
