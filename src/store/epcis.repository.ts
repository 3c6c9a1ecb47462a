import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { EpcisEventRow, EpcisLotLinkRow } from './epcis.tables.js';
import { jsonText } from './json-column.js';

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
    return db
      .selectFrom('epcis_events')
      .selectAll()
      .where('hash_id', '=', hashId)
      .where('kind', '=', kind)
      .executeTakeFirst();
  },
  async markRetracted(db: Db, hashId: string, seq: number): Promise<void> {
    await db
      .updateTable('epcis_events')
      .set({ retracted_seq: seq })
      .where('hash_id', '=', hashId)
      .where('kind', '=', 'event')
      .execute();
  },
  async query(db: Db, q: EpcisEventQuery): Promise<EpcisEventRow[]> {
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
    return db
      .selectFrom('epcis_events')
      .select(['outcome', 'event_time', 'event'])
      .where('disposition', '=', 'mapped')
      .where('kind', '=', 'event')
      .orderBy('seq')
      .execute();
  },
  async count(db: Db): Promise<number> {
    const r = await db
      .selectFrom('epcis_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  async link(db: Db, row: { epc: string; holder: string; lot_id: string; since: string; seq: number }): Promise<void> {
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
    return s.orderBy('seq', 'desc').execute();
  },
  async linksOfLots(db: Db, lotIds: readonly string[]): Promise<EpcisLotLinkRow[]> {
    if (lotIds.length === 0) return [];
    return db
      .selectFrom('epcis_lot_links')
      .selectAll()
      .where('lot_id', 'in', [...lotIds])
      .orderBy('seq')
      .execute();
  },
};
