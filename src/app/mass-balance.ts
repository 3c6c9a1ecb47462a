import type { Kysely } from 'kysely';
import type { Restriction } from '../domain/index.js';
import { ledgerRepo, lotsRepo, shipmentsRepo, type Database } from '../store/index.js';
import type { AppContext } from './context.js';

/**
 * A licence's mass balance from its ledger (moved out of custody.ts so the custody use cases and
 * the diversion monitor in alerts.ts can both read it without importing each other).
 */

export interface MassBalanceRow {
  readonly holder: string;
  readonly lotId?: string;
  readonly received: number;
  readonly transformedIn: number;
  readonly shipped: number;
  readonly transformedOut: number;
  readonly consumed: number;
  readonly onHand: number;
  /** received + created + transformed-in − shipped − transformed-out − consumed − on hand; non-zero is a gap. */
  readonly gap: number;
  /** Of `shipped`: sent by this holder (from this lot) and not received yet. */
  readonly inTransit: number;
  /** Of `shipped`: sent by this holder (from this lot) and received short (the consignee recorded fewer grams). */
  readonly shortAtReceipt: number;
}

export interface MassBalance {
  readonly licenceId: string;
  readonly holders: readonly MassBalanceRow[];
  readonly lots: readonly MassBalanceRow[];
  /** Shipped but not (yet) received, and recorded shortfalls at receipt. */
  readonly inTransitGrams: number;
  readonly receiptDiscrepancyGrams: number;
}

/** For each holder and each lot carrying a licence: received − consumed − shipped − on hand = 0 (in grams of licensed material). */
export async function massBalance(ctx: AppContext, licenceId: string): Promise<MassBalance> {
  return massBalanceIn(ctx.store.db, licenceId);
}

/** The same, inside a transaction (or on any connection). */
export async function massBalanceIn(db: Kysely<Database>, licenceId: string): Promise<MassBalance> {
  const ledger = await ledgerRepo.forLicence(db, licenceId);
  const lots = await lotsRepo.list(db, { licenceId });
  // Grouped once, by holder and by holder and lot (a licence's ledger can be long: no scan per row).
  const byKey = <T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const r of rows) {
      const k = key(r);
      const list = m.get(k);
      if (list === undefined) m.set(k, [r]);
      else list.push(r);
    }
    return m;
  };
  const lotKey = (holder: string, lotId: string) => `${holder}\u0000${lotId}`;
  const ledgerByHolder = byKey(ledger, (l) => l.holder);
  const ledgerByLot = byKey(ledger, (l) => lotKey(l.holder, l.lot_id));
  const lotsByHolder = byKey(lots, (l) => l.holder);
  const lotsByLot = byKey(lots, (l) => lotKey(l.holder, l.id));
  const shipments = await shipmentsRepo.carrying(db, [licenceId]);
  const carrying = shipments.filter((s) => (s.restrictions as Restriction[]).some((r) => r.licenceId === licenceId));
  const grams = (s: (typeof carrying)[number]) =>
    (s.restrictions as Restriction[]).filter((r) => r.licenceId === licenceId).reduce((t, r) => t + r.licensedGrams, 0);
  /** Licensed grams of a shipment that did not arrive: shipped less the received share (rounded down). */
  const short = (s: (typeof carrying)[number]) =>
    grams(s) - Math.min(grams(s), Number((BigInt(grams(s)) * BigInt(s.received_grams ?? 0)) / BigInt(s.grams)));
  const row = (holder: string, lotId?: string): MassBalanceRow => {
    const sent = carrying.filter((s) => s.from_holder === holder && (lotId === undefined || s.from_lot === lotId));
    const inTransit = sent.filter((s) => s.status === 'in-transit').reduce((t, s) => t + grams(s), 0);
    const shortAtReceipt = sent.filter((s) => s.status === 'received').reduce((t, s) => t + short(s), 0);
    const mine = (lotId === undefined ? ledgerByHolder.get(holder) : ledgerByLot.get(lotKey(holder, lotId))) ?? [];
    const held = (lotId === undefined ? lotsByHolder.get(holder) : lotsByLot.get(lotKey(holder, lotId))) ?? [];
    const sum = (...kinds: string[]) => mine.filter((l) => kinds.includes(l.kind)).reduce((s, l) => s + l.grams, 0);
    const onHand = held.reduce(
      (s, l) =>
        s +
        (l.restrictions as Restriction[])
          .filter((r) => r.licenceId === licenceId)
          .reduce((t, r) => t + r.licensedGrams, 0),
      0,
    );
    const received = sum('received', 'created');
    const transformedIn = sum('transformed-in');
    const shipped = sum('shipped');
    const transformedOut = sum('transformed-out');
    const consumed = sum('consumed');
    return {
      holder,
      ...(lotId === undefined ? {} : { lotId }),
      received,
      transformedIn,
      shipped,
      transformedOut,
      consumed,
      onHand,
      gap: received + transformedIn - shipped - transformedOut - consumed - onHand,
      inTransit,
      shortAtReceipt,
    };
  };
  const holders = [...new Set(ledger.map((l) => l.holder))];
  const lotIds = [...ledgerByLot.keys()];
  return {
    licenceId,
    holders: holders.map((h) => row(h)),
    lots: lotIds.map((k) => {
      const [h, l] = k.split('\u0000') as [string, string];
      return row(h, l);
    }),
    inTransitGrams: carrying.filter((s) => s.status === 'in-transit').reduce((t, s) => t + grams(s), 0),
    receiptDiscrepancyGrams: carrying.filter((s) => s.status === 'received').reduce((t, s) => t + short(s), 0),
  };
}
