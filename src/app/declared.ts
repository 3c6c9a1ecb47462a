import type { Transaction } from 'kysely';
import {
  checkDeclaredDate,
  checkValidityAt,
  dayOfInstant,
  type Licence,
  type Lot,
  type Money,
  type Restriction,
  type TimeViolation,
  todayUtc,
} from '../domain/index.js';
import { detectOverReceipts, detectUnderDeclaredValues, type Finding } from '../monitor/index.js';
import { shipmentsRepo, type Database } from '../store/index.js';
import { raise, redFlags, type RaiseOutcome } from './red-flags.js';
import type { AppContext } from './context.js';
import { RefusedError } from './errors.js';

/**
 * What a party declares is a claim (issue 18, items 1, 5 and 12): dates are bounded by the server's
 * clock, received grams by what was shipped, a declared value by the lot's value per gram. The
 * custody use cases call these; the rules themselves are pure (src/domain/time.ts, src/monitor/declared.ts).
 */

/**
 * The time rules of a dispatch, judged at the server's day: the declared `shippedOn` within
 * DECLARED_DATE_TOLERANCE_DAYS before it and not after it, and the licence valid on the server's
 * day. (checkDrawdown checks the declared date against the licence's window as well, so the
 * declared date can never lie outside it either.)
 */
export function dispatchTimeRefusals(
  shippedOn: string,
  serverDay: string,
  licence: Pick<Licence, 'id' | 'validFrom' | 'validUntil'> | undefined,
): TimeViolation[] {
  return [
    ...checkDeclaredDate('shippedOn', shippedOn, serverDay),
    ...(licence === undefined ? [] : checkValidityAt(licence, serverDay)),
  ];
}

/**
 * After the record is committed, its `at` is the time that counts: if the server's day turned
 * between the check and the commit (a dispatch at midnight), the rules are judged again at `at`
 * and a refusal rolls the transaction back — so no record is ever kept that a verifier, re-checking
 * at `at`, would refuse.
 */
export function recheckAtCommit(
  at: string,
  shippedOn: string,
  checkedDay: string,
  licence: Pick<Licence, 'id' | 'validFrom' | 'validUntil'> | undefined,
): void {
  const day = dayOfInstant(at);
  if (day === checkedDay) return;
  const refusals = dispatchTimeRefusals(shippedOn, day, licence);
  if (refusals.length > 0) throw new RefusedError(refusals);
}

export interface PricedShipment {
  /** The value the shipment is recorded and the licence drawn down by: the higher of the declared and the lot's value for the grams. */
  readonly value: Money | undefined;
  /** What the shipper declared, when it is below the computed value (kept as a declared fact). */
  readonly declaredValueMinor?: number;
  /** The lot's value per gram × grams (rounded down), when the lot has a value in the declared currency. */
  readonly computedMinor?: number;
}

/**
 * A shipment's value. Undeclared: the lot's value per gram × grams. Declared in the lot's currency:
 * the higher of the declaration and that computed value, so a licence line's value ceiling cannot be
 * stretched (nor a licensed value share diluted) by declaring less. A declaration in another
 * currency than the lot's cannot be compared and is taken as declared.
 */
export function priceShipment(
  lot: Pick<Lot, 'massGrams' | 'valueMinor' | 'currency'>,
  grams: number,
  declared: Money | undefined,
): PricedShipment {
  const computed =
    lot.valueMinor !== undefined && lot.currency !== undefined && lot.massGrams > 0
      ? { currency: lot.currency, minor: Number((BigInt(lot.valueMinor) * BigInt(grams)) / BigInt(lot.massGrams)) }
      : undefined;
  if (declared === undefined)
    return { value: computed, ...(computed === undefined ? {} : { computedMinor: computed.minor }) };
  if (computed === undefined || computed.currency !== declared.currency) return { value: declared };
  if (declared.minor >= computed.minor) return { value: declared, computedMinor: computed.minor };
  return { value: computed, declaredValueMinor: declared.minor, computedMinor: computed.minor };
}

