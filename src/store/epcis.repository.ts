import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { EpcisEventRow, EpcisLotLinkRow } from './epcis.tables.js';
import { jsonText } from './json-column.js';
import { memoOf } from './tx-memo.js';

type Db = Kysely<Database>;

export interface EpcisEventQuery {
  readonly eventTypes?: readonly string[];
  readonly bizSteps?: readonly string[];
  readonly bizLocations?: readonly string[];
  /** Events whose identifiers include any of these (exact canonical values). */
  readonly epcsAny?: readonly string[];
  /** Events whose identifiers include one starting with any of these prefixes (class-level matches). */
  readonly epcPrefixes?: readonly string[];
  readonly from?: string;
  readonly to?: string;
  /** Only the events this party captured. */
  readonly actor?: string;
  /** Keyset paging: only events after this one in the query's order (event_time, seq). */
  readonly after?: { readonly time: Date; readonly seq: number };
  readonly limit?: number;
}

/** Captured EPCIS events and EPC ↔ lot links. */
export const epcisRepo = {
  async insertEvent(
    db: Db,
    row: Omit<EpcisEventRow, 'outcome' | 'event' | 'event_time' | 'retracted_seq' | 'context'> & {
      event_time: string;
      outcome: unknown;
      event: unknown;
      /** The document's @context (undefined: none). */
      context: unknown;
    },
  ): Promise<void> {
    const memo = memoOf(db);
    if (memo?.deferWrites === true) {
      const copy = (v: unknown) => JSON.parse(jsonText(v)) as unknown;
      memo.pending.epcisEvents.set(`${row.kind}\u0000${row.hash_id}`, {
        row: {
          ...row,
          epcs: [...row.epcs],
          event_time: new Date(row.event_time),
          outcome: copy(row.outcome),
          event: copy(row.event),
          context: row.context === undefined ? null : copy(row.context),
          retracted_seq: null,
        },
        eventTime: row.event_time,
      });
      return;
    }
    await db
      .insertInto('epcis_events')
      .values({
        ...row,
        outcome: jsonText(row.outcome),
        event: jsonText(row.event),
        context: row.context === undefined ? null : jsonText(row.context),
      })
      .execute();
  },
  async get(db: Db, hashId: string, kind: EpcisEventRow['kind'] = 'event'): Promise<EpcisEventRow | undefined> {
    const pending = memoOf(db)?.pending.epcisEvents.get(`${kind}\u0000${hashId}`);
    if (pending !== undefined) return pending.row;
    return db
      .selectFrom('epcis_events')
      .selectAll()
      .where('hash_id', '=', hashId)
      .where('kind', '=', kind)
      .executeTakeFirst();
  },
  async markRetracted(db: Db, hashId: string, seq: number): Promise<void> {
    const pending = memoOf(db)?.pending.epcisEvents.get(`event\u0000${hashId}`);
    if (pending !== undefined) {
      pending.row.retracted_seq = seq;
      return;
    }
    await db
      .updateTable('epcis_events')
      .set({ retracted_seq: seq })
      .where('hash_id', '=', hashId)
      .where('kind', '=', 'event')
      .execute();
  },
  async query(db: Db, q: EpcisEventQuery): Promise<EpcisEventRow[]> {
    await epcisRepo.flush(db);
    let s = db.selectFrom('epcis_events').selectAll();
    if (q.eventTypes?.length) s = s.where('event_type', 'in', [...q.eventTypes]);
    if (q.bizSteps?.length) s = s.where('biz_step', 'in', [...q.bizSteps]);
    if (q.bizLocations?.length) s = s.where('biz_location', 'in', [...q.bizLocations]);
    if (q.from !== undefined) s = s.where('event_time', '>=', q.from as unknown as Date);
    if (q.to !== undefined) s = s.where('event_time', '<', q.to as unknown as Date);
    if (q.actor !== undefined) s = s.where('actor', '=', q.actor);
    const after = q.after;
    if (after !== undefined)
      s = s.where((eb) =>
        eb.or([
          eb('event_time', '>', after.time),
          eb.and([eb('event_time', '=', after.time), eb('seq', '>', after.seq)]),
        ]),
      );
    const any = q.epcsAny ?? [];
    const prefixes = q.epcPrefixes ?? [];
    if (any.length > 0 || prefixes.length > 0) {
      s = s.where((eb) =>
        eb.or([
          ...any.map((e) => eb(sql<string>`${e}`, '=', eb.fn.any('epcs'))),
          ...prefixes.map((p) =>
            eb.exists(
              eb
                .selectFrom(sql<{ e: string }>`unnest(epcs)`.as('u'))
                .select(sql`1`.as('one'))
                .where(sql.ref('u'), 'like', `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
            ),
          ),
        ]),
      );
    }
    return s
      .orderBy('event_time')
      .orderBy('seq')
      .limit(q.limit ?? 10_000)
      .execute();
  },
  /**
   * When the journal recorded captured events (EPCIS recordTime) and the @context of the document
   * each came in, by journal seq: the time from the journal row, the context from the projection
   * (migration 0026; no signed record is read or parsed).
   */
  async recordsOf(db: Db, seqs: readonly number[]): Promise<{ seq: number; recorded_at: Date; context: unknown }[]> {
    if (seqs.length === 0) return [];
    await epcisRepo.flush(db);
    const rows = await db
      .selectFrom('epcis_events as e')
      .innerJoin('journal as j', 'j.seq', 'e.seq')
      .select(['e.seq', 'j.recorded_at', 'e.context'])
      .where('e.seq', 'in', [...seqs])
      .execute();
    return rows.map((r) => ({ seq: r.seq, recorded_at: r.recorded_at, context: r.context ?? null }));
  },
  /** Events mapped onto custody: what they did (outcome) and when they happened. */
  async mapped(db: Db): Promise<Pick<EpcisEventRow, 'outcome' | 'event_time' | 'event'>[]> {
    await epcisRepo.flush(db);
    return db
      .selectFrom('epcis_events')
      .select(['outcome', 'event_time', 'event'])
      .where('disposition', '=', 'mapped')
      .where('kind', '=', 'event')
      .orderBy('seq')
      .execute();
  },
  async count(db: Db): Promise<number> {
    await epcisRepo.flush(db);
    const r = await db
      .selectFrom('epcis_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  async link(db: Db, row: { epc: string; holder: string; lot_id: string; since: string; seq: number }): Promise<void> {
    const memo = memoOf(db);
    if (memo?.deferWrites === true) {
      const key = `${row.epc}\u0000${row.holder}\u0000${row.lot_id}`;
      if (!memo.pending.epcisLinks.has(key)) memo.pending.epcisLinks.set(key, { ...row, since: new Date(row.since) });
      return;
    }
    await db
      .insertInto('epcis_lot_links')
      .values(row)
      .onConflict((oc) => oc.columns(['epc', 'holder', 'lot_id']).doNothing())
      .execute();
  },
  /** The lots linked to an EPC identifier, all holders or one, newest first. */
  async lotsFor(db: Db, epc: string, holder?: string): Promise<EpcisLotLinkRow[]> {
    let s = db.selectFrom('epcis_lot_links').selectAll().where('epc', '=', epc);
    if (holder !== undefined) s = s.where('holder', '=', holder);
    const stored = await s.orderBy('seq', 'desc').execute();
    // With the transaction's links not written yet (a stored link of the same key is the one kept).
    const pending = [...(memoOf(db)?.pending.epcisLinks.values() ?? [])].filter(
      (l) =>
        l.epc === epc &&
        (holder === undefined || l.holder === holder) &&
        !stored.some((x) => x.holder === l.holder && x.lot_id === l.lot_id),
    );
    return pending.length === 0 ? stored : [...stored, ...pending].sort((a, b) => b.seq - a.seq);
  },
  async linksOfLots(db: Db, lotIds: readonly string[]): Promise<EpcisLotLinkRow[]> {
    if (lotIds.length === 0) return [];
    await epcisRepo.flush(db);
    return db
      .selectFrom('epcis_lot_links')
      .selectAll()
      .where('lot_id', 'in', [...lotIds])
      .orderBy('seq')
      .execute();
  },
  /**
   * Writes the EPCIS rows a batch that defers its writes (`TxMemo.deferWrites`) kept: its captured
   * events in one statement and its EPC ↔ lot links in another (the rows as one JSON array,
   * `jsonb_to_recordset`, so the statement does not grow with them).
   */
  async flush(db: Db): Promise<void> {
    const pending = memoOf(db)?.pending;
    if (pending === undefined) return;
    if (pending.epcisEvents.size > 0) {
      const rows = [...pending.epcisEvents.values()].map(({ row, eventTime }) => ({ ...row, event_time: eventTime }));
      pending.epcisEvents.clear();
      await sql`
        insert into epcis_events (hash_id, kind, seq, actor, event_type, event_time, biz_step, biz_location, action, epcs,
                                  disposition, outcome, event, retracted_seq, context)
        select hash_id, kind, seq, actor, event_type, event_time, biz_step, biz_location, action, epcs, disposition,
               outcome, event, retracted_seq, context
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
               as v(hash_id text, kind text, seq bigint, actor text, event_type text, event_time timestamptz,
                    biz_step text, biz_location text, action text, epcs text[], disposition text, outcome jsonb,
                    event jsonb, retracted_seq bigint, context jsonb)`.execute(db);
    }
    if (pending.epcisLinks.size > 0) {
      const rows = [...pending.epcisLinks.values()];
      pending.epcisLinks.clear();
      await sql`
        insert into epcis_lot_links (epc, holder, lot_id, since, seq)
        select epc, holder, lot_id, since, seq
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
               as v(epc text, holder text, lot_id text, since timestamptz, seq bigint)
        on conflict (epc, holder, lot_id) do nothing`.execute(db);
    }
  },
};
