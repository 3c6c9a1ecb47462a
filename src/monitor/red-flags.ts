import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import {
  deepFreeze,
  END_USE_PURPOSES,
  isCountryCode,
  LodestoneError,
  SECTORS,
  type CountryCode,
  type EndUsePurpose,
  type Sector,
} from '../domain/index.js';

/**
 * The red-flag rule set (rules/monitoring/red-flags.yaml): which diversion signals the monitor
 * raises, with what severity, why (rationale and citations) and at which thresholds. Pure: the
 * caller reads the file and passes its name and SHA-256.
 */

export const SEVERITIES = ['info', 'warning', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RED_FLAG_IDS = [
  'mass-balance-gap',
  'transshipment',
  'annual-need-exceeded',
  'sector-end-use-mismatch',
  'post-shipment-report-late',
  'screening-hit-after-approval',
  'quick-reshipment',
  'circular-trade',
  'over-receipt',
  'value-under-declared',
  'certificate-revoked',
] as const;
export type RedFlagId = (typeof RED_FLAG_IDS)[number];

/** A red-flag set that cannot be loaded: names the file, the line and the field. */
export class RedFlagError extends LodestoneError<'INVALID_RULE_PACK'> {}

const country = z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code' });
const slug = z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be lower-case letters, digits, dots or hyphens');
const days = z.number().int('must be a whole number of days').min(0).max(3650);
const grams = z.number().int('must be a whole number of grams').min(0);
const ppm = z.number().int('must be a whole number of ppm').min(0).max(1_000_000);

const citation = z.object({ source: slug, clause: z.string().min(1) }).strict();
const base = {
  severity: z.enum(SEVERITIES),
  title: z.string().min(1),
  rationale: z.string().min(1),
  citations: z.array(citation).min(1, 'must cite at least one source'),
};

const ruleSchema = z.discriminatedUnion('id', [
  z
    .object({
      id: z.literal('mass-balance-gap'),
      ...base,
      thresholds: z.object({ min_gap_grams: grams, min_gap_ppm: ppm }).strict(),
    })
    .strict(),
  z.object({ id: z.literal('transshipment'), ...base, hub_countries: z.array(country).min(1) }).strict(),
  z
    .object({
      id: z.literal('annual-need-exceeded'),
      ...base,
      thresholds: z.object({ window_days: days.min(1), tolerance_ppm: ppm }).strict(),
    })
    .strict(),
  z
    .object({
      id: z.literal('sector-end-use-mismatch'),
      ...base,
      plausible_purposes: z.partialRecord(z.enum(SECTORS), z.array(z.enum(END_USE_PURPOSES)).min(1)),
    })
    .strict(),
  z
    .object({
      id: z.literal('post-shipment-report-late'),
      ...base,
      thresholds: z.object({ grace_days: days }).strict(),
    })
    .strict(),
  z.object({ id: z.literal('screening-hit-after-approval'), ...base }).strict(),
  z
    .object({ id: z.literal('quick-reshipment'), ...base, thresholds: z.object({ within_days: days.min(1) }).strict() })
    .strict(),
  z
    .object({
      id: z.literal('circular-trade'),
      ...base,
      thresholds: z.object({ within_days: days.min(1), related_ownership_ppm: ppm.min(1) }).strict(),
    })
    .strict(),
  z.object({ id: z.literal('over-receipt'), ...base }).strict(),
  z
    .object({ id: z.literal('value-under-declared'), ...base, thresholds: z.object({ tolerance_ppm: ppm }).strict() })
    .strict(),
  z.object({ id: z.literal('certificate-revoked'), ...base }).strict(),
]);

const fileSchema = z
  .object({
    id: slug,
    version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/, 'must be a version such as "2026.12.1"'),
    title: z.string().min(1),
    sources: z.record(slug, z.object({ title: z.string().min(1), url: z.url().optional() }).strict()),
    rules: z.array(ruleSchema),
  })
  .strict();

export interface RuleMeta {
  readonly id: RedFlagId;
  readonly severity: Severity;
  readonly title: string;
  readonly rationale: string;
  readonly citations: readonly { readonly source: string; readonly clause: string }[];
}

/** The rules of a set, by id; a rule the file does not list is off. */
export interface RedFlagRules {
  readonly 'mass-balance-gap'?: RuleMeta & { readonly minGapGrams: number; readonly minGapPpm: number };
  readonly transshipment?: RuleMeta & { readonly hubCountries: readonly CountryCode[] };
  readonly 'annual-need-exceeded'?: RuleMeta & { readonly windowDays: number; readonly tolerancePpm: number };
  readonly 'sector-end-use-mismatch'?: RuleMeta & {
    readonly plausiblePurposes: Readonly<Partial<Record<Sector, readonly EndUsePurpose[]>>>;
  };
  readonly 'post-shipment-report-late'?: RuleMeta & { readonly graceDays: number };
  readonly 'screening-hit-after-approval'?: RuleMeta;
  readonly 'quick-reshipment'?: RuleMeta & { readonly withinDays: number };
  readonly 'circular-trade'?: RuleMeta & { readonly withinDays: number; readonly relatedOwnershipPpm: number };
  readonly 'over-receipt'?: RuleMeta;
  readonly 'value-under-declared'?: RuleMeta & { readonly tolerancePpm: number };
  readonly 'certificate-revoked'?: RuleMeta;
}

