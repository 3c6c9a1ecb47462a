import type { ColumnType, Selectable } from 'kysely';

/** EPCIS capture jobs (migration 0023): operator state of the REST binding, not a journal projection. */
export interface EpcisCaptureJobsTable {
  id: ColumnType<string, string, never>;
  actor: ColumnType<string, string, never>;
  created_at: ColumnType<Date, Date, never>;
  finished_at: ColumnType<Date | null, Date | null, never>;
  running: ColumnType<boolean, boolean, never>;
  success: ColumnType<boolean, boolean, never>;
  error_behaviour: ColumnType<'rollback', 'rollback', never>;
  errors: ColumnType<unknown, string, never>;
  result: ColumnType<unknown, string | null, never>;
}

export type EpcisCaptureJobRow = Selectable<EpcisCaptureJobsTable>;
