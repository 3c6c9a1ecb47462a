// The matcher as it was at lodestone-matcher/1.2.0 (git show 6357a08^:src/screening/matcher.ts), kept unchanged
// but for its imports, so the screening benchmark measures the CPU per query of the current matcher
// against it in the same process (an A/B on the same machine under the same load).
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
import { ValidationError } from '../../src/domain/index.js';
import type { EntityType, EntryIdentifier, ListEntry } from '../../src/screening/model.js';
import { computeNormalized, normalizeName, type NormalizedName } from './normalize-1.2.0.js';
import { jaroWinkler } from '../../src/screening/similarity.js';

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
/**
 * A candidate shares more than this fraction of the query's key weight. Names sharing one common
 * key (a first syllable, a phonetic code) otherwise fill the 80 candidates of a small list and are
 * scored for nothing; at 0.2 the evaluation sets lose one of 900 SDN variants at the best
 * threshold (recall 0.983 → 0.982, precision 0.992 → 0.995), none of the UN or 10^6 ones, and the
 * SDN median query costs a third; at 0.3 recall falls (0.972 SDN).
 */
const CANDIDATE_FLOOR = 0.2;
export const MAX_QUERY_LENGTH = 1000;

export interface ScreeningIndex {
  /** Names and aliases indexed. */
  readonly size: number;
  readonly entries: number;
  search(query: ScreenQuery | string, opts?: SearchOptions): readonly Match[];
}

/** Checks a query name: not empty, not only punctuation, not huge. */
export function checkQueryName(name: string, field = 'query'): NormalizedName {
  if (name.length > MAX_QUERY_LENGTH)
    throw new ValidationError(field, `is ${name.length} characters long; at most ${MAX_QUERY_LENGTH}`);
  const n = normalizeName(name);
  if (n.compact === '')
    throw new ValidationError(field, `has no letters or digits: ${JSON.stringify(name.slice(0, 60))}`);
  return n;
}

/**
 * Kinds of index key. A key is a kind and a string (a token, its phonetic code …); each kind has its
 * own table of ids, so keys are looked up without building "kind:string" strings.
 */
const KEY_TOKEN = 0;
const KEY_PHONETIC = 1;
const KEY_FIRST3 = 2;
const KEY_LAST3 = 3;
const KEY_SKELETON = 4;
const KEY_CONSONANTS = 5;
const KEY_COMPACT5 = 6;
const KEY_SKELETON4 = 7;
const KEY_KINDS = 8;

type KeySink = (kind: number, key: string) => void;

/** Index keys that depend on one token alone: the token, its phonetic code, its first and last three letters. */
function tokenKeys(t: string, phonetic: string, emit: KeySink): void {
  if (t.length >= 2) emit(KEY_TOKEN, t);
  if (phonetic.length >= 2) emit(KEY_PHONETIC, phonetic);
  if (t.length >= 5) {
    emit(KEY_FIRST3, t.slice(0, 3));
    emit(KEY_LAST3, t.slice(-3));
  }
}

/** Index keys of the name as a whole: skeletons and consonant keys (which join words), the start of the compact name and of its skeleton. */
function nameKeys(n: NormalizedName, emit: KeySink): void {
  for (const s of n.skeletons) if (s.length >= 2) emit(KEY_SKELETON, s);
  for (const s of n.consonants) if (s.length >= 2) emit(KEY_CONSONANTS, s);
  if (n.compact.length >= 4) emit(KEY_COMPACT5, n.compact.slice(0, 5));
  // The first four letters of the skeletons joined (no need to join them all).
  let sk = '';
  for (const s of n.skeletons) {
    sk += s;
    if (sk.length >= 4) break;
  }
  if (sk.length >= 3) emit(KEY_SKELETON4, sk.slice(0, 4));
}

/** a.localeCompare(b), without building a collator per call (the ties of common names sort many ids). */
const BY_LOCALE = new Intl.Collator();

