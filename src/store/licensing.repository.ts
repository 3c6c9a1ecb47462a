import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText } from './json-column.js';
import type { ApplicationRow, CustodyLedgerRow, LicenceBalanceRow, LicenceRow, LotRow, ShipmentRow } from './licensing.tables.js';

type Db = Kysely<Database>;

/** Applications and the authority's decisions on them. */
export const applicationsRepo = {
  async insert(db: Db, row: { id: string; seq: number; authority: string; applicant: string; recommendation: ApplicationRow['recommendation']; application: unknown; assessment: unknown; submittedAt: string }): Promise<void> {
    await db
      .insertInto('applications')
      .values({ id: row.id, seq: row.seq, authority: row.authority, applicant: row.applicant, status: 'submitted', recommendation: row.recommendation, application: jsonText(row.application), assessment: jsonText(row.assessment), submitted_at: row.submittedAt })
      .execute();
  },
  async decide(db: Db, id: string, status: ApplicationRow['status'], decision: unknown, seq: number): Promise<void> {
    await db.updateTable('applications').set({ status, decision: jsonText(decision), decided_seq: seq }).where('id', '=', id).execute();
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
  async insert(db: Db, row: Omit<LicenceRow, 'licence'> & { licence: unknown }, lines: readonly { ref: string; currency: string; ceilingGrams: number; ceilingValueMinor: number }[]): Promise<void> {
    await db.insertInto('licences').values({ ...row, licence: jsonText(row.licence) }).execute();
    for (const l of lines) {
      await db.insertInto('licence_balances').values({ licence_id: row.id, line_ref: l.ref, currency: l.currency, ceiling_grams: l.ceilingGrams, ceiling_value_minor: l.ceilingValueMinor }).execute();
    }
  },
  async get(db: Db, id: string): Promise<LicenceRow | undefined> {
    return db.selectFrom('licences').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async list(db: Db): Promise<LicenceRow[]> {
    return db.selectFrom('licences').selectAll().orderBy('seq').execute();
  },
  async balances(db: Db, licenceId: string): Promise<LicenceBalanceRow[]> {
    return db.selectFrom('licence_balances').selectAll().where('licence_id', '=', licenceId).orderBy('line_ref').execute();
  },
  /** Locks the licence's balance rows (SELECT … FOR UPDATE): concurrent drawdowns queue here. */
  async lockBalances(db: Db, licenceId: string): Promise<LicenceBalanceRow[]> {
    return db.selectFrom('licence_balances').selectAll().where('licence_id', '=', licenceId).orderBy('line_ref').forUpdate().execute();
  },
  async drawDown(db: Db, licenceId: string, lineRef: string, grams: number, valueMinor: number): Promise<void> {
    await db
      .updateTable('licence_balances')
      .set((eb) => ({ shipped_grams: eb('shipped_grams', '+', grams), shipped_value_minor: eb('shipped_value_minor', '+', valueMinor), shipments: eb('shipments', '+', 1) }))
      .where('licence_id', '=', licenceId)
      .where('line_ref', '=', lineRef)
      .execute();
  },
};

export const lotsRepo = {
  async insert(db: Db, row: Omit<LotRow, 'item' | 'restrictions'> & { item: unknown; restrictions: unknown }): Promise<void> {
    await db.insertInto('lots').values({ ...row, item: jsonText(row.item), restrictions: jsonText(row.restrictions) }).execute();
  },
  async get(db: Db, id: string): Promise<LotRow | undefined> {
    return db.selectFrom('lots').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async lock(db: Db, id: string): Promise<LotRow | undefined> {
    return db.selectFrom('lots').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  async setMass(db: Db, id: string, massGrams: number, restrictions: unknown, seq: number): Promise<void> {
    await db.updateTable('lots').set({ mass_grams: massGrams, restrictions: jsonText(restrictions), updated_seq: seq }).where('id', '=', id).execute();
  },
  async list(db: Db, opts: { holder?: string; licenceId?: string } = {}): Promise<LotRow[]> {
    let q = db.selectFrom('lots').selectAll();
    if (opts.holder !== undefined) q = q.where('holder', '=', opts.holder);
    if (opts.licenceId !== undefined) q = q.where(sql<boolean>`${opts.licenceId} = any(licence_ids)`);
    return q.orderBy('created_seq').orderBy('id').execute();
  },
};

export const shipmentsRepo = {
  async insert(db: Db, row: Omit<ShipmentRow, 'status' | 'received_grams' | 'receiving_lot' | 'received_seq' | 'restrictions'> & { restrictions: unknown }): Promise<void> {
    await db.insertInto('shipments').values({ ...row, restrictions: jsonText(row.restrictions), status: 'in-transit', received_grams: null, receiving_lot: null, received_seq: null }).execute();
  },
  async get(db: Db, id: string): Promise<ShipmentRow | undefined> {
    return db.selectFrom('shipments').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async lock(db: Db, id: string): Promise<ShipmentRow | undefined> {
    return db.selectFrom('shipments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },
  async markReceived(db: Db, id: string, grams: number, lotId: string, seq: number): Promise<void> {
    await db.updateTable('shipments').set({ status: 'received', received_grams: grams, receiving_lot: lotId, received_seq: seq }).where('id', '=', id).execute();
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
      .where((eb) => eb.or([eb('licence_id', 'in', [...licenceIds]), ...licenceIds.map((id) => sql<boolean>`restrictions @> ${JSON.stringify([{ licenceId: id }])}::jsonb`)]))
      .orderBy('seq')
      .execute();
  },
};

export const ledgerRepo = {
  async add(db: Db, rows: readonly CustodyLedgerRow[]): Promise<void> {
    if (rows.length > 0) await db.insertInto('custody_ledger').values([...rows]).execute();
  },
  async forLicence(db: Db, licenceId: string): Promise<CustodyLedgerRow[]> {
    return db.selectFrom('custody_ledger').selectAll().where('licence_id', '=', licenceId).orderBy('seq').orderBy('lot_id').execute();
  },
};
