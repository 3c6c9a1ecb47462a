import {
  compareShare,
  countryName,
  elementsByShare,
  formatMoney,
  formatPpm,
  ppmOf,
  principalElement,
  sharePpmFloor,
  type CountryCode,
  type Item,
  type Money,
} from '../domain/index.js';
import { assumptionsFor, suspensionOn, type Assumption, type Readings } from './assumptions.js';
import { formatWindow, inWindow } from './dates.js';
import type { Citation, ContentCondition, CountrySet, Entry, Exclusion, PackRef, Pattern, Rule, RulePack } from './model.js';

export type Outcome = 'applies' | 'excluded' | 'not-yet-effective' | 'expired' | 'suspended' | 'below-threshold' | 'insufficient-data';

export interface ResolvedCitation {
  readonly source: string;
  readonly title: string;
  readonly issuer: string;
  readonly date: string;
  readonly clause: string;
  readonly confidence: string;
  readonly references: readonly string[];
  readonly url?: string;
  readonly note?: string;
}

/** One rule (or exclusion) that concerns the item, what it decided, and why. */
export interface Finding {
  readonly pack: string;
  readonly packVersion: string;
  readonly kind: 'rule' | 'exclusion';
  readonly id: string;
  readonly title: string;
  readonly outcome: Outcome;
  /** Control codes this finding is about (the codes that apply when outcome is "applies"). */
  readonly codes: readonly string[];
  readonly entries: readonly { readonly ref: string; readonly title: string; readonly citation: ResolvedCitation }[];
  readonly citation: ResolvedCitation;
  /** The facts of the item (and of the transaction) that made the rule match. */
  readonly facts: readonly string[];
  /** Why the outcome is what it is, in one sentence. */
  readonly reason: string;
  /** Unverified facts whose reading decides this outcome (see Classification.assumptions). */
  readonly dependsOn?: readonly { readonly fact: string; readonly reading: string }[];
}

/** A modelling choice (confidence inference) that an "applies" finding rests on, with the other reading. */
export interface InferenceNote {
  readonly id: string;
  readonly statement: string;
  readonly alternative: string;
  readonly pack: string;
  readonly packVersion: string;
  readonly citation: ResolvedCitation;
  /** The matched entries the choice shapes. */
  readonly entries: readonly string[];
}

/** A measure the pack names but does not model, and why it matters to this item. */
export interface NotModelledFinding {
  readonly pack: string;
  readonly id: string;
  readonly title: string;
  readonly reason: string;
  readonly citation: ResolvedCitation;
  /** "item": it describes the item (the answer is "not modelled"); "rule": it may change a rule's answer (an exemption). */
  readonly concerns: 'item' | 'rule';
  /** What made it relevant: the item's facts, or the rule whose answer it may change. */
  readonly facts: readonly string[];
}

export interface Classification {
  readonly asOf: string;
  readonly exportFrom: CountryCode;
  /** Where the item goes, when the question names it. */
  readonly destination?: CountryCode;
  /**
   * The item stays in the country where it is (destination = exportFrom): not an export, so no
   * export-control rule is evaluated; the undertakings it carries and screening still apply.
   */
  readonly domestic?: boolean;
  readonly controlled: boolean;
  /** Control codes that apply as of the date, sorted. */
  readonly codes: readonly string[];
  /** True when some rule could not be decided for want of data (see findings with outcome insufficient-data). */
  readonly undetermined: boolean;
  readonly findings: readonly Finding[];
  /**
   * Measures the packs name but do not model that concern this item. When the item is not
   * controlled and one of them describes it (`match`), the answer is "not modelled", never "not
   * controlled" (`modelled` is false).
   */
  readonly notModelled: readonly NotModelledFinding[];
  readonly modelled: boolean;
  readonly packs: readonly PackRef[];
  readonly summary: string;
  /** Unverified facts the answer depends on, with the reading used and the others (empty when none). */
  readonly assumptions: readonly Assumption[];
  /** Inferred modelling choices the answer rests on, with the other reading (empty when none). */
  readonly inferences: readonly InferenceNote[];
}