/**
 * Raises `value-under-declared` in the dispatch's own transaction when the declared value is below
 * the computed one by more than the red-flag set's tolerance: against the licence drawn down, else
 * against each licence whose material the lot carries (a shipment of unrestricted, unlicensed
 * material concerns no licence and no authority, and is not raised).
 */
export async function flagDeclaredValue(
  tx: Transaction<Database>,
  ctx: AppContext,
  s: {
    readonly shipmentId: string;
    readonly seq: number;
    readonly shipper: string;
    readonly to: string;
    readonly grams: number;
    readonly priced: PricedShipment;
    readonly licenceId: string | undefined;
    readonly restrictions: readonly Restriction[];
  },
): Promise<RaiseOutcome | undefined> {
  const rule = redFlags(ctx).rules['value-under-declared'];
  const { priced } = s;
  if (
    rule === undefined ||
    priced.declaredValueMinor === undefined ||
    priced.computedMinor === undefined ||
    priced.value === undefined
  )
    return undefined;
  const licenceIds = s.licenceId !== undefined ? [s.licenceId] : [...new Set(s.restrictions.map((r) => r.licenceId))];
  const findings = detectUnderDeclaredValues(
    [
      {
        shipmentId: s.shipmentId,
        seq: s.seq,
        shipper: s.shipper,
        to: s.to,
        grams: s.grams,
        currency: priced.value.currency,
        declaredMinor: priced.declaredValueMinor,
        computedMinor: priced.computedMinor,
        licenceIds,
      },
    ],
    rule,
  );
  if (findings.length === 0) return undefined;
  return raise(tx, ctx, findings, 'dispatch', todayUtc(ctx.clock));
}

/**
 * For `alerts scan`: value-under-declared over the licences' shipments whose declared value was
 * below the lot's value (those a dispatch made on a party's signed request had to defer: this node
 * does not sign for the authority while another party's request runs).
 */
export async function declaredValueFindings(
  tx: Transaction<Database>,
  ctx: AppContext,
  licenceIds: readonly string[],
): Promise<Finding[]> {
  const rule = redFlags(ctx).rules['value-under-declared'];
  if (rule === undefined) return [];
  const wanted = new Set(licenceIds);
  const facts = (await shipmentsRepo.carrying(tx, licenceIds))
    .filter((s) => s.declared_value_minor !== null && s.value_minor !== null && s.currency !== null)
    .map((s) => ({
      shipmentId: s.id,
      seq: s.seq,
      shipper: s.from_holder,
      to: s.to_party,
      grams: s.grams,
      currency: s.currency ?? '',
      declaredMinor: s.declared_value_minor ?? 0,
      computedMinor: s.value_minor ?? 0,
      licenceIds:
        s.licence_id !== null
          ? [s.licence_id]
          : [...new Set((s.restrictions as Restriction[]).map((r) => r.licenceId))].filter((id) => wanted.has(id)),
    }));
  return detectUnderDeclaredValues(facts, rule);
}

/**
 * A receipt refused for claiming more grams than were shipped writes nothing; the attempt is raised
 * as `over-receipt` in its own transaction afterwards (like a refused transshipment), against every
 * licence whose material the shipment carried. Inside a batch (an EPCIS document) the batch's
 * transaction is rolled back with the refusal, and the flag with it.
 */
export async function flagOverReceipt(
  ctx: AppContext,
  actor: string,
  r: { readonly shipmentId: string; readonly receivedGrams: number },
): Promise<RaiseOutcome | undefined> {
  const rule = redFlags(ctx).rules['over-receipt'];
  if (rule === undefined) return undefined;
  return ctx.store.transaction(async (tx) => {
    const sh = await shipmentsRepo.get(tx, r.shipmentId);
    if (!sh || sh.to_party !== actor || r.receivedGrams <= sh.grams) return undefined;
    const findings = detectOverReceipts(
      [
        {
          shipmentId: sh.id,
          shipmentSeq: sh.seq,
          receiver: actor,
          shippedGrams: sh.grams,
          claimedGrams: r.receivedGrams,
          restrictions: sh.restrictions as Restriction[],
        },
      ],
      rule,
    );
    if (findings.length === 0) return undefined;
    return raise(tx, ctx, findings, 'receipt-refused', todayUtc(ctx.clock));
  });
}
