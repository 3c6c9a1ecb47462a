/**
 * The in-memory index (built once per set of list snapshots) and the scorer.
 *
 * Candidates come from an inverted index over keys of every name and alias: its tokens, their
 * double-metaphone codes and consonant skeletons, and the first letters of the compact name
 * (so "Bao Tou" finds "Baotou"). Each candidate is accumulated by the inverse document frequency
 * of the keys it shares with the query; the best few are scored in full: token alignment with
 * Jaro–Winkler, the whole name without spaces (Levenshtein ratio, which catches joined and split
 * words and token order), the consonant skeletons (Arabic script, romanisation variants), then
 * country, entity type and identifiers.
 */
import { distance } from 'fastest-levenshtein';
import { ValidationError } from '../domain/index.js';
import type { EntityType, EntryIdentifier, ListEntry } from './model.js';
import { computeNormalized, normalizeName, type NormalizedName } from './normalize.js';
import { jaroWinkler } from './similarity.js';

export interface ListSnapshotEntries {
  readonly list: string;
  readonly entries: readonly ListEntry[];
}

export interface ScreenQuery {
  readonly name: string;
  readonly country?: string | undefined;
  readonly type?: EntityType | undefined;
  readonly identifiers?: readonly EntryIdentifier[] | undefined;
}

/** What matched, for the explanation and for tests. */
export interface MatchFeatures {
  readonly method: 'tokens' | 'compact' | 'skeleton' | 'identifier';
  readonly nameScore: number;
  readonly tokenPairs: readonly { readonly query: string; readonly entry: string; readonly score: number }[];
  readonly transliterated?: string;
  readonly legalFormsIgnored: readonly string[];
  readonly country?: 'match' | 'mismatch';
  readonly type?: 'match' | 'mismatch';
  readonly identifier?: string;
}

export interface Match {
  readonly list: string;
  readonly entryId: string;
  /** The entry's primary name. */
  readonly name: string;
  /** The name or alias that matched. */
  readonly matchedName: string;
  /** 0–1, rounded to 3 decimals. */
  readonly score: number;
  readonly explanation: string;
  readonly features: MatchFeatures;
  readonly entry: ListEntry;
}

export interface SearchOptions {
  /** Minimum score (default DEFAULT_THRESHOLD). */
  readonly threshold?: number | undefined;
  /** At most this many hits (default 10). */
  readonly limit?: number | undefined;
}

export const DEFAULT_THRESHOLD = 0.88;
/** Candidates scored in full per query. */
const CANDIDATES = 80;
export const MAX_QUERY_LENGTH = 1000;

export interface ScreeningIndex {
  /** Names and aliases indexed. */
  readonly size: number;
  readonly entries: number;
  search(query: ScreenQuery | string, opts?: SearchOptions): readonly Match[];
}

/** Checks a query name: not empty, not only punctuation, not huge. */
export function checkQueryName(name: string, field = 'query'): NormalizedName {
  if (name.length > MAX_QUERY_LENGTH) throw new ValidationError(field, `is ${name.length} characters long; at most ${MAX_QUERY_LENGTH}`);
  const n = normalizeName(name);
  if (n.compact === '') throw new ValidationError(field, `has no letters or digits: ${JSON.stringify(name.slice(0, 60))}`);
  return n;
}

/** Index keys that depend on one token alone: the token, its phonetic code, its first and last three letters. */
function tokenKeys(t: string, phonetic: string): string[] {
  const keys: string[] = [];
  if (t.length >= 2) keys.push(`t:${t}`);
  if (phonetic.length >= 2) keys.push(`p:${phonetic}`);
  if (t.length >= 5) keys.push(`f:${t.slice(0, 3)}`, `l:${t.slice(-3)}`);
  return keys;
}

