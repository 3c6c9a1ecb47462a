/**
 * A held-out screening evaluation: variant kinds and labelled pairs the matcher was NOT tuned on
 * (test/support/screening-eval.ts holds the set it was tuned on), to tell a real gain in recall
 * from overfitting.
 *
 * 1. `buildHeldOutVariants`: disguises of real list names of kinds the tuning set has none of —
 *    a dropped middle token, two tokens merged, a given name cut to its initial, every token
 *    shuffled, transliteration variants by rules the tuning set does not use (Russian -ov/-ev as
 *    -off/-eff, BGN vs German "sch"/"tsch", "j"/"dzh", "u"/"oo", "ei"/"ey", Chinese Wade–Giles
 *    for pinyin syllables) — and look-alike decoys built differently (two real surnames and a
 *    real given name recombined from different entries). Searched against the whole list.
 * 2. `loadNameMatchingPairs`: labelled pairs from public name-matching test suites
 *    (../shared/corpora/name-matching: nomenklatura's name_bench cases, yente's perturbed UN
 *    persons, watchman's cross-script pairs, rigour's 81 spellings of one name), each scored by
 *    searching name1 in an index holding name2 alone.
 * 3. `loadNegatives`: yente's synthetic persons that should match no sanctioned person, searched
 *    against the whole list (precision on real-looking names).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { normalizeName, type ListEntry } from '../../src/screening/index.js';
import { CORPORA_URL } from './corpora.js';
import { rng, type EvalCase } from './screening-eval.js';

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

const LEGAL_TAIL =
  /[,.]?\s+(CO\.?,?\s*LTD\.?|LTD\.?|LIMITED|LLC|INC\.?|CORP\.?|CORPORATION|COMPANY|GMBH|S\.A\.?|SA|JSC|OJSC|CJSC|PJSC|OOO|FZE|PLC|SARL|AG)$/i;

/** "LAST, First Middle" → ["First", "Middle", "LAST"]; an entity's words as written. */
function tokensOf(e: ListEntry): string[] {
  const core = e.name.replace(LEGAL_TAIL, '');
  if (e.type === 'person' && core.includes(',')) {
    const [last, first] = core.split(',', 2);
    return [...(first ?? '').trim().split(/\s+/), ...(last ?? '').trim().split(/\s+/)].filter((w) => w !== '');
  }
  return core.split(/\s+/).filter((w) => w !== '');
}

const TRANSLIT: readonly (readonly [RegExp, string])[] = [
  [/OV\b/g, 'OFF'],
  [/EV\b/g, 'EFF'],
  [/SCH/g, 'SH'],
  [/TCH/g, 'CH'],
  [/\bJ/g, 'DZH'],
  [/U/g, 'OO'],
  [/EI/g, 'EY'],
  [/AI/g, 'AY'],
  [/IYA\b/g, 'IA'],
  [/\bX/g, 'HS'],
  [/ZH/g, 'J'],
  [/KS/g, 'X'],
  [/W/g, 'V'],
  [/C/g, 'K'],
];
/** Pinyin initials and finals to Wade–Giles (the common ones). */
const WADE: readonly (readonly [RegExp, string])[] = [
  [/\bZH/g, 'CH'],
  [/\bQ/g, "CH'"],
  [/\bX/g, 'HS'],
  [/\bZ/g, 'TS'],
  [/\bC/g, "TS'"],
  [/\bR/g, 'J'],
  [/IONG\b/g, 'IUNG'],
  [/ONG\b/g, 'UNG'],
];

const kinds: readonly (readonly [string, (r: () => number, e: ListEntry) => string | undefined])[] = [
  [
    'dropped-token',
    (r, e) => {
      const t = tokensOf(e);
      if (t.length < 3) return undefined;
      const i = 1 + Math.floor(r() * (t.length - 2));
      return [...t.slice(0, i), ...t.slice(i + 1)].join(' ');
    },
  ],
  [
    'merged-tokens',
    (r, e) => {
      const t = tokensOf(e);
      if (t.length < 2) return undefined;
      const i = Math.floor(r() * (t.length - 1));
      return [...t.slice(0, i), `${t[i] ?? ''}${t[i + 1] ?? ''}`, ...t.slice(i + 2)].join(' ');
    },
  ],
  [
    'initials',
    (_r, e) => {
      if (e.type !== 'person') return undefined;
      const t = tokensOf(e);
      if (t.length < 2 || (t[0] ?? '').length < 3) return undefined;
      return [`${(t[0] ?? '').slice(0, 1)}.`, ...t.slice(1)].join(' ');
    },
  ],
  [
    'shuffled',
    (r, e) => {
      const t = tokensOf(e);
      if (t.length < 3) return undefined;
      const s = [...t];
      for (let i = s.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [s[i], s[j]] = [s[j] ?? '', s[i] ?? ''];
      }
      return s.join(' ') === t.join(' ') ? [...t.slice(1), t[0]].join(' ') : s.join(' ');
    },
  ],
  [
    'transliteration',
    (r, e) => {
      const name = tokensOf(e).join(' ').toUpperCase();
      const rules = [...TRANSLIT, ...WADE].filter(([re]) => name.match(re) !== null);
      if (rules.length === 0) return undefined;
      let out = name;
      // One or two rules: real spelling variants seldom differ in more.
      for (let k = 0; k < (r() < 0.5 ? 1 : 2); k++) {
        const [re, to] = pick(r, rules);
        out = out.replace(re, to);
      }
      return out === name ? undefined : out;
    },
  ],
];

