import { z } from 'zod';
import { isCountryCode, type CountryCode } from './country.js';
import type { EndUse } from './end-use.js';
import { deepFreeze } from './freeze.js';
import { moneySchema } from './item.js';
import { endUseSchema } from './licence.js';
import { partyIdSchema } from './party.js';
import type { Money } from './quantities.js';
import { isoDate, parse, wholeGrams } from './validation.js';

/**
 * What an end-user certificate states (the credentialSubject of the signed credential): who ships
 * what to whom, the declared end use, and the end user's undertakings.
 */

export interface CertificateItem {
  /** Control-list code, e.g. "1C905.a". */
  readonly controlCode: string;
  /** HS code, 6–10 digits (dots and spaces removed). */
  readonly hsCode: string;
  readonly description: string;
  readonly quantityGrams: number;
  readonly value: Money;
}

export interface Undertakings {
  readonly noWmdUse: boolean;
  readonly noMilitaryUse: boolean;
  readonly noReexportWithoutConsent: boolean;
  /** Whose consent a re-export or transfer needs (the licensing authority). */
  readonly consentAuthority: string;
  readonly prohibitedDestinations: readonly CountryCode[];
  readonly useOnlyIn?: CountryCode;
  /** Whether the undertakings also bind products that incorporate the items. */
  readonly extendsToIncorporatingProducts: boolean;
  readonly postShipmentVerificationConsent: boolean;
  readonly noticeOfChanges: boolean;
}

export interface CertificateSubject {
  readonly exporter: string;
  readonly importer: string;
  readonly endUser: string;
  readonly items: readonly CertificateItem[];
  readonly endUse: EndUse;
  readonly undertakings: Undertakings;
  /** Inclusive: the certificate is valid from the start of `from` to the end of `until` (UTC). */
  readonly validity: { readonly from: string; readonly until: string };
}

const countryCode = z
  .string()
  .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "IN"' });

const hsCode = z
  .string()
  .transform((s) => s.replace(/[.\s]/g, ''))
  .refine((s) => /^\d{6,10}$/.test(s), { message: 'must be an HS code of 6 to 10 digits (dots allowed)' });

export const certificateItemSchema: z.ZodType<CertificateItem> = z
  .object({
    controlCode: z.string().regex(/^[0-9A-Z][0-9A-Za-z.-]{0,31}$/, 'must be a control-list code such as "1C905.a"'),
    hsCode,
    description: z.string().trim().min(1, 'must not be empty').max(500),
    quantityGrams: wholeGrams.refine((g) => g > 0, 'must be more than 0 grams'),
    value: moneySchema,
  })
  .strict();

export const undertakingsSchema: z.ZodType<Undertakings> = z
  .object({
    noWmdUse: z.boolean(),
    noMilitaryUse: z.boolean(),
    noReexportWithoutConsent: z.boolean(),
    consentAuthority: partyIdSchema,
    prohibitedDestinations: z
      .array(countryCode)
      .max(250)
      .refine((cs) => new Set(cs).size === cs.length, 'must not repeat a country'),
    useOnlyIn: countryCode.optional(),
    extendsToIncorporatingProducts: z.boolean(),
    postShipmentVerificationConsent: z.boolean(),
    noticeOfChanges: z.boolean(),
  })
  .strict()
  .refine((u) => u.useOnlyIn === undefined || !u.prohibitedDestinations.includes(u.useOnlyIn), {
    message: 'names a country that is also a prohibited destination',
    path: ['useOnlyIn'],
  });

export const certificateSubjectSchema: z.ZodType<CertificateSubject> = z
  .object({
    exporter: partyIdSchema,
    importer: partyIdSchema,
    endUser: partyIdSchema,
    items: z.array(certificateItemSchema).min(1, 'must list at least one item').max(100),
    endUse: endUseSchema,
    undertakings: undertakingsSchema,
    validity: z.object({ from: isoDate, until: isoDate }).strict(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.validity.until < s.validity.from)
      ctx.addIssue({
        code: 'custom',
        path: ['validity', 'until'],
        message: `is before validity.from (${s.validity.from})`,
      });
    if (s.exporter === s.endUser)
      ctx.addIssue({ code: 'custom', path: ['endUser'], message: 'must not be the exporter' });
    const purposes: readonly string[] = s.endUse.purposes;
    if (s.undertakings.noWmdUse && purposes.includes('wmd')) {
      ctx.addIssue({
        code: 'custom',
        path: ['endUse', 'purposes'],
        message: 'declares "wmd" but the undertakings say noWmdUse',
      });
    }
    const military = purposes.filter((p) => p === 'military' || p === 'military-ai');
    if (s.undertakings.noMilitaryUse && military.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['endUse', 'purposes'],
        message: `declares "${military.join('", "')}" but the undertakings say noMilitaryUse`,
      });
    }
    const seen = new Set<string>();
    s.items.forEach((item, i) => {
      const key = `${item.controlCode} ${item.hsCode}`;
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['items', i],
          message: `repeats control code ${item.controlCode} with HS code ${item.hsCode} (give one line per item)`,
        });
      seen.add(key);
    });
  });

/** Validates a certificate subject (from a file, the CLI or a credential) and returns it frozen. */
export function parseCertificateSubject(input: unknown, root = 'certificate'): CertificateSubject {
  return deepFreeze(parse(certificateSubjectSchema, input, root));
}
