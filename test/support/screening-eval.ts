/**
 * A labelled evaluation set built from real list entries: disguised variants of listed names
 * (typos, token order, legal forms added / dropped, romanisation variants, punctuation, aliases)
 * labelled with the entry they must find, and look-alike decoys labelled as misses. Deterministic
 * (seeded), so tests and the benchmark see the same cases.
 */
import { normalizeName, type ListEntry } from '../../src/screening/index.js';

export interface EvalCase {
  readonly query: string;
  /** The entry the query must find, or undefined for a decoy that must find nothing. */
  readonly target: string | undefined;
  readonly kind: string;
}

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEGAL = ['LTD', 'LIMITED', 'CO., LTD.', 'LLC', 'INC.', 'CORP.', 'GMBH', 'S.A.', 'JSC', 'OOO', 'PVT LTD', 'FZE'];
const LEGAL_RE =
  /[,.]?\s+(CO\.?,?\s*LTD\.?|LTD\.?|LIMITED|LLC|INC\.?|CORP\.?|CORPORATION|COMPANY|GMBH|S\.A\.?|SA|JSC|OJSC|CJSC|PJSC|OOO|FZE|PLC|SARL|S\.R\.L\.|B\.V\.|AG)$/i;
const ROMANISATION: readonly (readonly [RegExp, string])[] = [
  [/OU/g, 'U'],
  [/EE/g, 'I'],
  [/KH/g, 'H'],
  [/Y/g, 'I'],
  [/SH/g, 'SCH'],
  [/PH/g, 'F'],
  [/DJ/g, 'J'],
  [/Q/g, 'K'],
  [/OO/g, 'U'],
  [/IE/g, 'Y'],
  [/TS/g, 'C'],
  [/ZH/g, 'J'],
];
const DECOY_WORDS = [
  'ATLAS',
  'PIONEER',
  'SUMMIT',
  'HORIZON',
  'CRESCENT',
  'MERIDIAN',
  'EVEREST',
  'NORDIC',
  'CASCADE',
  'PACIFICA',
  'AURORA',
  'GRANITE',
  'WILLOW',
  'FALCON',
  'ORCHID',
  'SAPPHIRE',
];
const FIRST = [
  'JOHN',
  'PRIYA',
  'WEI',
  'MARIA',
  'OLGA',
  'KENJI',
  'FATIMA',
  'LUCAS',
  'AMARA',
  'SVEN',
  'ELENA',
  'RAJ',
  'CHLOE',
  'DIEGO',
];
const LAST = [
  'MILLER',
  'SHARMA',
  'LINDQVIST',
  'FERREIRA',
  'KOWALSKI',
  'TANAKA',
  'OKAFOR',
  'DUBOIS',
  'NOVAK',
  'MEYER',
  'ROSSI',
  'HANSEN',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function typo(r: () => number, name: string): string | undefined {
  const words = name.split(' ');
  const idx = words.map((w, i) => (w.length >= 5 ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return undefined;
  const wi = pick(r, idx);
  const w = words[wi] ?? '';
  const p = 1 + Math.floor(r() * (w.length - 2));
  const op = Math.floor(r() * 3);
  const c = String.fromCharCode(65 + Math.floor(r() * 26));
  const nw =
    op === 0
      ? w.slice(0, p) + w.slice(p + 1)
      : op === 1
        ? w.slice(0, p) + (w[p + 1] ?? '') + (w[p] ?? '') + w.slice(p + 2)
        : w.slice(0, p) + c + w.slice(p + 1);
  words[wi] = nw;
  return words.join(' ');
}

function reorder(name: string): string | undefined {
  const core = name.replace(LEGAL_RE, '');
  if (core.includes(',')) {
    const [a, b] = core.split(',', 2);
    return `${(b ?? '').trim()} ${(a ?? '').trim()}`;
  }
  const words = core.split(/\s+/);
  if (words.length < 2) return undefined;
  return [...words.slice(1), words[0]].join(' ');
}

function legalForm(r: () => number, name: string): string {
  return LEGAL_RE.test(name) ? name.replace(LEGAL_RE, '') : `${name} ${pick(r, LEGAL)}`;
}

function romanise(r: () => number, name: string): string | undefined {
  const rules = ROMANISATION.filter(([re]) => name.match(re) !== null);
  if (rules.length === 0) return undefined;
  const [re, to] = pick(r, rules);
  return name.replace(re, to);
}

function punctuation(r: () => number, name: string): string {
  return r() < 0.5
    ? name
        .replace(/[-.,']/g, ' ')
        .replace(/\s+/g, ' ')
        .toLowerCase()
    : name.replace(/ /g, r() < 0.5 ? '-' : '. ');
}

/** Token sets of every entry name, to make sure a decoy is not itself a listed name. */
function tokenKey(s: string): string {
  return normalizeName(s).sortedCompact;
}

/**
 * Builds `perKind` cases of each variant kind from Latin-script entries, and as many decoys:
 * listed names with their most distinctive word replaced, and invented person names.
 */
export function buildEvalSet(
  entries: readonly ListEntry[],
  opts: { seed?: number; perKind?: number } = {},
): EvalCase[] {
  const r = rng(opts.seed ?? 42);
  const perKind = opts.perKind ?? 100;
  const latin = entries.filter(
    (e) =>
      /^[\x20-\x7e]+$/.test(e.name) &&
      e.name.replace(/[^A-Za-z]/g, '').length >= 6 &&
      (e.type === 'person' || e.type === 'entity'),
  );
  const listed = new Set(entries.flatMap((e) => [e.name, ...e.aliases].map(tokenKey)));
  const cases: EvalCase[] = [];
  const gen: [string, (e: ListEntry) => string | undefined][] = [
    ['typo', (e) => typo(r, e.name)],
    ['token-order', (e) => reorder(e.name)],
    ['legal-form', (e) => (e.type === 'entity' ? legalForm(r, e.name) : undefined)],
    ['romanisation', (e) => romanise(r, e.name)],
    ['punctuation', (e) => punctuation(r, e.name)],
    [
      'alias',
      (e) => {
        const a = e.aliases.filter((x) => /^[\x20-\x7e]+$/.test(x) && x.length >= 6);
        return a.length === 0 ? undefined : (typo(r, pick(r, a)) ?? pick(r, a));
      },
    ],
  ];
  for (const [kind, f] of gen) {
    let made = 0;
    for (let tries = 0; made < perKind && tries < perKind * 50; tries++) {
      const e = pick(r, latin);
      const q = f(e);
      if (q === undefined || q.trim() === '' || tokenKey(q) === '') continue;
      cases.push({ query: q, target: e.id, kind });
      made++;
    }
  }
  let decoys = 0;
  const entities = latin.filter((x) => x.type === 'entity');
  for (let tries = 0; decoys < perKind * 3 && tries < perKind * 100; tries++) {
    let q: string;
    if (decoys % 3 === 2) q = `${pick(r, FIRST)} ${pick(r, LAST)}`;
    else {
      const e = pick(r, decoys % 3 === 1 || entities.length === 0 ? latin : entities);
      const words = e.name.replace(LEGAL_RE, '').split(/\s+/);
      if (words.length < 2 || words.length > 4) continue;
      const longest = words.reduce((m, w, i) => (w.length > (words[m] ?? '').length ? i : m), 0);
      words[longest] = pick(r, DECOY_WORDS);
      q = words.join(' ');
    }
    if (listed.has(tokenKey(q))) continue;
    cases.push({ query: q, target: undefined, kind: 'decoy' });
    decoys++;
  }
  return cases;
}

/**
 * Original-script cases: queries in the entry's own script (Arabic, Cyrillic) against entries
 * indexed by their Latin names only; decoys mix the first word of one entry with the last of another.
 */
export function buildOriginalScriptSet(
  entries: readonly ListEntry[],
  opts: { seed?: number } = {},
): { cases: EvalCase[]; latinOnly: ListEntry[] } {
  const r = rng(opts.seed ?? 7);
  const script = (s: string): boolean => /[\u0600-\u06ff\u0400-\u04ff]/.test(s);
  const latinOnly = entries.map((e) => ({ ...e, aliases: e.aliases.filter((a) => !script(a)) }));
  const withScript = entries.filter((e) => e.aliases.some(script));
  const cases: EvalCase[] = [];
  for (const e of withScript) {
    const q = e.aliases.find(script);
    if (q !== undefined)
      cases.push({ query: q, target: e.id, kind: /[\u0600-\u06ff]/.test(q) ? 'arabic' : 'cyrillic' });
  }
  const originals = withScript.map((e) => ({
    id: e.id,
    words: (e.aliases.find(script) ?? '').split(/\s+/).filter((w) => w.length > 0),
  }));
  const n = cases.length;
  for (let i = 0; i < n * 3 && cases.length < n * 2; i++) {
    const a = pick(r, originals);
    const b = pick(r, originals);
    if (a.id === b.id || a.words.length < 2 || b.words.length < 2) continue;
    const sameScript = /[\u0600-\u06ff]/.test(a.words[0] ?? '') === /[\u0600-\u06ff]/.test(b.words[0] ?? '');
    if (!sameScript) continue;
    const aw = a.words[0] ?? '';
    const bw = b.words[b.words.length - 1] ?? '';
    if (a.words.includes(bw) || b.words.includes(aw)) continue;
    cases.push({ query: `${aw} ${bw}`, target: undefined, kind: 'decoy' });
  }
  return { cases, latinOnly };
}

export interface EvalScore {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Per query: a positive is found when its target is among the hits; any other hit is a false positive. */
export function scoreEval(cases: readonly EvalCase[], hits: readonly (readonly string[])[]): EvalScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  cases.forEach((c, i) => {
    const h = hits[i] ?? [];
    if (c.target === undefined) {
      if (h.length > 0) fp++;
      return;
    }
    if (h.includes(c.target)) tp++;
    else {
      fn++;
      if (h.length > 0) fp++;
    }
  });
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}
