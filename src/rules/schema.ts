import { z } from 'zod';
import { ELEMENT_SYMBOLS, END_USE_PURPOSES, isCountryCode, isoDate, ITEM_FORMS, MAGNET_FAMILIES, PPM_WHOLE, SECTORS } from '../domain/index.js';

/**
 * The rule-pack file format (YAML). Every object is strict: an unknown field is an error, so a
 * typo never silently drops a condition. Dates are inclusive calendar days (UTC).
 */

const country = z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code' });
const countrySet = z.union([
  z.array(country).min(1),
  z.object({ in: z.array(country).min(1) }).strict(),
  z.object({ not_in: z.array(country).min(1) }).strict(),
]);
const element = z.enum(ELEMENT_SYMBOLS);
const slug = z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots or hyphens');
// CODE is a control-list code (1C905.a) or, for a measure whose list has no codes, the list's own
// reference in capitals and digits with hyphens (ANN61-A1P2: Ann. 61, Annex 1, Part 2).
const ref = z
  .string()
  .regex(
    /^([0-9][A-Z][0-9]{3}(\.[a-z](\.[0-9]+)?)?|[A-Z][A-Z0-9]*(-[A-Z0-9]+)+):[a-z0-9-]+$/,
    'must be CODE:label, e.g. "1C905.a:magnet" or "ANN61-A1P2:magnet"',
  );
const refGlob = z.string().regex(/^[0-9A-Za-z.:*-]+$/, 'must be a reference or a glob such as "1C90*:magnet"');

export const sourceSchema = z
  .object({
    title: z.string().min(1),
    issuer: z.string().min(1),
    date: isoDate,
    url: z.url().optional(),
    references: z.array(z.string().min(1)).min(1),
    confidence: z.enum(['multi', 'single', 'inference', 'uncertain']),
  })
  .strict();

export const citationSchema = z
  .object({
    source: slug,
    clause: z.string().min(1),
    confidence: z.enum(['multi', 'single', 'inference', 'uncertain']).optional(),
    note: z.string().optional(),
  })
  .strict();

/** A pattern over an item's own facts. All given conditions must hold. */
export const patternSchema = z
  .object({
    form: z.array(z.enum(ITEM_FORMS)).min(1).optional(),
    category: z.array(slug).min(1).optional(),
    magnet_family: z.array(z.enum(MAGNET_FAMILIES)).min(1).optional(),
    principal_element: z.array(element).min(1).optional(),
    contains_any: z.array(element).min(1).optional(),
    contains_all: z.array(element).min(1).optional(),
    min_ppm: z.number().int().min(1).max(PPM_WHOLE).optional(),
  })
  .strict();

export const entrySchema = z
  .object({
    ref,
    title: z.string().min(1),
    citation: citationSchema,
    match: patternSchema,
  })
  .strict();

export const suspensionSchema = z
  .object({
    id: slug,
    from: isoDate,
    to: isoDate.optional(),
    citation: citationSchema,
  })
  .strict();

/** Conditions on the transaction and the item's provenance, beyond the control-list entry itself. */
export const scopeSchema = z
  .object({
    export_from: countrySet.optional(),
    origin: countrySet.optional(),
    technology_origin: countrySet.optional(),
    /** Where the item goes ("to any country other than China": `{ not_in: [CN] }`). */
    destination: countrySet.optional(),
    content: z
      .object({
        entries: z.array(refGlob).min(1),
        origin: countrySet,
        value_share_at_least_ppm: z.number().int().min(1).max(PPM_WHOLE),
      })
      .strict()
      .optional(),
  })
  .strict();

export const ruleSchema = z
  .object({
    id: slug,
    title: z.string().min(1),
    citation: citationSchema,
    effective_from: isoDate,
    effective_to: isoDate.optional(),
    suspended_by: z.array(slug).optional(),
    scope: scopeSchema.optional(),
    controls: z.array(refGlob).min(1),
  })
  .strict();

export const exclusionSchema = z
  .object({
    id: slug,
    title: z.string().min(1),
    citation: citationSchema,
    effective_from: isoDate,
    effective_to: isoDate.optional(),
    match: patternSchema,
    excludes: z.array(refGlob).min(1),
  })
  .strict();

const PARTY_ROLES = ['applicant', 'importer', 'consignee', 'end-user'] as const;

