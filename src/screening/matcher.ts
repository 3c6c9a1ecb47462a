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
  readonly method: 'tokens' | 'parts' | 'compact' | 'skeleton' | 'identifier';
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
const KEY_ROMAN = 8;
const KEY_DELETE = 9;
const KEY_KINDS = 10;

type KeySink = (kind: number, key: string) => void;

/**
 * Index keys that depend on one token alone: the token, its phonetic code, its first and last
 * three letters, and its romanisation key where that differs from the token (a query looks that
 * key up among both; see Index.#candidates).
 */
function tokenKeys(t: string, phonetic: string, roman: string, emit: KeySink): void {
  if (t.length >= 2) emit(KEY_TOKEN, t);
  if (phonetic.length >= 2) emit(KEY_PHONETIC, phonetic);
  if (roman !== t && roman.length >= 2) emit(KEY_ROMAN, roman);
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
  // A name of one word has few keys, and one typo in a short word breaks them all ("El Cayo" for
  // "El Chayo", "Azmaco" for "Armaco"): the word and each form of it with one letter deleted are
  // keys, so two one-word names one edit or one transposition apart share one.
  const w = n.tokens.length === 1 ? (n.tokens[0] ?? '') : '';
  if (w.length >= MIN_DELETE_WORD && w.length <= MAX_DELETE_WORD) {
    emit(KEY_DELETE, w);
    for (let i = 0; i < w.length; i++)
      if (i === 0 || w[i] !== w[i - 1]) emit(KEY_DELETE, w.slice(0, i) + w.slice(i + 1));
  }
}

/** One-word names of this many letters get deletion keys (shorter ones are too ambiguous, longer keep other keys). */
const MIN_DELETE_WORD = 4;
const MAX_DELETE_WORD = 12;

/** a.localeCompare(b), without building a collator per call (the ties of common names sort many ids). */
const BY_LOCALE = new Intl.Collator();

/**
 * (Exported for the tests.) BY_LOCALE.compare(a, b), without the collator when both are digits
 * only (list ids mostly are: OFAC's "36", "7160"): digits collate in their code point order, one
 * by one, a prefix first, which is how < compares strings. The collator costs about a microsecond a
 * call, and the ties of one query's hits are sorted by id.
 */
export function compareIds(a: string, b: string): number {
  if (numeric(a) && numeric(b)) return a < b ? -1 : a > b ? 1 : 0;
  return BY_LOCALE.compare(a, b);
}

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

/** Two spellings of one word in different romanisations (equal romanisation keys, see romanKey). */
const ROMANISATION_SIMILARITY = 0.95;

/**
 * Similarity of word i of q and word j of n, their keys (skeleton, phonetic code, romanisation key)
 * taken at the same positions. `maskA`/`maskB` (letter sets, see letterMask) let it skip a
 * Jaro–Winkler that cannot reach TOKEN_FLOOR.
 */
function tokenSim(q: NormalizedName, i: number, n: NormalizedName, j: number, maskA?: number, maskB?: number): number {
  const a = q.tokens[i] ?? '';
  const b = n.tokens[j] ?? '';
  if (a === b) return 1;
  if (numeric(a) || numeric(b)) return 0;
  if ((q.roman[i] ?? '') === (n.roman[j] ?? '') && a.length >= 2 && b.length >= 2) return ROMANISATION_SIMILARITY;
  const long = a.length >= 4 && b.length >= 4;
  // Same phonetic code or skeleton: at least KEY_SIMILARITY.
  let lifted = false;
  if (long) {
    const phA = q.phonetic[i] ?? '';
    const skA = q.skeletons[i] ?? '';
    lifted = (phA.length >= 3 && phA === (n.phonetic[j] ?? '')) || (skA.length >= 3 && skA === (n.skeletons[j] ?? ''));
  }
  if (!lifted && maskA !== undefined && maskB !== undefined && cannotReach(a, b, maskA, maskB)) return 0;
  const s = jaroWinkler(a, b);
  const t = lifted ? Math.max(s, KEY_SIMILARITY) : s;
  return t < TOKEN_FLOOR ? 0 : t;
}

