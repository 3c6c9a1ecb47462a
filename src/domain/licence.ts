import { z } from 'zod';
import { isCountryCode, type CountryCode } from './country.js';
import { END_USE_PURPOSES, type EndUse } from './end-use.js';
import { itemSchema, moneySchema, type Item } from './item.js';
import { partyIdSchema } from './party.js';
import { formatMass, formatMoney, type Money } from './quantities.js';
import { isIsoDate, isoDate, wholeGrams } from './validation.js';

const countryCode = z
  .string()
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "IN"' });

export const endUseSchema: z.ZodType<EndUse> = z
  .object({
    description: z.string().trim().min(1, 'must not be empty').max(2000),
    purposes: z.array(z.enum(END_USE_PURPOSES)).min(1, 'must name at least one purpose'),
    endProduct: z.string().max(300).optional(),
    annualNeedGrams: wholeGrams.refine((g) => g > 0, 'must be more than 0 grams').optional(),
  })
  .strict();

export interface ApplicationLine {
  /** The line's reference within the application, e.g. "L1". */
  readonly ref: string;
  readonly item: Item;
  readonly quantityGrams: number;
  readonly value: Money;
}

/** What an exporter submits to the licensing authority. */
export interface ApplicationInput {
  readonly authority: string;
  readonly applicant: string;
  readonly importer: string;
  readonly consignee?: string;
  readonly endUser: string;
  readonly destination: CountryCode;
  readonly endUse: EndUse;
  readonly licenceType: 'single' | 'general';
  readonly lines: readonly ApplicationLine[];
  /** The end-user certificate backing the application. */
  readonly certificateId?: string;
  /** Requested validity; the authority sets the final one. */
  readonly validFrom: string;
  readonly validUntil: string;
}

const lineSchema: z.ZodType<ApplicationLine> = z
  .object({
    ref: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,19}$/, 'must be a short reference such as "L1"'),
    item: itemSchema,
    quantityGrams: wholeGrams.refine((g) => g > 0, 'must be more than 0 grams'),
    value: moneySchema,
  })
  .strict();

export const applicationSchema: z.ZodType<ApplicationInput> = z
  .object({
    authority: partyIdSchema,
    applicant: partyIdSchema,
    importer: partyIdSchema,
    consignee: partyIdSchema.optional(),
    endUser: partyIdSchema,
    destination: countryCode,
    endUse: endUseSchema,
    licenceType: z.enum(['single', 'general']),
    lines: z.array(lineSchema).min(1, 'must list at least one item'),
    certificateId: z.string().min(1).max(100).optional(),
    validFrom: isoDate,
    validUntil: isoDate,
  })
  .strict()
  .superRefine((a, ctx) => {
    const refs = new Set<string>();
    a.lines.forEach((l, i) => {
      if (refs.has(l.ref))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'ref'], message: `duplicate line reference "${l.ref}"` });
      refs.add(l.ref);
    });
    const problem = validityProblem(a.licenceType, a.validFrom, a.validUntil);
    if (problem) ctx.addIssue({ code: 'custom', path: ['validUntil'], message: problem });
  });

/** Single licences run at most one year, general licences at most three (MOFCOM practice). */
export const MAX_VALIDITY_YEARS = { single: 1, general: 3 } as const;

function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y + years, m - 1, d));
  if (t.getUTCDate() !== d) t.setUTCDate(0); // 29 Feb + 1 year → 28 Feb
  t.setUTCDate(t.getUTCDate() - 1);
  return t.toISOString().slice(0, 10);
}

/** Why a validity window is not allowed for this licence type, or undefined when it is. */
export function validityProblem(type: 'single' | 'general', from: string, until: string): string | undefined {
  // A date that is not YYYY-MM-DD is its own field's error (isoDate); zod runs this refinement even then.
  if (!isIsoDate(from) || !isIsoDate(until)) return undefined;
  if (until < from) return `ends (${until}) before it starts (${from})`;
  const max = addYears(from, MAX_VALIDITY_YEARS[type]);
  if (until > max)
    return `a ${type} licence is valid for at most ${MAX_VALIDITY_YEARS[type]} year${MAX_VALIDITY_YEARS[type] > 1 ? 's' : ''}: from ${from} it must end by ${max}`;
  return undefined;
}

export interface ReportingDuty {
  readonly kind: 'post-shipment-report' | 'end-use-report' | 'notice-of-change';
  /** Days after the triggering event within which the report is due. */
  readonly withinDays: number;
  readonly to: string;
}

export interface LicenceLine {
  readonly ref: string;
  readonly description: string;
  readonly controlCodes: readonly string[];
  readonly item: Item;
  readonly ceilingGrams: number;
  readonly ceilingValue: Money;
}

/** A granted licence: its conditions. Its balance lives beside it and only shipments change it. */
export interface Licence {
  readonly id: string;
  readonly applicationId: string;
  readonly authority: string;
  readonly holder: string;
  readonly importer: string;
  readonly consignee: string;
  readonly endUser: string;
  readonly destination: CountryCode;
  readonly endUse: EndUse;
  readonly type: 'single' | 'general';
  readonly validFrom: string;
  readonly validUntil: string;
  readonly lines: readonly LicenceLine[];
  readonly prohibitedReexportDestinations: readonly CountryCode[];
  /** Use only in this country (re-export or transfer abroad needs the authority's consent). */
  readonly useOnlyIn?: CountryCode;
  readonly extendsToIncorporatingProducts: boolean;
  readonly reportingDuties: readonly ReportingDuty[];
  readonly certificateId?: string;
  readonly conditions: readonly string[];
}