export interface RedFlagSet {
  readonly id: string;
  readonly version: string;
  readonly title: string;
  readonly sha256: string;
  readonly file: string;
  readonly sources: Readonly<Record<string, { readonly title: string; readonly url?: string | undefined }>>;
  readonly rules: RedFlagRules;
}

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: readonly (string | number)[],
  key?: string,
): number | undefined {
  if (key !== undefined) {
    const map: unknown = doc.getIn(path, true);
    if (isMap(map))
      for (const pair of map.items)
        if (isScalar(pair.key) && pair.key.value === key && pair.key.range)
          return lines.linePos(pair.key.range[0]).line;
  }
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * Parses and validates a red-flag set (YAML text). Errors read `FILE:LINE: field.path: reason`,
 * with the rule's id in the path (`rules[transshipment].hub_countries.2`).
 */
export function parseRedFlags(text: string, file: string, sha256: string): RedFlagSet {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (path: readonly (string | number)[], reason: string, key?: string): never => {
    const at = lineOf(doc, lines, path, key);
    const js: unknown = doc.toJS();
    const named = path.map((p, i) => {
      if (typeof p !== 'number' || path[i - 1] !== 'rules') return String(p);
      const id: unknown = (js as { rules?: { id?: unknown }[] } | null)?.rules?.[p]?.id;
      return typeof id === 'string' ? `[${id}]` : `[${p}]`;
    });
    const field = named.join('.').replace(/\.\[/g, '[');
    throw new RedFlagError(
      'INVALID_RULE_PACK',
      `${file}${at === undefined ? '' : `:${at}`}: ${field === '' ? '(top)' : field}: ${reason}`,
      { field },
    );
  };
  const yamlError = doc.errors[0];
  if (yamlError)
    throw new RedFlagError(
      'INVALID_RULE_PACK',
      `${file}:${lines.linePos(yamlError.pos[0]).line}: not valid YAML: ${yamlError.message.split('\n')[0] ?? ''}`,
    );
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue === undefined) return fail([], 'is invalid');
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      return fail([...path, key], 'unknown field', key);
    }
    if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return fail(path, 'is required');
    if (issue.code === 'invalid_value')
      return fail(path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
    if (
      issue.code === 'invalid_union' &&
      (path.at(-2) === 'rules' || (path.at(-1) === 'id' && path.at(-3) === 'rules'))
    )
      return fail(
        path.at(-1) === 'id' ? path : [...path, 'id'],
        `must be one of ${RED_FLAG_IDS.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    return fail(path, issue.message);
  }
  const f = parsed.data;
  const rules: Record<string, unknown> = {};
  f.rules.forEach((r, i) => {
    if (r.id in rules) fail(['rules', i, 'id'], `rule "${r.id}" is listed twice`);
    r.citations.forEach((c, j) => {
      if (!(c.source in f.sources))
        fail(['rules', i, 'citations', j, 'source'], `unknown source "${c.source}" (declare it under sources)`);
    });
    const meta: RuleMeta = {
      id: r.id,
      severity: r.severity,
      title: r.title,
      rationale: r.rationale,
      citations: r.citations,
    };
    switch (r.id) {
      case 'mass-balance-gap':
        rules[r.id] = { ...meta, minGapGrams: r.thresholds.min_gap_grams, minGapPpm: r.thresholds.min_gap_ppm };
        break;
      case 'transshipment':
        if (new Set(r.hub_countries).size !== r.hub_countries.length)
          fail(['rules', i, 'hub_countries'], 'must not repeat a country');
        rules[r.id] = { ...meta, hubCountries: r.hub_countries };
        break;
      case 'annual-need-exceeded':
        rules[r.id] = { ...meta, windowDays: r.thresholds.window_days, tolerancePpm: r.thresholds.tolerance_ppm };
        break;
      case 'sector-end-use-mismatch':
        rules[r.id] = { ...meta, plausiblePurposes: r.plausible_purposes };
        break;
      case 'post-shipment-report-late':
        rules[r.id] = { ...meta, graceDays: r.thresholds.grace_days };
        break;
      case 'screening-hit-after-approval':
        rules[r.id] = meta;
        break;
      case 'quick-reshipment':
        rules[r.id] = { ...meta, withinDays: r.thresholds.within_days };
        break;
      case 'circular-trade':
        rules[r.id] = {
          ...meta,
          withinDays: r.thresholds.within_days,
          relatedOwnershipPpm: r.thresholds.related_ownership_ppm,
        };
        break;
      case 'over-receipt':
        rules[r.id] = meta;
        break;
      case 'value-under-declared':
        rules[r.id] = { ...meta, tolerancePpm: r.thresholds.tolerance_ppm };
        break;
      case 'certificate-revoked':
        rules[r.id] = meta;
        break;
    }
  });
  return deepFreeze({ id: f.id, version: f.version, title: f.title, sha256, file, sources: f.sources, rules: rules });
}