/** Similarity of two words by their letters alone (a joined word, a legal word: no keys of their own). */
function wordSim(a: string, b: string, maskA?: number, maskB?: number): number {
  if (a === b) return 1;
  if (numeric(a) || numeric(b)) return 0;
  if (maskA !== undefined && maskB !== undefined && cannotReach(a, b, maskA, maskB)) return 0;
  const s = jaroWinkler(a, b);
  return s < TOKEN_FLOOR ? 0 : s;
}

const KEY_SIMILARITY = 0.87;
/** Token pairs less similar than this count as unmatched. */
const TOKEN_FLOOR = 0.8;

/** The letters (a–z; digits share six bits) a token has, one bit each. */
function letterMask(t: string): number {
  let m = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    m |= 1 << (c >= 97 && c <= 122 ? c - 97 : 26 + (c % 6));
  }
  return m;
}

function bits(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * True when Jaro–Winkler(a, b) is surely below TOKEN_FLOOR, found without computing it: the
 * letters the tokens could share (each letter one has and the other lacks takes one away) bound
 * the matches m, so Jaro ≤ (m/|a| + m/|b| + 1) / 3, and the common prefix bounds the Winkler boost.
 */
function cannotReach(a: string, b: string, maskA: number, maskB: number): boolean {
  const la = a.length;
  const lb = b.length;
  const m = Math.min(la - bits(maskA & ~maskB), lb - bits(maskB & ~maskA));
  if (m <= 0) return true;
  const j = (m / la + m / lb + 1) / 3;
  let prefix = 0;
  const max = Math.min(4, la, lb);
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * 0.1 * (1 - j) < TOKEN_FLOOR - 1e-9;
}

/** Both names had the same legal forms recognised and set aside, and nothing else. */
function sameLegalWords(q: NormalizedName, n: NormalizedName): boolean {
  const a = q.legalForms;
  const b = n.legalForms;
  if (a.length !== b.length || q.allTokens.length - q.tokens.length !== n.allTokens.length - n.tokens.length)
    return false;
  for (const w of a) if (!b.includes(w)) return false;
  return true;
}

/** Consonant skeletons are short and ambiguous: equal, or one edit apart when long. */
function skeletonSim(a: string, b: string): number {
  if (a === b) return a.length >= 2 ? 1 : 0.8;
  if (Math.min(a.length, b.length) >= 4 && Math.abs(a.length - b.length) <= 1 && distance(a, b) === 1) return 0.85;
  return 0;
}

interface Aligned {
  score: number;
  pairs: { query: string; entry: string; score: number }[];
}

/** Scratch similarity matrices (row i, column j at i * columns + j), grown as needed: no allocation per candidate. */
let SIMS = new Float64Array(256);
let OTHER_SIMS = new Float64Array(256);
let USED = new Uint8Array(64);
/** Scratch letter-set masks of one name's words. */
let MASKS = new Int32Array(64);

function simsFor(cells: number): Float64Array {
  if (SIMS.length < cells) SIMS = new Float64Array(cells * 2);
  return SIMS;
}

function otherSimsFor(cells: number): Float64Array {
  if (OTHER_SIMS.length < cells) OTHER_SIMS = new Float64Array(cells * 2);
  return OTHER_SIMS;
}

/**
 * Greedy one-to-one alignment of tokens, weighted by token length: the most similar pair first
 * (ties: the earlier query token, then the earlier listed one), and so on among the tokens left.
 * The score leans on how much of the query is covered (2/3) but also on how much of the entry name
 * is (1/3), so a query that names a listed party by part of its long name still scores, and a
 * short list name inside a longer query does too, less. `sims` holds the similarities (row per
 * query token); the aligned pairs are written to `pairs` when it is given (for the explanation).
 */
function align(
  qt: readonly string[],
  nt: readonly string[],
  sims: Float64Array,
  queryWeight = 2 / 3,
  pairs?: Aligned['pairs'],
): number {
  const qn = qt.length;
  const nn = nt.length;
  let lq = 0;
  let ln = 0;
  for (const t of qt) lq += t.length;
  for (const t of nt) ln += t.length;
  if (USED.length < qn + nn) USED = new Uint8Array((qn + nn) * 2);
  const used = USED;
  used.fill(0, 0, qn + nn);
  let mq = 0;
  let mn = 0;
  const rounds = Math.min(qn, nn);
  for (let r = 0; r < rounds; r++) {
    let bi = -1;
    let bj = -1;
    let bs = 0;
    for (let i = 0; i < qn; i++) {
      if (used[i] === 1) continue;
      const row = i * nn;
      for (let j = 0; j < nn; j++) {
        const x = sims[row + j] ?? 0;
        if (x > bs && used[qn + j] === 0) {
          bs = x;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) break;
    used[bi] = 1;
    used[qn + bj] = 1;
    const a = qt[bi] ?? '';
    const b = nt[bj] ?? '';
    mq += bs * a.length;
    mn += bs * b.length;
    pairs?.push({ query: a, entry: b, score: Math.round(bs * 100) / 100 });
  }
  if (lq === 0 || ln === 0) return 0;
  return queryWeight * (mq / lq) + (1 - queryWeight) * (mn / ln);
}

/** A candidate scored, before its explanation is written. */
interface Scored {
  readonly e: number;
  readonly entry: ListEntry;
  readonly n: NormalizedName;
  /** The name score and the part of it that won (a VIA_ constant). */
  readonly nameScore: number;
  readonly via: number;
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

/**
 * Part weights of the part-by-part score, after nomenklatura's logic-v2 name matcher (its
 * nm_extra_result_name default and its INITIAL symbol score and weight): a part of the listed
 * name the query does not give costs 0.2 of a matched part (a query names a listed person without
 * the patronymic or middle name far more often than it adds a stranger's), and a given name
 * matched by its initial scores 0.9 with half the weight. (Its 0.8 for a query part left over is
 * not needed: the part-by-part score is only for queries whose every part is matched.)
 */
const EXTRA_PERSON_PART = 0.2;
/**
 * A word of a listed organisation's name left out weighs more: organisation names are fewer words,
 * each more telling ("Pacific Trading" is not "International Pacific Trading Inc.").
 */
const EXTRA_ORG_PART = 0.5;
const INITIAL_SCORE = 0.9;
const INITIAL_WEIGHT = 0.5;
/** Every pair of the part-by-part score is at least this similar (a typo, a transliteration), or an initial. */
const PARTS_PAIR_FLOOR = 0.9;
/** The rest of a joined word against the other word it stands for (see joinLikeOther). */
const JOINED_REST_SIMILARITY = 0.9;

/** One letter against a word of two or more that it begins: an initial. */
function isInitialOf(a: string, b: string): boolean {
  return a.length === 1 && b.length >= 2 && b.charCodeAt(0) === a.charCodeAt(0) && !numeric(b);
}

/**
 * Words written joined in one name and apart in the other ("FadiSAQR" / "SAQR, Fadi", "Shadi
 * ForCars" / "Shadi For Cars"): where a word of `a` is two words of `b` joined (in either order), b's two words become
 * that one word. Returns b unchanged when there is none.
 */
function joinLikeOther(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length < 2) return b;
  let out: string[] | undefined;
  for (const w of a) {
    if (w.length < 5) continue;
    const cur = out ?? b;
    if (cur.includes(w)) continue;
    search: for (let j = 0; j < cur.length; j++) {
      const x = cur[j] ?? '';
      if (x.length < 2 || x.length >= w.length - 2) continue;
      // x begins (or ends) w; the rest of w is the other word, exactly or as a variant spelling of it
      // (a synonym table or a typo may have touched it: "AminIndustrial" / "Amin Industry").
      const begins = w.charCodeAt(0) === x.charCodeAt(0) && w.startsWith(x);
      if (!begins && !(w.charCodeAt(w.length - 1) === x.charCodeAt(x.length - 1) && w.endsWith(x))) continue;
      const rest = begins ? w.slice(x.length) : w.slice(0, w.length - x.length);
      // The word the rest is exactly, else the one it is most like ("cala" is "cala", not "callaa").
      let best = -1;
      let bestScore = 0;
      for (let k = 0; k < cur.length; k++) {
        if (k === j) continue;
        const y = cur[k] ?? '';
        const score = rest === y ? 2 : rest.length >= 4 && y.length >= 4 ? jaroWinkler(rest, y) : 0;
        if (score >= JOINED_REST_SIMILARITY && score > bestScore) {
          best = k;
          bestScore = score;
        }
      }
      if (best >= 0) {
        const y = cur[best] ?? '';
        const next = cur.filter((_, i) => i !== j && i !== best);
        next.push(begins ? x + y : y + x);
        out = next;
        break search;
      }
    }
  }
  return out ?? b;
}

/** No part-by-part score (shared: read only). */
const NO_PARTS: Aligned = Object.freeze({ score: 0, pairs: Object.freeze([]) as unknown as Aligned['pairs'] });

/**
 * Part-by-part score (nomenklatura logic-v2 style): parts aligned one to one by similarity, each
 * pair scoring its similarity with weight 1 (an initial: INITIAL_SCORE, INITIAL_WEIGHT); the
 * parts left over score 0 with weight EXTRA_QUERY_WEIGHT (query) or EXTRA_ENTRY_WEIGHT (listed
 * name); the score is the weighted mean. Words joined in one name and apart in the other are
 * joined first.
 */
function partsScore(q: NormalizedName, n: NormalizedName, sims: Float64Array, extraEntryWeight: number): Aligned {
  const qt = joinLikeOther(n.tokens, q.tokens);
  const nt = joinLikeOther(q.tokens, n.tokens);
  if (qt.length === 0 || nt.length === 0) return NO_PARTS;
  // Most candidates fail at once: some query word has no strong partner (nor is an initial of one).
  if (qt === q.tokens && nt === n.tokens) {
    for (let i = 0; i < qt.length; i++) {
      let ok = false;
      for (let j = 0; j < nt.length && !ok; j++)
        ok =
          (sims[i * nt.length + j] ?? 0) >= PARTS_PAIR_FLOOR ||
          isInitialOf(qt[i] ?? '', nt[j] ?? '') ||
          isInitialOf(nt[j] ?? '', qt[i] ?? '');
      if (!ok) return NO_PARTS;
    }
  }
  const cells: { i: number; j: number; s: number; w: number }[] = [];
  for (let i = 0; i < qt.length; i++) {
    const a = qt[i] ?? '';
    for (let j = 0; j < nt.length; j++) {
      const b = nt[j] ?? '';
      if (isInitialOf(a, b) || isInitialOf(b, a)) cells.push({ i, j, s: INITIAL_SCORE, w: INITIAL_WEIGHT });
      else {
        // Keys of the tokens as they are (a joined word has none: compared by its letters alone).
        const s = qt === q.tokens && nt === n.tokens ? (sims[i * nt.length + j] ?? 0) : wordSim(a, b);
        if (s > 0) cells.push({ i, j, s, w: 1 });
      }
    }
  }
  cells.sort((x, y) => y.s * y.w - x.s * x.w || x.i - y.i || x.j - y.j);
  const usedQ = new Set<number>();
  const usedN = new Set<number>();
  let sum = 0;
  let weight = 0;
  let strong = true;
  let exact = false;
  const pairs: Aligned['pairs'] = [];
  for (const c of cells) {
    if (usedQ.has(c.i) || usedN.has(c.j)) continue;
    usedQ.add(c.i);
    usedN.add(c.j);
    sum += c.s * c.w;
    weight += c.w;
    if (c.w === 1 && c.s < PARTS_PAIR_FLOOR) strong = false;
    if (c.s === 1 && (qt[c.i] ?? '').length >= 3) exact = true;
    pairs.push({ query: qt[c.i] ?? '', entry: nt[c.j] ?? '', score: Math.round(c.s * 100) / 100 });
  }
  // Only for names whose every part the other names too: a fuzzy pair (below PARTS_PAIR_FLOOR) or a query part
  // left over is the token scores' business, and an initial or a left-over part needs a word matched exactly beside it.
  if (!strong || !exact || usedQ.size < qt.length) return { score: 0, pairs };
  weight += (nt.length - usedN.size) * extraEntryWeight;
  return { score: weight === 0 ? 0 : sum / weight, pairs };
}

/**
 * The similarities of one query's tokens to listed words, kept for the query's candidates (which
 * share many words: the ones that made them candidates). Valid for one query name only.
 */
export class TokenSimMemo {
  readonly #q: NormalizedName;
  /** Where a listed word's similarities to the query tokens start in #sims. */
  readonly #byWord = new Map<string, number>();
  #sims = new Float64Array(256);
  #used = 0;
  /** Letter-set masks of the query tokens (see letterMask). */
  readonly #masks: Int32Array;
  constructor(q: NormalizedName) {
    this.#q = q;
    this.#masks = Int32Array.from(q.tokens, letterMask);
  }
  /**
   * Writes the similarities of each query token to word j of n (whose keys are its own: no "Abd al-"
   * join shifted them) into column j of `sims` (row per query token, `columns` columns).
   */
  column(n: NormalizedName, j: number, sims: Float64Array, columns: number): void {
    const t = n.tokens[j] ?? '';
    const qn = this.#q.tokens.length;
    let at = this.#byWord.get(t);
    if (at === undefined) {
      at = this.#used;
      if (at + qn > this.#sims.length) {
        const grown = new Float64Array(Math.max(this.#sims.length * 2, at + qn));
        grown.set(this.#sims.subarray(0, at));
        this.#sims = grown;
      }
      const v = this.#sims;
      const mask = letterMask(t);
      for (let i = 0; i < qn; i++) v[at + i] = tokenSim(this.#q, i, n, j, this.#masks[i] ?? 0, mask);
      this.#used = at + qn;
      this.#byWord.set(t, at);
    }
    const v = this.#sims;
    for (let i = 0; i < qn; i++) sims[i * columns + j] = v[at + i] ?? 0;
  }
}

const NO_PAIRS: Aligned['pairs'] = [];

/** The token similarities of q and n (row per query token) in the scratch matrix, from the memo when there is one. */
function tokenSims(q: NormalizedName, n: NormalizedName, memo: TokenSimMemo | undefined): Float64Array {
  const nn = n.tokens.length;
  const qn = q.tokens.length;
  const sims = simsFor(qn * nn);
  if (memo !== undefined && n.skeletons.length === nn && q.skeletons.length === qn) {
    for (let j = 0; j < nn; j++) memo.column(n, j, sims, nn);
  } else for (let i = 0; i < qn; i++) for (let j = 0; j < nn; j++) sims[i * nn + j] = tokenSim(q, i, n, j);
  return sims;
}

/** Every word of both names, legal forms included, compared by their letters (in the second scratch matrix). */
function allTokenSims(qa: readonly string[], na: readonly string[]): Float64Array {
  const m = otherSimsFor(qa.length * na.length);
  if (MASKS.length < na.length) MASKS = new Int32Array(na.length * 2);
  const masks = MASKS;
  for (let j = 0; j < na.length; j++) masks[j] = letterMask(na[j] ?? '');
  for (let i = 0; i < qa.length; i++) {
    const a = qa[i] ?? '';
    const mask = letterMask(a);
    for (let j = 0; j < na.length; j++) m[i * na.length + j] = wordSim(a, na[j] ?? '', mask, masks[j] ?? 0);
  }
  return m;
}

function skeletonSims(qs: readonly string[], ns: readonly string[]): Float64Array {
  const m = otherSimsFor(qs.length * ns.length);
  for (let i = 0; i < qs.length; i++)
    for (let j = 0; j < ns.length; j++) m[i * ns.length + j] = skeletonSim(qs[i] ?? '', ns[j] ?? '');
  return m;
}

function extraEntryWeight(entryType: EntityType): number {
  return entryType === 'person' || entryType === 'unknown' ? EXTRA_PERSON_PART : EXTRA_ORG_PART;
}

/** Which score a name's best came from (nameScore), so that its aligned pairs can be found again for a hit explained. */
const VIA_NONE = 0;
const VIA_TOKENS = 1;
const VIA_PARTS = 2;
const VIA_COMPACT = 3;
const VIA_ALL_TOKENS = 4;
const VIA_SKELETON = 5;
const VIA_ABJAD = 6;
const METHOD_OF: readonly MatchFeatures['method'][] = [
  'tokens',
  'tokens',
  'parts',
  'compact',
  'tokens',
  'skeleton',
  'skeleton',
];

/** Where the last nameScore came from (a VIA_ constant): one number rather than an object per candidate. */
let lastVia = VIA_NONE;

/**
 * Similarity of two normalised names, 0–1 (the best of the scores below); sets lastVia to the one
 * it came from. Builds no pairs: pairsOf finds those for the few hits explained.
 */
function nameScore(q: NormalizedName, n: NormalizedName, entryType: EntityType, memo?: TokenSimMemo): number {
  if (q.script === 'arabic' || n.script === 'arabic') {
    const ab = abjadScore(q.consonants, n.consonants, undefined);
    lastVia = ab > 0 ? VIA_ABJAD : VIA_NONE;
    return ab > 0 ? ab : 0;
  }
  // Token similarities, computed once for the token and the part-by-part scores.
  const sims = tokenSims(q, n, memo);
  let best = align(q.tokens, n.tokens, sims, 2 / 3);
  let via = VIA_TOKENS;
  const parts = partsScore(q, n, sims, extraEntryWeight(entryType)).score;
  if (parts > best) {
    best = parts;
    via = VIA_PARTS;
  }
  // (The compact score cannot pass 1 − |length difference| / longer length: not computed when that is no better.)
  const lq = q.compact.length;
  const ln = n.compact.length;
  if (1 - Math.abs(lq - ln) / Math.max(lq, ln, 1) > best) {
    const compact = Math.max(levRatio(q.compact, n.compact), levRatio(q.sortedCompact, n.sortedCompact));
    if (compact > best) {
      best = compact;
      via = VIA_COMPACT;
    }
  }
  // The words of a legal form one side did not recognise (misspelt) compared as words; when both
  // recognised the same legal forms, their words matching would only inflate the score
  // ("Limited Liability Company Granite" is not "Limited Liability Company Garant").
  if ((q.allTokens !== q.tokens || n.allTokens !== n.tokens) && !sameLegalWords(q, n)) {
    const all = align(q.allTokens, n.allTokens, allTokenSims(q.allTokens, n.allTokens), 2 / 3);
    if (all > best) {
      best = all;
      via = VIA_ALL_TOKENS;
    }
  }
  // The skeleton score is at most SKELETON_WEIGHT: not computed when the name already scores that.
  if (best < SKELETON_WEIGHT) {
    const qs = q.skeletons;
    const ns = n.skeletons;
    let skRaw = align(qs, ns, skeletonSims(qs, ns), 2 / 3);
    if (qs.length !== ns.length) {
      // (0.95 × the Levenshtein ratio of the joined skeletons, which cannot pass 0.95 × (1 − |length difference| / longer length).)
      let lqs = 0;
      let lns = 0;
      for (const x of qs) lqs += x.length;
      for (const x of ns) lns += x.length;
      if (0.95 * (1 - Math.abs(lqs - lns) / Math.max(lqs, lns, 1)) > skRaw)
        skRaw = Math.max(skRaw, 0.95 * levRatio(qs.join(''), ns.join('')));
    }
    const skScore = skRaw * SKELETON_WEIGHT;
    if (skScore > best) {
      best = skScore;
      via = VIA_SKELETON;
    }
  }
  lastVia = via;
  return best;
}

/** The aligned pairs of the score nameScore found best (lastVia then), for the explanation. */
function pairsOf(
  q: NormalizedName,
  n: NormalizedName,
  entryType: EntityType,
  memo: TokenSimMemo | undefined,
  via: number,
): Aligned['pairs'] {
  const pairs: Aligned['pairs'] = [];
  switch (via) {
    case VIA_TOKENS:
    case VIA_COMPACT: // (a whole-name score: the token pairs show what matched)
      align(q.tokens, n.tokens, tokenSims(q, n, memo), 2 / 3, pairs);
      return pairs;
    case VIA_PARTS:
      return partsScore(q, n, tokenSims(q, n, memo), extraEntryWeight(entryType)).pairs;
    case VIA_ALL_TOKENS:
      align(q.allTokens, n.allTokens, allTokenSims(q.allTokens, n.allTokens), 2 / 3, pairs);
      return pairs;
    case VIA_SKELETON:
      align(q.skeletons, n.skeletons, skeletonSims(q.skeletons, n.skeletons), 2 / 3, pairs);
      return pairs;
    case VIA_ABJAD:
      abjadScore(q.consonants, n.consonants, pairs);
      return pairs;
    default:
      return NO_PAIRS;
  }
}

/**
 * Similarity of two normalised names, 0–1, and how it was reached (the aligned token pairs only
 * when `explain`: the search scores its candidates without them and explains the hits it returns).
 */
export function scoreNames(
  q: NormalizedName,
  n: NormalizedName,
  entryType: EntityType = 'unknown',
  memo?: TokenSimMemo,
  explain = true,
): NameScore {
  const score = nameScore(q, n, entryType, memo);
  const via = lastVia;
  return { score, method: METHOD_OF[via] ?? 'tokens', pairs: explain ? pairsOf(q, n, entryType, memo, via) : NO_PAIRS };
}

const SKELETON_WEIGHT = 0.85;

/** Two consonant keys: equal; equal but for an h (written or not for ح, ه); or one edit apart when long. */
function consonantSim(a: string, b: string): number {
  if (a === b) return a.length >= 2 ? 1 : 0.8;
  const la = Math.min(a.length, b.length);
  if (la >= 2 && a.replace(/h/g, '') === b.replace(/h/g, '')) return 0.9;
  if (la >= 3 && Math.abs(a.length - b.length) <= 1 && distance(a, b) === 1) return 0.85;
  return 0;
}

/**
 * Arabic script against a romanisation (or two romanisations of Arabic): consonant keys aligned
 * word by word, or compared as one string (words glued or split differently: Abdurrahman /
 * عبد الرحمن, Nooruddin / نور الدين).
 */
/** Arabic script: as much weight on covering the listed name as on covering the query (short common names meet too many long ones otherwise). */
const ABJAD_QUERY_WEIGHT = 0.5;
function abjadScore(qc: readonly string[], nc: readonly string[], pairs: Aligned['pairs'] | undefined): number {
  const m = otherSimsFor(qc.length * nc.length);
  for (let i = 0; i < qc.length; i++)
    for (let j = 0; j < nc.length; j++) m[i * nc.length + j] = consonantSim(qc[i] ?? '', nc[j] ?? '');
  let s = align(qc, nc, m, ABJAD_QUERY_WEIGHT, pairs);
  if (qc.length !== nc.length) {
    const jq = qc.join('');
    const jn = nc.join('');
    if (Math.min(jq.length, jn.length) >= 5) s = Math.max(s, 0.95 * levRatio(jq, jn));
  }
  return s * 0.97;
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
  for (const f of [n.legalForms, n.skeletons, n.phonetic, n.consonants, n.roman]) {
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
    n.roman.join(' '),
  ].join(SEP);
}

function words(s: string | undefined): readonly string[] {
  return s === undefined || s === '' ? [] : s.split(' ');
}

/** (Exported for the tests.) */
export function unpack(raw: string, packed: string): NormalizedName {
  const [script, tokens, all, legal, skeletons, phonetic, consonants, roman] = packed.split(SEP);
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
    roman: words(roman),
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
          tokenKeys(t, n.phonetic[i] ?? '', n.roman[i] ?? t, toToken);
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
    const memo = new TokenSimMemo(q);
    for (const id of candidates) {
      const e = this.#nameEntry[id];
      if (e === undefined) continue;
      const prev = byEntry.get(e);
      const sc = this.#score(qq, q, this.#normalizedName(id), e, memo, Math.max(threshold, prev?.score ?? -Infinity));
      if (sc !== undefined && (prev === undefined || sc.score > prev.score)) byEntry.set(e, sc);
    }
    let hits = [...byEntry.values()];
    if (hits.length > limit) {
      // Only hits scoring at least the limit-th best score can be returned: the rest are not sorted.
      const scores = Float64Array.from(hits, (h) => h.score).sort();
      const least = scores[scores.length - limit] ?? 0;
      hits = hits.filter((h) => h.score >= least);
    }
    return hits
      .sort((a, b) => b.score - a.score || compareIds(a.entry.id, b.entry.id))
      .slice(0, limit)
      .map((sc) => this.#match(qq, q, sc, memo));
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
    for (let i = 0; i < q.tokens.length; i++) {
      const t = q.tokens[i] ?? '';
      const roman = q.roman[i] ?? t;
      tokenKeys(t, q.phonetic[i] ?? '', roman, toQuery);
      // Listed names written in another romanisation: their romanisation key is this one, or their word is.
      if (roman === t && roman.length >= 2) toQuery(KEY_ROMAN, roman);
      else if (roman.length >= 2) toQuery(KEY_TOKEN, roman);
    }
    nameKeys(q, toQuery);
    // A word that no listed name has may be two that one has, written joined ("FadiSAQR"): its halves
    // that are both listed words are keys too.
    const words = this.#keyIds[KEY_TOKEN];
    for (const t of q.tokens) {
      if (t.length < 6 || words === undefined || words.has(t)) continue;
      for (let i = 2; i <= t.length - 2; i++) {
        const a = t.slice(0, i);
        const b = t.slice(i);
        if (words.has(a) && words.has(b)) {
          toQuery(KEY_TOKEN, a);
          toQuery(KEY_TOKEN, b);
        }
      }
    }
    let total = 0;
    for (const l of lists) total += l.weight;
    return topByWeight(this.#postings, lists, max, CANDIDATE_FLOOR * total);
  }

  /** The candidate scored, or undefined when its score is below `least` (no object built for it). */
  #score(
    qq: ScreenQuery,
    q: NormalizedName,
    n: NormalizedName,
    e: number,
    memo: TokenSimMemo,
    least: number,
  ): Scored | undefined {
    const entry = this.#entries[e] as ListEntry;
    const ns = nameScore(q, n, entry.type, memo);
    const via = lastVia;
    let score = ns;
    let method = METHOD_OF[via] ?? 'tokens';
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
        if (ns >= 0.6) {
          score = Math.max(score, 0.99);
          method = 'identifier';
        }
      }
    }
    score = Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;
    if (score < least) return undefined;
    return { e, entry, n, nameScore: ns, via, score, method, country, type, identifier };
  }

  #match(qq: ScreenQuery, q: NormalizedName, sc: Scored, memo: TokenSimMemo): Match {
    const { entry, n, score, method, country, type, identifier } = sc;
    const features: MatchFeatures = {
      method,
      nameScore: Math.round(sc.nameScore * 1000) / 1000,
      // The pairs of the part of the name score that won, found again for the hits returned only.
      tokenPairs: pairsOf(q, n, entry.type, memo, sc.via),
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
    parts: 'part by part (initials, joined words; parts of the listed name not given count less)',
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