/** What the authority may set when it approves (everything else comes from the application). */
export interface ApprovalInput {
  readonly validFrom?: string;
  readonly validUntil?: string;
  /** Per line ref: lower ceilings than requested. */
  readonly ceilings?: Readonly<Record<string, { readonly grams?: number; readonly valueMinor?: number }>>;
  readonly prohibitedReexportDestinations: readonly CountryCode[];
  readonly useOnlyIn?: CountryCode;
  readonly extendsToIncorporatingProducts?: boolean;
  readonly reportingDuties?: readonly ReportingDuty[];
  readonly conditions?: readonly string[];
}

export const approvalSchema: z.ZodType<ApprovalInput> = z
  .object({
    validFrom: isoDate.optional(),
    validUntil: isoDate.optional(),
    ceilings: z
      .record(z.string(), z.object({ grams: wholeGrams.optional(), valueMinor: wholeGrams.optional() }).strict())
      .optional(),
    prohibitedReexportDestinations: z.array(countryCode),
    useOnlyIn: countryCode.optional(),
    extendsToIncorporatingProducts: z.boolean().optional(),
    reportingDuties: z
      .array(
        z
          .object({
            kind: z.enum(['post-shipment-report', 'end-use-report', 'notice-of-change']),
            withinDays: z.number().int().min(1).max(365),
            to: partyIdSchema,
          })
          .strict(),
      )
      .optional(),
    conditions: z.array(z.string().min(1).max(500)).optional(),
  })
  .strict();

export interface LineBalance {
  readonly ref: string;
  readonly shippedGrams: number;
  readonly shippedValueMinor: number;
}

export type DrawdownRule =
  | 'LICENCE_NOT_YET_VALID'
  | 'LICENCE_EXPIRED'
  | 'LICENCE_REVOKED'
  | 'WRONG_CONSIGNEE'
  | 'WRONG_DESTINATION'
  | 'UNKNOWN_LINE'
  | 'QUANTITY_CEILING'
  | 'VALUE_CEILING'
  | 'CURRENCY_MISMATCH';

export interface DrawdownViolation {
  readonly rule: DrawdownRule;
  readonly message: string;
}

/** Checks one shipment against a licence and its balance; returns every violated condition. Pure. */
export function checkDrawdown(
  licence: Licence,
  balance: readonly LineBalance[],
  s: {
    readonly line: string;
    readonly grams: number;
    readonly value: Money;
    readonly consignee: string;
    readonly destination: CountryCode;
    readonly date: string;
    readonly revoked?: boolean;
  },
): DrawdownViolation[] {
  const v: DrawdownViolation[] = [];
  const id = licence.id;
  if (s.revoked) v.push({ rule: 'LICENCE_REVOKED', message: `licence ${id} has been revoked` });
  if (s.date < licence.validFrom)
    v.push({
      rule: 'LICENCE_NOT_YET_VALID',
      message: `licence ${id} is valid from ${licence.validFrom}, not on ${s.date}`,
    });
  if (s.date > licence.validUntil)
    v.push({
      rule: 'LICENCE_EXPIRED',
      message: `licence ${id} expired on ${licence.validUntil}; shipment dated ${s.date}`,
    });
  if (s.consignee !== licence.consignee)
    v.push({
      rule: 'WRONG_CONSIGNEE',
      message: `licence ${id} allows shipments to ${licence.consignee} only, not to ${s.consignee}`,
    });
  if (s.destination !== licence.destination)
    v.push({
      rule: 'WRONG_DESTINATION',
      message: `licence ${id} allows shipments to ${licence.destination} only, not to ${s.destination}`,
    });
  const line = licence.lines.find((l) => l.ref === s.line);
  if (!line) {
    v.push({ rule: 'UNKNOWN_LINE', message: `licence ${id} has no line "${s.line}"` });
    return v;
  }
  const b = balance.find((x) => x.ref === s.line) ?? { ref: s.line, shippedGrams: 0, shippedValueMinor: 0 };
  const afterGrams = b.shippedGrams + s.grams;
  if (afterGrams > line.ceilingGrams) {
    const left = Math.max(0, line.ceilingGrams - b.shippedGrams);
    v.push({
      rule: 'QUANTITY_CEILING',
      message:
        `licence ${id} line ${line.ref}: ${mass(s.grams)} would bring shipments to ${mass(afterGrams)}, ` +
        `past the ceiling of ${mass(line.ceilingGrams)} (${mass(left)} left)`,
    });
  }
  if (s.value.currency !== line.ceilingValue.currency) {
    v.push({
      rule: 'CURRENCY_MISMATCH',
      message: `licence ${id} line ${line.ref} is in ${line.ceilingValue.currency}, the shipment in ${s.value.currency}`,
    });
  } else if (b.shippedValueMinor + s.value.minor > line.ceilingValue.minor) {
    const money = (minor: number) => formatMoney({ currency: line.ceilingValue.currency, minor });
    v.push({
      rule: 'VALUE_CEILING',
      message:
        `licence ${id} line ${line.ref}: value would reach ${money(b.shippedValueMinor + s.value.minor)}, ` +
        `past the ceiling of ${money(line.ceilingValue.minor)}`,
    });
  }
  return v;
}

/** Grams for people, exactly (formatMass never rounds a gram away): "2 t", "1,999.999 kg", "12 g". */
function mass(grams: number): string {
  return formatMass({ grams });
}

/** Utilisation of a line in ppm of its quantity ceiling, rounded down. */
export function utilisationPpm(line: LicenceLine, b: LineBalance): number {
  if (line.ceilingGrams === 0) return 0;
  return Number((BigInt(b.shippedGrams) * 1_000_000n) / BigInt(line.ceilingGrams));
}
