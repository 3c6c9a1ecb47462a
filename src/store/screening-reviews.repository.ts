import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { NewScreeningReview, ScreeningReviewRow } from './screening-reviews.table.js';

type Db = Kysely<Database>;

export const screeningReviewsRepo = {
  async insert(db: Db, row: NewScreeningReview): Promise<void> {
    await db.insertInto('screening_reviews').values(row).execute();
  },

  /**
   * The decision in force (the latest) for each (subject, list, entry) of these subjects, in
   * subject, list, entry order.
   */
  async latestFor(db: Db, kind: 'party' | 'name', subjects: readonly string[]): Promise<ScreeningReviewRow[]> {
    if (subjects.length === 0) return [];
    const rows = await sql<ScreeningReviewRow>`
      select distinct on (subject, list, entry_id) *
        from screening_reviews
       where subject_kind = ${kind} and subject in (${sql.join([...new Set(subjects)])})
       order by subject, list, entry_id, seq desc`.execute(db);
    return rows.rows;
  },

  /** Every decision about one subject, newest first (the history behind the one in force). */
  async history(db: Db, kind: 'party' | 'name', subject: string): Promise<ScreeningReviewRow[]> {
    return db
      .selectFrom('screening_reviews')
      .selectAll()
      .where('subject_kind', '=', kind)
      .where('subject', '=', subject)
      .orderBy('seq', 'desc')
      .execute();
  },
};