/** Index keys of the name as a whole: skeletons and consonant keys (which join words), the start of the compact name and of its skeleton. */
function nameKeys(n: NormalizedName): string[] {
  const keys: string[] = [];
  for (const s of n.skeletons) if (s.length >= 2) keys.push(`s:${s}`);
  for (const s of n.consonants) if (s.length >= 2) keys.push(`a:${s}`);
  if (n.compact.length >= 4) keys.push(`c:${n.compact.slice(0, 5)}`);
  const sk = n.skeletons.join('');
  if (sk.length >= 3) keys.push(`k:${sk.slice(0, 4)}`);
  return keys;
}

function keysOf(n: NormalizedName): string[] {
  const keys = new Set<string>();
  n.tokens.forEach((t, i) => {
    for (const k of tokenKeys(t, n.phonetic[i] ?? '')) keys.add(k);
  });
  for (const k of nameKeys(n)) keys.add(k);
  return [...keys];
}

function levRatio(a: string, b: string): number {
  const m = Math.max(a.length, b.length);
  return m === 0 ? 1 : 1 - distance(a, b) / m;
}

function tokenSim(a: string, b: string, skA: string, skB: string, phA: string, phB: string): number {
  if (a === b) return 1;
  if (/^[0-9]+$/.test(a) || /^[0-9]+$/.test(b)) return 0;
  let s = jaroWinkler(a, b);
  const long = a.length >= 4 && b.length >= 4;
  if (long && phA === phB && phA.length >= 3) s = Math.max(s, 0.87);
  if (long && skA === skB && skA.length >= 3) s = Math.max(s, 0.87);
  return s < 0.8 ? 0 : s;
}

/** Consonant skeletons are short and ambiguous: equal, or one edit apart when long. */
function skeletonSim(a: string, b: string): number {
  if (a === b) return a.length >= 2 ? 1 : 0.8;
  if (Math.min(a.length, b.length) >= 4 && distance(a, b) === 1) return 0.85;
  return 0;
}

interface Aligned {
  score: number;
  pairs: { query: string; entry: string; score: number }[];
}

/**
 * Greedy one-to-one alignment of tokens, weighted by token length. The score leans on how much
 * of the query is covered (2/3) but also on how much of the entry name is (1/3), so a query that
 * names a listed party by part of its long name still scores, and a short list name inside a
 * longer query does too, less.
 */
function align(qt: readonly string[], nt: readonly string[], sim: (i: number, j: number) => number, queryWeight = 2 / 3): Aligned {
  const cells: { i: number; j: number; s: number }[] = [];
  for (let i = 0; i < qt.length; i++) {
    for (let j = 0; j < nt.length; j++) {
      const s = sim(i, j);
      if (s > 0) cells.push({ i, j, s });
    }
  }
  cells.sort((x, y) => y.s - x.s || x.i - y.i || x.j - y.j);
  const usedQ = new Set<number>();
  const usedN = new Set<number>();
  let mq = 0;
  let mn = 0;
  const pairs: Aligned['pairs'] = [];
  for (const c of cells) {
    if (usedQ.has(c.i) || usedN.has(c.j)) continue;
    usedQ.add(c.i);
    usedN.add(c.j);
    const a = qt[c.i] ?? '';
    const b = nt[c.j] ?? '';
    mq += c.s * a.length;
    mn += c.s * b.length;
    pairs.push({ query: a, entry: b, score: Math.round(c.s * 100) / 100 });
  }
  let lq = 0;
  let ln = 0;
  for (const t of qt) lq += t.length;
  for (const t of nt) ln += t.length;
  if (lq === 0 || ln === 0) return { score: 0, pairs };
  return { score: queryWeight * (mq / lq) + (1 - queryWeight) * (mn / ln), pairs };
}

interface NameScore {
  score: number;
  method: MatchFeatures['method'];
  pairs: Aligned['pairs'];
}

