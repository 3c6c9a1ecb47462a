import type { ColumnType, Selectable } from 'kysely';
import type { JsonColumn } from './json-column.js';

/** Captured EPCIS events (migration 0007), projected from epcis.event.captured records. */
export interface EpcisEventsTable {
  hash_id: ColumnType<string, string, never>;
  kind: ColumnType<'event' | 'error-declaration', 'event' | 'error-declaration', never>;
  seq: ColumnType<number, number, never>;
  actor: string;
  event_type: string;
  event_time: ColumnType<Date, string, never>;
  biz_step: string | null;
  biz_location: string | null;
  action: string | null;
  epcs: string[];
  disposition: 'mapped' | 'evidence' | 'untracked';
  outcome: JsonColumn;
  event: JsonColumn;
  /** The @context of the document the event came in (migration 0026; null: none recorded). */
  context: ColumnType<unknown, string | null, never>;
  retracted_seq: ColumnType<number | null, number | null | undefined, number | null>;
}

/** EPC identifier ↔ Lodestone lot, per holder (the same LGTIN names a batch at every holder). */
export interface EpcisLotLinksTable {
  epc: ColumnType<string, string, never>;
  holder: ColumnType<string, string, never>;
  lot_id: ColumnType<string, string, never>;
  since: ColumnType<Date, string, never>;
  seq: ColumnType<number, number, never>;
}

export type EpcisEventRow = Selectable<EpcisEventsTable>;
export type EpcisLotLinkRow = Selectable<EpcisLotLinksTable>;
