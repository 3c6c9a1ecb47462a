import { sql, type Kysely, type QueryCreator, type RawBuilder } from 'kysely';
import type { Database } from './database.js';
import { StoreError } from './errors.js';
import { jsonText } from './json-column.js';
import { memoOf, throughMemo, type TotalsDelta, type TxMemo } from './tx-memo.js';
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
    // Rows this transaction locked are answered as they stand in it (its pending draw-downs applied).
    const held = memoOf(db)?.balances.get(licenceId);
    if (held !== undefined) return held.map((r) => ({ ...r }));
    return db
      .selectFrom('licence_balances')
      .selectAll()
      .where('licence_id', '=', licenceId)
      .orderBy('line_ref')
      .execute();
  },
  /**
   * Locks the licence's balance rows (SELECT … FOR UPDATE): concurrent drawdowns queue here. In a
   * transaction with a memo the rows are locked once and then answered from the memo, as they stand
   * in the transaction (the lock keeps every other writer off them until it ends).
   */
  async lockBalances(db: Db, licenceId: string): Promise<LicenceBalanceRow[]> {
    const memo = memoOf(db);
    const held = memo?.balances.get(licenceId);
    if (held !== undefined) return held.map((r) => ({ ...r }));
    const rows = await db
      .selectFrom('licence_balances')
      .selectAll()
      .where('licence_id', '=', licenceId)
      .orderBy('line_ref')
      .forUpdate()
      .execute();
    memo?.balances.set(
      licenceId,
      rows.map((r) => ({ ...r })),
    );
    return rows;
  },
  /**
   * Draws a shipment down from a licence line. On rows the transaction holds (`lockBalances` with a
   * memo) the memo's row follows; in a batch that defers draw-downs (`deferDrawDowns`) the sum per line
   * is written by `flushDrawDowns`, otherwise now.
   */
  async drawDown(db: Db, licenceId: string, lineRef: string, grams: number, valueMinor: number): Promise<void> {
    const memo = memoOf(db);
    const row = memo?.balances.get(licenceId)?.find((r) => r.line_ref === lineRef);
    if (row !== undefined) {
      row.shipped_grams = exactSum(row.shipped_grams, grams);
      row.shipped_value_minor = exactSum(row.shipped_value_minor, valueMinor);
      row.shipments += 1;
    }
    if (memo !== undefined && row !== undefined && memo.deferDrawDowns) {
      const key = `${licenceId}\u0000${lineRef}`;
      const pending = memo.drawDowns.get(key) ?? { licenceId, lineRef, grams: 0, valueMinor: 0, shipments: 0 };
      pending.grams = exactSum(pending.grams, grams);
      pending.valueMinor = exactSum(pending.valueMinor, valueMinor);
      pending.shipments += 1;
      memo.drawDowns.set(key, pending);
      return;
    }
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
  /**
   * From now on in this transaction (which must have a memo), draw-downs on balance rows it holds are
   * summed in memory and written by `flushDrawDowns`, which the caller must call before it commits.
   */
  deferDrawDowns(db: Db): void {
    const memo = memoOf(db);
    if (memo === undefined) throw new StoreError('NOT_FOUND', 'deferDrawDowns needs a transaction with a memo');
    memo.deferDrawDowns = true;
  },
  /**
   * Writes the transaction's pending draw-downs: every line in one statement (per-column arrays,
   * unnested), so a batch of k licensed shipments updates its balance rows once, not k times. The
   * rows' checks (never above the ceiling) hold on the sums, which are the largest values any
   * intermediate state reached (draw-downs only add).
   */
  async flushDrawDowns(db: Db): Promise<void> {
    const memo = memoOf(db);
    if (memo === undefined || memo.drawDowns.size === 0) return;
    const pending = [...memo.drawDowns.values()];
    memo.drawDowns.clear();
    await sql`
      update licence_balances b
         set shipped_grams = b.shipped_grams + v.grams,
             shipped_value_minor = b.shipped_value_minor + v.value_minor,
             shipments = b.shipments + v.shipments
        from unnest(${pending.map((p) => p.licenceId)}::text[], ${pending.map((p) => p.lineRef)}::text[],
                    ${pending.map((p) => p.grams)}::bigint[], ${pending.map((p) => p.valueMinor)}::bigint[],
                    ${pending.map((p) => p.shipments)}::integer[])
             as v(licence_id, line_ref, grams, value_minor, shipments)
       where b.licence_id = v.licence_id and b.line_ref = v.line_ref`.execute(db);
  },
};

