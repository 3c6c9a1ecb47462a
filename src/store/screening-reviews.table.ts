import type { ColumnType, Insertable, Selectable } from 'kysely';

/** Projection of `screening.reviewed` (migration 0029): every decision, the latest per (subject, list, entry) in force. */
export interface ScreeningReviewsTable {
  seq: ColumnType<number, number, never>;
  subject_kind: ColumnType<'party' | 'name', 'party' | 'name', never>;
  /** The party id, or the normalised name key of a free-text name. */
  subject: ColumnType<string, string, never>;
  subject_name: ColumnType<string, string, never>;
  list: ColumnType<string, string, never>;
  entry_id: ColumnType<string, string, never>;
  entry_name: ColumnType<string, string, never>;
  score: ColumnType<number, number, never>;
  decision: ColumnType<'false-positive' | 'true-match', 'false-positive' | 'true-match', never>;
  reason: ColumnType<string, string, never>;
  /** SHA-256 of the list snapshot in force at the decision. */
  snapshot: ColumnType<string, string, never>;
  reviewer: ColumnType<string, string, never>;
  reviewed_at: ColumnType<Date, Date | string, never>;
}

export type ScreeningReviewRow = Selectable<ScreeningReviewsTable>;
export type NewScreeningReview = Insertable<ScreeningReviewsTable>;