/** Only digits (and at least one). */
function numeric(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function levRatio(a: string, b: string): number {
  const m = Math.max(a.length, b.length);
  return m === 0 ? 1 : 1 - distance(a, b) / m;
}

function tokenSim(a: string, b: string, skA: string, skB: string, phA: string, phB: string): number {
  if (a === b) return 1;
  if (numeric(a) || numeric(b)) return 0;
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
function align(
  qt: readonly string[],
  nt: readonly string[],
  sim: (i: number, j: number) => number,
  queryWeight = 2 / 3,
): Aligned {
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

/** A candidate scored, before its explanation is written. */
interface Scored {
  readonly e: number;
  readonly entry: ListEntry;
  readonly n: NormalizedName;
  readonly ns: NameScore;
  readonly score: number;
  readonly method: MatchFeatures['method'];
  readonly country: MatchFeatures['country'];
  readonly type: MatchFeatures['type'];
  readonly identifier: string | undefined;
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
    const tok = align(q.tokens, n.tokens, (i, j) =>
      tokenSim(
        q.tokens[i] ?? '',
        n.tokens[j] ?? '',
        q.skeletons[i] ?? '',
        n.skeletons[j] ?? '',
        q.phonetic[i] ?? '',
        n.phonetic[j] ?? '',
      ),
    );
    best = { score: tok.score, method: 'tokens', pairs: tok.pairs };
    const compact = Math.max(levRatio(q.compact, n.compact), levRatio(q.sortedCompact, n.sortedCompact));
    if (compact > best.score) best = { score: compact, method: 'compact', pairs: tok.pairs };
    if (q.allTokens !== q.tokens || n.allTokens !== n.tokens) {
      const all = align(q.allTokens, n.allTokens, (i, j) =>
        tokenSim(q.allTokens[i] ?? '', n.allTokens[j] ?? '', '', ' ', '', ' '),
      );
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
  if (q.skeletons.length !== n.skeletons.length)
    skRaw = Math.max(skRaw, 0.95 * levRatio(q.skeletons.join(''), n.skeletons.join('')));
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
 * An index of at most this many names keeps their normalised forms as objects; a larger one keeps
 * every name's packed as bytes in one buffer shared by all (no object or string per name on the
 * heap), unpacked when the name is a candidate. All or none: keeping the first 10^5 as objects
 * and packing the rest made V8 allocate every later name's (short-lived) normalised form straight
 * in the old generation (allocation-site pretenuring learnt from the kept ones), which tripled the
 * garbage collection of a 10^6-name build.
 */
const KEEP_NORMALIZED = 100_000;
const SEP = '\u001f';
const SEP_CODE = 0x1f;
const SPACE = 0x20;

/** A growable byte buffer. */
class Bytes {
  a = new Uint8Array(1 << 16);
  n = 0;
  #room(k: number): void {
    if (this.n + k <= this.a.length) return;
    const b = new Uint8Array(Math.max(this.a.length * 2, this.n + k));
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  byte(c: number): void {
    this.#room(1);
    this.a[this.n++] = c;
  }
  /** Writes an ASCII string; false (having written part of it) if it is not ASCII. */
  ascii(s: string): boolean {
    this.#room(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return false;
      this.a[this.n++] = c;
    }
    return true;
  }
  words(ws: readonly string[]): boolean {
    for (let i = 0; i < ws.length; i++) {
      if (i > 0) this.byte(SPACE);
      if (!this.ascii(ws[i] ?? '')) return false;
    }
    return true;
  }
}

/**
 * Writes the packed form of a name (the fields of pack(), as bytes); false if some field is not
 * ASCII (normalised forms are a–z, 0–9 and phonetic capitals, so in practice never), in which case
 * the caller keeps the object instead.
 */
function packInto(out: Bytes, n: NormalizedName): boolean {
  if (!out.ascii(n.script)) return false;
  out.byte(SEP_CODE);
  if (!out.words(n.tokens)) return false;
  out.byte(SEP_CODE);
  if (n.allTokens === n.tokens) out.byte(0x3d /* = */);
  else if (!out.words(n.allTokens)) return false;
  for (const f of [n.legalForms, n.skeletons, n.phonetic, n.consonants]) {
    out.byte(SEP_CODE);
    if (!out.words(f)) return false;
  }
  return true;
}

const ASCII_DECODER = new TextDecoder();

/** (Exported for the tests.) The packed form of a normalised name as a string: its fields joined by U+001F, words by spaces. */
export function pack(n: NormalizedName): string {
  const b = new Bytes();
  if (packInto(b, n)) return ASCII_DECODER.decode(b.a.subarray(0, b.n));
  return [
    n.script,
    n.tokens.join(' '),
    n.allTokens === n.tokens ? '=' : n.allTokens.join(' '),
    n.legalForms.join(' '),
    n.skeletons.join(' '),
    n.phonetic.join(' '),
    n.consonants.join(' '),
  ].join(SEP);
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

/** A growable Uint32Array of pairs. */
class Pairs {
  a = new Uint32Array(1 << 16);
  n = 0;
  push(x: number, y: number): void {
    if (this.n + 2 > this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
    this.a[this.n++] = y;
  }
}

/** A posting list: names postings[start … end), ascending, each worth `weight`. */
export interface WeightedList {
  readonly start: number;
  readonly end: number;
  readonly weight: number;
}

/**
 * (Exported for the tests.) The `max` names with the greatest sum of the weights of the lists
 * they are in, best first (ties: the lower name), found without reading every posting of the long
 * lists: document-at-a-time MaxScore (Turtle & Flood 1995). Lists are taken in ascending weight;
 * once `max` names are held, θ is the least of their scores, and the lightest lists whose weights
 * sum to at most θ are "non-essential": a name found only in those cannot score above θ, so they
 * are never enumerated, only probed (galloping search) for the names the essential lists bring up,
 * and not even probed once a name's score plus what the remaining lists could add is at most θ.
 * Only names scoring above `floor` count. The result is what accumulating every posting, dropping
 * the names at or below the floor and sorting would give; the work is bounded by
 * the postings of the essential lists, which θ shrinks to the rare ones for a query that has a
 * good match.
 */
export function topByWeight(postings: Uint32Array, lists: readonly WeightedList[], max: number, floor = -1): number[] {
  const sorted = lists.filter((l) => l.end > l.start).sort((a, b) => a.weight - b.weight);
  const n = sorted.length;
  if (n === 0 || max <= 0) return [];
  const cur = new Int32Array(n);
  const end = new Int32Array(n);
  const w = new Float64Array(n);
  // prefix[i] = w[0] + … + w[i]
  const prefix = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const l = sorted[i] as WeightedList;
    cur[i] = l.start;
    end[i] = l.end;
    w[i] = l.weight;
    sum += l.weight;
    prefix[i] = sum;
  }
  // Min-heap of the best `max` (score, name), the least at the root.
  const hs = new Float64Array(max);
  const hd = new Int32Array(max);
  let size = 0;
  // A name enters if it scores above theta: the floor until `max` are held, then the least of them.
  let theta = floor;
  // Lists [0, firstEssential) weigh at most theta together.
  let firstEssential = 0;
  while (firstEssential < n && (prefix[firstEssential] ?? 0) <= theta) firstEssential++;
  // d: the least name an essential cursor is at (found while the one before was scored).
  let d = 0x7fffffff;
  for (let i = firstEssential; i < n; i++) d = Math.min(d, postings[cur[i] ?? 0] ?? 0);
  while (d !== 0x7fffffff) {
    let s = 0;
    let next = 0x7fffffff;
    for (let i = firstEssential; i < n; i++) {
      let c = cur[i] ?? 0;
      const e = end[i] ?? 0;
      if (c >= e) continue;
      let p = postings[c] ?? 0;
      if (p === d) {
        s += w[i] ?? 0;
        cur[i] = ++c;
        if (c >= e) continue;
        p = postings[c] ?? 0;
      }
      if (p < next) next = p;
    }
    const doc = d;
    d = next;
    // The non-essential lists, heaviest first, while they could still lift the name above theta.
    for (let i = firstEssential - 1; i >= 0; i--) {
      if (s + (prefix[i] ?? 0) <= theta) break;
      const c = gallop(postings, cur[i] ?? 0, end[i] ?? 0, doc);
      cur[i] = c;
      if (c < (end[i] ?? 0) && postings[c] === doc) s += w[i] ?? 0;
    }
    if (s <= theta) continue;
    if (size < max) {
      heapPush(hs, hd, size++, s, doc);
      if (size < max) continue;
    } else heapReplaceRoot(hs, hd, size, s, doc);
    theta = hs[0] ?? 0;
    while (firstEssential < n && (prefix[firstEssential] ?? 0) <= theta) firstEssential++;
  }
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(i);
  out.sort((a, b) => (hs[b] ?? 0) - (hs[a] ?? 0) || (hd[a] ?? 0) - (hd[b] ?? 0));
  return out.map((i) => hd[i] ?? 0);
}

/** The first position in postings[from, to) holding a value ≥ target (galloping, then binary search). */
function gallop(postings: Uint32Array, from: number, to: number, target: number): number {
  if (from >= to || (postings[from] ?? 0) >= target) return from;
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < to && (postings[hi] ?? 0) < target) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > to) hi = to;
  // postings[lo] < target; postings[hi] ≥ target or hi = to
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((postings[mid] ?? 0) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Min-heap on score (ties: the greater name id nearer the root, so it goes first). */
function heapLess(hs: Float64Array, hd: Int32Array, a: number, b: number): boolean {
  const sa = hs[a] ?? 0;
  const sb = hs[b] ?? 0;
  return sa < sb || (sa === sb && (hd[a] ?? 0) > (hd[b] ?? 0));
}

function heapSwap(hs: Float64Array, hd: Int32Array, a: number, b: number): void {
  const s = hs[a] ?? 0;
  hs[a] = hs[b] ?? 0;
  hs[b] = s;
  const d = hd[a] ?? 0;
  hd[a] = hd[b] ?? 0;
  hd[b] = d;
}

function heapPush(hs: Float64Array, hd: Int32Array, size: number, s: number, d: number): void {
  let i = size;
  hs[i] = s;
  hd[i] = d;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!heapLess(hs, hd, i, parent)) break;
    heapSwap(hs, hd, i, parent);
    i = parent;
  }
}

function heapReplaceRoot(hs: Float64Array, hd: Int32Array, size: number, s: number, d: number): void {
  hs[0] = s;
  hd[0] = d;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < size && heapLess(hs, hd, l, m)) m = l;
    if (r < size && heapLess(hs, hd, r, m)) m = r;
    if (m === i) break;
    heapSwap(hs, hd, i, m);
    i = m;
  }
}

