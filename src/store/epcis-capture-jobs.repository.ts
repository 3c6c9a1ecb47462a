import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { EpcisCaptureJobRow } from './epcis-capture-jobs.table.js';
import { jsonText } from './json-column.js';

type Db = Kysely<Database>;

export interface NewCaptureJob {
  readonly id: string;
  readonly actor: string;
  readonly createdAt: Date;
  readonly finishedAt: Date;
  readonly success: boolean;
  readonly errors: readonly unknown[];
  readonly result: unknown;
}

/** A keyset position in one party's jobs (creation time, then id). */
export interface JobPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * EPCIS capture jobs. A job is written once, finished (Lodestone processes a capture in its
 * request): `insert` in the capture's own transaction when it succeeded, in a transaction of its
 * own when the document was refused. Rows are never updated.
 */
export const epcisCaptureJobsRepo = {
  async insert(db: Db, job: NewCaptureJob): Promise<void> {
    await db
      .insertInto('epcis_capture_jobs')
      .values({
        id: job.id,
        actor: job.actor,
        created_at: job.createdAt,
        finished_at: job.finishedAt,
        running: false,
        success: job.success,
        error_behaviour: 'rollback',
        errors: jsonText(job.errors),
        result: job.result === undefined ? null : jsonText(job.result),
      })
      .execute();
  },
  async get(db: Db, id: string): Promise<EpcisCaptureJobRow | undefined> {
    return db.selectFrom('epcis_capture_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /** One party's jobs in creation order, `limit` of them after the keyset position `after`. */
  async list(db: Db, actor: string, limit: number, after?: JobPosition): Promise<EpcisCaptureJobRow[]> {
    let s = db.selectFrom('epcis_capture_jobs').selectAll().where('actor', '=', actor);
    if (after !== undefined) {
      s = s.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    return s.orderBy('created_at').orderBy('id').limit(limit).execute();
  },
};