/** The legal effect a restricted-party list has, as its issuing authority's law gives it (see LIST_EFFECTS). */
export const LIST_EFFECTS = ['deny', 'review', 'information'] as const;

/** A licensing policy: how the authority treats applications with these facts. */
export const policySchema = z
  .object({
    id: slug,
    title: z.string().min(1),
    citation: citationSchema,
    effective_from: isoDate,
    effective_to: isoDate.optional(),
    suspended_by: z.array(slug).optional(),
    decision: z.enum(['deny', 'case-by-case']),
    /** The policy governs only applications under these rules of the pack (e.g. Ann. 61's for Ann. 61 exports). */
    under: z.array(slug).min(1).optional(),
    /** Listings through ≥ 50 % owners count as listings (party_list_effect); otherwise only the party's own. */
    party_list_via_owners: z.boolean().optional(),
    /**
     * When the policy is evaluated: licence applications (default) and/or transfers (export check,
     * dispatch, EPCIS shipment) — for measures that bind anyone passing the items on.
     */
    occasions: z.array(z.enum(['application', 'transfer'])).min(1).optional(),
    when: z
      .object({
        end_use_any: z.array(z.enum(END_USE_PURPOSES)).min(1).optional(),
        party_sector_any: z.array(z.enum(SECTORS)).min(1).optional(),
        party_listed: z.boolean().optional(),
        /** A party is on a list imported with one of these legal effects. */
        party_list_effect: z.array(z.enum(LIST_EFFECTS)).min(1).optional(),
        roles: z.array(z.enum(PARTY_ROLES)).min(1).optional(),
        destination: countrySet.optional(),
        /** The item is of this origin (for measures that bind "Chinese-origin" items wherever they are). */
        origin: countrySet.optional(),
      })
      .strict()
      .refine((w) => Object.keys(w).some((k) => k !== 'roles'), { message: 'needs at least one condition besides roles' }),
  })
  .strict();

/**
 * A measure the sources name that the pack does not model, stated so that no answer reads "not
 * controlled" where the honest answer is "not modelled". `match` names the items it concerns;
 * `rules` the rules whose answer it may change (an exemption not modelled).
 */
export const notModelledSchema = z
  .object({
    id: slug,
    title: z.string().min(1),
    citation: citationSchema,
    reason: z.string().min(1),
    match: patternSchema.optional(),
    rules: z.array(slug).min(1).optional(),
  })
  .strict();

/** A reading of an unverified fact; `continues` lists the suspensions that go on under it. */
export const readingSchema = z
  .object({
    id: slug,
    meaning: z.string().min(1),
    citation: citationSchema,
    continues: z.array(z.object({ suspension: slug, to: isoDate.optional() }).strict()).optional(),
  })
  .strict();

/** A fact the sources leave open, with its readings; `default` is the one the pack encodes. */
export const factSchema = z
  .object({
    id: slug,
    question: z.string().min(1),
    citation: citationSchema,
    default: slug,
    readings: z.array(readingSchema).min(2),
  })
  .strict();

/** A modelling choice the sources do not state (confidence inference), with the other reading. */
export const inferenceSchema = z
  .object({
    id: slug,
    statement: z.string().min(1),
    alternative: z.string().min(1),
    citation: citationSchema,
    entries: z.array(refGlob).min(1),
  })
  .strict();

export const packSchema = z
  .object({
    pack: slug,
    version: z.string().regex(/^\d{4}\.\d{1,2}\.\d+$/, 'must be YYYY.M.N, e.g. "2026.11.1"'),
    title: z.string().min(1),
    authority: z.string().min(1),
    jurisdiction: country,
    description: z.string().optional(),
    sources: z.record(slug, sourceSchema),
    suspensions: z.array(suspensionSchema).optional(),
    entries: z.array(entrySchema).min(1),
    rules: z.array(ruleSchema).min(1),
    exclusions: z.array(exclusionSchema).optional(),
    policies: z.array(policySchema).optional(),
    not_modelled: z.array(notModelledSchema).optional(),
    facts: z.array(factSchema).optional(),
    inferences: z.array(inferenceSchema).optional(),
  })
  .strict();

export type PackFile = z.infer<typeof packSchema>;
export type PatternFile = z.infer<typeof patternSchema>;
export type CountrySetFile = z.infer<typeof countrySet>;
export type PolicyFile = z.infer<typeof policySchema>;
