import { LineCounter, parseDocument, isMap, isScalar, type Node } from 'yaml';
import type { z } from 'zod';
import { deepFreeze } from '../domain/index.js';
import { RulePackError } from './errors.js';
import { formatWindow, windowsOverlap } from './dates.js';
import type { CountrySet, Entry, Exclusion, Inference, NotModelled, Pattern, Policy, Rule, RulePack, Suspension, SuspensionExtension, UnverifiedFact, Window } from './model.js';
import { packSchema, type CountrySetFile, type PackFile, type PatternFile } from './schema.js';

/** Compiles "1C90*:magnet" into a matcher over entry refs. */
export function refMatcher(glob: string): (ref: string) => boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (ref) => re.test(ref);
}

interface Located {
  readonly file: string;
  readonly doc: ReturnType<typeof parseDocument>;
  readonly lines: LineCounter;
}

function lineOf(loc: Located, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = loc.doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node?.range) return loc.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

function keyLine(loc: Located, path: readonly (string | number)[], key: string): number | undefined {
  const map: unknown = loc.doc.getIn(path, true);
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return loc.lines.linePos(pair.key.range[0]).line;
    }
  }
  return lineOf(loc, path);
}

function fail(loc: Located, path: readonly (string | number)[], reason: string, code: 'INVALID_RULE_PACK' | 'UNKNOWN_REFERENCE' = 'INVALID_RULE_PACK', line?: number): never {
  const at = line ?? lineOf(loc, path);
  const field = path.join('.');
  throw new RulePackError(code, `${loc.file}${at === undefined ? '' : `:${at}`}: ${field === '' ? '(top)' : field}: ${reason}`, { field });
}

function zodFail(loc: Located, error: z.ZodError): never {
  const issue = error.issues[0];
  if (issue === undefined) fail(loc, [], 'is invalid');
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    fail(loc, [...path, key], 'unknown field', 'INVALID_RULE_PACK', keyLine(loc, path, key));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) fail(loc, path, 'is required');
  if (issue.code === 'invalid_value') fail(loc, path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
  fail(loc, path, issue.message);
}

function countrySet(s: CountrySetFile): CountrySet {
  if (Array.isArray(s)) return { in: s };
  return 'in' in s ? { in: s.in } : { notIn: s.not_in };
}

function pattern(loc: Located, path: (string | number)[], p: PatternFile): Pattern {
  const out: { -readonly [K in keyof Pattern]: Pattern[K] } = {};
  if (p.form) out.form = p.form;
  if (p.category) out.category = p.category;
  if (p.magnet_family) out.magnetFamily = p.magnet_family;
  if (p.principal_element) out.principalElement = p.principal_element;
  if (p.contains_any) out.containsAny = p.contains_any;
  if (p.contains_all) out.containsAll = p.contains_all;
  if (p.min_ppm !== undefined) {
    if (!p.contains_any && !p.contains_all) fail(loc, [...path, 'min_ppm'], 'needs contains_any or contains_all');
    out.minPpm = p.min_ppm;
  }
  if (Object.keys(out).length === 0) fail(loc, path, 'an empty pattern would match every item');
  return out;
}

function window(loc: Located, path: (string | number)[], from: string, to: string | undefined): Window {
  if (to !== undefined && to < from) fail(loc, [...path, 'effective_to'], `ends (${to}) before it starts (${from})`);
  return to === undefined ? { from } : { from, to };
}

/**
 * Parses and validates one rule pack (YAML text). Pure: the caller reads the file and passes its
 * name (for messages) and SHA-256 (recorded with every evaluation).
 */
export function parsePack(text: string, file: string, sha256: string): RulePack {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const loc: Located = { file, doc, lines };
  const yamlError = doc.errors[0];
  if (yamlError) {
    const at = lines.linePos(yamlError.pos[0]).line;
    throw new RulePackError('INVALID_RULE_PACK', `${file}:${at}: not valid YAML: ${yamlError.message.split('\n')[0] ?? ''}`);
  }
  const parsed = packSchema.safeParse(doc.toJS());
  if (!parsed.success) zodFail(loc, parsed.error);
  return deepFreeze(build(loc, parsed.data, sha256));
}

