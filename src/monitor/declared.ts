import { formatGrams, formatMoney, type Restriction } from '../domain/index.js';
import type { Finding } from './detectors.js';
import type { RedFlagRules, RuleMeta } from './red-flags.js';

/**
 * Red flags on what a party declares about quantities and values (issue 18, items 5 and 12): a
 * receipt of more grams than were shipped (refused; the attempt is the signal) and a shipment value
 * declared below the lot's value per gram. Pure: facts in, findings out.
 */

/** A receipt the rules refused because it claimed more grams than the shipment carried. */
export interface OverReceiptFact {
  readonly shipmentId: string;
  /** The journal entry of the shipment's dispatch. */
  readonly shipmentSeq: number;
  readonly receiver: string;
  readonly shippedGrams: number;
  readonly claimedGrams: number;
  /** The restrictions the shipment carries (the licences whose material would have been diluted). */
  readonly restrictions: readonly Restriction[];
}

/** A shipment whose value was declared by the shipper, with the value its lot's value per gram gives. */
export interface DeclaredValueFact {
  readonly shipmentId: string;
  readonly seq: number;
  readonly shipper: string;
  readonly to: string;
  readonly grams: number;
  readonly currency: string;
  readonly declaredMinor: number;
  /** Lot value × grams ÷ lot mass, rounded down. */
  readonly computedMinor: number;
  /** The licences concerned: the one drawn down, else those whose material the lot carries. */
  readonly licenceIds: readonly string[];
}

const uniq = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
/** Masses in alerts as people read them, with the exact grams: "600 kg (600,000 g)". */
const fmtG = formatGrams;

function finding(meta: RuleMeta, f: Omit<Finding, 'rule' | 'severity'>): Finding {
  return {
    rule: meta.id,
    severity: meta.severity,
    ...f,
    parties: uniq(f.parties),
    evidence: { seqs: uniq(f.evidence.seqs).sort((a, b) => a - b), records: uniq(f.evidence.records) },
  };
}

/** One finding per licence whose material a refused over-receipt claimed to multiply. */
export function detectOverReceipts(
  attempts: readonly OverReceiptFact[],
  rule: NonNullable<RedFlagRules['over-receipt']>,
): Finding[] {
  const out: Finding[] = [];
  for (const a of attempts) {
    if (a.claimedGrams <= a.shippedGrams) continue;
    for (const licenceId of uniq(a.restrictions.map((r) => r.licenceId))) {
      const licensed = a.restrictions.filter((r) => r.licenceId === licenceId).reduce((s, r) => s + r.licensedGrams, 0);
      out.push(
        finding(rule, {
          licenceId,
          parties: [a.receiver],
          explanation: `${a.receiver} tried to record receiving ${fmtG(a.claimedGrams)} of shipment ${a.shipmentId}, which carried ${fmtG(a.shippedGrams)} (${fmtG(licensed)} of material licensed under ${licenceId}): ${fmtG(a.claimedGrams - a.shippedGrams)} more than was shipped; the receipt was refused`,
          evidence: { seqs: [a.shipmentSeq], records: [`shipment ${a.shipmentId}`] },
          thresholds: { shipped_grams: a.shippedGrams, claimed_grams: a.claimedGrams },
          key: `over-receipt|${a.shipmentId}|${a.claimedGrams}`,
        }),
      );
    }
  }
  return out;
}

/** Declared value below the lot's value per gram × grams by more than the tolerance (ppm of the computed value). */
export function detectUnderDeclaredValues(
  shipments: readonly DeclaredValueFact[],
  rule: NonNullable<RedFlagRules['value-under-declared']>,
): Finding[] {
  const out: Finding[] = [];
  for (const s of shipments) {
    if (s.computedMinor <= 0 || s.declaredMinor >= s.computedMinor) continue;
    const shortfall = s.computedMinor - s.declaredMinor;
    // shortfall / computed > tolerance, in exact integers
    if (BigInt(shortfall) * 1_000_000n <= BigInt(s.computedMinor) * BigInt(rule.tolerancePpm)) continue;
    const belowPpm = Number((BigInt(shortfall) * 1_000_000n) / BigInt(s.computedMinor));
    for (const licenceId of uniq(s.licenceIds)) {
      out.push(
        finding(rule, {
          licenceId,
          parties: [s.shipper, s.to],
          explanation: `${s.shipper} declared shipment ${s.shipmentId} (${fmtG(s.grams)} to ${s.to}, material of licence ${licenceId}) at ${formatMoney({ currency: s.currency, minor: s.declaredMinor })}, ${(belowPpm / 10_000).toLocaleString('en', { maximumFractionDigits: 2 })} % below the ${formatMoney({ currency: s.currency, minor: s.computedMinor })} its lot's value per gram gives (tolerance ${(rule.tolerancePpm / 10_000).toLocaleString('en')} %); the licence was drawn down by the higher value`,
          evidence: { seqs: [s.seq], records: [`shipment ${s.shipmentId}`] },
          thresholds: {
            tolerance_ppm: rule.tolerancePpm,
            declared_minor: s.declaredMinor,
            computed_minor: s.computedMinor,
          },
          key: `value-under-declared|${s.shipmentId}`,
        }),
      );
    }
  }
  return out;
}
