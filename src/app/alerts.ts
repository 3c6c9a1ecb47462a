/**
 * Diversion monitoring use cases: red flags become alerts. The detectors (src/monitor) are pure;
 * this module gathers their facts from the projections inside a transaction, journals the
 * red-flag set it relied on, and raises each new finding as a signed `alert.raised` record.
 *
 * Who signs an alert: the licensing authority of the licence the alert is about — the party that
 * monitors its licences and whose officers resolve the alerts. When this node cannot sign for
 * that authority (its key is not in the keystore, or the use case runs on another party's signed
 * API request), event-time detection leaves the finding to `scanAlerts`, run where the
 * authority's key is.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import {
  isCountryCode,
  isoDate,
  dateNotAfter,
  isoDateValue,
  parse,
  ValidationError,
  wholeGrams,
  type Licence,
  type Party,
  type Restriction,
  todayUtc,
} from '../domain/index.js';
import {
  detectAll,
  detectCertificateRevoked,
  detectNewScreeningHits,
  detectTransshipment,
  RED_FLAG_IDS,
  SEVERITIES,
  type AttemptFact,
  type BalanceFact,
  type Finding,
  type LicenceFact,
  type MonitorFacts,
  type RedFlagId,
  type ScreeningNow,
  type Severity,
  type ShipmentFact,
  type TransformFact,
} from '../monitor/index.js';
import {
  alertsRepo,
  applicationsRepo,
  holderTotalsRepo,
  journalTimesRepo,
  ledgerRepo,
  licencesRepo,
  lotsRepo,
  partiesRepo,
  reportsFiledRepo,
  screeningRepo,
  shipmentsRepo,
  type CustodyLedgerRow,
  type Database,
  type LicenceHolderTotalsRow,
  type LicenceRow,
  type ShipmentRow,
  type TotalsDelta,
} from '../store/index.js';
import { ALERT_ID, type AlertTrigger } from './alerts.records.js';
import type { AppContext, AppendedRecord } from './context.js';
import { massBalanceIn } from './mass-balance.js';
import { declaredValueFindings } from './declared.js';
import { AppError, RefusedError } from './errors.js';
import { commit, committedRecords } from './journal.js';
import type { RecordType, RecordTypes } from './records.js';
import type { Assessment } from './licensing.js';
import { requireParty } from './parties.js';
import { screenPartiesInTx } from './screening.js';

export {
  alertId,
  DEFAULT_RED_FLAGS_FILE,
  loadRedFlagsFile,
  raise,
  redFlags,
  toAlert,
  useRedFlags,
} from './red-flags.js';
export type { Alert, LoadedRedFlags, RaiseOutcome } from './red-flags.js';
import { raise, redFlags, toAlert, type Alert, type RaiseOutcome } from './red-flags.js';

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The detectors' facts from the projections: the licences (all, or those given), their mass
 * balances, the shipments and transformations that carry their material, the reports filed, and
 * every registered party. Dates of receipts and transformations are their journal entries' dates.
 */
async function gatherFacts(
  tx: Transaction<Database>,
  asOf: string,
  only?: ReadonlySet<string>,
  attempts: readonly AttemptFact[] = [],
): Promise<MonitorFacts> {
  const rows = (await licencesRepo.list(tx)).filter((l) => only === undefined || only.has(l.id));
  const ids = new Set(rows.map((l) => l.id));
  const licences: LicenceFact[] = rows.map(licenceFact);
  const balances: BalanceFact[] = [];
  const transforms = new Map<number, { holder: string; inputs: Set<string>; outputs: Set<string> }>();
  for (const l of rows) {
    const ledger = await ledgerRepo.forLicence(tx, l.id);
    const mb = await massBalanceIn(tx, l.id);
    balances.push({
      licenceId: l.id,
      licensedGrams: ledger.filter((x) => x.kind === 'created').reduce((t, x) => t + x.grams, 0),
      holders: mb.holders.map((h) => ({
        holder: h.holder,
        gap: h.gap,
        seqs: ledger.filter((x) => x.holder === h.holder).map((x) => x.seq),
      })),
    });
    for (const x of ledger) {
      if (x.kind !== 'transformed-in' && x.kind !== 'transformed-out') continue;
      const t = transforms.get(x.seq) ?? { holder: x.holder, inputs: new Set<string>(), outputs: new Set<string>() };
      (x.kind === 'transformed-in' ? t.outputs : t.inputs).add(x.lot_id);
      transforms.set(x.seq, t);
    }
  }
  const carrying = (restrictions: readonly Restriction[], licenceId: string | null) =>
    (licenceId !== null && ids.has(licenceId)) || restrictions.some((r) => ids.has(r.licenceId));
  const shipmentRows = (await shipmentsRepo.carrying(tx, [...ids])).filter((s) =>
    carrying(s.restrictions as Restriction[], s.licence_id),
  );
  const times = await journalTimesRepo.recordedAt(tx, [
    ...shipmentRows.flatMap((s) => (s.received_seq === null ? [s.seq] : [s.seq, s.received_seq])),
    ...transforms.keys(),
  ]);
  const shipments = shipmentRows.map((s) => shipmentFact(s, times, asOf));
  const transformations = transformFacts([...transforms], times, asOf);
  const reports = (await reportsFiledRepo.list(tx, { shipmentIds: shipments.map((s) => s.id) })).map((r) => ({
    id: r.id,
    seq: r.seq,
    shipmentId: r.shipment_id,
    kind: r.kind,
    filedOn: isoDay(new Date(r.filed_at)),
  }));
  const parties = new Map(
    (await partiesRepo.list(tx)).map((p) => [p.id, { party: p.party as Party, seq: p.created_seq }]),
  );
  return { asOf, licences, balances, shipments, attempts, transformations, reports, parties };
}

