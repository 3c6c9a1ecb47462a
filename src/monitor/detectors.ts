import {
  addDaysIso,
  countryName,
  deadlineBase,
  formatGrams,
  type Licence,
  type Party,
  type Restriction,
} from '../domain/index.js';
import type { RedFlagId, RedFlagRules, RedFlagSet, RuleMeta, Severity } from './red-flags.js';

/**
 * The red-flag detectors: pure functions from facts (gathered by the application from the
 * projections and the journal) and a red-flag set to findings. No I/O, no clock: "as of" is a fact.
 */

export type ThresholdValue = number | string | readonly string[];

export interface Finding {
  readonly rule: RedFlagId;
  readonly severity: Severity;
  readonly licenceId?: string;
  /** The parties the finding is about (holders, consignees, end users). */
  readonly parties: readonly string[];
  /** In words, with the numbers. */
  readonly explanation: string;
  /** The journal entries and the records (shipment, lot, licence, list entry …) involved. */
  readonly evidence: { readonly seqs: readonly number[]; readonly records: readonly string[] };
  /** The thresholds the finding was judged against. */
  readonly thresholds: Readonly<Record<string, ThresholdValue>>;
  /** The same rule on the same evidence gives the same key: alerts are deduplicated on it. */
  readonly key: string;
}

export interface LicenceFact {
  readonly licence: Licence;
  readonly status: 'active' | 'suspended' | 'revoked';
  /** Why a suspended licence is suspended: the revocation of its certificate (journal entry and reason). */
  readonly suspension?: { readonly seq: number; readonly reason: string } | undefined;
  /** The journal entry of the approval. */
  readonly decidedSeq: number;
}

export interface HolderBalanceFact {
  readonly holder: string;
  /** received + transformed-in − shipped − transformed-out − consumed − on hand, grams of licensed material. */
  readonly gap: number;
  /** The custody-ledger journal entries behind the holder's balance. */
  readonly seqs: readonly number[];
}

export interface BalanceFact {
  readonly licenceId: string;
  /** Grams of material the licence put into circulation (its 'created' ledger rows). */
  readonly licensedGrams: number;
  readonly holders: readonly HolderBalanceFact[];
}

export interface ShipmentFact {
  readonly id: string;
  readonly seq: number;
  readonly fromLot: string;
  readonly fromHolder: string;
  readonly to: string;
  readonly destination: string;
  readonly grams: number;
  /** The date the shipper declared. */
  readonly shippedOn: string;
  /** The server's day of the shipment's journal entry (its `at`), when known. */
  readonly recordedOn?: string | undefined;
  /** The licence drawn down, for a licensed export. */
  readonly licenceId?: string | undefined;
  readonly restrictions: readonly Restriction[];
  readonly received?:
    { readonly seq: number; readonly on: string; readonly grams: number; readonly lotId: string } | undefined;
}

/** A shipment the rules refused (nothing was shipped; the attempt is still a signal). */
export interface AttemptFact {
  readonly id: string;
  readonly fromLot: string;
  readonly fromHolder: string;
  readonly to: string;
  readonly destination: string;
  readonly grams: number;
  readonly on: string;
  readonly restrictions: readonly Restriction[];
  readonly refusals: readonly string[];
}