/**
 * The index in compact form: every key (token, phonetic code, skeleton …) interned to an id, and
 * the postings of all keys in one Uint32Array sliced by an offsets array (CSR), so a list of 10^6
 * names costs a few typed arrays rather than millions of small objects.
 */
class Index implements ScreeningIndex {
  readonly #names: string[] = [];
  /** Normalised forms as objects (an index of at most KEEP_NORMALIZED names), else empty. */
  readonly #normalized: NormalizedName[] = [];
  /** Else packed: bytes [packedAt[id], packedAt[id + 1]) of #packed for name id. */
  readonly #packed: Uint8Array;
  readonly #packedAt: Uint32Array;
  /** Names whose normalised form would not pack (not ASCII), kept as objects. */
  readonly #unpacked = new Map<number, NormalizedName>();
  readonly #nameEntry: Uint32Array;
  readonly #entries: ListEntry[] = [];
  readonly #entryList: string[] = [];
  /** Key ids, one table per kind of key. */
  readonly #keyIds: Map<string, number>[] = Array.from({ length: KEY_KINDS }, () => new Map<string, number>());
  readonly #offsets: Uint32Array;
  readonly #postings: Uint32Array;

  constructor(lists: readonly ListSnapshotEntries[], onProgress?: (done: number, total: number) => void) {
    const nameEntry = new U32();
    const packedAt = new U32();
    const packed = new Bytes();
    const pairs = new Pairs(); // (key id, name id)
    const total = lists.reduce((k, l) => k + l.entries.length, 0);
    let names = 0;
    for (const l of lists) for (const e of l.entries) names += 1 + e.aliases.length;
    const keepObjects = names <= KEEP_NORMALIZED;
    const keyIds = this.#keyIds;
    let keyCount = 0;
    const intern = (kind: number, k: string): number => {
      const table = keyIds[kind] as Map<string, number>;
      let kid = table.get(k);
      if (kid === undefined) table.set(k, (kid = keyCount++));
      return kid;
    };
    // Key ids of each distinct token (list names share most of their words).
    const tokenKeyIds = new Map<string, number[]>();
    let tokenIds: number[] = [];
    const toToken: KeySink = (kind, k) => tokenIds.push(intern(kind, k));
    const ids: number[] = [];
    const toName: KeySink = (kind, k) => {
      const kid = intern(kind, k);
      if (!ids.includes(kid)) ids.push(kid);
    };
    const seen = new Set<string>();
    const add = (raw: string, e: number, distinct: boolean): void => {
      const n = computeNormalized(raw);
      if (n.compact === '') return;
      if (!distinct) {
        // (name and aliases of one entry: the same normalised name once)
        const sig = n.script + SEP + n.compact;
        if (seen.has(sig)) return;
        seen.add(sig);
      }
      const id = this.#names.length;
      this.#names.push(raw);
      if (keepObjects) this.#normalized.push(n);
      else {
        const at = packed.n;
        if (!packInto(packed, n)) {
          packed.n = at;
          this.#unpacked.set(id, n);
        }
        packedAt.push(at);
      }
      nameEntry.push(e);
      ids.length = 0;
      for (let i = 0; i < n.tokens.length; i++) {
        const t = n.tokens[i] ?? '';
        let tk = tokenKeyIds.get(t);
        if (tk === undefined) {
          tokenIds = [];
          tokenKeys(t, n.phonetic[i] ?? '', toToken);
          tokenKeyIds.set(t, (tk = tokenIds));
        }
        for (const kid of tk) if (!ids.includes(kid)) ids.push(kid);
      }
      nameKeys(n, toName);
      for (const kid of ids) pairs.push(kid, id);
    };
    for (const { list, entries } of lists) {
      for (const entry of entries) {
        const e = this.#entries.length;
        this.#entries.push(entry);
        this.#entryList.push(list);
        if (entry.aliases.length === 0) add(entry.name, e, true);
        else {
          seen.clear();
          add(entry.name, e, false);
          for (const a of entry.aliases) add(a, e, false);
        }
        if (onProgress !== undefined && (e & 0x3fff) === 0) onProgress(e, total);
      }
    }
    if (!keepObjects) packedAt.push(packed.n);
    // Counting sort of (key, name) pairs by key: postings of each key in name order.
    const K = keyCount;
    const pa = pairs.a;
    const np = pairs.n;
    const offsets = new Uint32Array(K + 1);
    for (let i = 0; i < np; i += 2) {
      const k = (pa[i] ?? 0) + 1;
      offsets[k] = (offsets[k] ?? 0) + 1;
    }
    for (let k = 0; k < K; k++) offsets[k + 1] = (offsets[k + 1] ?? 0) + (offsets[k] ?? 0);
    const fill = offsets.slice(0, K);
    const postings = new Uint32Array(np / 2);
    for (let i = 0; i < np; i += 2) {
      const k = pa[i] ?? 0;
      postings[fill[k] ?? 0] = pa[i + 1] ?? 0;
      fill[k] = (fill[k] ?? 0) + 1;
    }
    this.#offsets = offsets;
    this.#postings = postings;
    this.#nameEntry = nameEntry.a.slice(0, nameEntry.n);
    this.#packed = packed.a.slice(0, packed.n);
    this.#packedAt = packedAt.a.slice(0, packedAt.n);
    onProgress?.(total, total);
  }