/**
 * `perKind` variants of each held-out kind from Latin-script person and entity entries, and
 * `perKind * 2` decoys recombined from parts of different entries (checked not to be a listed name).
 */
export function buildHeldOutVariants(
  entries: readonly ListEntry[],
  opts: { seed?: number; perKind?: number } = {},
): EvalCase[] {
  const r = rng(opts.seed ?? 2027);
  const perKind = opts.perKind ?? 100;
  const latin = entries.filter(
    (e) =>
      /^[\x20-\x7e]+$/.test(e.name) &&
      e.name.replace(/[^A-Za-z]/g, '').length >= 6 &&
      (e.type === 'person' || e.type === 'entity'),
  );
  const listed = new Set(entries.flatMap((e) => [e.name, ...e.aliases].map((n) => normalizeName(n).sortedCompact)));
  const cases: EvalCase[] = [];
  for (const [kind, f] of kinds) {
    let made = 0;
    for (let tries = 0; made < perKind && tries < perKind * 50; tries++) {
      const e = pick(r, latin);
      const q = f(r, e);
      if (q === undefined || normalizeName(q).compact.length < 4) continue;
      cases.push({ query: q, target: e.id, kind });
      made++;
    }
  }
  const persons = latin.filter((e) => e.type === 'person' && e.name.includes(','));
  const surnames = persons.map((e) => (e.name.split(',')[0] ?? '').trim()).filter((s) => /^[A-Z-]{4,}$/.test(s));
  const given = persons
    .map((e) => (e.name.split(',')[1] ?? '').trim().split(/\s+/)[0] ?? '')
    .filter((s) => /^[A-Za-z-]{3,}$/.test(s));
  let decoys = 0;
  for (let tries = 0; decoys < perKind * 2 && tries < perKind * 100; tries++) {
    const q = `${pick(r, given)} ${pick(r, surnames)}${r() < 0.5 ? `-${pick(r, surnames)}` : ''}`;
    if (listed.has(normalizeName(q).sortedCompact)) continue;
    cases.push({ query: q, target: undefined, kind: 'decoy-recombined' });
    decoys++;
  }
  return cases;
}

export interface LabelledPair {
  readonly source: string;
  readonly query: string;
  readonly candidate: string;
  readonly match: boolean;
  readonly kind: string;
}

export const NAME_MATCHING = new URL('name-matching/', CORPORA_URL);

function csv(path: URL, columns: true | string[] = true): Record<string, string>[] {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  return parse<Record<string, string>>(text, { columns, skip_empty_lines: true, relax_column_count: true });
}

/** Labelled pairs from the name-matching corpora, or undefined where the corpora are absent. */
export function loadNameMatchingPairs(): LabelledPair[] | undefined {
  const f = (p: string) => new URL(p, NAME_MATCHING);
  if (!existsSync(f('opensanctions-nomenklatura/name_bench_cases.csv'))) return undefined;
  const out: LabelledPair[] = [];
  for (const row of csv(f('opensanctions-nomenklatura/name_bench_cases.csv'))) {
    if (!row.name1 || !row.name2) continue;
    out.push({
      source: 'nomenklatura name_bench',
      query: row.name1,
      candidate: row.name2,
      match: row.is_match === 'true',
      kind: row.category || row.case_group || 'other',
    });
  }
  for (const row of csv(f('derived/yente_un_treated_vs_untreated_pairs.csv'))) {
    if (row.name_changed !== 'true' || !row.query_full_name || !row.candidate_full_name) continue;
    out.push({
      source: 'yente UN treated',
      query: row.query_full_name,
      candidate: row.candidate_full_name,
      match: true,
      kind: 'perturbed',
    });
  }
  for (const row of csv(f('watchman/cross_script_pairs.csv'), [
    'Query',
    'Expected Match',
    'Min Score',
    'Description',
  ])) {
    const q = row.Query;
    const c = row['Expected Match'];
    if (!q || !c) continue;
    out.push({ source: 'watchman cross-script', query: q, candidate: c, match: true, kind: 'cross-script' });
  }
  const putin = readFileSync(f('opensanctions-rigour/putin_names.txt'), 'utf8')
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const q of putin)
    out.push({
      source: 'rigour putin_names',
      query: q,
      candidate: 'Vladimir Vladimirovich Putin',
      match: true,
      kind: /^[\x20-\x7e\u00c0-\u024f]+$/.test(q) ? 'latin' : 'other-script',
    });
  return out;
}

/** yente's synthetic persons (global and US name distributions) that must match no sanctioned person. */
export function loadNegatives(): EvalCase[] | undefined {
  const out: EvalCase[] = [];
  for (const file of ['validation_negatives_global.csv', 'validation_negatives_us.csv']) {
    const path = new URL(`opensanctions-yente/${file}`, NAME_MATCHING);
    if (!existsSync(path)) return undefined;
    for (const row of csv(path))
      if (row.full_name) out.push({ query: row.full_name, target: undefined, kind: `negative ${file.slice(21, -4)}` });
  }
  return out;
}