/** a + b, refused as UNSAFE_INTEGER when the sum leaves the exact range (as the int8 parser does). */
function exactSum(a: number, b: number): number {
  const s = a + b;
  if (!Number.isSafeInteger(s))
    throw new StoreError(
      'UNSAFE_INTEGER',
      `${String(BigInt(a) + BigInt(b))} grams or minor units is outside the exact range ±(2^53 − 1)`,
    );
  return s;
}

export const lotsRepo = {
  async insert(
    db: Db,
    row: Omit<LotRow, 'item' | 'restrictions'> & { item: unknown; restrictions: unknown },
    ledger: readonly CustodyLedgerRow[] = [],
  ): Promise<void> {
    const memo = memoOf(db);
    if (memo?.deferWrites === true) {
      noteTotals(db, row.created_seq, row.holder, null, row.restrictions, ledger);
      const kept: LotRow = { ...row, item: jsonCopy(row.item), restrictions: jsonCopy(row.restrictions) };
      memo.pending.lots.set(row.id, { row: kept, insert: true });
      memo.held.lots.set(row.id, kept);
      memo.pending.ledger.push(...ledger);
      return;
    }
    await settle(db);
    const q = withLedger(db, ledger)
      .insertInto('lots')
      .values({ ...row, item: jsonText(row.item), restrictions: jsonText(row.restrictions) });
    noteTotals(db, row.created_seq, row.holder, null, row.restrictions, ledger);
    const held = memo?.held.lots;
    if (held === undefined) await q.execute();
    else keepHeld(held, row.id, await q.returningAll().executeTakeFirst());
  },
  async get(db: Db, id: string): Promise<LotRow | undefined> {
    const held = memoOf(db)?.held.lots;
    if (held?.has(id) === true) return held.get(id) ?? undefined;
    return db.selectFrom('lots').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /**
   * The lot a shipment left, for its receipt: the row the transaction holds, else the row its batch
   * read at its start (`heldRowsRepo.lockFor`), else the database's. Only what a lot never changes
   * (id, holder, location, item, units, currency) may be taken from it: its mass, value and
   * restrictions may have moved since the batch read it.
   */
  async sourceOf(db: Db, id: string): Promise<LotRow | undefined> {
    const memo = memoOf(db);
    if (memo?.held.lots.has(id) === true) return memo.held.lots.get(id) ?? undefined;
    return memo?.sourceLots.get(id) ?? db.selectFrom('lots').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async lock(db: Db, id: string): Promise<LotRow | undefined> {
    const held = memoOf(db)?.held.lots;
    if (held?.has(id) === true) return held.get(id) ?? undefined;
    const row = await db.selectFrom('lots').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (held !== undefined && row !== undefined) held.set(id, row);
    return row;
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
    await settle(db);
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
    await settle(db);
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
    if (
      deferLotUpdate(db, id, seq, restrictions, [], (r) => ({
        ...r,
        restrictions: jsonCopy(restrictions),
        updated_seq: seq,
      }))
    )
      return;
    await settle(db);
    const q = db
      .updateTable('lots')
      .set({ restrictions: jsonText(restrictions), updated_seq: seq })
      .where('id', '=', id);
    noteLotTotals(db, id, seq, restrictions, []);
    const held = memoOf(db)?.held.lots;
    if (held === undefined) await q.execute();
    else keepHeld(held, id, await q.returningAll().executeTakeFirst());
  },
  /** A lot's mass and restrictions after part of it left; its value too when the record carries it (records before issue 18 do not). */
  async setMass(
    db: Db,
    id: string,
    massGrams: number,
    restrictions: unknown,
    seq: number,
    valueMinor?: number,
    ledger: readonly CustodyLedgerRow[] = [],
  ): Promise<void> {
    const deferred = deferLotUpdate(db, id, seq, restrictions, ledger, (r) => ({
      ...r,
      mass_grams: massGrams,
      restrictions: jsonCopy(restrictions),
      updated_seq: seq,
      ...(valueMinor === undefined ? {} : { value_minor: valueMinor }),
    }));
    if (deferred) return;
    await settle(db);
    const q = withLedger(db, ledger)
      .updateTable('lots')
      .set({
        mass_grams: massGrams,
        restrictions: jsonText(restrictions),
        updated_seq: seq,
        ...(valueMinor === undefined ? {} : { value_minor: valueMinor }),
      })
      .where('id', '=', id);
    noteLotTotals(db, id, seq, restrictions, ledger);
    const held = memoOf(db)?.held.lots;
    if (held === undefined) await q.execute();
    else keepHeld(held, id, await q.returningAll().executeTakeFirst());
  },
  async list(db: Db, opts: { holder?: string; licenceId?: string } = {}): Promise<LotRow[]> {
    await settle(db);
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
    ledger: readonly CustodyLedgerRow[] = [],
  ): Promise<void> {
    const memo = memoOf(db);
    if (memo?.deferWrites === true) {
      noteTotals(db, row.seq, '', null, null, ledger);
      const kept: ShipmentRow = {
        ...row,
        restrictions: jsonCopy(row.restrictions),
        status: 'in-transit',
        received_grams: null,
        receiving_lot: null,
        received_seq: null,
      };
      memo.pending.shipments.set(row.id, { row: kept, insert: true });
      memo.held.shipments.set(row.id, kept);
      memo.pending.ledger.push(...ledger);
      return;
    }
    await settle(db);
    const q = withLedger(db, ledger)
      .insertInto('shipments')
      .values({
        ...row,
        restrictions: jsonText(row.restrictions),
        status: 'in-transit',
        received_grams: null,
        receiving_lot: null,
        received_seq: null,
      });
    noteTotals(db, row.seq, '', null, null, ledger);
    const held = memoOf(db)?.held.shipments;
    if (held === undefined) await q.execute();
    else keepHeld(held, row.id, await q.returningAll().executeTakeFirst());
  },
  async get(db: Db, id: string): Promise<ShipmentRow | undefined> {
    const held = memoOf(db)?.held.shipments;
    if (held?.has(id) === true) return held.get(id) ?? undefined;
    return db.selectFrom('shipments').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async lock(db: Db, id: string): Promise<ShipmentRow | undefined> {
    const held = memoOf(db)?.held.shipments;
    if (held?.has(id) === true) return held.get(id) ?? undefined;
    const row = await db.selectFrom('shipments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (held !== undefined && row !== undefined) held.set(id, row);
    return row;
  },
  /** Locks (FOR UPDATE, in id order) the in-transit shipments made under, or carrying material of, any of these licences. */
  async lockInTransitCarrying(db: Db, licenceIds: readonly string[]): Promise<string[]> {
    if (licenceIds.length === 0) return [];
    await settle(db);
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
    if (deferShipmentUpdate(db, id, [], (r) => ({ ...r, restrictions: jsonCopy(restrictions) }))) return;
    await settle(db);
    const q = db
      .updateTable('shipments')
      .set({ restrictions: jsonText(restrictions) })
      .where('id', '=', id);
    const held = memoOf(db)?.held.shipments;
    if (held === undefined) await q.execute();
    else keepHeld(held, id, await q.returningAll().executeTakeFirst());
  },
  async markReceived(
    db: Db,
    id: string,
    grams: number,
    lotId: string,
    seq: number,
    ledger: readonly CustodyLedgerRow[] = [],
  ): Promise<void> {
    const deferred = deferShipmentUpdate(db, id, ledger, (r) => ({
      ...r,
      status: 'received',
      received_grams: grams,
      receiving_lot: lotId,
      received_seq: seq,
    }));
    if (deferred) {
      noteTotals(db, seq, '', null, null, ledger);
      return;
    }
    await settle(db);
    const q = withLedger(db, ledger)
      .updateTable('shipments')
      .set({ status: 'received', received_grams: grams, receiving_lot: lotId, received_seq: seq })
      .where('id', '=', id);
    noteTotals(db, seq, '', null, null, ledger);
    const held = memoOf(db)?.held.shipments;
    if (held === undefined) await q.execute();
    else keepHeld(held, id, await q.returningAll().executeTakeFirst());
  },
  /** These shipments (those that exist), in journal order. */
  async byIds(db: Db, ids: readonly string[]): Promise<ShipmentRow[]> {
    if (ids.length === 0) return [];
    // The shipments the transaction holds (a batch's own: dispatched or received by it) from its memo.
    const held = memoOf(db)?.held.shipments;
    const unique = [...new Set(ids)];
    const mine = held === undefined ? [] : unique.filter((id) => held.has(id));
    const rest = unique.filter((id) => !mine.includes(id));
    const read =
      rest.length === 0
        ? []
        : await db.selectFrom('shipments').selectAll().where('id', 'in', rest).orderBy('seq').execute();
    if (mine.length === 0) return read;
    return [...mine.flatMap((id) => held?.get(id) ?? []), ...read].sort((a, b) => a.seq - b.seq);
  },

  /** Received shipments to this party made under, or carrying material restricted by, any of these licences. */
  async receivedBy(db: Db, party: string, licenceIds: readonly string[]): Promise<ShipmentRow[]> {
    if (licenceIds.length === 0) return [];
    await settle(db);
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
    await settle(db);
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
    await settle(db);
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
    noteTotals(db, 0, '', null, null, rows);
    const memo = memoOf(db);
    if (memo?.deferWrites === true) {
      memo.pending.ledger.push(...rows);
      return;
    }
    await settle(db);
    if (rows.length > 0)
      await db
        .insertInto('custody_ledger')
        .values([...rows])
        .execute();
  },
  async forLicence(db: Db, licenceId: string): Promise<CustodyLedgerRow[]> {
    await settle(db);
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
    await settle(db);
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
   * One step of a provenance walk back from these lots, in one statement (one round trip instead of
   * two per step, for the diversion monitor's per-event gathering): the shipments whose receipt made
   * them (index of migration 0013), in journal order, and the transformed-in and transformed-out
   * rows, under these licences, of the transformations that made any of them (under these
   * licences), in ledger order. The rows travel as JSON, whose numbers are checked to be exact
   * integers.
   */
  async provenanceStep(
    db: Db,
    lotIds: readonly string[],
    licenceIds: readonly string[],
  ): Promise<{ received: ShipmentRow[]; transformations: CustodyLedgerRow[] }> {
    if (lotIds.length === 0) return { received: [], transformations: [] };
    await settle(db);
    const lots = sql.join([...lotIds]);
    const licences = licenceIds.length === 0 ? undefined : sql.join([...licenceIds]);
    const transforms =
      licences === undefined
        ? sql`'[]'::json`
        : sql`(select coalesce(json_agg(c order by c.seq, c.lot_id), '[]'::json) from custody_ledger c
              where c.seq in (select seq from custody_ledger where lot_id in (${lots}) and kind = 'transformed-in' and licence_id in (${licences}))
                and c.licence_id in (${licences}) and c.kind in ('transformed-in', 'transformed-out'))`;
    const r = await sql<{ received: unknown; transformations: unknown }>`
      select (select coalesce(json_agg(s order by s.seq), '[]'::json) from shipments s where s.receiving_lot in (${lots})) as received,
        ${transforms} as transformations`.execute(db);
    const row = r.rows[0];
    const received = jsonRows<ShipmentRow>(row?.received, [
      'seq',
      'grams',
      'units',
      'value_minor',
      'declared_value_minor',
      'received_grams',
      'received_seq',
    ]);
    const transformations = jsonRows<CustodyLedgerRow>(row?.transformations, ['seq', 'grams']);
    return { received, transformations };
  },
};

/** Running totals per licence and holder (migration 0013): the mass balance in a few rows. */
export const holderTotalsRepo = {
  /**
   * What this transaction's custody writes did to the totals, in write order (`TxMemo.totals`), if
   * it has a memo; `unknown` when a write's effect is not known here.
   */
  changesIn(db: Db): { readonly deltas: readonly TotalsDelta[]; readonly unknown: boolean } | undefined {
    return memoOf(db)?.totals;
  },
  /** The rows of these licences, each licence's holders in order of their first ledger entry. */
  async forLicences(db: Db, licenceIds: readonly string[]): Promise<LicenceHolderTotalsRow[]> {
    if (licenceIds.length === 0) return [];
    await settle(db);
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

/** The ledger kinds that add to a holder's net grams, and those that take from it (as migration 0013's trigger). */
const NET_SIGN: Readonly<Record<string, number>> = {
  created: 1,
  received: 1,
  'transformed-in': 1,
  shipped: -1,
  'transformed-out': -1,
  consumed: -1,
};

/** Σ licensedGrams per licence of a restrictions array (as migration 0013's lots trigger sums them). */
function onHandOf(restrictions: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (Array.isArray(restrictions))
    for (const r of restrictions as { licenceId: string; licensedGrams: number }[])
      out.set(r.licenceId, (out.get(r.licenceId) ?? 0) + r.licensedGrams);
  return out;
}

/**
 * In a memoised transaction, notes what a custody write does to the running totals (`TxMemo.totals`):
 * a lot of `holder` going from `before` to `after` restrictions (null: no row), and ledger rows.
 */
function noteTotals(
  db: Db,
  seq: number,
  holder: string,
  before: unknown,
  after: unknown,
  ledger: readonly CustodyLedgerRow[],
): void {
  const totals = memoOf(db)?.totals;
  if (totals === undefined) return;
  const d = new Map<string, { licenceId: string; holder: string; seq: number; c: number; n: number; o: number }>();
  const at = (licenceId: string, h: string, s: number) => {
    const k = `${licenceId}\u0000${h}\u0000${s}`;
    let x = d.get(k);
    if (x === undefined) d.set(k, (x = { licenceId, holder: h, seq: s, c: 0, n: 0, o: 0 }));
    return x;
  };
  if (before !== null || after !== null) {
    const was = onHandOf(before);
    const now = onHandOf(after);
    for (const id of new Set([...was.keys(), ...now.keys()]))
      at(id, holder, seq).o += (now.get(id) ?? 0) - (was.get(id) ?? 0);
  }
  for (const r of ledger) {
    const x = at(r.licence_id, r.holder, r.seq);
    x.n += (NET_SIGN[r.kind] ?? 0) * r.grams;
    if (r.kind === 'created') x.c += r.grams;
  }
  for (const x of d.values())
    if (x.c !== 0 || x.n !== 0 || x.o !== 0)
      totals.deltas.push({
        seq: x.seq,
        licenceId: x.licenceId,
        holder: x.holder,
        createdGrams: x.c,
        netGrams: x.n,
        onHandGrams: x.o,
      } satisfies TotalsDelta);
}

/** `noteTotals` for an update of lot `id`, whose row before it the transaction must hold. */
function noteLotTotals(db: Db, id: string, seq: number, after: unknown, ledger: readonly CustodyLedgerRow[]): void {
  const memo = memoOf(db);
  if (memo === undefined) return;
  const before = memo.held.lots.get(id);
  if (before === undefined || before === null) {
    memo.totals.unknown = true;
    noteTotals(db, seq, '', null, null, ledger);
    return;
  }
  noteTotals(db, seq, before.holder, before.restrictions, after, ledger);
}

/** A fresh copy of a JSON value as a jsonb column gives it back (parsed anew, shared with nothing). */
function jsonCopy(value: unknown): unknown {
  return JSON.parse(jsonText(value)) as unknown;
}

/**
 * In a transaction that defers its writes (`TxMemo.deferWrites`), an update of a lot it holds: the
 * held row becomes `next(row)`, pending until `heldRowsRepo.flush`, with these ledger rows. False
 * (nothing done) otherwise — the caller then writes now.
 */
function deferLotUpdate(
  db: Db,
  id: string,
  seq: number,
  restrictions: unknown,
  ledger: readonly CustodyLedgerRow[],
  next: (row: LotRow) => LotRow,
): boolean {
  const memo = memoOf(db);
  const before = memo?.held.lots.get(id);
  if (memo?.deferWrites !== true || before === undefined || before === null) return false;
  noteLotTotals(db, id, seq, restrictions, ledger);
  const row = next(before);
  memo.held.lots.set(id, row);
  memo.pending.lots.set(id, { row, insert: memo.pending.lots.get(id)?.insert === true });
  memo.pending.ledger.push(...ledger);
  return true;
}

/** `deferLotUpdate` for a shipment the transaction holds (the caller notes the totals). */
function deferShipmentUpdate(
  db: Db,
  id: string,
  ledger: readonly CustodyLedgerRow[],
  next: (row: ShipmentRow) => ShipmentRow,
): boolean {
  const memo = memoOf(db);
  const before = memo?.held.shipments.get(id);
  if (memo?.deferWrites !== true || before === undefined || before === null) return false;
  const row = next(before);
  memo.held.shipments.set(id, row);
  memo.pending.shipments.set(id, { row, insert: memo.pending.shipments.get(id)?.insert === true });
  memo.pending.ledger.push(...ledger);
  return true;
}

function hasPending(memo: TxMemo | undefined): memo is TxMemo {
  return (
    memo !== undefined &&
    (memo.pending.lots.size > 0 || memo.pending.shipments.size > 0 || memo.pending.ledger.length > 0)
  );
}

/**
 * Before SQL reads or writes lots, shipments, the custody ledger or the totals its triggers keep: the
 * transaction's deferred rows of those tables are written first, so the statement sees them.
 */
export async function settle(db: Db): Promise<void> {
  if (hasPending(memoOf(db))) await heldRowsRepo.flush(db);
}

/** Remembers a row this transaction just wrote (so holds locked), as the database returned it; forgets it if none was written. */
function keepHeld<R>(held: Map<string, R | null>, id: string, row: R | undefined): void {
  if (row === undefined) held.delete(id);
  else held.set(id, row);
}

/**
 * A batch's lots and shipments, read in a few statements at its start (set-based ingest, issue 21):
 * in a transaction with a memo (`rememberReadsIn`), the rows these ids name that the batch's use
 * cases would lock one by one — `actor`'s lots, and shipments addressed to `actor` — are locked now
 * (FOR UPDATE, in id order) and kept in the memo, and the ids that name no row are remembered as
 * such; rows of other parties are left to the use cases (which refuse them). Without a memo, nothing.
 */
export const heldRowsRepo = {
  /**
   * From now on in this transaction (which must have a memo), the lot, shipment and custody-ledger
   * rows of its records are kept in memory and written by `flush` (which `settle` calls before any SQL
   * that reads those tables, and the caller before it commits): a batch writes each table with one
   * statement instead of one per record. Only rows the transaction holds are deferred; an update of a
   * row it does not hold flushes and is written at once.
   */
  deferWrites(db: Db): void {
    const memo = memoOf(db);
    if (memo === undefined) throw new StoreError('NOT_FOUND', 'deferWrites needs a transaction with a memo');
    memo.deferWrites = true;
  },
  /**
   * Writes the transaction's deferred rows: new lots, then updated lots (their mass, value,
   * restrictions and updated_seq), new shipments (as they stand, received or not), updated shipments
   * (their receipt and restrictions) — each group one statement of per-column arrays, unnested, so the
   * text and plan do not grow with the rows — and the ledger rows in the first of those statements (a
   * data-modifying WITH), or alone when there is none. New lots come first because
   * shipments name them (from_lot, receiving_lot). The triggers of migration 0013 fire per row as for
   * the writes one at a time, and sum to the same totals (each lot's net change, each ledger row).
   */
  async flush(db: Db): Promise<void> {
    const memo = memoOf(db);
    if (!hasPending(memo)) return;
    const { pending } = memo;
    const lots = [...pending.lots.values()];
    const shipments = [...pending.shipments.values()];
    const ledger = pending.ledger.splice(0);
    pending.lots.clear();
    pending.shipments.clear();
    const newLots = lots.filter((x) => x.insert).map((x) => x.row);
    const lotUpdates = lots.filter((x) => !x.insert).map((x) => x.row);
    const newShipments = shipments.filter((x) => x.insert).map((x) => x.row);
    const shipmentUpdates = shipments.filter((x) => !x.insert).map((x) => x.row);
    // The ledger rows ride on the first statement (a data-modifying WITH, as `withLedger`), alone if none.
    const ledgerInsert =
      ledger.length === 0
        ? undefined
        : sql`insert into custody_ledger (seq, licence_id, holder, lot_id, kind, grams)
              select * from unnest(${ledger.map((r) => r.seq)}::bigint[], ${ledger.map((r) => r.licence_id)}::text[],
                                   ${ledger.map((r) => r.holder)}::text[], ${ledger.map((r) => r.lot_id)}::text[],
                                   ${ledger.map((r) => r.kind)}::text[], ${ledger.map((r) => r.grams)}::bigint[])`;
    let withLedgerRows = ledgerInsert === undefined ? undefined : sql`with ledger_rows as (${ledgerInsert})`;
    const run = async (q: RawBuilder<unknown>): Promise<void> => {
      const prefix = withLedgerRows;
      withLedgerRows = undefined;
      await (prefix === undefined ? q : sql`${prefix} ${q}`).execute(db);
    };
    if (newLots.length > 0)
      await run(sql`
        insert into lots (id, holder, location, item, mass_grams, units, value_minor, currency, restrictions,
                          licence_ids, created_seq, updated_seq)
        select v.id, v.holder, v.location, v.item::jsonb, v.mass_grams, v.units, v.value_minor, v.currency,
               v.restrictions::jsonb, array(select jsonb_array_elements_text(v.licence_ids::jsonb)), v.created_seq,
               v.updated_seq
          from unnest(${newLots.map((r) => r.id)}::text[], ${newLots.map((r) => r.holder)}::text[],
                      ${newLots.map((r) => r.location)}::text[], ${newLots.map((r) => jsonText(r.item))}::text[],
                      ${newLots.map((r) => r.mass_grams)}::bigint[], ${newLots.map((r) => r.units)}::integer[],
                      ${newLots.map((r) => r.value_minor)}::bigint[], ${newLots.map((r) => r.currency)}::text[],
                      ${newLots.map((r) => jsonText(r.restrictions))}::text[],
                      ${newLots.map((r) => JSON.stringify(r.licence_ids))}::text[],
                      ${newLots.map((r) => r.created_seq)}::bigint[], ${newLots.map((r) => r.updated_seq)}::bigint[])
               as v(id, holder, location, item, mass_grams, units, value_minor, currency, restrictions, licence_ids,
                    created_seq, updated_seq)`);
    if (lotUpdates.length > 0)
      await run(sql`
        update lots l
           set mass_grams = v.mass_grams, value_minor = v.value_minor, restrictions = v.restrictions::jsonb,
               updated_seq = v.updated_seq
          from unnest(${lotUpdates.map((r) => r.id)}::text[], ${lotUpdates.map((r) => r.mass_grams)}::bigint[],
                      ${lotUpdates.map((r) => r.value_minor)}::bigint[],
                      ${lotUpdates.map((r) => jsonText(r.restrictions))}::text[],
                      ${lotUpdates.map((r) => r.updated_seq)}::bigint[])
               as v(id, mass_grams, value_minor, restrictions, updated_seq)
         where l.id = v.id`);
    if (newShipments.length > 0) {
      const col = <K extends keyof ShipmentRow>(k: K) => newShipments.map((r) => r[k]);
      await run(sql`
        insert into shipments (id, seq, from_lot, from_holder, to_party, destination, grams, units, value_minor,
                               currency, declared_value_minor, licence_id, line_ref, shipped_on, restrictions, status,
                               received_grams, receiving_lot, received_seq)
        select v.id, v.seq, v.from_lot, v.from_holder, v.to_party, v.destination, v.grams, v.units, v.value_minor,
               v.currency, v.declared_value_minor, v.licence_id, v.line_ref, v.shipped_on, v.restrictions::jsonb,
               v.status, v.received_grams, v.receiving_lot, v.received_seq
          from unnest(${col('id')}::text[], ${col('seq')}::bigint[], ${col('from_lot')}::text[],
                      ${col('from_holder')}::text[], ${col('to_party')}::text[], ${col('destination')}::text[],
                      ${col('grams')}::bigint[], ${col('units')}::integer[], ${col('value_minor')}::bigint[],
                      ${col('currency')}::text[], ${col('declared_value_minor')}::bigint[],
                      ${col('licence_id')}::text[], ${col('line_ref')}::text[], ${col('shipped_on')}::date[],
                      ${newShipments.map((r) => jsonText(r.restrictions))}::text[], ${col('status')}::text[],
                      ${col('received_grams')}::bigint[], ${col('receiving_lot')}::text[],
                      ${col('received_seq')}::bigint[])
               as v(id, seq, from_lot, from_holder, to_party, destination, grams, units, value_minor, currency,
                    declared_value_minor, licence_id, line_ref, shipped_on, restrictions, status, received_grams,
                    receiving_lot, received_seq)`);
    }
    if (shipmentUpdates.length > 0)
      await run(sql`
        update shipments s
           set restrictions = v.restrictions::jsonb, status = v.status, received_grams = v.received_grams,
               receiving_lot = v.receiving_lot, received_seq = v.received_seq
          from unnest(${shipmentUpdates.map((r) => r.id)}::text[],
                      ${shipmentUpdates.map((r) => jsonText(r.restrictions))}::text[],
                      ${shipmentUpdates.map((r) => r.status)}::text[],
                      ${shipmentUpdates.map((r) => r.received_grams)}::bigint[],
                      ${shipmentUpdates.map((r) => r.receiving_lot)}::text[],
                      ${shipmentUpdates.map((r) => r.received_seq)}::bigint[])
               as v(id, restrictions, status, received_grams, receiving_lot, received_seq)
         where s.id = v.id`);
    if (withLedgerRows !== undefined && ledgerInsert !== undefined) await ledgerInsert.execute(db);
  },
  async lockFor(
    db: Db,
    actor: string,
    ids: { readonly lots: readonly string[]; readonly shipments: readonly string[] },
  ): Promise<void> {
    const held = memoOf(db)?.held;
    if (held === undefined) return;
    const lotIds = [...new Set(ids.lots)].filter((id) => !held.lots.has(id));
    if (lotIds.length > 0) {
      const mine = await db
        .selectFrom('lots')
        .selectAll()
        .where('id', 'in', lotIds)
        .where('holder', '=', actor)
        .orderBy('id')
        .forUpdate()
        .execute();
      for (const r of mine) held.lots.set(r.id, r);
      const existing = new Set(
        (await db.selectFrom('lots').select('id').where('id', 'in', lotIds).execute()).map((r) => r.id),
      );
      for (const id of lotIds) if (!existing.has(id)) held.lots.set(id, null);
    }
    const shipmentIds = [...new Set(ids.shipments)].filter((id) => !held.shipments.has(id));
    if (shipmentIds.length > 0) {
      const mine = await db
        .selectFrom('shipments')
        .selectAll()
        .where('id', 'in', shipmentIds)
        .where('to_party', '=', actor)
        .orderBy('id')
        .forUpdate()
        .execute();
      for (const r of mine) held.shipments.set(r.id, r);
      const existing = new Set(
        (await db.selectFrom('shipments').select('id').where('id', 'in', shipmentIds).execute()).map((r) => r.id),
      );
      for (const id of shipmentIds) if (!existing.has(id)) held.shipments.set(id, null);
      // The lots these shipments left (another party's, not locked): their receipts read what a lot never changes.
      const sources = memoOf(db)?.sourceLots;
      const from = [...new Set(mine.map((r) => r.from_lot))].filter((id) => !held.lots.has(id) && !sources?.has(id));
      if (sources !== undefined && from.length > 0)
        for (const r of await db.selectFrom('lots').selectAll().where('id', 'in', from).execute()) sources.set(r.id, r);
    }
  },
};

/** Rows aggregated as JSON (json_agg), with these integer columns checked to be exact (as the int8 parser does). */
function jsonRows<R>(value: unknown, integers: readonly string[]): R[] {
  const rows = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[] | null;
  for (const r of rows ?? [])
    for (const k of integers) {
      const v = r[k];
      if (v !== null && v !== undefined && !Number.isSafeInteger(v))
        throw new StoreError(
          'UNSAFE_INTEGER',
          `integer ${JSON.stringify(v)} read from the database is outside the exact range ±(2^53 − 1)`,
        );
    }
  return (rows ?? []) as R[];
}

/**
 * The query creator for a lot or shipment write that also appends these custody-ledger rows, in the
 * same statement (a data-modifying WITH): one round trip per custody record instead of two. The
 * ledger's triggers (licence_holder_totals, migration 0013) fire as for a separate insert.
 */
function withLedger(db: Db, ledger: readonly CustodyLedgerRow[]): QueryCreator<Database> {
  if (ledger.length === 0) return db;
  const creator: QueryCreator<Database> = db.with('ledger_rows', (d) =>
    d.insertInto('custody_ledger').values([...ledger]),
  );
  return creator;
}