  get size(): number {
    return this.#names.length;
  }

  get entries(): number {
    return this.#entries.length;
  }

  #normalizedName(id: number): NormalizedName {
    const n = this.#normalized[id] ?? this.#unpacked.get(id);
    if (n !== undefined) return n;
    return unpack(
      this.#names[id] ?? '',
      ASCII_DECODER.decode(this.#packed.subarray(this.#packedAt[id] ?? 0, this.#packedAt[id + 1] ?? 0)),
    );
  }

  search(query: ScreenQuery | string, opts: SearchOptions = {}): readonly Match[] {
    const qq: ScreenQuery = typeof query === 'string' ? { name: query } : query;
    const q = checkQueryName(qq.name);
    const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
    const limit = opts.limit ?? 10;
    const candidates = this.#candidates(q, CANDIDATES);
    // Score every candidate; the explanation is written only for the hits returned.
    const byEntry = new Map<number, Scored>();
    for (const id of candidates) {
      const e = this.#nameEntry[id];
      if (e === undefined) continue;
      const sc = this.#score(qq, q, this.#normalizedName(id), e);
      if (sc.score < threshold) continue;
      const prev = byEntry.get(e);
      if (prev === undefined || sc.score > prev.score) byEntry.set(e, sc);
    }
    return [...byEntry.values()]
      .sort((a, b) => b.score - a.score || BY_LOCALE.compare(a.entry.id, b.entry.id))
      .slice(0, limit)
      .map((sc) => this.#match(qq, q, sc));
  }

  /** The `max` names sharing the most inverse-document-frequency weight of keys with the query (see topByWeight). */
  #candidates(q: NormalizedName, max: number): number[] {
    const N = this.#names.length;
    if (N === 0) return [];
    const offsets = this.#offsets;
    const lists: WeightedList[] = [];
    const kids: number[] = [];
    const toQuery: KeySink = (kind, k) => {
      const kid = this.#keyIds[kind]?.get(k);
      if (kid === undefined || kids.includes(kid)) return;
      kids.push(kid);
      const start = offsets[kid] ?? 0;
      const end = offsets[kid + 1] ?? 0;
      if (end > start) lists.push({ start, end, weight: Math.log(1 + N / (end - start)) });
    };
    for (let i = 0; i < q.tokens.length; i++) tokenKeys(q.tokens[i] ?? '', q.phonetic[i] ?? '', toQuery);
    nameKeys(q, toQuery);
    let total = 0;
    for (const l of lists) total += l.weight;
    return topByWeight(this.#postings, lists, max, CANDIDATE_FLOOR * total);
  }

  #score(qq: ScreenQuery, q: NormalizedName, n: NormalizedName, e: number): Scored {
    const entry = this.#entries[e] as ListEntry;
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
    return { e, entry, n, ns, score, method, country, type, identifier };
  }