export interface TransformFact {
  readonly id: string;
  readonly seq: number;
  readonly holder: string;
  readonly on: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface ReportFact {
  readonly id: string;
  readonly seq: number;
  readonly shipmentId: string;
  readonly kind: string;
  readonly filedOn: string;
}

export interface MonitorFacts {
  readonly asOf: string;
  readonly licences: readonly LicenceFact[];
  readonly balances: readonly BalanceFact[];
  readonly shipments: readonly ShipmentFact[];
  readonly attempts: readonly AttemptFact[];
  readonly transformations: readonly TransformFact[];
  readonly reports: readonly ReportFact[];
  /** Registered parties with the journal entry that registered them. */
  readonly parties: ReadonlyMap<string, { readonly party: Party; readonly seq: number }>;
}

const DAY_MS = 86_400_000;

/** Whole days from date a to date b (YYYY-MM-DD), negative when b is earlier. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** part / whole in ppm, rounded down; a whole of 0 counts as 1,000,000 ppm for any part > 0. */
export function ppmOf(part: number, whole: number): number {
  if (whole <= 0) return part > 0 ? 1_000_000 : 0;
  return Number((BigInt(part) * 1_000_000n) / BigInt(whole));
}

/** Masses in alerts as people read them, with the exact grams: "600 kg (600,000 g)". */
const fmtG = formatGrams;
const uniq = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const seqs = (xs: readonly number[]) => uniq(xs).sort((a, b) => a - b);

function finding(meta: RuleMeta, f: Omit<Finding, 'rule' | 'severity'>): Finding {
  return {
    rule: meta.id,
    severity: meta.severity,
    ...f,
    parties: uniq(f.parties),
    evidence: { seqs: seqs(f.evidence.seqs), records: uniq(f.evidence.records) },
  };
}

function nameOf(facts: MonitorFacts, id: string): string {
  return facts.parties.get(id)?.party.name ?? id;
}

/** Licensed grams of a restriction that arrived, when `received` of `shipped` grams arrived (rounded down). */
function arrived(r: Restriction, shipped: number, received: number): number {
  if (shipped <= 0) return 0;
  return Math.min(r.licensedGrams, Number((BigInt(r.licensedGrams) * BigInt(received)) / BigInt(shipped)));
}

/** Mass-balance gap per licence and holder, and licensed grams that did not arrive at receipt. */
export function detectMassBalanceGaps(
  facts: MonitorFacts,
  rule: NonNullable<RedFlagRules['mass-balance-gap']>,
): Finding[] {
  const out: Finding[] = [];
  const thresholds = { min_gap_grams: rule.minGapGrams, min_gap_ppm: rule.minGapPpm };
  const over = (gap: number, whole: number) => gap >= rule.minGapGrams || ppmOf(gap, whole) >= rule.minGapPpm;
  const licensed = new Map(facts.balances.map((b) => [b.licenceId, b.licensedGrams]));
  for (const b of facts.balances) {
    for (const h of b.holders) {
      const gap = Math.abs(h.gap);
      if (h.gap === 0 || !over(gap, b.licensedGrams)) continue;
      out.push(
        finding(rule, {
          licenceId: b.licenceId,
          parties: [h.holder],
          explanation: `licence ${b.licenceId}: the books of ${nameOf(facts, h.holder)} show a mass-balance gap of ${fmtG(gap)} of licensed material (${ppmOf(gap, b.licensedGrams).toLocaleString('en')} ppm of the ${fmtG(b.licensedGrams)} licensed): ${h.gap > 0 ? 'more went in than went out or is on hand' : 'more went out or is on hand than went in'}`,
          evidence: { seqs: h.seqs, records: [`licence ${b.licenceId}`, `holder ${h.holder}`] },
          thresholds,
          key: `mass-balance-gap|${b.licenceId}|holder|${h.holder}|${h.gap}`,
        }),
      );
    }
  }
  for (const s of facts.shipments) {
    if (s.received === undefined) continue;
    for (const r of s.restrictions) {
      const whole = licensed.get(r.licenceId);
      if (whole === undefined) continue;
      const short = r.licensedGrams - arrived(r, s.grams, s.received.grams);
      if (short <= 0 || !over(short, whole)) continue;
      out.push(
        finding(rule, {
          licenceId: r.licenceId,
          parties: [s.fromHolder, s.to],
          explanation: `licence ${r.licenceId}: shipment ${s.id} from ${nameOf(facts, s.fromHolder)} carried ${fmtG(r.licensedGrams)} of licensed material, but ${nameOf(facts, s.to)} received ${fmtG(s.received.grams)} of ${fmtG(s.grams)} (lot ${s.received.lotId}): ${fmtG(short)} unaccounted for (${ppmOf(short, whole).toLocaleString('en')} ppm of the ${fmtG(whole)} licensed)`,
          evidence: { seqs: [s.seq, s.received.seq], records: [`shipment ${s.id}`, `lot ${s.received.lotId}`] },
          thresholds,
          key: `mass-balance-gap|${r.licenceId}|shipment|${s.id}`,
        }),
      );
    }
  }
  return out;
}

/** Material bound by "no re-export to X" moving to, or to a consignee in, a hub country; refused attempts too. */
export function detectTransshipment(facts: MonitorFacts, rule: NonNullable<RedFlagRules['transshipment']>): Finding[] {
  const out: Finding[] = [];
  const hubs = new Set<string>(rule.hubCountries);
  const moves = [
    ...facts.shipments.map((s) => ({ ...s, attempt: undefined as readonly string[] | undefined, on: s.shippedOn })),
    ...facts.attempts.map((a) => ({
      ...a,
      seq: undefined as number | undefined,
      licenceId: undefined as string | undefined,
      attempt: a.refusals,
    })),
  ];
  for (const m of moves) {
    const to = facts.parties.get(m.to)?.party;
    for (const r of m.restrictions) {
      if (r.prohibitedDestinations.length === 0) continue;
      if (m.licenceId === r.licenceId) continue; // the licensed export itself goes where the licence says
      const reasons: string[] = [];
      if (hubs.has(m.destination) && m.destination !== r.useOnlyIn)
        reasons.push(`destination ${countryName(m.destination)} (${m.destination}) is a transshipment hub`);
      else if (to && hubs.has(to.country) && to.country !== r.useOnlyIn)
        reasons.push(`consignee ${to.name} is in ${countryName(to.country)} (${to.country}), a transshipment hub`);
      if (reasons.length === 0) continue;
      const controlled = (to?.owners ?? []).filter(
        (o) => o.country !== undefined && r.prohibitedDestinations.includes(o.country) && o.sharePpm >= 500_000,
      );
      for (const o of controlled)
        reasons.push(
          `${to?.name ?? m.to} is ${(o.sharePpm / 10_000).toLocaleString('en')} % owned by ${o.name} (${o.country ?? ''}), in a prohibited destination`,
        );
      out.push(
        finding(rule, {
          licenceId: r.licenceId,
          parties: [m.fromHolder, m.to],
          explanation: `${m.attempt ? 'attempted shipment' : 'shipment'} ${m.id} of ${fmtG(m.grams)} from lot ${m.fromLot} (${nameOf(facts, m.fromHolder)}) to ${nameOf(facts, m.to)} carries licence ${r.licenceId}, which prohibits ${r.prohibitedDestinations.join(', ')}: ${reasons.join('; ')}${m.attempt ? `; refused (${m.attempt.join(', ')})` : ''}`,
          evidence: {
            seqs: m.seq === undefined ? [] : [m.seq],
            records: [`${m.attempt ? 'attempted shipment' : 'shipment'} ${m.id}`, `lot ${m.fromLot}`, ...r.chain],
          },
          thresholds: { hub_countries: rule.hubCountries, prohibited_destinations: r.prohibitedDestinations },
          key: `transshipment|${r.licenceId}|${m.attempt ? 'attempt' : 'shipment'}|${m.id}`,
        }),
      );
    }
  }
  return out;
}

/** An end user that received more licensed material in the window than it declared it needs in a year. */
export function detectAnnualNeed(
  facts: MonitorFacts,
  rule: NonNullable<RedFlagRules['annual-need-exceeded']>,
): Finding[] {
  const out: Finding[] = [];
  const needs = new Map<string, { grams: number; licences: string[] }>();
  for (const l of facts.licences) {
    const need = l.licence.endUse.annualNeedGrams;
    if (l.status !== 'active' || need === undefined) continue;
    const cur = needs.get(l.licence.endUser);
    needs.set(l.licence.endUser, {
      grams: Math.max(cur?.grams ?? 0, need),
      licences: [...(cur?.licences ?? []), l.licence.id],
    });
  }
  const from = addDaysIso(facts.asOf, -rule.windowDays);
  for (const [endUser, need] of needs) {
    const receipts = facts.shipments
      .filter(
        (s) => s.to === endUser && s.received !== undefined && s.received.on > from && s.received.on <= facts.asOf,
      )
      .map((s) => ({
        s,
        grams: s.restrictions
          .filter((r) => r.endUser === endUser)
          .reduce((t, r) => t + arrived(r, s.grams, s.received?.grams ?? 0), 0),
      }))
      .filter((x) => x.grams > 0)
      .sort((a, b) => (a.s.received?.seq ?? 0) - (b.s.received?.seq ?? 0));
    const total = receipts.reduce((t, x) => t + x.grams, 0);
    const limit = need.grams + Number((BigInt(need.grams) * BigInt(rule.tolerancePpm)) / 1_000_000n);
    if (total <= limit) continue;
    const last = receipts.at(-1)?.s;
    out.push(
      finding(rule, {
        licenceId: last?.restrictions.find((r) => r.endUser === endUser)?.licenceId ?? need.licences[0] ?? '',
        parties: [endUser],
        explanation: `${nameOf(facts, endUser)} received ${fmtG(total)} of licensed material in the ${rule.windowDays} days to ${facts.asOf} (${receipts.length} receipts), more than its declared annual need of ${fmtG(need.grams)} (licences ${need.licences.join(', ')})`,
        evidence: {
          seqs: receipts.flatMap((x) => [x.s.seq, x.s.received?.seq ?? x.s.seq]),
          records: [...need.licences.map((l) => `licence ${l}`), ...receipts.map((x) => `shipment ${x.s.id}`)],
        },
        thresholds: { window_days: rule.windowDays, tolerance_ppm: rule.tolerancePpm, annual_need_grams: need.grams },
        key: `annual-need-exceeded|${endUser}|${receipts.map((x) => x.s.id).join(',')}`,
      }),
    );
  }
  return out;
}

/** An end user whose sector does not fit the declared end use (a sector absent from the table fits nothing). */
export function detectSectorMismatch(
  facts: MonitorFacts,
  rule: NonNullable<RedFlagRules['sector-end-use-mismatch']>,
): Finding[] {
  const out: Finding[] = [];
  for (const l of facts.licences) {
    if (l.status !== 'active') continue;
    const eu = facts.parties.get(l.licence.endUser);
    const sector = eu?.party.sector;
    if (eu === undefined || sector === undefined) continue;
    const plausible = rule.plausiblePurposes[sector] ?? [];
    const misfit = l.licence.endUse.purposes.filter((p) => !plausible.includes(p));
    if (misfit.length === 0) continue;
    out.push(
      finding(rule, {
        licenceId: l.licence.id,
        parties: [l.licence.endUser],
        explanation: `licence ${l.licence.id}: end user ${eu.party.name} is in the ${sector} sector, which does not fit the declared end use ${misfit.join(', ')} ("${l.licence.endUse.description}"); plausible for ${sector}: ${plausible.join(', ') || 'none listed'}`,
        evidence: { seqs: [l.decidedSeq, eu.seq], records: [`licence ${l.licence.id}`, `party ${eu.party.id}`] },
        thresholds: { sector, plausible_purposes: plausible },
        key: `sector-end-use-mismatch|${l.licence.id}|${eu.party.id}|${sector}|${misfit.join(',')}`,
      }),
    );
  }
  return out;
}

/** Post-shipment reports due (shipping date + the licence's period + grace) and filed late, or not at all by the as-of date. */
export function detectLateReports(
  facts: MonitorFacts,
  rule: NonNullable<RedFlagRules['post-shipment-report-late']>,
): Finding[] {
  const out: Finding[] = [];
  for (const l of facts.licences) {
    const duty = l.licence.reportingDuties.find((d) => d.kind === 'post-shipment-report');
    if (duty === undefined) continue;
    for (const s of facts.shipments.filter((x) => x.licenceId === l.licence.id)) {
      // Counted from the later of the declared date and the record's server day (see deadlineBase).
      const due = addDaysIso(deadlineBase(s.shippedOn, s.recordedOn), duty.withinDays);
      const deadline = addDaysIso(due, rule.graceDays);
      const filed = facts.reports
        .filter((r) => r.shipmentId === s.id && r.kind === 'post-shipment')
        .sort((a, b) => a.seq - b.seq)[0];
      const thresholds = { within_days: duty.withinDays, grace_days: rule.graceDays, due };
      const parties = [l.licence.importer, l.licence.endUser];
      if (filed !== undefined && filed.filedOn > deadline) {
        out.push(
          finding(rule, {
            licenceId: l.licence.id,
            parties,
            explanation: `licence ${l.licence.id}: the post-shipment report for shipment ${s.id} (shipped ${s.shippedOn}) was due to ${duty.to} by ${due} and was filed on ${filed.filedOn}, ${daysBetween(due, filed.filedOn)} days late`,
            evidence: { seqs: [s.seq, filed.seq], records: [`shipment ${s.id}`, `report ${filed.id}`] },
            thresholds,
            key: `post-shipment-report-late|${s.id}|late`,
          }),
        );
      } else if (filed === undefined && facts.asOf > deadline) {
        out.push(
          finding(rule, {
            licenceId: l.licence.id,
            parties,
            explanation: `licence ${l.licence.id}: no post-shipment report for shipment ${s.id} (shipped ${s.shippedOn}); it was due to ${duty.to} by ${due}, ${daysBetween(due, facts.asOf)} days before ${facts.asOf}`,
            evidence: { seqs: [s.seq, ...(s.received ? [s.received.seq] : [])], records: [`shipment ${s.id}`] },
            thresholds,
            key: `post-shipment-report-late|${s.id}|missing`,
          }),
        );
      }
    }
  }
  return out;
}

/** A holder that ships restricted material on within N days of receiving it. */
export function detectQuickReshipment(
  facts: MonitorFacts,
  rule: NonNullable<RedFlagRules['quick-reshipment']>,
): Finding[] {
  const out: Finding[] = [];
  const byLot = new Map<string, ShipmentFact>();
  for (const s of facts.shipments) if (s.received) byLot.set(s.received.lotId, s);
  for (const s of facts.shipments) {
    const r = byLot.get(s.fromLot);
    if (r?.received === undefined || r.to !== s.fromHolder || s.restrictions.length === 0) continue;
    const d = daysBetween(r.received.on, s.shippedOn);
    if (d > rule.withinDays) continue;
    const lic = s.restrictions[0]?.licenceId;
    out.push(
      finding(rule, {
        ...(lic === undefined ? {} : { licenceId: lic }),
        parties: [s.fromHolder, s.to],
        explanation: `${nameOf(facts, s.fromHolder)} received lot ${s.fromLot} on ${r.received.on} (shipment ${r.id}) and shipped ${fmtG(s.grams)} of it on to ${nameOf(facts, s.to)} (${s.destination}) on ${s.shippedOn}, ${d} day${d === 1 ? '' : 's'} later (licences ${uniq(s.restrictions.map((x) => x.licenceId)).join(', ')})`,
        evidence: {
          seqs: [r.seq, r.received.seq, s.seq],
          records: [`shipment ${r.id}`, `lot ${s.fromLot}`, `shipment ${s.id}`],
        },
        thresholds: { within_days: rule.withinDays },
        key: `quick-reshipment|${s.id}`,
      }),
    );
  }
  return out;
}

/** Whether two parties are related by ownership: one owns ≥ threshold of the other, or one owner holds ≥ threshold of both. */
export function relatedByOwnership(
  a: Party | undefined,
  b: Party | undefined,
  thresholdPpm: number,
): string | undefined {
  if (a === undefined || b === undefined) return undefined;
  const owns = (x: Party, y: Party) => (y.owners ?? []).find((o) => o.partyId === x.id && o.sharePpm >= thresholdPpm);
  const ab = owns(a, b);
  if (ab) return `${a.name} owns ${(ab.sharePpm / 10_000).toLocaleString('en')} % of ${b.name}`;
  const ba = owns(b, a);
  if (ba) return `${b.name} owns ${(ba.sharePpm / 10_000).toLocaleString('en')} % of ${a.name}`;
  const key = (o: { partyId?: string; name: string }) => o.partyId ?? `name:${o.name.toLowerCase()}`;
  for (const oa of a.owners ?? []) {
    if (oa.sharePpm < thresholdPpm) continue;
    const ob = (b.owners ?? []).find((o) => key(o) === key(oa) && o.sharePpm >= thresholdPpm);
    if (ob)
      return `${oa.name} owns ${(oa.sharePpm / 10_000).toLocaleString('en')} % of ${a.name} and ${(ob.sharePpm / 10_000).toLocaleString('en')} % of ${b.name}`;
  }
  return undefined;
}

interface Step {
  readonly holder: string;
  readonly on: string;
  readonly seq: number;
  readonly shipment: string;
}

/** The earlier holders of a lot's material, nearest first: who shipped it (or its inputs) on, and when. */
export function provenance(facts: MonitorFacts, lotId: string): Step[] {
  const byLot = new Map<string, ShipmentFact>();
  for (const s of facts.shipments) if (s.received) byLot.set(s.received.lotId, s);
  const made = new Map<string, TransformFact>();
  for (const t of facts.transformations) for (const o of t.outputs) made.set(o, t);
  const out: Step[] = [];
  const seen = new Set<string>();
  const queue = [lotId];
  while (queue.length > 0 && seen.size < 1000) {
    const lot = queue.shift() ?? '';
    if (seen.has(lot)) continue;
    seen.add(lot);
    const s = byLot.get(lot);
    if (s) {
      out.push({ holder: s.fromHolder, on: s.shippedOn, seq: s.seq, shipment: s.id });
      queue.push(s.fromLot);
    }
    const t = made.get(lot);
    if (t) queue.push(...t.inputs);
  }
  return out;
}

/** Material that comes back to a party it passed through (or to one related to it by ownership) within N days. */
export function detectCircularTrade(facts: MonitorFacts, rule: NonNullable<RedFlagRules['circular-trade']>): Finding[] {
  const out: Finding[] = [];
  for (const s of facts.shipments) {
    if (s.restrictions.length === 0) continue;
    const to = facts.parties.get(s.to)?.party;
    for (const p of provenance(facts, s.fromLot)) {
      const d = daysBetween(p.on, s.shippedOn);
      if (d < 0 || d > rule.withinDays || p.holder === s.fromHolder) continue;
      const how =
        p.holder === s.to
          ? `${nameOf(facts, s.to)} itself shipped this material on ${p.on} (shipment ${p.shipment})`
          : relatedByOwnership(facts.parties.get(p.holder)?.party, to, rule.relatedOwnershipPpm);
      if (how === undefined) continue;
      const lic = s.restrictions[0]?.licenceId;
      out.push(
        finding(rule, {
          ...(lic === undefined ? {} : { licenceId: lic }),
          parties: [p.holder, s.fromHolder, s.to],
          explanation: `shipment ${s.id} on ${s.shippedOn} sends material from lot ${s.fromLot} (${nameOf(facts, s.fromHolder)}) back towards ${nameOf(facts, s.to)}, ${d} days after it passed through ${nameOf(facts, p.holder)}: ${how}`,
          evidence: {
            seqs: [p.seq, s.seq],
            records: [`shipment ${p.shipment}`, `shipment ${s.id}`, `lot ${s.fromLot}`],
          },
          thresholds: { within_days: rule.withinDays, related_ownership_ppm: rule.relatedOwnershipPpm },
          key: `circular-trade|${s.id}|${p.holder}`,
        }),
      );
      break;
    }
  }
  return out;
}

export interface ScreeningNow {
  readonly partyId: string;
  /** Why the party belongs to the licence: "exporter", "end user", "holder of lot X" … */
  readonly roles: readonly string[];
  readonly hits: readonly {
    readonly list: string;
    readonly entryId: string;
    readonly name: string;
    readonly score: number;
    readonly explanation: string;
    readonly via?: readonly string[] | undefined;
  }[];
}

/** Hits of a re-screening that the licence's decision-time screening did not have. */
export function detectNewScreeningHits(
  licence: LicenceFact,
  atDecision: readonly {
    readonly partyId: string;
    readonly hits: readonly { readonly list: string; readonly entryId: string }[];
  }[],
  now: readonly ScreeningNow[],
  context: { readonly snapshots: readonly { readonly list: string; readonly sha256: string; readonly seq: number }[] },
  rule: NonNullable<RedFlagRules['screening-hit-after-approval']>,
): Finding[] {
  const before = new Set(atDecision.flatMap((s) => s.hits.map((h) => `${s.partyId}\u0000${h.list}\u0000${h.entryId}`)));
  const out: Finding[] = [];
  for (const s of now) {
    for (const h of s.hits) {
      if (before.has(`${s.partyId}\u0000${h.list}\u0000${h.entryId}`)) continue;
      const snap = context.snapshots.find((x) => x.list === h.list);
      out.push(
        finding(rule, {
          licenceId: licence.licence.id,
          parties: [s.partyId],
          explanation: `licence ${licence.licence.id} (approved at journal entry ${licence.decidedSeq}): ${s.partyId} (${s.roles.join(', ')}) now matches ${h.list} entry "${h.name}" (${h.entryId}, score ${h.score.toFixed(2)}${h.via ? `; via ${h.via.join('; ')}` : ''}), which it did not when the licence was decided: ${h.explanation}`,
          evidence: {
            seqs: [licence.decidedSeq, ...(snap ? [snap.seq] : [])],
            records: [
              `licence ${licence.licence.id}`,
              `party ${s.partyId}`,
              `list ${h.list} entry ${h.entryId}${snap ? ` (snapshot ${snap.sha256})` : ''}`,
            ],
          },
          thresholds: { lists: context.snapshots.map((x) => `${x.list}@${x.sha256.slice(0, 12)}`) },
          key: `screening-hit-after-approval|${licence.licence.id}|${s.partyId}|${h.list}|${h.entryId}`,
        }),
      );
    }
  }
  return out;
}

/** Every detector that works from custody facts (screening runs apart, against the lists). */
/** A licence suspended because the end-user certificate it relies on was revoked: its authority must know. */
export function detectCertificateRevoked(
  facts: MonitorFacts,
  rule: NonNullable<RedFlagRules['certificate-revoked']>,
): Finding[] {
  return facts.licences.flatMap((l) => {
    if (l.status !== 'suspended' || l.suspension === undefined) return [];
    const L = l.licence;
    return [
      finding(rule, {
        licenceId: L.id,
        parties: [L.holder, L.endUser],
        explanation: `licence ${L.id} of ${nameOf(facts, L.holder)} is suspended: ${l.suspension.reason} (journal entry ${l.suspension.seq}); no shipment under it is accepted, and its material already shipped carries the revocation`,
        evidence: {
          seqs: [l.decidedSeq, l.suspension.seq],
          records: [`licence ${L.id}`, ...(L.certificateId === undefined ? [] : [`certificate ${L.certificateId}`])],
        },
        thresholds: {},
        key: `certificate-revoked|${L.id}|${l.suspension.seq}`,
      }),
    ];
  });
}

export function detectAll(
  facts: MonitorFacts,
  set: RedFlagSet,
  opts: { readonly include?: readonly RedFlagId[] } = {},
): Finding[] {
  const r = set.rules;
  const on = (id: RedFlagId) => opts.include === undefined || opts.include.includes(id);
  return [
    ...(r['mass-balance-gap'] && on('mass-balance-gap') ? detectMassBalanceGaps(facts, r['mass-balance-gap']) : []),
    ...(r.transshipment && on('transshipment') ? detectTransshipment(facts, r.transshipment) : []),
    ...(r['annual-need-exceeded'] && on('annual-need-exceeded')
      ? detectAnnualNeed(facts, r['annual-need-exceeded'])
      : []),
    ...(r['sector-end-use-mismatch'] && on('sector-end-use-mismatch')
      ? detectSectorMismatch(facts, r['sector-end-use-mismatch'])
      : []),
    ...(r['post-shipment-report-late'] && on('post-shipment-report-late')
      ? detectLateReports(facts, r['post-shipment-report-late'])
      : []),
    ...(r['quick-reshipment'] && on('quick-reshipment') ? detectQuickReshipment(facts, r['quick-reshipment']) : []),
    ...(r['circular-trade'] && on('circular-trade') ? detectCircularTrade(facts, r['circular-trade']) : []),
    ...(r['certificate-revoked'] && on('certificate-revoked')
      ? detectCertificateRevoked(facts, r['certificate-revoked'])
      : []),
  ];
}
