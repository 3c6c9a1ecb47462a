import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';
import type { AlertRow, NewAlert, NewReportFiled, RedFlagSetRow, ReportFiledRow } from './alerts.tables.js';
import { journalRepo } from './journal.repository.js';
import { memoOf } from './tx-memo.js';

type Db = Kysely<Database>;

export type NewAlertValues = WithJsonValues<NewAlert, 'evidence' | 'thresholds'>;

export const alertsRepo = {
  /**
   * Inserts an alert unless one with its id exists: two transactions that raise the same alert at
   * once both journal it, the first one's row stands (and a rebuild keeps the same one).
   */
  async insert(db: Db, row: NewAlertValues): Promise<void> {
    await db
      .insertInto('alerts')
      .values({ ...row, evidence: jsonText(row.evidence), thresholds: jsonText(row.thresholds) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  },
  async get(db: Db, id: string): Promise<AlertRow | undefined> {
    return db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /** Which of these ids are already raised. */
  async existing(db: Db, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db
      .selectFrom('alerts')
      .select('id')
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  },
  async lock(db: Db, id: string): Promise<AlertRow | undefined> {
    return db.selectFrom('alerts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  /** Closes an alert: resolved (with a note) or dismissed (with a reason). */
  async resolve(
    db: Db,
    id: string,
    by: string,
    note: string,
    seq: number,
    status: 'resolved' | 'dismissed' = 'resolved',
  ): Promise<void> {
    await db
      .updateTable('alerts')
      .set({ status, resolved_by: by, resolution: note, resolved_seq: seq })
      .where('id', '=', id)
      .execute();
  },
  async assign(db: Db, id: string, to: string, by: string, seq: number): Promise<void> {
    await db
      .updateTable('alerts')
      .set({ assigned_to: to, assigned_by: by, assigned_seq: seq })
      .where('id', '=', id)
      .execute();
  },
  async list(
    db: Db,
    opts: { licenceId?: string; severities?: readonly AlertRow['severity'][]; status?: AlertRow['status'] } = {},
  ): Promise<AlertRow[]> {
    let q = db.selectFrom('alerts').selectAll();
    if (opts.licenceId !== undefined) q = q.where('licence_id', '=', opts.licenceId);
    if (opts.severities !== undefined) q = q.where('severity', 'in', [...opts.severities]);
    if (opts.status !== undefined) q = q.where('status', '=', opts.status);
    return q.orderBy('seq').execute();
  },
};

export const redFlagSetsRepo = {
  async insert(db: Db, row: RedFlagSetRow): Promise<void> {
    await db.insertInto('red_flag_sets').values(row).execute();
  },
  async get(db: Db, setId: string, version: string): Promise<RedFlagSetRow | undefined> {
    return db
      .selectFrom('red_flag_sets')
      .selectAll()
      .where('set_id', '=', setId)
      .where('version', '=', version)
      .executeTakeFirst();
  },
};

export const reportsFiledRepo = {
  async insert(db: Db, row: NewReportFiled): Promise<void> {
    await db.insertInto('reports_filed').values(row).execute();
  },
  async get(db: Db, id: string): Promise<ReportFiledRow | undefined> {
    return db.selectFrom('reports_filed').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async list(db: Db, opts: { shipmentIds?: readonly string[] } = {}): Promise<ReportFiledRow[]> {
    let q = db.selectFrom('reports_filed').selectAll();
    if (opts.shipmentIds !== undefined) {
      if (opts.shipmentIds.length === 0) return [];
      q = q.where('shipment_id', 'in', [...opts.shipmentIds]);
    }
    return q.orderBy('seq').execute();
  },
};

/** When journal entries were recorded (their signed `at`), for dates of receipts and the like. */
export const journalTimesRepo = {
  async recordedAt(db: Db, seqs: readonly number[]): Promise<Map<number, Date>> {
    if (seqs.length === 0) return new Map();
    const memo = memoOf(db)?.recordedAt;
    // Entries this transaction appended but has not written yet (journalRepo.append with `defer`).
    const wanted = [...new Set(seqs)];
    const pending = new Map(
      wanted.flatMap((s) => {
        const t = journalRepo.pendingRecordedAt(db, s);
        return t === undefined ? [] : [[s, t] as const];
      }),
    );
    const missing = wanted.filter((s) => !pending.has(s) && memo?.has(s) !== true);
    const found =
      missing.length === 0
        ? []
        : await db.selectFrom('journal').select(['seq', 'recorded_at']).where('seq', 'in', missing).execute();
    const times = new Map(found.map((r) => [r.seq, new Date(r.recorded_at)]));
    for (const [s, t] of pending) times.set(s, t);
    if (memo === undefined) return times;
    for (const [s, t] of times) memo.set(s, t);
    return new Map(
      wanted.flatMap((s) => {
        const t = memo.get(s);
        return t === undefined ? [] : [[s, t] as const];
      }),
    );
  },
};