  #match(qq: ScreenQuery, q: NormalizedName, sc: Scored): Match {
    const { entry, n, ns, score, method, country, type, identifier } = sc;
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
    return {
      list: this.#entryList[sc.e] ?? '',
      entryId: entry.id,
      name: entry.name,
      matchedName: n.raw,
      score,
      explanation: explain(features, n, entry, qq),
      features,
      entry,
    };
  }
}

function explain(f: MatchFeatures, n: NormalizedName, entry: ListEntry, q: ScreenQuery): string {
  const parts: string[] = [];
  const what = n.raw === entry.name ? `name "${entry.name}"` : `alias "${n.raw}" of "${entry.name}"`;
  const how = {
    tokens: 'token by token',
    compact: 'as a whole name (spacing / token order)',
    skeleton: 'by consonant skeleton',
    identifier: 'by identifier',
  }[f.method];
  parts.push(`${what} matched ${how} (name score ${f.nameScore.toFixed(2)})`);
  if (f.tokenPairs.length > 0)
    parts.push(
      `tokens ${f.tokenPairs.map((p) => (p.score === 1 ? p.query : `${p.query}≈${p.entry} ${p.score.toFixed(2)}`)).join(', ')}`,
    );
  if (f.transliterated !== undefined) parts.push(`transliterated ${f.transliterated}`);
  if (f.legalFormsIgnored.length > 0) parts.push(`legal forms set aside: ${f.legalFormsIgnored.join(', ')}`);
  if (f.country !== undefined)
    parts.push(
      `country ${q.country ?? ''} ${f.country === 'match' ? 'matches' : `differs from ${entry.countries.join('/')}`}`,
    );
  if (f.type !== undefined) parts.push(`type ${f.type === 'match' ? 'matches' : `differs (${entry.type})`}`);
  if (f.identifier !== undefined) parts.push(`identifier ${f.identifier} matches`);
  return parts.join('; ');
}

/**
 * Builds the index over the entries of one or more list snapshots (pure; call once per snapshot
 * set). `onProgress(entriesDone, entriesTotal)` is called every few thousand entries.
 */
export function buildIndex(
  lists: readonly ListSnapshotEntries[],
  onProgress?: (done: number, total: number) => void,
): ScreeningIndex {
  return new Index(lists, onProgress);
}