/** Similarity of two normalised names, 0–1, and how it was reached. */
export function scoreNames(q: NormalizedName, n: NormalizedName): NameScore {
  const abjad = q.script === 'arabic' || n.script === 'arabic';
  let best: NameScore = { score: 0, method: 'tokens', pairs: [] };
  if (!abjad) {
    const tok = align(q.tokens, n.tokens, (i, j) => tokenSim(q.tokens[i] ?? '', n.tokens[j] ?? '', q.skeletons[i] ?? '', n.skeletons[j] ?? '', q.phonetic[i] ?? '', n.phonetic[j] ?? ''));
    best = { score: tok.score, method: 'tokens', pairs: tok.pairs };
    const compact = Math.max(levRatio(q.compact, n.compact), levRatio(q.sortedCompact, n.sortedCompact));
    if (compact > best.score) best = { score: compact, method: 'compact', pairs: tok.pairs };
    if (q.allTokens !== q.tokens || n.allTokens !== n.tokens) {
      const all = align(q.allTokens, n.allTokens, (i, j) => tokenSim(q.allTokens[i] ?? '', n.allTokens[j] ?? '', '', ' ', '', ' '));
      if (all.score > best.score) best = { score: all.score, method: 'tokens', pairs: all.pairs };
    }
  }
  if (abjad) {
    const ab = abjadScore(q.consonants, n.consonants);
    if (ab.score > best.score) best = ab;
    return best;
  }
  const sk = align(q.skeletons, n.skeletons, (i, j) => skeletonSim(q.skeletons[i] ?? '', n.skeletons[j] ?? ''));
  let skRaw = sk.score;
  if (q.skeletons.length !== n.skeletons.length) skRaw = Math.max(skRaw, 0.95 * levRatio(q.skeletons.join(''), n.skeletons.join('')));
  const skScore = skRaw * 0.85;
  if (skScore > best.score) best = { score: skScore, method: 'skeleton', pairs: sk.pairs };
  return best;
}

/** Two consonant keys: equal; equal but for an h (written or not for ح, ه); or one edit apart when long. */
function consonantSim(a: string, b: string): number {
  if (a === b) return a.length >= 2 ? 1 : 0.8;
  const la = Math.min(a.length, b.length);
  if (la >= 2 && a.replace(/h/g, '') === b.replace(/h/g, '')) return 0.9;
  if (la >= 3 && distance(a, b) === 1) return 0.85;
  return 0;
}

/**
 * Arabic script against a romanisation (or two romanisations of Arabic): consonant keys aligned
 * word by word, or compared as one string (words glued or split differently: Abdurrahman /
 * عبد الرحمن, Nooruddin / نور الدين).
 */
/** Arabic script: as much weight on covering the listed name as on covering the query (short common names meet too many long ones otherwise). */
const ABJAD_QUERY_WEIGHT = 0.5;
function abjadScore(qc: readonly string[], nc: readonly string[]): NameScore {
  const a = align(qc, nc, (i, j) => consonantSim(qc[i] ?? '', nc[j] ?? ''), ABJAD_QUERY_WEIGHT);
  let s = a.score;
  const jq = qc.join('');
  const jn = nc.join('');
  if (qc.length !== nc.length && Math.min(jq.length, jn.length) >= 5) s = Math.max(s, 0.95 * levRatio(jq, jn));
  return { score: s * 0.97, method: 'skeleton', pairs: a.pairs };
}