export interface ClassifyContext {
  /** Evaluation date, YYYY-MM-DD. */
  readonly asOf: string;
  /** Country the item is exported from; defaults to the item's origin. */
  readonly exportFrom?: CountryCode;
  /** Country the item goes to, when known. The same as exportFrom: a domestic transfer, not an export. */
  readonly destination?: CountryCode;
  /** Readings of unverified facts to use instead of the packs' defaults. */
  readonly readings?: Readings;
}

function inSet(code: CountryCode, set: CountrySet): boolean {
  return 'in' in set ? set.in.includes(code) : !set.notIn.includes(code);
}

function describeSet(set: CountrySet): string {
  return 'in' in set ? set.in.join(', ') : `anywhere but ${set.notIn.join(', ')}`;
}

/** Returns the facts that make the item match the pattern, or null when it does not match. */
export function matchPattern(item: Item, p: Pattern): string[] | null {
  const facts: string[] = [];
  const min = p.minPpm ?? 1;
  if (p.form) {
    if (!p.form.includes(item.form)) return null;
    facts.push(`form is ${item.form}`);
  }
  if (p.category) {
    if (item.category === undefined || !p.category.includes(item.category)) return null;
    facts.push(`category is ${item.category}`);
  }
  if (p.magnetFamily) {
    if (item.magnetFamily === undefined || !p.magnetFamily.includes(item.magnetFamily)) return null;
    facts.push(`magnet family is ${item.magnetFamily}`);
  }
  if (p.principalElement) {
    const pe = principalElement(item.composition);
    if (pe === undefined || !p.principalElement.includes(pe)) return null;
    facts.push(`principal element is ${pe} (${formatPpm(ppmOf(item.composition, pe))} by mass)`);
  }
  if (p.containsAny) {
    const present = p.containsAny.filter((e) => ppmOf(item.composition, e) >= min);
    if (present.length === 0) return null;
    facts.push(...present.map((e) => `contains ${e} at ${ppmOf(item.composition, e).toLocaleString('en')} ppm (${formatPpm(ppmOf(item.composition, e))})`));
  }
  if (p.containsAll) {
    if (!p.containsAll.every((e) => ppmOf(item.composition, e) >= min)) return null;
    facts.push(`contains ${p.containsAll.map((e) => `${e} (${formatPpm(ppmOf(item.composition, e))})`).join(' and ')}`);
  }
  return facts;
}

interface ContentResult {
  readonly status: 'none' | 'insufficient' | 'below' | 'meets';
  readonly facts: string[];
  readonly reason: string;
}

/** Sums the value of the item's parts that match the content entries and come from the given origins. */
function evaluateContent(item: Item, cond: ContentCondition, entries: ReadonlyMap<string, Entry>): ContentResult {
  const matched: { label: string; value: Money | undefined }[] = [];
  const walk = (it: Item, path: string) => {
    (it.components ?? []).forEach((c, i) => {
      const label = c.item.description ?? `components[${i}]`;
      const hit = cond.entries.map((r) => entries.get(r)).find((e) => e !== undefined && matchPattern(c.item, e.match) !== null);
      if (hit && inSet(c.item.origin, cond.origin)) matched.push({ label: `${path}${label} (${hit.ref}, made in ${c.item.origin})`, value: c.value });
      else if (!hit) walk(c.item, `${path}${label} › `);
    });
  };
  walk(item, '');
  if (matched.length === 0) return { status: 'none', facts: [], reason: '' };
  const threshold = formatPpm(cond.valueShareAtLeastPpm);
  const missing = matched.filter((m) => m.value === undefined).map((m) => m.label);
  if (item.value === undefined || missing.length > 0) {
    const what = item.value === undefined ? "the item's value" : `the value of ${missing.join(', ')}`;
    return {
      status: 'insufficient',
      facts: matched.map((m) => `contains ${m.label}`),
      reason: `cannot tell whether controlled content reaches ${threshold} of value: ${what} is not given`,
    };
  }
  const values = matched.map((m) => m.value as Money);
  if (values.some((v) => v.currency !== item.value?.currency)) {
    return { status: 'insufficient', facts: [], reason: `component values are not all in ${item.value.currency}; convert them first` };
  }
  const part = values.reduce((s, v) => s + BigInt(v.minor), 0n);
  if (part > BigInt(Number.MAX_SAFE_INTEGER)) return { status: 'insufficient', facts: [], reason: 'component values overflow' };
  const partMinor = Number(part);
  const partMoney: Money = { currency: item.value.currency, minor: partMinor };
  if (item.value.minor === 0) return { status: 'insufficient', facts: [], reason: "the item's value is zero" };
  const share = sharePpmFloor(partMinor, item.value.minor);
  const cmp = compareShare(partMinor, item.value.minor, cond.valueShareAtLeastPpm);
  const fact = `content from ${describeSet(cond.origin)} (${matched.map((m) => m.label).join('; ')}) is worth ${formatMoney(partMoney)}, ${formatPpm(share)} of the item's value ${formatMoney(item.value)}`;
  if (cmp < 0) return { status: 'below', facts: [fact], reason: `below the ${threshold} de minimis level` };
  return { status: 'meets', facts: [`${fact}, at least ${threshold}`], reason: '' };
}