function build(loc: Located, f: PackFile, sha256: string): RulePack {
  const checkSource = (path: (string | number)[], source: string) => {
    if (!(source in f.sources)) fail(loc, [...path, 'citation', 'source'], `unknown source "${source}" (declare it under sources)`, 'UNKNOWN_REFERENCE');
  };

  const entries: Entry[] = [];
  const refs = new Set<string>();
  f.entries.forEach((e, i) => {
    if (refs.has(e.ref)) fail(loc, ['entries', i, 'ref'], `duplicate entry "${e.ref}"`);
    refs.add(e.ref);
    checkSource(['entries', i], e.citation.source);
    entries.push({ ref: e.ref, code: e.ref.slice(0, e.ref.indexOf(':')), title: e.title, citation: e.citation, match: pattern(loc, ['entries', i, 'match'], e.match) });
  });

  const resolve = (path: (string | number)[], globs: readonly string[]): string[] => {
    const out: string[] = [];
    globs.forEach((g, j) => {
      const m = refMatcher(g);
      const hits = entries.filter((e) => m(e.ref)).map((e) => e.ref);
      if (hits.length === 0) fail(loc, [...path, j], `"${g}" matches no entry of this pack`, 'UNKNOWN_REFERENCE');
      for (const h of hits) if (!out.includes(h)) out.push(h);
    });
    return out;
  };

  const suspensions = new Map<string, Suspension>();
  (f.suspensions ?? []).forEach((s, i) => {
    if (suspensions.has(s.id)) fail(loc, ['suspensions', i, 'id'], `duplicate suspension "${s.id}"`);
    if (s.to !== undefined && s.to < s.from) fail(loc, ['suspensions', i, 'to'], `ends (${s.to}) before it starts (${s.from})`);
    checkSource(['suspensions', i], s.citation.source);
    suspensions.set(s.id, { id: s.id, from: s.from, ...(s.to === undefined ? {} : { to: s.to }), citation: s.citation, extensions: [] });
  });

  // Unverified facts: each reading may continue suspensions past their end.
  const facts: { -readonly [K in keyof UnverifiedFact]: UnverifiedFact[K] }[] = [];
  (f.facts ?? []).forEach((x, i) => {
    const path = ['facts', i];
    if (facts.some((o) => o.id === x.id)) fail(loc, [...path, 'id'], `duplicate fact "${x.id}"`);
    checkSource(path, x.citation.source);
    const ids = new Set<string>();
    x.readings.forEach((r, j) => {
      if (ids.has(r.id)) fail(loc, [...path, 'readings', j, 'id'], `duplicate reading "${r.id}"`);
      ids.add(r.id);
      checkSource([...path, 'readings', j], r.citation.source);
      (r.continues ?? []).forEach((c, k) => {
        const at = [...path, 'readings', j, 'continues', k];
        const s = suspensions.get(c.suspension);
        if (!s) fail(loc, [...at, 'suspension'], `unknown suspension "${c.suspension}"`, 'UNKNOWN_REFERENCE');
        if (s.to === undefined) fail(loc, [...at, 'suspension'], `suspension "${c.suspension}" has no end date to continue past`);
        if (c.to !== undefined && c.to <= s.to) fail(loc, [...at, 'to'], `must be after the suspension's end (${s.to})`);
        (s.extensions as SuspensionExtension[]).push({ fact: x.id, reading: r.id, ...(c.to === undefined ? {} : { to: c.to }) });
      });
    });
    if (!ids.has(x.default)) fail(loc, [...path, 'default'], `must be one of the fact's readings (${[...ids].join(', ')})`);
    if (!x.readings.some((r) => (r.continues ?? []).length > 0)) fail(loc, [...path, 'readings'], 'no reading changes anything (give a reading `continues`)');
    facts.push({
      id: x.id,
      question: x.question,
      citation: x.citation,
      default: x.default,
      readings: x.readings.map((r) => ({ id: r.id, meaning: r.meaning, citation: r.citation, continues: (r.continues ?? []).map((c) => (c.to === undefined ? { suspension: c.suspension } : { suspension: c.suspension, to: c.to })) })),
      affects: [],
    });
  });

  const rules: Rule[] = [];
  f.rules.forEach((r, i) => {
    const path = ['rules', i];
    checkSource(path, r.citation.source);
    const w = window(loc, path, r.effective_from, r.effective_to);
    const earlier = rules.find((o) => o.id === r.id && windowsOverlap(o.window, w));
    if (earlier) {
      fail(loc, [...path, 'effective_from'], `effective window ${formatWindow(w)} overlaps another version of rule "${r.id}" (${formatWindow(earlier.window)})`);
    }
    const susp: Suspension[] = [];
    (r.suspended_by ?? []).forEach((id, j) => {
      const s = suspensions.get(id);
      if (!s) fail(loc, [...path, 'suspended_by', j], `unknown suspension "${id}"`, 'UNKNOWN_REFERENCE');
      const clash = susp.find((o) => windowsOverlap(o, s));
      if (clash) fail(loc, [...path, 'suspended_by', j], `suspension "${id}" (${formatWindow(s)}) overlaps suspension "${clash.id}" (${formatWindow(clash)})`);
      susp.push(s);
    });
    const sc = r.scope ?? {};
    rules.push({
      id: r.id,
      title: r.title,
      citation: r.citation,
      window: w,
      suspensions: susp,
      scope: {
        ...(sc.export_from ? { exportFrom: countrySet(sc.export_from) } : {}),
        ...(sc.origin ? { origin: countrySet(sc.origin) } : {}),
        ...(sc.technology_origin ? { technologyOrigin: countrySet(sc.technology_origin) } : {}),
        ...(sc.destination ? { destination: countrySet(sc.destination) } : {}),
        ...(sc.content
          ? {
              content: {
                entries: resolve([...path, 'scope', 'content', 'entries'], sc.content.entries),
                origin: countrySet(sc.content.origin),
                valueShareAtLeastPpm: sc.content.value_share_at_least_ppm,
              },
            }
          : {}),
      },
      controls: resolve([...path, 'controls'], r.controls),
    });
  });

  const exclusions: Exclusion[] = [];
  (f.exclusions ?? []).forEach((x, i) => {
    const path = ['exclusions', i];
    checkSource(path, x.citation.source);
    const w = window(loc, path, x.effective_from, x.effective_to);
    const earlier = exclusions.find((o) => o.id === x.id && windowsOverlap(o.window, w));
    if (earlier) fail(loc, [...path, 'effective_from'], `effective window ${formatWindow(w)} overlaps another version of exclusion "${x.id}"`);
    exclusions.push({ id: x.id, title: x.title, citation: x.citation, window: w, match: pattern(loc, [...path, 'match'], x.match), excludes: resolve([...path, 'excludes'], x.excludes) });
  });

  const policies: Policy[] = [];
  (f.policies ?? []).forEach((x, i) => {
    const path = ['policies', i];
    checkSource(path, x.citation.source);
    const w = window(loc, path, x.effective_from, x.effective_to);
    if (policies.some((o) => o.id === x.id && windowsOverlap(o.window, w))) fail(loc, [...path, 'effective_from'], `effective window ${formatWindow(w)} overlaps another version of policy "${x.id}"`);
    const susp = (x.suspended_by ?? []).map((id, j) => suspensions.get(id) ?? fail(loc, [...path, 'suspended_by', j], `unknown suspension "${id}"`, 'UNKNOWN_REFERENCE'));
    const wh = x.when;
    (x.under ?? []).forEach((id, j) => {
      if (!rules.some((r) => r.id === id)) fail(loc, [...path, 'under', j], `unknown rule "${id}"`, 'UNKNOWN_REFERENCE');
    });
    if (x.party_list_via_owners !== undefined && wh.party_list_effect === undefined) fail(loc, [...path, 'party_list_via_owners'], 'needs when.party_list_effect');
    policies.push({
      id: x.id,
      title: x.title,
      citation: x.citation,
      window: w,
      suspensions: susp,
      decision: x.decision,
      ...(x.under ? { under: x.under } : {}),
      partyListViaOwners: x.party_list_via_owners ?? false,
      occasions: x.occasions ?? ['application'],
      when: {
        ...(wh.end_use_any ? { endUseAny: wh.end_use_any } : {}),
        ...(wh.party_sector_any ? { partySectorAny: wh.party_sector_any } : {}),
        ...(wh.party_listed === undefined ? {} : { partyListed: wh.party_listed }),
        ...(wh.party_list_effect ? { partyListEffect: wh.party_list_effect } : {}),
        ...(wh.roles ? { roles: wh.roles } : {}),
        ...(wh.destination ? { destination: countrySet(wh.destination) } : {}),
        ...(wh.origin ? { origin: countrySet(wh.origin) } : {}),
      },
    });
  });

  const notModelled: NotModelled[] = [];
  (f.not_modelled ?? []).forEach((n, i) => {
    const path = ['not_modelled', i];
    checkSource(path, n.citation.source);
    if (notModelled.some((o) => o.id === n.id)) fail(loc, [...path, 'id'], `duplicate not-modelled measure "${n.id}"`);
    (n.rules ?? []).forEach((id, j) => {
      if (!rules.some((r) => r.id === id)) fail(loc, [...path, 'rules', j], `unknown rule "${id}"`, 'UNKNOWN_REFERENCE');
    });
    notModelled.push({
      id: n.id,
      title: n.title,
      citation: n.citation,
      reason: n.reason,
      ...(n.match ? { match: pattern(loc, [...path, 'match'], n.match) } : {}),
      ...(n.rules ? { rules: n.rules } : {}),
    });
  });

  for (const fact of facts) {
    const touched = (ss: readonly Suspension[]) => ss.some((s) => s.extensions.some((e) => e.fact === fact.id));
    fact.affects = [...new Set([...rules.filter((r) => touched(r.suspensions)).map((r) => r.id), ...policies.filter((p) => touched(p.suspensions)).map((p) => p.id)])];
  }

  const inferences: Inference[] = [];
  (f.inferences ?? []).forEach((x, i) => {
    const path = ['inferences', i];
    if (inferences.some((o) => o.id === x.id)) fail(loc, [...path, 'id'], `duplicate inference "${x.id}"`);
    checkSource(path, x.citation.source);
    inferences.push({ id: x.id, statement: x.statement, alternative: x.alternative, citation: x.citation, entries: resolve([...path, 'entries'], x.entries) });
  });

  return {
    id: f.pack,
    version: f.version,
    title: f.title,
    authority: f.authority,
    jurisdiction: f.jurisdiction,
    ...(f.description === undefined ? {} : { description: f.description }),
    sha256,
    sources: Object.fromEntries(Object.entries(f.sources).map(([id, s]) => [id, { id, ...s }])),
    entries,
    rules,
    exclusions,
    policies,
    notModelled,
    facts,
    inferences,
  };
}

/** Checks a set of packs loaded together: one version per pack id. */
export function checkPackSet(packs: readonly RulePack[]): readonly RulePack[] {
  const seen = new Map<string, RulePack>();
  for (const p of packs) {
    const other = seen.get(p.id);
    if (other) throw new RulePackError('DUPLICATE_RULE_PACK', `rule pack "${p.id}" is loaded twice (versions ${other.version} and ${p.version})`);
    seen.set(p.id, p);
  }
  const facts = new Map<string, string>();
  for (const p of packs) {
    for (const f of p.facts) {
      const other = facts.get(f.id);
      if (other !== undefined) throw new RulePackError('DUPLICATE_RULE_PACK', `unverified fact "${f.id}" is declared by both ${other} and ${p.id}`);
      facts.set(f.id, p.id);
    }
  }
  return packs;
}