function idKey(v: string): string {
  return v.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * Names whose normalised form the index keeps as objects; past this each name keeps it packed in
 * one string (about a tenth of the memory), unpacked when the name is a candidate.
 */
const KEEP_NORMALIZED = 100_000;
const SEP = '\u001f';

/** (Exported for the tests.) */
export function pack(n: NormalizedName): string {
  return [n.script, n.tokens.join(' '), n.allTokens === n.tokens ? '=' : n.allTokens.join(' '), n.legalForms.join(' '), n.skeletons.join(' '), n.phonetic.join(' '), n.consonants.join(' ')].join(SEP);
}

function words(s: string | undefined): readonly string[] {
  return s === undefined || s === '' ? [] : s.split(' ');
}

/** (Exported for the tests.) */
export function unpack(raw: string, packed: string): NormalizedName {
  const [script, tokens, all, legal, skeletons, phonetic, consonants] = packed.split(SEP);
  const t = words(tokens);
  return {
    raw,
    script: script as NormalizedName['script'],
    tokens: t,
    allTokens: all === '=' ? t : words(all),
    legalForms: words(legal),
    compact: t.join(''),
    sortedCompact: [...t].sort().join(''),
    skeletons: words(skeletons),
    phonetic: words(phonetic),
    consonants: words(consonants),
  };
}

/** A growable Uint32Array. */
class U32 {
  a = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/**
 * The index in compact form: every key (token, phonetic code, skeleton …) interned to an id, and
 * the postings of all keys in one Uint32Array sliced by an offsets array (CSR), so a list of 10^6
 * names costs a few typed arrays rather than millions of small objects.
 */
class Index implements ScreeningIndex {
  readonly #names: string[] = [];
  readonly #normalized: NormalizedName[] = [];
  readonly #packed: string[] = [];
  readonly #nameEntry: Uint32Array;
  readonly #entries: ListEntry[] = [];
  readonly #entryList: string[] = [];
  readonly #keyIds = new Map<string, number>();
  readonly #offsets: Uint32Array;
  readonly #postings: Uint32Array;
  readonly #acc: Float32Array;

  constructor(lists: readonly ListSnapshotEntries[], onProgress?: (done: number, total: number) => void) {
    const nameEntry = new U32();
    const pairKey = new U32();
    const pairName = new U32();
    const total = lists.reduce((k, l) => k + l.entries.length, 0);
    const intern = (k: string): number => {
      let kid = this.#keyIds.get(k);
      if (kid === undefined) this.#keyIds.set(k, (kid = this.#keyIds.size));
      return kid;
    };
    // Key ids of each distinct token (list names share most of their words).
    const tokenKeyIds = new Map<string, number[]>();
    const ids: number[] = [];
    for (const { list, entries } of lists) {
      for (const entry of entries) {
        const e = this.#entries.length;
        this.#entries.push(entry);
        this.#entryList.push(list);
        const seen = new Set<string>();
        for (const raw of [entry.name, ...entry.aliases]) {
          const n = computeNormalized(raw);
          if (n.compact === '' || seen.has(n.compact + n.script)) continue;
          seen.add(n.compact + n.script);
          const id = this.#names.length;
          this.#names.push(raw);
          if (id < KEEP_NORMALIZED) this.#normalized.push(n);
          else this.#packed.push(pack(n));
          nameEntry.push(e);
          ids.length = 0;
          n.tokens.forEach((t, i) => {
            let tk = tokenKeyIds.get(t);
            if (tk === undefined) tokenKeyIds.set(t, (tk = tokenKeys(t, n.phonetic[i] ?? '').map(intern)));
            for (const kid of tk) if (!ids.includes(kid)) ids.push(kid);
          });
          for (const k of nameKeys(n)) {
            const kid = intern(k);
            if (!ids.includes(kid)) ids.push(kid);
          }
          for (const kid of ids) {
            pairKey.push(kid);
            pairName.push(id);
          }
        }
        if (onProgress !== undefined && (e & 0x3fff) === 0) onProgress(e, total);
      }
    }
    // Counting sort of (key, name) pairs by key: postings of each key in name order.
    const K = this.#keyIds.size;
    const offsets = new Uint32Array(K + 1);
    for (let i = 0; i < pairKey.n; i++) {
      const k = (pairKey.a[i] ?? 0) + 1;
      offsets[k] = (offsets[k] ?? 0) + 1;
    }
    for (let k = 0; k < K; k++) offsets[k + 1] = (offsets[k + 1] ?? 0) + (offsets[k] ?? 0);
    const fill = offsets.slice(0, K);
    const postings = new Uint32Array(pairKey.n);
    for (let i = 0; i < pairKey.n; i++) {
      const k = pairKey.a[i] ?? 0;
      postings[fill[k] ?? 0] = pairName.a[i] ?? 0;
      fill[k] = (fill[k] ?? 0) + 1;
    }
    this.#offsets = offsets;
    this.#postings = postings;
    this.#nameEntry = nameEntry.a.slice(0, nameEntry.n);
    this.#acc = new Float32Array(this.#names.length);
    onProgress?.(total, total);
  }

  get size(): number {
    return this.#names.length;
  }

  get entries(): number {
    return this.#entries.length;
  }

  #normalizedName(id: number): NormalizedName {
    return this.#normalized[id] ?? unpack(this.#names[id] ?? '', this.#packed[id - KEEP_NORMALIZED] ?? '');
  }

  search(query: ScreenQuery | string, opts: SearchOptions = {}): readonly Match[] {
    const qq: ScreenQuery = typeof query === 'string' ? { name: query } : query;
    const q = checkQueryName(qq.name);
    const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
    const limit = opts.limit ?? 10;
    const candidates = this.#candidates(q, CANDIDATES);
    const byEntry = new Map<number, Match>();
    for (const id of candidates) {
      const e = this.#nameEntry[id];
      if (e === undefined) continue;
      const m = this.#score(qq, q, this.#normalizedName(id), e);
      if (m.score < threshold) continue;
      const prev = byEntry.get(e);
      if (prev === undefined || m.score > prev.score) byEntry.set(e, m);
    }
    return [...byEntry.values()].sort((a, b) => b.score - a.score || a.entryId.localeCompare(b.entryId)).slice(0, limit);
  }

  #candidates(q: NormalizedName, max: number): number[] {
    const N = this.#names.length;
    if (N === 0) return [];
    const maxDf = Math.max(2000, Math.min(10_000, Math.floor(N / 50)));
    const keys: { start: number; len: number }[] = [];
    for (const k of keysOf(q)) {
      const kid = this.#keyIds.get(k);
      if (kid === undefined) continue;
      const start = this.#offsets[kid] ?? 0;
      keys.push({ start, len: (this.#offsets[kid + 1] ?? 0) - start });
    }
    keys.sort((a, b) => a.len - b.len);
    const acc = this.#acc;
    const postings = this.#postings;
    const touched: number[] = [];
    for (const [i, { start, len: df }] of keys.entries()) {
      if (df > maxDf && i > 0) continue;
      const w = Math.log(1 + N / df);
      const end = start + Math.min(df, maxDf * 2);
      for (let j = start; j < end; j++) {
        const id = postings[j] ?? 0;
        if (acc[id] === 0) touched.push(id);
        acc[id] = (acc[id] ?? 0) + w;
      }
    }
    let chosen: number[];
    if (touched.length <= max) chosen = touched.slice();
    else {
      // Keep the candidates sharing most (IDF-weighted) keys with the query: a cut at a fraction of
      // the best first (cheap), then a sort of what is left.
      let best = 0;
      for (const id of touched) best = Math.max(best, acc[id] ?? 0);
      let cut = best * 0.3;
      let kept = touched.filter((id) => (acc[id] ?? 0) >= cut);
      // (a bounded number of rounds: many candidates can share the best weight exactly)
      for (let round = 0; round < 8 && kept.length > max * 4; round++) {
        cut = cut + (best - cut) * 0.3;
        kept = kept.filter((id) => (acc[id] ?? 0) >= cut);
      }
      chosen = kept.sort((a, b) => (acc[b] ?? 0) - (acc[a] ?? 0)).slice(0, max);
    }
    for (const id of touched) acc[id] = 0;
    return chosen;
  }

  #score(qq: ScreenQuery, q: NormalizedName, n: NormalizedName, e: number): Match {
    const entry = this.#entries[e] as ListEntry;
    const list = this.#entryList[e] ?? '';
    const ns = scoreNames(q, n);
    let score = ns.score;
    let method = ns.method;
    let country: MatchFeatures['country'];
    let type: MatchFeatures['type'];
    let identifier: string | undefined;
    if (qq.country !== undefined && entry.countries.length > 0) {
      country = entry.countries.includes(qq.country) ? 'match' : 'mismatch';
      score += country === 'match' ? 0.02 : -0.04;
    }
    if (qq.type !== undefined && qq.type !== 'unknown' && entry.type !== 'unknown') {
      const qPerson = qq.type === 'person';
      const ePerson = entry.type === 'person';
      type = qPerson === ePerson ? 'match' : 'mismatch';
      if (type === 'mismatch') score -= 0.05;
    }
    if (qq.identifiers !== undefined && entry.identifiers.length > 0) {
      const mine = entry.identifiers.map((i) => idKey(i.value)).filter((v) => v.length >= 5);
      // The same identifier, allowing a scheme written in front of it ("IMO 9123456").
      const same = qq.identifiers.find((i) => {
        const k = idKey(i.value);
        return k.length >= 5 && mine.some((m) => m === k || m.endsWith(k) || k.endsWith(m));
      });
      if (same !== undefined) {
        identifier = `${same.scheme} ${same.value}`;
        if (ns.score >= 0.6) {
          score = Math.max(score, 0.99);
          method = 'identifier';
        }
      }
    }
    score = Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;
    const features: MatchFeatures = {
      method,
      nameScore: Math.round(ns.score * 1000) / 1000,
      tokenPairs: ns.pairs,
      ...(q.script !== 'latin' || n.script !== 'latin' ? { transliterated: `${q.script}→${n.script}` } : {}),
      legalFormsIgnored: [...new Set([...q.legalForms, ...n.legalForms])],
      ...(country ? { country } : {}),
      ...(type ? { type } : {}),
      ...(identifier !== undefined ? { identifier } : {}),
    };
    return { list, entryId: entry.id, name: entry.name, matchedName: n.raw, score, explanation: explain(features, n, entry, qq), features, entry };
  }
}

function explain(f: MatchFeatures, n: NormalizedName, entry: ListEntry, q: ScreenQuery): string {
  const parts: string[] = [];
  const what = n.raw === entry.name ? `name "${entry.name}"` : `alias "${n.raw}" of "${entry.name}"`;
  const how = { tokens: 'token by token', compact: 'as a whole name (spacing / token order)', skeleton: 'by consonant skeleton', identifier: 'by identifier' }[f.method];
  parts.push(`${what} matched ${how} (name score ${f.nameScore.toFixed(2)})`);
  if (f.tokenPairs.length > 0) parts.push(`tokens ${f.tokenPairs.map((p) => (p.score === 1 ? p.query : `${p.query}≈${p.entry} ${p.score.toFixed(2)}`)).join(', ')}`);
  if (f.transliterated !== undefined) parts.push(`transliterated ${f.transliterated}`);
  if (f.legalFormsIgnored.length > 0) parts.push(`legal forms set aside: ${f.legalFormsIgnored.join(', ')}`);
  if (f.country !== undefined) parts.push(`country ${q.country ?? ''} ${f.country === 'match' ? 'matches' : `differs from ${entry.countries.join('/')}`}`);
  if (f.type !== undefined) parts.push(`type ${f.type === 'match' ? 'matches' : `differs (${entry.type})`}`);
  if (f.identifier !== undefined) parts.push(`identifier ${f.identifier} matches`);
  return parts.join('; ');
}

/**
 * Builds the index over the entries of one or more list snapshots (pure; call once per snapshot
 * set). `onProgress(entriesDone, entriesTotal)` is called every few thousand entries.
 */
export function buildIndex(lists: readonly ListSnapshotEntries[], onProgress?: (done: number, total: number) => void): ScreeningIndex {
  return new Index(lists, onProgress);
}