/** A custody event the monitor judges: the licences it touched, the shipments its records dispatched or received, its journal entry. */
interface MonitoredEvent {
  readonly trigger: AlertTrigger;
  readonly ids: ReadonlySet<string>;
  readonly shipmentIds: readonly string[];
  /** The event's record: it is judged on the projections as they stood right after it. */
  readonly seq: number;
}

/** A shipment as it stood right after journal entry `seq` (a receipt later in the batch undone). */
function shipmentAsOf(s: ShipmentRow, seq: number): ShipmentRow {
  if (s.received_seq === null || s.received_seq <= seq) return s;
  return { ...s, status: 'in-transit', received_grams: null, receiving_lot: null, received_seq: null };
}

/**
 * The facts the event detectors need about custody events, read for a whole batch in a few
 * statements and then taken, event by event, as they stood right after each event's record (so every
 * event is judged as if alone: a red flag true after one event and gone after a later one is still
 * found). For each event: the licences it touched; their mass balances per holder from the running
 * totals (migration 0013) — read once at the end, less what later events of the batch added — with
 * the ledger entries behind a balance read only for a holder whose balance has a gap; the shipments
 * the event dispatched or received and their whole provenance (the shipments and transformations,
 * under these licences, that brought the shipped material to its holder: what quick re-shipment and
 * circular trade look back through), walked one statement per step for the batch's events at once;
 * and the parties these name. Every detector gives the same findings for these shipments as over
 * every shipment of the licences, since each looks only at a shipment, the parties it names and its
 * provenance (received annual totals are gathered apart, see `annualNeedFacts`). Findings about
 * older shipments were judged at their own events; `scanAlerts` re-judges everything.
 */
class BatchFacts {
  readonly #tx: Transaction<Database>;
  readonly #asOf: string;
  /** Every licence the batch's events touched (the provenance walk reads under all of them, each event filters). */
  readonly #all: readonly string[];
  readonly #totals: LicenceHolderTotalsRow[];
  readonly #deltas: readonly TotalsDelta[];
  /** Per lot: the shipments received into it, and the transformations (seqs) that made it, under the batch's licences. */
  readonly #edges = new Map<string, { received: ShipmentRow[]; made: number[] }>();
  /** Per transformation (seq): its transformed-in and transformed-out rows under the batch's licences. */
  readonly #transforms = new Map<number, CustodyLedgerRow[]>();
  readonly #ledgerSeqs = new Map<string, number[]>();
  readonly #receivedBy = new Map<string, ShipmentRow[]>();

  private constructor(
    tx: Transaction<Database>,
    asOf: string,
    all: readonly string[],
    totals: LicenceHolderTotalsRow[],
    deltas: readonly TotalsDelta[],
  ) {
    this.#tx = tx;
    this.#asOf = asOf;
    this.#all = all;
    this.#totals = totals;
    this.#deltas = deltas;
  }

  static async read(tx: Transaction<Database>, asOf: string, events: readonly MonitoredEvent[]): Promise<BatchFacts> {
    const all = [...new Set(events.flatMap((e) => [...e.ids]))];
    const changes = holderTotalsRepo.changesIn(tx);
    const deltas = changes?.deltas.filter((d) => d.seq > Math.min(...events.map((e) => e.seq))) ?? [];
    if (events.length > 1 && (changes === undefined || changes.unknown))
      throw new Error(
        'the diversion monitor cannot tell the running totals after each event of this batch (a custody write whose previous row the batch did not hold)',
      );
    return new BatchFacts(tx, asOf, all, await holderTotalsRepo.forLicences(tx, all), deltas);
  }

