import { ValidationError } from '../domain/index.js';
import { formatWindow, inWindow } from './dates.js';
import type { Citation, RulePack, Suspension } from './model.js';

/** The reading chosen for each unverified fact (fact id → reading id); facts not named take the pack's default. */
export type Readings = Readonly<Record<string, string>>;

/** An answer depends on an unverified fact: which fact, the reading used, the others, and the pack that declares it. */
export interface Assumption {
  readonly fact: string;
  readonly question: string;
  readonly reading: string;
  readonly meaning: string;
  /** "default" when the pack's default reading was used, "assumed" when the caller chose it (--assume). */
  readonly chosen: 'default' | 'assumed';
  readonly alternatives: readonly { readonly reading: string; readonly meaning: string }[];
  readonly pack: string;
  readonly packVersion: string;
  readonly citation: Citation;
  /** The rules or policies of this answer whose outcome turns on the fact. */
  readonly affects: readonly string[];
}

/** A suspension in force on a date, and the fact reading it rests on when it is a continuation. */
export interface SuspensionStatus {
  readonly suspension?: Suspension;
  /** "suspended on … by …" */
  readonly reason?: string;
  /** Facts whose reading decides whether the measure is suspended on this date. */
  readonly dependsOn: readonly { readonly fact: string; readonly reading: string }[];
}

function readingOf(pack: RulePack, fact: string, readings: Readings): string {
  return readings[fact] ?? pack.facts.find((f) => f.id === fact)?.default ?? '';
}

/**
 * Is a measure suspended on a date? A suspension in its own window suspends it for certain; past its
 * end, a continuation under a reading of an unverified fact suspends it only under that reading, and
 * the answer then depends on the fact whichever reading is used.
 */
export function suspensionOn(pack: RulePack, suspensions: readonly Suspension[], asOf: string, readings: Readings): SuspensionStatus {
  const certain = suspensions.find((s) => inWindow(asOf, s));
  if (certain) return { suspension: certain, reason: `suspended on ${asOf} by ${certain.citation.clause} (${formatWindow(certain)})`, dependsOn: [] };
  const dependsOn: { fact: string; reading: string }[] = [];
  let hit: SuspensionStatus | undefined;
  for (const s of suspensions) {
    if (s.to === undefined || asOf <= s.to) continue;
    for (const fact of [...new Set(s.extensions.map((e) => e.fact))]) {
      const covering = s.extensions.filter((e) => e.fact === fact && (e.to === undefined || asOf <= e.to));
      if (covering.length === 0) continue;
      const reading = readingOf(pack, fact, readings);
      if (!dependsOn.some((d) => d.fact === fact)) dependsOn.push({ fact, reading });
      const used = covering.find((e) => e.reading === reading);
      if (used && !hit) {
        const until = used.to === undefined ? 'with no known end' : `to ${used.to}`;
        hit = { suspension: s, reason: `suspended on ${asOf} by ${s.citation.clause}, continued ${until} under the reading ${fact} = ${reading}`, dependsOn };
      }
    }
  }
  return hit ? { ...hit, dependsOn } : { dependsOn };
}

/** The assumptions behind a set of dependencies, one per fact, naming the rules that turn on it. */
export function assumptionsFor(packs: readonly RulePack[], deps: readonly { readonly pack: string; readonly fact: string; readonly rule: string }[], readings: Readings): Assumption[] {
  const out: Assumption[] = [];
  for (const d of deps) {
    const prior = out.find((a) => a.fact === d.fact);
    if (prior) {
      if (!prior.affects.includes(d.rule)) (prior.affects as string[]).push(d.rule);
      continue;
    }
    const pack = packs.find((p) => p.id === d.pack);
    const fact = pack?.facts.find((f) => f.id === d.fact);
    if (!pack || !fact) continue;
    const reading = readingOf(pack, fact.id, readings);
    const used = fact.readings.find((r) => r.id === reading);
    out.push({
      fact: fact.id,
      question: fact.question,
      reading,
      meaning: used?.meaning ?? '',
      chosen: readings[fact.id] === undefined ? 'default' : 'assumed',
      alternatives: fact.readings.filter((r) => r.id !== reading).map((r) => ({ reading: r.id, meaning: r.meaning })),
      pack: pack.id,
      packVersion: pack.version,
      citation: used?.citation ?? fact.citation,
      affects: [d.rule],
    });
  }
  return out;
}

/** Merges assumption lists (e.g. of an application's lines and its policy), one per fact. */
export function mergeAssumptions(lists: readonly (readonly Assumption[])[]): Assumption[] {
  const out: Assumption[] = [];
  for (const a of lists.flat()) {
    const prior = out.find((x) => x.fact === a.fact);
    if (!prior) out.push({ ...a, affects: [...a.affects] });
    else for (const r of a.affects) if (!prior.affects.includes(r)) (prior.affects as string[]).push(r);
  }
  return out;
}

/**
 * Parses `FACT=READING` choices (from --assume or the `assume` query parameter) against the packs'
 * unverified facts. An unknown fact or reading, or a fact given twice, is a ValidationError naming
 * the field.
 */
export function parseReadings(packs: readonly RulePack[], choices: readonly string[], field: string): Readings {
  const out: Record<string, string> = {};
  const all = packs.flatMap((p) => p.facts);
  for (const c of choices) {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(c);
    if (!m) throw new ValidationError(field, `must be FACT=READING, got ${JSON.stringify(c)}`);
    const [, factId = '', reading = ''] = m;
    const fact = all.find((f) => f.id === factId);
    if (!fact) throw new ValidationError(field, `unknown fact "${factId}" (the rule packs declare ${all.map((f) => f.id).join(', ') || 'no unverified facts'})`);
    if (!fact.readings.some((r) => r.id === reading)) throw new ValidationError(field, `fact "${factId}" has no reading "${reading}" (readings: ${fact.readings.map((r) => r.id).join(', ')})`);
    if (out[factId] !== undefined && out[factId] !== reading) throw new ValidationError(field, `fact "${factId}" is assumed twice (${out[factId]} and ${reading})`);
    out[factId] = reading;
  }
  return out;
}

/** The human line: "ASSUMPTION ann70-after-2026-11-10 = lapsed (pack … 2026.11.3): …; other reading: extended (…)". */
export function assumptionLine(a: Assumption): string {
  const others = a.alternatives.map((x) => `${x.reading} (${x.meaning})`).join('; ');
  return `ASSUMPTION ${a.fact} = ${a.reading}${a.chosen === 'assumed' ? ' (assumed by you)' : ' (pack default)'} (pack ${a.pack} ${a.packVersion}): ${a.meaning}; other reading${a.alternatives.length > 1 ? 's' : ''}: ${others} — affects ${a.affects.join(', ')}`;
}
