import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { memoOf } from './tx-memo.js';
import type { NewScreeningReview, ScreeningReviewRow } from './screening-reviews.table.js';

type Db = Kysely<Database>;

export const screeningReviewsRepo = {
  async insert(db: Db, row: NewScreeningReview): Promise<void> {
    await db.insertInto('screening_reviews').values(row).execute();
    memoOf(db)?.reviews.delete(`${row.subject_kind}\u0000${row.subject}`);
  },

  /**
   * The decision in force (the latest) for each (subject, list, entry) of these subjects, in
   * subject, list, entry order.
   */
  async latestFor(db: Db, kind: 'party' | 'name', subjects: readonly string[]): Promise<ScreeningReviewRow[]> {
    if (subjects.length === 0) return [];
    const read = async (some: readonly string[]) =>
      (
        await sql<ScreeningReviewRow>`
      select distinct on (subject, list, entry_id) *
        from screening_reviews
       where subject_kind = ${kind} and subject in (${sql.join([...new Set(some)])})
       order by subject, list, entry_id, seq desc`.execute(db)
      ).rows;
    // In a memoised transaction (a batch screening the same consignees event after event) each
    // subject's decisions are read once; a review recorded in the transaction drops its subject's.
    const memo = memoOf(db)?.reviews;
    if (memo === undefined) return read(subjects);
    const key = (s: string) => `${kind}\u0000${s}`;
    const sorted = [...new Set(subjects)].sort();
    const missing = sorted.filter((s) => !memo.has(key(s)));
    if (missing.length > 0) {
      const found = await read(missing);
      for (const s of missing) memo.set(key(s), []);
      for (const r of found) memo.get(key(r.subject))?.push(r);
    }
    return sorted.flatMap((s) => memo.get(key(s)) ?? []);
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
