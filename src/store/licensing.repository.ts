import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText } from './json-column.js';
import { memoOf, throughMemo } from './tx-memo.js';
import type {
  ApplicationRow,
  CustodyLedgerRow,
  LicenceBalanceRow,
  LicenceHolderTotalsRow,
  LicenceRow,
  LotRow,
  ShipmentRow,
} from './licensing.tables.js';

type Db = Kysely<Database>;

/** Applications and the authority's decisions on them. */
export const applicationsRepo = {
  async insert(
    db: Db,
    row: {
      id: string;
      seq: number;
      authority: string;
      applicant: string;
      recommendation: ApplicationRow['recommendation'];
      application: unknown;
      assessment: unknown;
      submittedAt: string;
    },
  ): Promise<void> {
    await db
      .insertInto('applications')
      .values({
        id: row.id,
        seq: row.seq,
        authority: row.authority,
        applicant: row.applicant,
        status: 'submitted',
        recommendation: row.recommendation,
        application: jsonText(row.application),
        assessment: jsonText(row.assessment),
        submitted_at: row.submittedAt,
      })
      .execute();
  },
  async decide(db: Db, id: string, status: ApplicationRow['status'], decision: unknown, seq: number): Promise<void> {
    await db
      .updateTable('applications')
      .set({ status, decision: jsonText(decision), decided_seq: seq })
      .where('id', '=', id)
      .execute();
  },
  async get(db: Db, id: string): Promise<ApplicationRow | undefined> {
    return db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /** Locks the application row until the transaction ends (one decision per application). */
  async lock(db: Db, id: string): Promise<ApplicationRow | undefined> {
    return db.selectFrom('applications').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  async list(db: Db, opts: { authority?: string; status?: ApplicationRow['status'] } = {}): Promise<ApplicationRow[]> {
    let q = db.selectFrom('applications').selectAll();
    if (opts.authority !== undefined) q = q.where('authority', '=', opts.authority);
    if (opts.status !== undefined) q = q.where('status', '=', opts.status);
    return q.orderBy('seq').execute();
  },
};

/** Licences and their balances (one row per line). */
export const licencesRepo = {
  async insert(
    db: Db,
    row: Omit<LicenceRow, 'licence' | 'suspended_seq' | 'suspension_reason'> & { licence: unknown },
    lines: readonly { ref: string; currency: string; ceilingGrams: number; ceilingValueMinor: number }[],
  ): Promise<void> {
    await db
      .insertInto('licences')
      .values({ ...row, licence: jsonText(row.licence) })
      .execute();
    for (const l of lines) {
      await db
        .insertInto('licence_balances')
        .values({
          licence_id: row.id,
          line_ref: l.ref,
          currency: l.currency,
          ceiling_grams: l.ceilingGrams,
          ceiling_value_minor: l.ceilingValueMinor,
        })
        .execute();
    }
  },
  async get(db: Db, id: string): Promise<LicenceRow | undefined> {
    const [row] = await throughMemo(
      memoOf(db)?.licences,
      [id],
      (r) => r.id,
      async () => {
        const found = await db.selectFrom('licences').selectAll().where('id', '=', id).executeTakeFirst();
        return found === undefined ? [] : [found];
      },
    );
    return row;
  },
  async list(db: Db): Promise<LicenceRow[]> {
    return db.selectFrom('licences').selectAll().orderBy('seq').execute();
  },
  /** These licences (those that exist), in decision order. */
  async byIds(db: Db, ids: readonly string[]): Promise<LicenceRow[]> {
    if (ids.length === 0) return [];
    const rows = await throughMemo(
      memoOf(db)?.licences,
      ids,
      (r) => r.id,
      (missing) =>
        db
          .selectFrom('licences')
          .selectAll()
          .where('id', 'in', [...missing])
          .execute(),
    );
    return rows.sort((a, b) => a.seq - b.seq);
  },
  /** The licences that rely on this certificate (index of migration 0019), in decision order. */
  async relyingOn(db: Db, certificateId: string): Promise<LicenceRow[]> {
    return db
      .selectFrom('licences')
      .selectAll()
      .where(sql<string>`licence->>'certificateId'`, '=', certificateId)
      .orderBy('seq')
      .execute();
  },
  /** Locks the licences relying on this certificate (FOR UPDATE): a revocation takes them before the journal, as a dispatch does. */
  async lockRelyingOn(db: Db, certificateId: string): Promise<LicenceRow[]> {
    return db
      .selectFrom('licences')
      .selectAll()
      .where(sql<string>`licence->>'certificateId'`, '=', certificateId)
      .orderBy('id')
      .forUpdate()
      .execute();
  },
  /** The licence row read afresh under a share lock: a revocation suspending it waits for this transaction, or this read waits for it. */
  async getShared(db: Db, id: string): Promise<LicenceRow | undefined> {
    return db.selectFrom('licences').selectAll().where('id', '=', id).forShare().executeTakeFirst();
  },
  /** Suspends an active licence (its certificate was revoked at journal entry `seq`). */
  async suspend(db: Db, id: string, seq: number, reason: string): Promise<void> {
    await db
      .updateTable('licences')
      .set({ status: 'suspended', suspended_seq: seq, suspension_reason: reason })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .execute();
    memoOf(db)?.licences.delete(id);
  },
  async balances(db: Db, licenceId: string): Promise<LicenceBalanceRow[]> {
    return db
      .selectFrom('licence_balances')
      .selectAll()
      .where('licence_id', '=', licenceId)
      .orderBy('line_ref')
      .execute();
  },
  /** Locks the licence's balance rows (SELECT … FOR UPDATE): concurrent drawdowns queue here. */
  async lockBalances(db: Db, licenceId: string): Promise<LicenceBalanceRow[]> {
    return db
      .selectFrom('licence_balances')
      .selectAll()
      .where('licence_id', '=', licenceId)
      .orderBy('line_ref')
      .forUpdate()
      .execute();
  },
  async drawDown(db: Db, licenceId: string, lineRef: string, grams: number, valueMinor: number): Promise<void> {
    await db
      .updateTable('licence_balances')
      .set((eb) => ({
        shipped_grams: eb('shipped_grams', '+', grams),
        shipped_value_minor: eb('shipped_value_minor', '+', valueMinor),
        shipments: eb('shipments', '+', 1),
      }))
      .where('licence_id', '=', licenceId)
      .where('line_ref', '=', lineRef)
      .execute();
  },
};

export const lotsRepo = {
  async insert(
    db: Db,
    row: Omit<LotRow, 'item' | 'restrictions'> & { item: unknown; restrictions: unknown },
  ): Promise<void> {
    await db
      .insertInto('lots')
      .values({ ...row, item: jsonText(row.item), restrictions: jsonText(row.restrictions) })
      .execute();
  },
  async get(db: Db, id: string): Promise<LotRow | undefined> {
    return db.selectFrom('lots').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async lock(db: Db, id: string): Promise<LotRow | undefined> {
    return db.selectFrom('lots').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  /**
   * What a re-export question reads, in one statement (one snapshot, one round trip): the lot, the
   * party's document (parties.party), and the restricted-party lists in force as "list:sha256,…"
   * ordered by list (the latest import of each; null when none is imported).
   */
  async forExportCheck(
    db: Db,
    lotId: string,
    partyId: string,
  ): Promise<{ lot: LotRow | undefined; party: unknown; listsInForce: string | null }> {
    const r = await sql<LotRow & { check_party: unknown; check_lists: string | null }>`
      select l.*,
        (select p.party from parties p where p.id = ${partyId}) as check_party,
        (select string_agg(c.list || ':' || c.sha256, ',' order by c.list)
           from (select distinct on (list) list, sha256 from list_imports order by list, seq desc) c) as check_lists
      from (select 1) as one left join lots l on l.id = ${lotId}`.execute(db);
    const row = r.rows[0];
    if (row === undefined) return { lot: undefined, party: undefined, listsInForce: null };
    const { check_party: party, check_lists: listsInForce, ...lot } = row;
    return { lot: (lot.id as string | null) === null ? undefined : lot, party: party ?? undefined, listsInForce };
  },
  /** Locks (FOR UPDATE, in id order) the lots carrying any of these licences: a revocation takes them before the journal, as a dispatch does. */
  async lockCarrying(db: Db, licenceIds: readonly string[]): Promise<string[]> {
    if (licenceIds.length === 0) return [];
    const rows = await db
      .selectFrom('lots')
      .select('id')
      .where((eb) => eb.or(licenceIds.map((id) => sql<boolean>`${id} = any(licence_ids)`)))
      .orderBy('id')
      .forUpdate()
      .execute();
    return rows.map((r) => r.id);
  },
  /** Replaces a lot's restrictions (the mass is unchanged), as of journal entry `seq`. */
  async setRestrictions(db: Db, id: string, restrictions: unknown, seq: number): Promise<void> {
    await db
      .updateTable('lots')
      .set({ restrictions: jsonText(restrictions), updated_seq: seq })
      .where('id', '=', id)
      .execute();
  },
  /** A lot's mass and restrictions after part of it left; its value too when the record carries it (records before issue 18 do not). */
  async setMass(
    db: Db,
    id: string,
    massGrams: number,
    restrictions: unknown,
    seq: number,
    valueMinor?: number,
  ): Promise<void> {
    await db
      .updateTable('lots')
      .set({
        mass_grams: massGrams,
        restrictions: jsonText(restrictions),
        updated_seq: seq,
        ...(valueMinor === undefined ? {} : { value_minor: valueMinor }),
      })
      .where('id', '=', id)
      .execute();
  },
  async list(db: Db, opts: { holder?: string; licenceId?: string } = {}): Promise<LotRow[]> {
    let q = db.selectFrom('lots').selectAll();
    if (opts.holder !== undefined) q = q.where('holder', '=', opts.holder);
    if (opts.licenceId !== undefined) q = q.where(sql<boolean>`${opts.licenceId} = any(licence_ids)`);
    return q.orderBy('created_seq').orderBy('id').execute();
  },
};

export const shipmentsRepo = {
  async insert(
    db: Db,
    row: Omit<ShipmentRow, 'status' | 'received_grams' | 'receiving_lot' | 'received_seq' | 'restrictions'> & {
      restrictions: unknown;
    },
  ): Promise<void> {
    await db
      .insertInto('shipments')
      .values({
        ...row,
        restrictions: jsonText(row.restrictions),
        status: 'in-transit',
        received_grams: null,
        receiving_lot: null,
        received_seq: null,
      })
      .execute();
  },
  async get(db: Db, id: string): Promise<ShipmentRow | undefined> {
    return db.selectFrom('shipments').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async lock(db: Db, id: string): Promise<ShipmentRow | undefined> {
    return db.selectFrom('shipments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  /** Locks (FOR UPDATE, in id order) the in-transit shipments made under, or carrying material of, any of these licences. */
  async lockInTransitCarrying(db: Db, licenceIds: readonly string[]): Promise<string[]> {
    if (licenceIds.length === 0) return [];
    const rows = await db
      .selectFrom('shipments')
      .select('id')
      .where('status', '=', 'in-transit')
      .where((eb) =>
        eb.or([
          eb('licence_id', 'in', [...licenceIds]),
          ...licenceIds.map((id) => sql<boolean>`restrictions @> ${JSON.stringify([{ licenceId: id }])}::jsonb`),
        ]),
      )
      .orderBy('id')
      .forUpdate()
      .execute();
    return rows.map((r) => r.id);
  },
  /** Replaces the restrictions an in-transit shipment carries (its receipt passes them on). */
  async setRestrictions(db: Db, id: string, restrictions: unknown): Promise<void> {
    await db
      .updateTable('shipments')
      .set({ restrictions: jsonText(restrictions) })
      .where('id', '=', id)
      .execute();
  },
  async markReceived(db: Db, id: string, grams: number, lotId: string, seq: number): Promise<void> {
    await db
      .updateTable('shipments')
      .set({ status: 'received', received_grams: grams, receiving_lot: lotId, received_seq: seq })
      .where('id', '=', id)
      .execute();
  },
  /** These shipments (those that exist), in journal order. */
  async byIds(db: Db, ids: readonly string[]): Promise<ShipmentRow[]> {
    if (ids.length === 0) return [];
    return db
      .selectFrom('shipments')
      .selectAll()
      .where('id', 'in', [...ids])
      .orderBy('seq')
      .execute();
  },
  /** The shipments whose receipt made these lots (index of migration 0013). */
  async receivedInto(db: Db, lotIds: readonly string[]): Promise<ShipmentRow[]> {
    if (lotIds.length === 0) return [];
    return db
      .selectFrom('shipments')
      .selectAll()
      .where('receiving_lot', 'in', [...lotIds])
      .orderBy('seq')
      .execute();
  },
  /** Received shipments to this party made under, or carrying material restricted by, any of these licences. */
  async receivedBy(db: Db, party: string, licenceIds: readonly string[]): Promise<ShipmentRow[]> {
    if (licenceIds.length === 0) return [];
    return db
      .selectFrom('shipments')
      .selectAll()
      .where('to_party', '=', party)
      .where('status', '=', 'received')
      .where((eb) =>
        eb.or([
          eb('licence_id', 'in', [...licenceIds]),
          ...licenceIds.map((id) => sql<boolean>`restrictions @> ${JSON.stringify([{ licenceId: id }])}::jsonb`),
        ]),
      )
      .orderBy('seq')
      .execute();
  },
  async list(db: Db, opts: { licenceId?: string } = {}): Promise<ShipmentRow[]> {
    let q = db.selectFrom('shipments').selectAll();
    if (opts.licenceId !== undefined) q = q.where('licence_id', '=', opts.licenceId);
    return q.orderBy('seq').execute();
  },
  /**
   * Shipments made under, or carrying material restricted by, any of these licences (the
   * restrictions' containment is answered by the GIN index of migration 0012, not by reading every
   * shipment).
   */
  async carrying(db: Db, licenceIds: readonly string[]): Promise<ShipmentRow[]> {
    if (licenceIds.length === 0) return [];
    return db
      .selectFrom('shipments')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('licence_id', 'in', [...licenceIds]),
          ...licenceIds.map((id) => sql<boolean>`restrictions @> ${JSON.stringify([{ licenceId: id }])}::jsonb`),
        ]),
      )
      .orderBy('seq')
      .execute();
  },
};

export const ledgerRepo = {
  async add(db: Db, rows: readonly CustodyLedgerRow[]): Promise<void> {
    if (rows.length > 0)
      await db
        .insertInto('custody_ledger')
        .values([...rows])
        .execute();
  },
  async forLicence(db: Db, licenceId: string): Promise<CustodyLedgerRow[]> {
    return db
      .selectFrom('custody_ledger')
      .selectAll()
      .where('licence_id', '=', licenceId)
      .orderBy('seq')
      .orderBy('lot_id')
      .execute();
  },
  /** The journal entries behind a holder's balance under a licence, in ledger order (seq, lot). */
  async seqsFor(db: Db, licenceId: string, holder: string): Promise<number[]> {
    const rows = await db
      .selectFrom('custody_ledger')
      .select('seq')
      .where('licence_id', '=', licenceId)
      .where('holder', '=', holder)
      .orderBy('seq')
      .orderBy('lot_id')
      .execute();
    return rows.map((r) => r.seq);
  },
  /**
   * The transformed-in and transformed-out rows, under these licences, of the transformations that
   * made any of these lots (under these licences), in ledger order.
   */
  async transformationsMaking(
    db: Db,
    lotIds: readonly string[],
    licenceIds: readonly string[],
  ): Promise<CustodyLedgerRow[]> {
    if (lotIds.length === 0 || licenceIds.length === 0) return [];
    const making = db
      .selectFrom('custody_ledger')
      .select('seq')
      .where('lot_id', 'in', [...lotIds])
      .where('kind', '=', 'transformed-in')
      .where('licence_id', 'in', [...licenceIds]);
    return db
      .selectFrom('custody_ledger')
      .selectAll()
      .where('seq', 'in', making)
      .where('licence_id', 'in', [...licenceIds])
      .where('kind', 'in', ['transformed-in', 'transformed-out'])
      .orderBy('seq')
      .orderBy('lot_id')
      .execute();
  },
};

/** Running totals per licence and holder (migration 0013): the mass balance in a few rows. */
export const holderTotalsRepo = {
  /** The rows of these licences, each licence's holders in order of their first ledger entry. */
  async forLicences(db: Db, licenceIds: readonly string[]): Promise<LicenceHolderTotalsRow[]> {
    if (licenceIds.length === 0) return [];
    return db
      .selectFrom('licence_holder_totals')
      .selectAll()
      .where('licence_id', 'in', [...licenceIds])
      .orderBy('licence_id')
      .orderBy('first_seq')
      .orderBy('holder')
      .execute();
  },
};