  /** The shipments into, and transformations making, these lots (one statement for those not read yet). */
  async #edgesOf(lots: readonly string[]): Promise<void> {
    const missing = lots.filter((l) => !this.#edges.has(l));
    if (missing.length === 0) return;
    for (const l of missing) this.#edges.set(l, { received: [], made: [] });
    const step = await ledgerRepo.provenanceStep(this.#tx, missing, this.#all);
    for (const s of step.received) if (s.receiving_lot !== null) this.#edges.get(s.receiving_lot)?.received.push(s);
    const fresh = new Set<number>();
    for (const x of step.transformations) {
      if (!this.#transforms.has(x.seq) || fresh.has(x.seq)) {
        fresh.add(x.seq);
        this.#transforms.set(x.seq, [...(this.#transforms.get(x.seq) ?? []), x]);
      }
      if (x.kind === 'transformed-in' && missing.includes(x.lot_id)) {
        const made = this.#edges.get(x.lot_id)?.made;
        if (made !== undefined && !made.includes(x.seq)) made.push(x.seq);
      }
    }
  }

  /** Walks every event's provenance over all the batch's licences, one statement per step, before the events are judged. */
  async prefetch(events: readonly MonitoredEvent[]): Promise<void> {
    const rows = await shipmentsRepo.byIds(
      this.#tx,
      events.flatMap((e) => e.shipmentIds),
    );
    const seen = new Set<string>();
    let frontier = [...new Set(rows.map((s) => s.from_lot))];
    const cap = PROVENANCE_LOTS * events.length;
    while (frontier.length > 0 && seen.size < cap) {
      for (const lot of frontier) seen.add(lot);
      await this.#edgesOf(frontier);
      const next: string[] = [];
      for (const lot of frontier) {
        const e = this.#edges.get(lot);
        for (const s of e?.received ?? []) next.push(s.from_lot);
        for (const seq of e?.made ?? [])
          for (const x of this.#transforms.get(seq) ?? []) if (x.kind === 'transformed-out') next.push(x.lot_id);
      }
      frontier = [...new Set(next)].filter((lot) => !seen.has(lot));
    }
    // The journal times of everything walked, in one read (the events then find them in the transaction's memo).
    await journalTimesRepo.recordedAt(this.#tx, [
      ...[...rows, ...[...this.#edges.values()].flatMap((x) => x.received)].flatMap((s) =>
        s.received_seq === null ? [s.seq] : [s.seq, s.received_seq],
      ),
      ...this.#transforms.keys(),
    ]);
  }

  /** The event's facts as they stood right after its record (journal times and parties read through the transaction's memo). */
  async at(e: MonitoredEvent): Promise<MonitorFacts> {
    const tx = this.#tx;
    const asOf = this.#asOf;
    const ids = e.ids;
    const licenceIds = [...ids];
    const rows = await licencesRepo.byIds(tx, licenceIds);
    const licences: LicenceFact[] = rows.map(licenceFact);
    const later = (licenceId: string, holder: string) => {
      let created = 0;
      let net = 0;
      let onHand = 0;
      for (const d of this.#deltas)
        if (d.seq > e.seq && d.licenceId === licenceId && d.holder === holder) {
          created += d.createdGrams;
          net += d.netGrams;
          onHand += d.onHandGrams;
        }
      return { created, net, onHand };
    };
    const balances: BalanceFact[] = [];
    for (const l of rows) {
      const holders: BalanceFact['holders'][number][] = [];
      let licensedGrams = 0;
      for (const t of this.#totals) {
        if (t.licence_id !== l.id) continue;
        const after = later(t.licence_id, t.holder);
        licensedGrams += t.created_grams - after.created;
        // No ledger entry yet after this event (lots only): no balance (as massBalance).
        if (t.first_seq === null || t.first_seq > e.seq) continue;
        const gap = t.net_grams - after.net - (t.on_hand_grams - after.onHand);
        holders.push({ holder: t.holder, gap, seqs: gap === 0 ? [] : await this.#seqsFor(l.id, t.holder, e.seq) });
      }
      balances.push({ licenceId: l.id, licensedGrams, holders });
    }
    const carries = (s: ShipmentRow) =>
      (s.licence_id !== null && ids.has(s.licence_id)) ||
      (s.restrictions as Restriction[]).some((r) => ids.has(r.licenceId));
    const shipmentRows = new Map<string, ShipmentRow>();
    for (const s of await shipmentsRepo.byIds(tx, e.shipmentIds))
      if (s.seq <= e.seq && carries(s)) shipmentRows.set(s.id, shipmentAsOf(s, e.seq));
    // Provenance, breadth first from the lots the event's shipments left, as `provenance` walks it.
    const transforms = new Map<number, { holder: string; inputs: Set<string>; outputs: Set<string> }>();
    const seen = new Set<string>();
    let frontier = [...new Set([...shipmentRows.values()].map((s) => s.from_lot))];
    while (frontier.length > 0 && seen.size < PROVENANCE_LOTS) {
      for (const lot of frontier) seen.add(lot);
      await this.#edgesOf(frontier);
      const next: string[] = [];
      const received = frontier
        .flatMap((lot) => this.#edges.get(lot)?.received ?? [])
        .filter((s) => s.received_seq !== null && s.received_seq <= e.seq)
        .sort((a, b) => a.seq - b.seq);
      for (const s of received) {
        if (!carries(s)) continue;
        shipmentRows.set(s.id, s);
        next.push(s.from_lot);
      }
      const inFrontier = new Set(frontier);
      const made = new Set(
        frontier
          .flatMap((lot) => this.#edges.get(lot)?.made ?? [])
          .filter(
            (seq) =>
              seq <= e.seq &&
              (this.#transforms.get(seq) ?? []).some(
                (x) => x.kind === 'transformed-in' && inFrontier.has(x.lot_id) && ids.has(x.licence_id),
              ),
          ),
      );
      const steps = [...made]
        .flatMap((seq) => (this.#transforms.get(seq) ?? []).filter((x) => ids.has(x.licence_id)))
        .sort((a, b) => a.seq - b.seq || (a.lot_id < b.lot_id ? -1 : a.lot_id > b.lot_id ? 1 : 0));
      for (const x of steps) {
        const t = transforms.get(x.seq) ?? { holder: x.holder, inputs: new Set<string>(), outputs: new Set<string>() };
        (x.kind === 'transformed-in' ? t.outputs : t.inputs).add(x.lot_id);
        transforms.set(x.seq, t);
        if (x.kind === 'transformed-out') next.push(x.lot_id);
      }
      frontier = [...new Set(next)].filter((lot) => !seen.has(lot));
    }
    const ordered = [...shipmentRows.values()].sort((a, b) => a.seq - b.seq);
    const times = await journalTimesRepo.recordedAt(tx, [
      ...ordered.flatMap((s) => (s.received_seq === null ? [s.seq] : [s.seq, s.received_seq])),
      ...transforms.keys(),
    ]);
    const shipments = ordered.map((s) => shipmentFact(s, times, asOf));
    const transformations = transformFacts(
      [...transforms].sort((a, b) => a[0] - b[0]),
      times,
      asOf,
    );
    const named = new Set<string>([
      ...rows.flatMap((l) => licencePartyIds(l.licence as Licence)),
      ...balances.flatMap((b) => b.holders.map((h) => h.holder)),
      ...shipments.flatMap((s) => [s.fromHolder, s.to]),
      ...transformations.map((t) => t.holder),
    ]);
    const parties = new Map(
      (await partiesRepo.byIds(tx, [...named])).map((p) => [p.id, { party: p.party as Party, seq: p.created_seq }]),
    );
    return { asOf, licences, balances, shipments, attempts: [], transformations, reports: [], parties };
  }

  /** The journal entries behind a holder's balance under a licence up to `seq` (read once per batch). */
  async #seqsFor(licenceId: string, holder: string, seq: number): Promise<number[]> {
    const k = `${licenceId}\u0000${holder}`;
    let all = this.#ledgerSeqs.get(k);
    if (all === undefined) this.#ledgerSeqs.set(k, (all = await ledgerRepo.seqsFor(this.#tx, licenceId, holder)));
    return all.filter((s) => s <= seq);
  }

  /** Received shipments to `party` under any of `ids`, as they stood right after `seq` (read once per party). */
  async receivedBy(party: string, ids: ReadonlySet<string>, seq: number): Promise<ShipmentRow[]> {
    let all = this.#receivedBy.get(party);
    if (all === undefined)
      this.#receivedBy.set(party, (all = await shipmentsRepo.receivedBy(this.#tx, party, this.#all)));
    return all.filter(
      (s) =>
        s.received_seq !== null &&
        s.received_seq <= seq &&
        ((s.licence_id !== null && ids.has(s.licence_id)) ||
          (s.restrictions as Restriction[]).some((r) => ids.has(r.licenceId))),
    );
  }
}

/** A licence as the detectors see it: its conditions, status (with why it is suspended) and approval. */
function licenceFact(l: LicenceRow): LicenceFact {
  return {
    licence: l.licence as Licence,
    status: l.status,
    decidedSeq: l.seq,
    ...(l.suspended_seq === null ? {} : { suspension: { seq: l.suspended_seq, reason: l.suspension_reason ?? '' } }),
  };
}

/**
 * When a certificate is revoked (run by `monitorAppended` in the revocation's transaction, after
 * `certificate.revoked` suspended the licences relying on it): each suspended licence's authority
 * is alerted, signed by the authority when this node can sign for it; otherwise deferred to
 * `alerts scan` where its key is, like every other alert.
 */
export async function monitorCertificateRevocation(
  tx: Transaction<Database>,
  ctx: AppContext,
  licenceIds: readonly string[],
): Promise<RaiseOutcome> {
  const rule = redFlags(ctx).rules['certificate-revoked'];
  if (rule === undefined || licenceIds.length === 0) return { raised: [], duplicates: 0, deferred: 0 };
  const rows = await licencesRepo.byIds(tx, licenceIds);
  const named = [...new Set(rows.flatMap((l) => licencePartyIds(l.licence as Licence)))];
  const parties = new Map(
    (await partiesRepo.byIds(tx, named)).map((p) => [p.id, { party: p.party as Party, seq: p.created_seq }]),
  );
  const asOf = todayUtc(ctx.clock);
  const facts: MonitorFacts = {
    asOf,
    licences: rows.map(licenceFact),
    balances: [],
    shipments: [],
    attempts: [],
    transformations: [],
    reports: [],
    parties,
  };
  return raise(tx, ctx, detectCertificateRevoked(facts, rule), 'revocation', asOf);
}

/** How many lots a provenance walk visits at most (as `provenance` in src/monitor). */
const PROVENANCE_LOTS = 1000;

function licencePartyIds(l: Licence): string[] {
  return [l.holder, l.importer, l.consignee, l.endUser, l.authority];
}

function dayOf(times: ReadonlyMap<number, Date>, seq: number, asOf: string): string {
  const t = times.get(seq);
  return t === undefined ? asOf : isoDay(t);
}

/** Transformations (journal seq → holder, input and output lots) as the detectors see them, dated by their entries. */
function transformFacts(
  transforms: readonly (readonly [number, { holder: string; inputs: Set<string>; outputs: Set<string> }])[],
  times: ReadonlyMap<number, Date>,
  asOf: string,
): TransformFact[] {
  return transforms.map(([seq, t]) => ({
    id: `journal ${seq}`,
    seq,
    holder: t.holder,
    on: dayOf(times, seq, asOf),
    inputs: [...t.inputs],
    outputs: [...t.outputs],
  }));
}

function shipmentFact(s: ShipmentRow, times: ReadonlyMap<number, Date>, asOf: string): ShipmentFact {
  return {
    id: s.id,
    seq: s.seq,
    fromLot: s.from_lot,
    fromHolder: s.from_holder,
    to: s.to_party,
    destination: s.destination,
    grams: s.grams,
    shippedOn: s.shipped_on,
    ...(times.has(s.seq) ? { recordedOn: dayOf(times, s.seq, asOf) } : {}),
    licenceId: s.licence_id ?? undefined,
    restrictions: s.restrictions as Restriction[],
    received:
      s.received_seq === null || s.receiving_lot === null
        ? undefined
        : {
            seq: s.received_seq,
            on: dayOf(times, s.received_seq, asOf),
            grams: s.received_grams ?? 0,
            lotId: s.receiving_lot,
          },
  };
}

/**
 * For the annual-need detector: the active licences of `facts` with a declared annual need, and
 * every received shipment to their end users under these licences (the detector totals a year of
 * receipts). Undefined when no licence declares a need.
 */
async function annualNeedFacts(
  tx: Transaction<Database>,
  facts: MonitorFacts,
  batch: BatchFacts,
  e: MonitoredEvent,
): Promise<MonitorFacts | undefined> {
  const needy = facts.licences.filter((l) => l.status === 'active' && l.licence.endUse.annualNeedGrams !== undefined);
  if (needy.length === 0) return undefined;
  const endUsers = [...new Set(needy.map((l) => l.licence.endUser))];
  const rows = new Map<string, ShipmentRow>();
  for (const u of endUsers) for (const s of await batch.receivedBy(u, e.ids, e.seq)) rows.set(s.id, s);
  const ordered = [...rows.values()].sort((a, b) => a.seq - b.seq);
  const times = await journalTimesRepo.recordedAt(
    tx,
    ordered.flatMap((s) => (s.received_seq === null ? [] : [s.received_seq])),
  );
  const missing = endUsers.filter((u) => !facts.parties.has(u));
  const parties = new Map(facts.parties);
  for (const p of await partiesRepo.byIds(tx, missing))
    parties.set(p.id, { party: p.party as Party, seq: p.created_seq });
  return { ...facts, shipments: ordered.map((s) => shipmentFact(s, times, facts.asOf)), parties };
}

/** The detectors that run when a custody event happens (the late-report one runs as of a date: on a scan, or when a report is filed). */
const EVENT_RULES: readonly RedFlagId[] = RED_FLAG_IDS.filter(
  (r) => r !== 'post-shipment-report-late' && r !== 'screening-hit-after-approval',
);
const EVENT_RULES_BUT_ANNUAL_NEED: readonly RedFlagId[] = EVENT_RULES.filter((r) => r !== 'annual-need-exceeded');

const monitoredUpTo = new WeakMap<object, number>();

/**
 * The monitor reacts to committed records (an `AppContext.reactions` entry, wired in by createApp and
 * run by `commit` in the record's transaction, after its projection): a custody event runs the event
 * detectors for the licences it touched, a revoked certificate alerts the authorities of the licences
 * it suspended, a changed list re-screens the parties of the active licences. What it raises commits
 * with the record or not at all; a rebuild replays the `alert.raised` records and runs no reaction.
 */
export async function monitorAppended(tx: Transaction<Database>, ctx: AppContext, r: AppendedRecord): Promise<void> {
  await REACTIONS[r.type]?.(tx, ctx, r);
}

/** What the monitor does on each record type it watches (others it leaves alone). */
const REACTIONS: Partial<
  Record<RecordType, (tx: Transaction<Database>, ctx: AppContext, r: AppendedRecord) => Promise<unknown>>
> = {
  'shipment.dispatched': async (tx, ctx, r) => {
    // Red flags on material already under restrictions (the lot's, which its remainder keeps);
    // a licensed export of unrestricted stock is judged at its receipt.
    const restrictions = (r.body as RecordTypes['shipment.dispatched']).from.restrictions;
    if (restrictions.length > 0)
      await monitorCustodyEvent(
        tx,
        ctx,
        'dispatch',
        restrictions.map((x) => x.licenceId),
        r.seq,
      );
  },
  'shipment.received': (tx, ctx, r) =>
    monitorCustodyEvent(
      tx,
      ctx,
      'receipt',
      (r.body as RecordTypes['shipment.received']).lot.restrictions.map((x) => x.licenceId),
      r.seq,
    ),
  'lot.transformed': (tx, ctx, r) =>
    monitorCustodyEvent(
      tx,
      ctx,
      'transformation',
      (r.body as RecordTypes['lot.transformed']).ledger.map((x) => x.licence_id),
      r.seq,
    ),
  'lot.consumed': (tx, ctx, r) =>
    monitorCustodyEvent(
      tx,
      ctx,
      'consumption',
      (r.body as RecordTypes['lot.consumed']).ledger.map((x) => x.licence_id),
      r.seq,
    ),
  'certificate.revoked': async (tx, ctx, r) => {
    // The licences this revocation suspended (the `certificate.revoked` projector stamped them with its seq).
    const relying = await licencesRepo.relyingOn(tx, (r.body as RecordTypes['certificate.revoked']).certificateId);
    await monitorCertificateRevocation(
      tx,
      ctx,
      relying.filter((l) => l.suspended_seq === r.seq).map((l) => l.id),
    );
  },
  'list.imported': (tx, ctx) => monitorListChange(tx, ctx),
};

/** Transactions whose custody events are judged at their end (`monitorDeferred`), not one by one as they commit. */
const deferredIn = new WeakMap<object, MonitoredEvent[]>();

/**
 * From now on the custody events of `tx` (a batch: `ingestCustodyEvents`, an EPCIS capture document)
 * are queued as they commit and judged by `monitorDeferred`, which the batch must await before it
 * commits: every event is still judged, in order, on the projections as they stood right after it,
 * with the batch's reads made once.
 */
export function deferMonitoring(tx: Transaction<Database>): void {
  if (!deferredIn.has(tx)) deferredIn.set(tx, []);
}

/** Judges the custody events `deferMonitoring` queued in `tx`, in order, and raises what is new. */
export async function monitorDeferred(tx: Transaction<Database>, ctx: AppContext): Promise<void> {
  const events = deferredIn.get(tx);
  deferredIn.delete(tx);
  if (events !== undefined && events.length > 0) await monitorCustodyEvents(tx, ctx, events);
}

/**
 * Queues (or, outside a deferring batch, judges now) a custody event that touched these licences:
 * run (by `monitorAppended`) after each dispatch, receipt, transformation and consumption record.
 * The event's shipments are those dispatched or received by the records committed in this
 * transaction since the last event the monitor took.
 */
async function monitorCustodyEvent(
  tx: Transaction<Database>,
  ctx: AppContext,
  trigger: AlertTrigger,
  licenceIds: Iterable<string>,
  seq: number,
): Promise<void> {
  const ids = new Set(licenceIds);
  const records = committedRecords(tx);
  const since = records.slice(monitoredUpTo.get(tx) ?? 0);
  monitoredUpTo.set(tx, records.length);
  if (ids.size === 0) return;
  const shipmentIds = since.flatMap((r) => {
    if (r.type === 'shipment.dispatched') return [(r.body as RecordTypes['shipment.dispatched']).shipment.id];
    if (r.type === 'shipment.received') return [(r.body as RecordTypes['shipment.received']).shipmentId];
    return [];
  });
  const event: MonitoredEvent = { trigger, ids, shipmentIds, seq };
  const queued = deferredIn.get(tx);
  if (queued !== undefined) queued.push(event);
  else await monitorCustodyEvents(tx, ctx, [event]);
}

/**
 * Runs the event detectors for each event, in order, on the projections as they stood right after
 * it (a single event is a batch of one), and raises what is new after each, in the events' own
 * transaction.
 */
async function monitorCustodyEvents(
  tx: Transaction<Database>,
  ctx: AppContext,
  events: readonly MonitoredEvent[],
): Promise<void> {
  const asOf = todayUtc(ctx.clock);
  const set = redFlags(ctx);
  const batch = await BatchFacts.read(tx, asOf, events);
  // A single event walks its provenance as it is judged: the same statements, without reading its shipments twice.
  if (events.length > 1) await batch.prefetch(events);
  for (const e of events) {
    const facts = await batch.at(e);
    const findings = detectAll(facts, set, { include: EVENT_RULES_BUT_ANNUAL_NEED });
    const need =
      EVENT_RULES.includes('annual-need-exceeded') && e.shipmentIds.length > 0
        ? await annualNeedFacts(tx, facts, batch, e)
        : undefined;
    if (need !== undefined) findings.push(...detectAll(need, set, { include: ['annual-need-exceeded'] }));
    if (findings.length > 0) await raise(tx, ctx, findings, e.trigger, asOf);
  }
  monitoredUpTo.set(tx, committedRecords(tx).length);
}

/** Whether a refused dispatch could be a transshipment attempt (restricted material towards a hub country), without touching the store. */
export function attemptWorthWatching(
  ctx: AppContext,
  lot: { readonly restrictions: readonly Restriction[] },
  to: { readonly country: string },
  destination: string,
): boolean {
  const hubs = redFlags(ctx).rules.transshipment?.hubCountries;
  return (
    hubs !== undefined &&
    lot.restrictions.some((r) => r.prohibitedDestinations.length > 0) &&
    (hubs.includes(destination) || hubs.includes(to.country))
  );
}

/**
 * A dispatch the rules refused may still be a diversion attempt: a lot bound by "no re-export
 * to …" sent to a hub country (or a consignee there). Raised in its own transaction after the
 * refusal (the refused shipment itself writes nothing).
 */
export async function monitorRefusedDispatch(
  ctx: AppContext,
  actor: string,
  s: { id: string; fromLot: string; to: string; destination: string; grams: number; shippedOn?: string | undefined },
  refused: RefusedError,
): Promise<RaiseOutcome> {
  const rule = redFlags(ctx).rules.transshipment;
  if (rule === undefined) return { raised: [], duplicates: 0, deferred: 0 };
  return ctx.store.transaction(async (tx) => {
    const lot = await lotsRepo.get(tx, s.fromLot);
    const restrictions = (lot?.restrictions ?? []) as Restriction[];
    if (lot?.holder !== actor || !restrictions.some((r) => r.prohibitedDestinations.length > 0))
      return { raised: [], duplicates: 0, deferred: 0 };
    const to = await partiesRepo.get(tx, s.to);
    if (!rule.hubCountries.includes(s.destination) && !(to && rule.hubCountries.includes(to.country)))
      return { raised: [], duplicates: 0, deferred: 0 };
    const asOf = todayUtc(ctx.clock);
    const attempt: AttemptFact = {
      id: s.id,
      fromLot: s.fromLot,
      fromHolder: actor,
      to: s.to,
      destination: s.destination,
      grams: s.grams,
      on: s.shippedOn ?? asOf,
      restrictions,
      refusals: refused.refusals.map((r) => r.rule),
    };
    const parties = new Map(
      (await partiesRepo.list(tx)).map((p) => [p.id, { party: p.party as Party, seq: p.created_seq }]),
    );
    const facts: MonitorFacts = {
      asOf,
      licences: [],
      balances: [],
      shipments: [],
      attempts: [attempt],
      transformations: [],
      reports: [],
      parties,
    };
    return raise(tx, ctx, detectTransshipment(facts, rule), 'dispatch-refused', asOf);
  });
}

interface ScreeningContext {
  readonly snapshots: readonly { list: string; sha256: string; seq: number }[];
}

/**
 * Re-screens every party of the given active licences — exporter, importer, consignee, end user,
 * the holders and consignees of the material the licence restricts, and (through the screening's
 * 50 % rule) their owners — against the lists in force in `tx`, and returns the hits that the
 * licence's decision-time screening did not have.
 */
async function rescreen(tx: Transaction<Database>, ctx: AppContext, rows: readonly LicenceRow[]): Promise<Finding[]> {
  const rule = redFlags(ctx).rules['screening-hit-after-approval'];
  if (rule === undefined || rows.length === 0) return [];
  const snapshots: ScreeningContext['snapshots'] = (await screeningRepo.currentImports(tx)).map((r) => ({
    list: r.list,
    sha256: r.sha256,
    seq: r.seq,
  }));
  const shipments = await shipmentsRepo.list(tx);
  const out: Finding[] = [];
  for (const l of rows.filter((x) => x.status === 'active')) {
    const licence = l.licence as Licence;
    const roles = new Map<string, string[]>();
    const add = (id: string, role: string) => roles.set(id, [...(roles.get(id) ?? []), role]);
    add(licence.holder, 'exporter');
    add(licence.importer, 'importer');
    add(licence.consignee, 'consignee');
    add(licence.endUser, 'end user');
    for (const lot of await lotsRepo.list(tx, { licenceId: l.id })) add(lot.holder, `holder of lot ${lot.id}`);
    for (const s of shipments)
      if (s.licence_id === l.id || (s.restrictions as Restriction[]).some((r) => r.licenceId === l.id))
        add(s.to_party, `consignee of shipment ${s.id}`);
    const parties: Party[] = [];
    for (const id of roles.keys()) {
      const p = await partiesRepo.get(tx, id);
      if (p) parties.push(p.party as Party);
    }
    const screened = await screenPartiesInTx(tx, parties);
    const now: ScreeningNow[] = screened.map((s) => ({
      partyId: s.partyId,
      roles: [...new Set(roles.get(s.partyId) ?? [])].slice(0, 5),
      hits: s.hits,
    }));
    const app = await applicationsRepo.get(tx, licence.applicationId);
    const atDecision = ((app?.assessment as Assessment | undefined)?.screening ?? []).map((s) => ({
      partyId: s.partyId,
      hits: s.hits,
    }));
    out.push(...detectNewScreeningHits(licenceFact(l), atDecision, now, { snapshots }, rule));
  }
  return out;
}

/**
 * When a list changes (run by `monitorAppended` in the import's transaction, after `list.imported`):
 * every party of every active licence is screened again and each hit that was not in the
 * licence's decision-time screening becomes an alert.
 */
async function monitorListChange(tx: Transaction<Database>, ctx: AppContext): Promise<RaiseOutcome> {
  const findings = await rescreen(tx, ctx, await licencesRepo.list(tx));
  return raise(tx, ctx, findings, 'list-import', todayUtc(ctx.clock));
}

export interface ScanResult extends RaiseOutcome {
  readonly asOf: string;
  readonly licences: number;
  readonly shipments: number;
  readonly findings: number;
}

/**
 * Runs every detector over every licence as of a date (default today) and raises what is new. A
 * date after today by `ctx`'s clock is refused (field asOf): it would raise alerts for deadlines that
 * have not passed. `lookAhead` lifts that for the demo's "45 days on" scan and for detector tests;
 * no edge (CLI, HTTP) passes it.
 */
export async function scanAlerts(
  ctx: AppContext,
  opts: { asOf?: string | undefined; licenceId?: string | undefined; lookAhead?: boolean } = {},
): Promise<ScanResult> {
  const today = todayUtc(ctx.clock);
  const asOf =
    opts.asOf === undefined
      ? today
      : opts.lookAhead === true
        ? isoDateValue(opts.asOf, 'asOf')
        : dateNotAfter(opts.asOf, today, 'asOf');
  redFlags(ctx); // validate before opening the transaction
  return ctx.store.transaction(async (tx) => {
    let only: Set<string> | undefined;
    if (opts.licenceId !== undefined) {
      if (!(await licencesRepo.get(tx, opts.licenceId)))
        throw new AppError('NOT_FOUND', `no licence "${opts.licenceId}"`, { field: 'licence' });
      only = new Set([opts.licenceId]);
    }
    const facts = await gatherFacts(tx, asOf, only);
    const findings = [
      ...detectAll(facts, redFlags(ctx)),
      ...(await rescreen(
        tx,
        ctx,
        (await licencesRepo.list(tx)).filter((l) => only === undefined || only.has(l.id)),
      )),
      ...(await declaredValueFindings(
        tx,
        ctx,
        facts.licences.map((l) => l.licence.id),
      )),
    ];
    const r = await raise(tx, ctx, findings, 'scan', asOf);
    return {
      ...r,
      asOf,
      licences: facts.licences.length,
      shipments: facts.shipments.length,
      findings: findings.length,
    };
  });
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, high: 2, critical: 3 };

export interface AlertQuery {
  readonly licenceId?: string | undefined;
  /** At least this severity ("high" lists high and critical). */
  readonly severity?: string | undefined;
  readonly status?: 'open' | 'resolved' | 'dismissed' | undefined;
}

export async function listAlerts(ctx: AppContext, q: AlertQuery = {}): Promise<readonly Alert[]> {
  let severities: Severity[] | undefined;
  if (q.severity !== undefined) {
    if (!(SEVERITIES as readonly string[]).includes(q.severity))
      throw new ValidationError(
        'severity',
        `must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(q.severity)}`,
      );
    const min = SEVERITY_RANK[q.severity as Severity];
    severities = SEVERITIES.filter((s) => SEVERITY_RANK[s] >= min);
  }
  const rows = await alertsRepo.list(ctx.store.db, {
    ...(q.licenceId === undefined ? {} : { licenceId: q.licenceId }),
    ...(severities ? { severities } : {}),
    ...(q.status === undefined ? {} : { status: q.status }),
  });
  return rows.map(toAlert);
}

export async function getAlert(ctx: AppContext, id: string): Promise<Alert> {
  const row = await alertsRepo.get(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `no alert "${id}"`, { field: 'alert' });
  return toAlert(row);
}

type AlertWork =
  | { readonly kind: 'resolve'; readonly note: string }
  | { readonly kind: 'dismiss'; readonly reason: string }
  | { readonly kind: 'assign'; readonly assignee: string; readonly note?: string | undefined };

/**
 * Works an alert as an officer of its licence's authority (of whoever raised it, for an alert about no
 * licence), in one transaction: closes it with a note (`alert.resolved`), closes it as no concern with
 * the reason (`alert.dismissed`), or gives it to a person to work (`alert.assigned`; an open alert
 * only, a later assignment replaces the earlier). A closed alert is not worked again.
 */
async function workAlert(
  ctx: AppContext,
  actor: string,
  id: string,
  work: AlertWork,
): Promise<{ alert: Alert; seq: number }> {
  if (!ALERT_ID.test(id))
    throw new ValidationError(
      'alert',
      `must be an alert id such as "alert-0123456789abcdef0123", got ${JSON.stringify(id)}`,
    );
  const text = (v: string | undefined, field: string, what: string, max: number): string => {
    const t = (v ?? '').trim();
    if (t === '') throw new ValidationError(field, `must say ${what}`);
    if (t.length > max) throw new ValidationError(field, `must be at most ${max} characters, got ${t.length}`);
    return t;
  };
  const body =
    work.kind === 'resolve'
      ? {
          type: 'alert.resolved' as const,
          body: { alertId: id, note: text(work.note, 'note', 'how the alert was resolved', 2000) },
        }
      : work.kind === 'dismiss'
        ? {
            type: 'alert.dismissed' as const,
            body: { alertId: id, reason: text(work.reason, 'reason', 'why the alert is dismissed', 2000) },
          }
        : {
            type: 'alert.assigned' as const,
            body: {
              alertId: id,
              assignee: text(work.assignee, 'assignee', 'who works the alert (a name or e-mail)', 200),
              ...(work.note === undefined || work.note.trim() === ''
                ? {}
                : { note: text(work.note, 'note', 'why', 2000) }),
            },
          };
  return ctx.store.transaction(async (tx) => {
    await requireParty(tx, actor, 'as');
    const row = await alertsRepo.lock(tx, id);
    if (!row) throw new AppError('NOT_FOUND', `no alert "${id}"`, { field: 'alert' });
    if (row.status !== 'open')
      throw new AppError(
        'ALREADY_EXISTS',
        `alert ${id} was already ${row.status} by ${row.resolved_by ?? '?'} (journal entry ${String(row.resolved_seq)})`,
      );
    const authority = row.licence_id === null ? row.raised_by : (await licencesRepo.get(tx, row.licence_id))?.authority;
    if (actor !== authority)
      throw new AppError(
        'FORBIDDEN',
        `alert ${id} is worked by ${authority ?? 'the licensing authority'}, not ${actor}`,
        { field: 'as' },
      );
    const c =
      body.type === 'alert.resolved'
        ? await commit(tx, ctx, body.type, actor, body.body)
        : body.type === 'alert.dismissed'
          ? await commit(tx, ctx, body.type, actor, body.body)
          : await commit(tx, ctx, body.type, actor, body.body);
    const after = await alertsRepo.get(tx, id);
    if (!after) throw new AppError('NOT_FOUND', `no alert "${id}"`);
    return { alert: toAlert(after), seq: c.seq };
  });
}

/** An officer of the licence's authority closes an alert with a note (journalled as `alert.resolved`). */
export function resolveAlert(
  ctx: AppContext,
  actor: string,
  id: string,
  note: string,
): Promise<{ alert: Alert; seq: number }> {
  return workAlert(ctx, actor, id, { kind: 'resolve', note });
}

/** An officer of the licence's authority closes an alert as no concern, with the reason (`alert.dismissed`). */
export function dismissAlert(
  ctx: AppContext,
  actor: string,
  id: string,
  reason: string,
): Promise<{ alert: Alert; seq: number }> {
  return workAlert(ctx, actor, id, { kind: 'dismiss', reason });
}

/** The licence's authority gives an open alert to a person to work (`alert.assigned`). */
export function assignAlert(
  ctx: AppContext,
  actor: string,
  id: string,
  assignee: string,
  note?: string,
): Promise<{ alert: Alert; seq: number }> {
  return workAlert(ctx, actor, id, { kind: 'assign', assignee, note });
}

export const reportInputSchema = z
  .object({
    shipmentId: z.string().min(1).max(80),
    kind: z.enum(['post-shipment', 'end-use']).optional(),
    receivedGrams: wholeGrams,
    installedIn: z.string().trim().min(1).max(300).optional(),
    location: z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "IN"' }),
    date: isoDate,
    note: z.string().max(2000).optional(),
  })
  .strict();

export interface FiledReport {
  readonly id: string;
  readonly seq: number;
  readonly shipmentId: string;
  readonly licenceId?: string;
  /** Alerts the filing raised (a report filed after its due date). */
  readonly alerts: readonly Alert[];
}

/**
 * The consignee or end user of a shipment files its post-shipment (delivery verification) report:
 * what arrived, where it is installed, where, and when. Journalled as `report.filed`; a report
 * filed after the licence's reporting period raises the late-report alert.
 */
export async function fileReport(ctx: AppContext, actor: string, input: unknown): Promise<FiledReport> {
  const i = parse(reportInputSchema, input, 'report');
  const today = todayUtc(ctx.clock);
  if (i.date > today) throw new ValidationError('report.date', `is after today (${today})`);
  return ctx.store.transaction(async (tx) => {
    await requireParty(tx, actor, 'as');
    const sh = await shipmentsRepo.get(tx, i.shipmentId);
    if (!sh) throw new AppError('NOT_FOUND', `no shipment "${i.shipmentId}"`, { field: 'report.shipmentId' });
    const restrictions = sh.restrictions as Restriction[];
    if (sh.to_party !== actor && !restrictions.some((r) => r.endUser === actor))
      throw new AppError(
        'FORBIDDEN',
        `${actor} is neither the consignee of shipment ${sh.id} (${sh.to_party}) nor the end user of its material`,
        { field: 'as' },
      );
    if (i.date < sh.shipped_on)
      throw new ValidationError('report.date', `is before the shipment left (${sh.shipped_on})`);
    const licenceId = sh.licence_id ?? restrictions[0]?.licenceId;
    const id = `rpt-${randomUUID().slice(0, 8)}`;
    const c = await commit(tx, ctx, 'report.filed', actor, {
      id,
      kind: i.kind ?? 'post-shipment',
      shipmentId: sh.id,
      ...(licenceId === undefined ? {} : { licenceId }),
      receivedGrams: i.receivedGrams,
      ...(i.installedIn === undefined ? {} : { installedIn: i.installedIn }),
      location: i.location,
      date: i.date,
      ...(i.note === undefined ? {} : { note: i.note }),
    });
    let alerts: readonly Alert[] = [];
    if (licenceId !== undefined) {
      const facts = await gatherFacts(tx, today, new Set([licenceId]));
      alerts = (
        await raise(
          tx,
          ctx,
          detectAll({ ...facts, shipments: facts.shipments.filter((s) => s.id === sh.id) }, redFlags(ctx), {
            include: ['post-shipment-report-late'],
          }),
          'report',
          today,
        )
      ).raised;
    }
    return { id, seq: c.seq, shipmentId: sh.id, ...(licenceId === undefined ? {} : { licenceId }), alerts };
  });
}