export function resolveCitation(pack: RulePack, c: Citation): ResolvedCitation {
  const s = pack.sources[c.source];
  return {
    source: c.source,
    title: s?.title ?? c.source,
    issuer: s?.issuer ?? '',
    date: s?.date ?? '',
    clause: c.clause,
    confidence: c.confidence ?? s?.confidence ?? 'uncertain',
    references: s?.references ?? [],
    ...(s?.url === undefined ? {} : { url: s.url }),
    ...(c.note === undefined ? {} : { note: c.note }),
  };
}

/** A one-line citation for people: "MOFCOM & GAC Announcement No. 18 [2025], Annex 1C905.a". */
export function citeLine(c: ResolvedCitation): string {
  return `${c.title}, ${c.clause}${c.date ? ` (${c.date})` : ''}`;
}

type DependsOn = NonNullable<Finding['dependsOn']>;

function dateStatus(pack: RulePack, rule: Rule, asOf: string, readings: Readings): { dated: { outcome: Outcome; reason: string } | null; dependsOn: DependsOn } {
  if (asOf < rule.window.from) return { dated: { outcome: 'not-yet-effective', reason: `not yet in force on ${asOf}: effective ${formatWindow(rule.window)}` }, dependsOn: [] };
  if (rule.window.to !== undefined && asOf > rule.window.to) return { dated: { outcome: 'expired', reason: `no longer in force on ${asOf}: effective ${formatWindow(rule.window)}` }, dependsOn: [] };
  const s = suspensionOn(pack, rule.suspensions, asOf, readings);
  return { dated: s.reason === undefined ? null : { outcome: 'suspended', reason: s.reason }, dependsOn: s.dependsOn };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function uniqueSorted(xs: readonly string[]): string[] {
  return unique(xs).sort();
}

/**
 * Classifies an item against rule packs as of a date: which control codes apply, and why.
 * Pure and deterministic: the same item, packs and context always give the same result.
 */
export function classify(item: Item, packs: readonly RulePack[], ctx: ClassifyContext): Classification {
  const exportFrom = ctx.exportFrom ?? item.origin;
  const packRefs = packs.map((p) => ({ id: p.id, version: p.version, sha256: p.sha256 }));
  if (ctx.destination === exportFrom) {
    return {
      asOf: ctx.asOf,
      exportFrom,
      destination: ctx.destination,
      domestic: true,
      controlled: false,
      codes: [],
      undetermined: false,
      findings: [],
      notModelled: [],
      modelled: true,
      assumptions: [],
      inferences: [],
      packs: packRefs,
      summary:
        `Not an export as of ${ctx.asOf}: the item stays in ${exportFrom} (${countryName(exportFrom)}). Export-control rules apply when ` +
        'material leaves the country where it is; a domestic transfer is checked against the undertakings it carries and screening.',
    };
  }
  const findings: Finding[] = [];
  const notModelled: NotModelledFinding[] = [];

  for (const pack of packs) {
    const entries = new Map(pack.entries.map((e) => [e.ref, e]));
    const exclusionsInForce = pack.exclusions
      .filter((x) => inWindow(ctx.asOf, x.window))
      .map((x) => ({ x, facts: matchPattern(item, x.match) }))
      .filter((m): m is { x: Exclusion; facts: string[] } => m.facts !== null);
    const usedExclusions = new Set<string>();

    for (const rule of pack.rules) {
      const sc = rule.scope;
      const scopeFacts: string[] = [];
      if (sc.exportFrom) {
        if (!inSet(exportFrom, sc.exportFrom)) continue;
        scopeFacts.push(`exported from ${exportFrom} (${countryName(exportFrom)})`);
      }
      if (sc.origin) {
        if (!inSet(item.origin, sc.origin)) continue;
        scopeFacts.push(`made in ${item.origin} (${countryName(item.origin)})`);
      }
      if (sc.technologyOrigin) {
        const t = sc.technologyOrigin;
        const hits = (item.technologyOrigins ?? []).filter((c) => inSet(c, t));
        if (hits.length === 0) continue;
        scopeFacts.push(`made with technology from ${hits.join(', ')}`);
      }
      const matched: { entry: Entry; facts: string[] }[] = [];
      for (const ref of rule.controls) {
        const entry = entries.get(ref);
        const facts = entry ? matchPattern(item, entry.match) : null;
        if (entry && facts) matched.push({ entry, facts });
      }
      if (matched.length === 0) continue;
      let outOfDestination: string | undefined;
      if (sc.destination) {
        if (ctx.destination === undefined) scopeFacts.push(`for exports to ${describeSet(sc.destination)} (no destination given)`);
        else if (inSet(ctx.destination, sc.destination)) scopeFacts.push(`going to ${ctx.destination} (${countryName(ctx.destination)})`);
        else outOfDestination = `out of scope: the rule covers exports to ${describeSet(sc.destination)}; this goes to ${ctx.destination} (${countryName(ctx.destination)})`;
      }

      const base = {
        pack: pack.id,
        packVersion: pack.version,
        kind: 'rule' as const,
        id: rule.id,
        title: rule.title,
        citation: resolveCitation(pack, rule.citation),
      };
      const itemFacts = unique(matched.flatMap((m) => m.facts));
      let facts = [...itemFacts, ...scopeFacts];
      const entryList = (ms: typeof matched) => ms.map((m) => ({ ref: m.entry.ref, title: m.entry.title, citation: resolveCitation(pack, m.entry.citation) }));
      const codesOf = (ms: typeof matched) => uniqueSorted(ms.map((m) => m.entry.code));
      if (outOfDestination !== undefined) {
        findings.push({ ...base, outcome: 'excluded', codes: codesOf(matched), entries: entryList(matched), facts, reason: outOfDestination });
        continue;
      }

      if (sc.content) {
        const content = evaluateContent(item, sc.content, entries);
        if (content.status === 'none') continue;
        facts = [...facts, ...content.facts];
        if (content.status !== 'meets') {
          findings.push({ ...base, outcome: content.status === 'below' ? 'below-threshold' : 'insufficient-data', codes: codesOf(matched), entries: entryList(matched), facts, reason: content.reason });
          continue;
        }
      }
      const { dated, dependsOn } = dateStatus(pack, rule, ctx.asOf, ctx.readings ?? {});
      const dep = dependsOn.length > 0 ? { dependsOn } : {};
      if (dated) {
        findings.push({ ...base, ...dated, codes: codesOf(matched), entries: entryList(matched), facts, ...dep });
        continue;
      }
      const excludedBy = new Map<string, Exclusion>();
      for (const { x } of exclusionsInForce) for (const ref of x.excludes) if (!excludedBy.has(ref)) excludedBy.set(ref, x);
      const remaining = matched.filter((m) => !excludedBy.has(m.entry.ref));
      const excluded = matched.filter((m) => excludedBy.has(m.entry.ref));
      for (const m of excluded) usedExclusions.add(excludedBy.get(m.entry.ref)?.id ?? '');
      if (remaining.length === 0) {
        const names = uniqueSorted(excluded.map((m) => excludedBy.get(m.entry.ref)?.title ?? ''));
        findings.push({ ...base, outcome: 'excluded', codes: codesOf(matched), entries: entryList(matched), facts, reason: `out of scope: ${names.join('; ')}`, ...dep });
        continue;
      }
      findings.push({
        ...base,
        outcome: 'applies',
        codes: codesOf(remaining),
        entries: entryList(remaining),
        facts: unique(remaining.flatMap((m) => m.facts)).concat(facts.filter((f) => !itemFacts.includes(f))),
        reason: `controlled under ${codesOf(remaining).join(', ')} as of ${ctx.asOf}`,
        ...dep,
      });
    }

    // Exclusions that describe the item explain a "not controlled" even when no rule was a candidate.
    for (const { x, facts } of exclusionsInForce) {
      if (usedExclusions.has(x.id)) continue;
      findings.push({
        pack: pack.id,
        packVersion: pack.version,
        kind: 'exclusion',
        id: x.id,
        title: x.title,
        outcome: 'excluded',
        codes: uniqueSorted(x.excludes.map((r) => r.slice(0, r.indexOf(':')))),
        entries: [],
        citation: resolveCitation(pack, x.citation),
        facts,
        reason: `out of scope: ${x.title}`,
      });
    }

    for (const n of pack.notModelled) {
      const itemFacts = n.match ? matchPattern(item, n.match) : null;
      const byRule = (n.rules ?? []).filter((id) => findings.some((f) => f.pack === pack.id && f.id === id && f.outcome === 'applies'));
      if (itemFacts === null && byRule.length === 0) continue;
      notModelled.push({
        pack: pack.id,
        id: n.id,
        title: n.title,
        reason: n.reason,
        citation: resolveCitation(pack, n.citation),
        concerns: itemFacts === null ? 'rule' : 'item',
        facts: itemFacts ?? byRule.map((id) => `${id} applies; this measure could change its answer`),
      });
    }
  }

  const applies = findings.filter((f) => f.outcome === 'applies');
  const codes = uniqueSorted(applies.flatMap((f) => f.codes));
  const controlled = codes.length > 0;
  const undetermined = !controlled && findings.some((f) => f.outcome === 'insufficient-data');
  const unmodelled = notModelled.filter((n) => n.concerns === 'item');
  const modelled = controlled || undetermined || unmodelled.length === 0;
  const summary = controlled
    ? `Controlled as of ${ctx.asOf}: ${codes.join(', ')} (${uniqueSorted(applies.map((f) => f.title)).join('; ')}).`
    : undetermined
      ? `Not decided as of ${ctx.asOf}: ${findings.find((f) => f.outcome === 'insufficient-data')?.reason ?? ''}.`
      : !modelled
        ? `Not modelled as of ${ctx.asOf}: ${unmodelled.map((n) => `${n.title} — ${n.reason}`).join('; ')}.`
        : findings.length > 0
        ? `Not controlled as of ${ctx.asOf}: ${uniqueSorted(findings.map((f) => f.reason)).join('; ')}.`
        : `Not controlled as of ${ctx.asOf}: no entry of ${packs.map((p) => `${p.id}@${p.version}`).join(', ')} matches ${describeItem(item)}.`;

  const assumptions = assumptionsFor(
    packs,
    findings.flatMap((f) => (f.dependsOn ?? []).map((d) => ({ pack: f.pack, fact: d.fact, rule: f.id }))),
    ctx.readings ?? {},
  );
  const inferences: InferenceNote[] = [];
  for (const f of applies) {
    const pack = packs.find((p) => p.id === f.pack);
    for (const inf of pack?.inferences ?? []) {
      const refs = f.entries.map((e) => e.ref).filter((r) => inf.entries.includes(r));
      if (refs.length === 0 || !pack) continue;
      const prior = inferences.find((x) => x.id === inf.id && x.pack === pack.id);
      if (prior) {
        for (const r of refs) if (!prior.entries.includes(r)) (prior.entries as string[]).push(r);
      } else inferences.push({ id: inf.id, statement: inf.statement, alternative: inf.alternative, pack: pack.id, packVersion: pack.version, citation: resolveCitation(pack, inf.citation), entries: refs });
    }
  }

  return {
    asOf: ctx.asOf,
    exportFrom,
    ...(ctx.destination === undefined ? {} : { destination: ctx.destination }),
    controlled,
    codes,
    undetermined,
    findings,
    notModelled,
    modelled,
    packs: packRefs,
    summary,
    assumptions,
    inferences,
  };
}

/** "NdFeB magnet (Nd, Fe, Dy, B) made in CN". */
export function describeItem(item: Item): string {
  const els = elementsByShare(item.composition).slice(0, 4);
  const kind = item.form === 'magnet' ? `${item.magnetFamily ?? ''} magnet` : item.category ? `${item.form} (${item.category})` : item.form;
  return `${kind}${els.length > 0 ? ` (${els.join(', ')})` : ''} made in ${item.origin}`;
}
