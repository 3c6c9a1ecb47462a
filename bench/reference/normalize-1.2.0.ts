// Name normalisation as it was at lodestone-matcher/1.3.0 (and 1.2.0), for bench/reference/matcher-1.2.0.ts.
/**
 * Name normalisation: one function from a raw name in any script to the forms the matcher
 * compares. Transliteration is done by libraries (pinyin-pro for Chinese, any-ascii for Cyrillic,
 * Arabic and the rest, double-metaphone for phonetic keys); what is ours is the folding, the
 * legal-form and abbreviation tables, the Chinese business glossary and the consonant skeleton.
 */
import anyAscii from 'any-ascii';
import { doubleMetaphone } from 'double-metaphone';
import { pinyin } from 'pinyin-pro';

/** Scripts we transliterate specially; anything else goes through any-ascii as Latin. */
export type Script = 'latin' | 'han' | 'cyrillic' | 'arabic' | 'other';

export interface NormalizedName {
  /** The name as given. */
  readonly raw: string;
  readonly script: Script;
  /** Name tokens: folded to a–z / 0–9, abbreviations expanded, legal forms and stop words removed. */
  readonly tokens: readonly string[];
  /** Every token, legal-form words included (when a legal form is misspelt it is not recognised, so it is compared as a word). */
  readonly allTokens: readonly string[];
  /** Legal-form words found (canonical: "ltd", "llc", "jsc" …), kept apart from the name. */
  readonly legalForms: readonly string[];
  /** The tokens joined without spaces (catches "Bao Tou" / "Baotou" / 包头). */
  readonly compact: string;
  /** The tokens sorted and joined (catches token order). */
  readonly sortedCompact: string;
  /** Consonant skeleton of each token (vowels, y, w, h-digraph noise and doubled letters removed). */
  readonly skeletons: readonly string[];
  /** Double-metaphone primary key of each token. */
  readonly phonetic: readonly string[];
  /**
   * Consonant classes of each name part, for comparing Arabic script with its romanisations:
   * the article (al-, el-, ul-, ar-Rahman …) and "Abd al-" handled, h kept (ح, ه), velars and
   * j/g merged (ق ك خ غ ج: q, k, kh, gh, j, dj, g), sibilants and interdentals merged (س ص ش ز ث ذ ظ:
   * s, z, sh, ch, th, dh), a final h dropped (ة, -ah), vowels, w and y dropped, doubles collapsed.
   */
  readonly consonants: readonly string[];
}

const HAN = /\p{Script=Han}/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;
const ARABIC = /\p{Script=Arabic}/u;
const LATIN = /\p{Script=Latin}/u;

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

export function detectScript(s: string): Script {
  if (ASCII.test(s)) return /[A-Za-z0-9]/.test(s) ? 'latin' : 'other';
  if (HAN.test(s)) return 'han';
  if (ARABIC.test(s)) return 'arabic';
  if (CYRILLIC.test(s)) return 'cyrillic';
  if (LATIN.test(s) || /[0-9]/.test(s)) return 'latin';
  return 'other';
}

/**
 * Chinese legal-form suffixes (longest first) and business words, mapped to the canonical Latin
 * token an English or pinyin rendering of the same word normalises to.
 */
const HAN_LEGAL: readonly (readonly [string, string])[] = [
  ['股份有限公司', 'ltd'],
  ['有限责任公司', 'ltd'],
  ['有限公司', 'ltd'],
  ['股份公司', 'co'],
  ['公司', 'co'],
  ['集团', 'group'],
];
const HAN_WORDS: readonly (readonly [string, string])[] = [
  ['钢铁', 'steel'],
  ['稀土', 'rareearth'],
  ['科技', 'technology'],
  ['技术', 'technology'],
  ['电子', 'electronic'],
  ['国际', 'international'],
  ['航空', 'aviation'],
  ['航天', 'aerospace'],
  ['工业', 'industry'],
  ['研究所', 'institute'],
  ['研究院', 'academy'],
  ['大学', 'university'],
  ['贸易', 'trading'],
  ['进出口', 'importexport'],
  ['磁材', 'magnetic'],
  ['磁业', 'magnetic'],
  ['材料', 'materials'],
  ['银行', 'bank'],
  ['船舶', 'shipbuilding'],
  ['重工', 'heavyindustry'],
  ['半导体', 'semiconductor'],
  ['通信', 'communication'],
  ['控股', 'holding'],
];

/** Pinyin and English renderings of the same business words meet at one token. */
const SYNONYMS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    gangtie: 'steel',
    xitu: 'rareearth',
    keji: 'technology',
    tech: 'technology',
    technologies: 'technology',
    jishu: 'technology',
    dianzi: 'electronic',
    electronics: 'electronic',
    guoji: 'international',
    intl: 'international',
    hangkong: 'aviation',
    hangtian: 'aerospace',
    gongye: 'industry',
    industries: 'industry',
    industrial: 'industry',
    ind: 'industry',
    yanjiusuo: 'institute',
    inst: 'institute',
    yanjiuyuan: 'academy',
    daxue: 'university',
    univ: 'university',
    maoyi: 'trading',
    trade: 'trading',
    jinchukou: 'importexport',
    yinhang: 'bank',
    chuanbo: 'shipbuilding',
    zhonggong: 'heavyindustry',
    bandaoti: 'semiconductor',
    tongxin: 'communication',
    communications: 'communication',
    konggu: 'holding',
    holdings: 'holding',
    mfg: 'manufacturing',
    natl: 'national',
    bros: 'brothers',
    svcs: 'services',
    svc: 'services',
    dept: 'department',
    assn: 'association',
    mgmt: 'management',
    intern: 'international',
    cailiao: 'materials',
    jituan: 'group',
    muhammad: 'mohammed',
    mohammad: 'mohammed',
    mohamed: 'mohammed',
    muhammed: 'mohammed',
    mohamad: 'mohammed',
  }),
);

/** Legal-form words and phrases in many languages (folded), each with its canonical short form. */
const LEGAL_PHRASES: readonly (readonly [readonly string[], string])[] = (
  [
    ['public joint stock company', 'pjsc'],
    ['closed joint stock company', 'cjsc'],
    ['open joint stock company', 'ojsc'],
    ['joint stock company', 'jsc'],
    ['limited liability company', 'llc'],
    ['limited liability partnership', 'llp'],
    ['private limited company', 'ltd'],
    ['company limited', 'ltd'],
    ['co ltd', 'ltd'],
    ['pvt ltd', 'ltd'],
    ['pte ltd', 'ltd'],
    ['pty ltd', 'ltd'],
    ['sdn bhd', 'sdnbhd'],
    ['societe anonyme', 'sa'],
    ['sociedad anonima', 'sa'],
    ['societa per azioni', 'spa'],
    ['obshchestvo s ogranichennoy otvetstvennostyu', 'llc'],
    ['obshchestvo s ogranichennoi otvetstvennostiu', 'llc'],
    ['aktsionernoe obshchestvo', 'jsc'],
    ['aktsionernoye obshchestvo', 'jsc'],
    ['public limited company', 'plc'],
    ['sherkat sahami khass', 'pjs'],
    ['general trading', 'gt'],
    ['and company', 'co'],
    ['and co', 'co'],
  ] as const
).map(([p, c]) => [p.split(' '), c] as const);

const LEGAL_WORDS: Readonly<Record<string, string>> = {
  co: 'co',
  company: 'co',
  corp: 'corp',
  corporation: 'corp',
  inc: 'inc',
  incorporated: 'inc',
  ltd: 'ltd',
  limited: 'ltd',
  llc: 'llc',
  plc: 'plc',
  gmbh: 'gmbh',
  ag: 'ag',
  sa: 'sa',
  sarl: 'sarl',
  srl: 'srl',
  spa: 'spa',
  bv: 'bv',
  nv: 'nv',
  oy: 'oy',
  ab: 'ab',
  kg: 'kg',
  pvt: 'pvt',
  pte: 'pte',
  pty: 'pty',
  llp: 'llp',
  lp: 'lp',
  ooo: 'llc',
  oao: 'ojsc',
  zao: 'cjsc',
  pao: 'pjsc',
  ao: 'jsc',
  jsc: 'jsc',
  ojsc: 'ojsc',
  cjsc: 'cjsc',
  pjsc: 'pjsc',
  fzco: 'fzco',
  fze: 'fze',
  fzc: 'fzc',
  bhd: 'bhd',
  tbk: 'tbk',
  kk: 'kk',
  sas: 'sas',
  as: 'as',
  aps: 'aps',
  kft: 'kft',
  zrt: 'zrt',
  sp: 'sp',
  sro: 'sro',
  ad: 'ad',
  ead: 'ead',
  doo: 'doo',
  tov: 'llc',
  pat: 'pjsc',
  dp: 'se',
  gk: 'gk',
  establishment: 'est',
  est: 'est',
  ltda: 'ltda',
  cia: 'co',
  sl: 'sl',
  sae: 'sae',
  wll: 'wll',
  sal: 'sal',
};

const STOP_WORDS = new Set([
  'the',
  'of',
  'and',
  'for',
  'de',
  'du',
  'des',
  'la',
  'le',
  'el',
  'al',
  'a',
  'an',
  'und',
  'y',
  'i',
  'e',
]);

const EMPTY: readonly string[] = Object.freeze([]);

/** Case, accent and punctuation folding of Latin text to lower-case a–z, 0–9 and single spaces. */
export function foldLatin(s: string): string {
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(s) ? s : anyAscii(s.normalize('NFKC'));
  return ascii
    .toLowerCase()
    .replace(/['`’ʼ‘"]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Chinese text to pinyin syllable runs, after taking out legal forms and glossary words. */
function hanToLatin(s: string, legal: string[]): string {
  let text = s;
  for (const [w, c] of HAN_LEGAL) {
    if (text.includes(w)) {
      text = text.split(w).join(' ');
      legal.push(c);
    }
  }
  for (const [w, c] of HAN_WORDS) text = text.split(w).join(` ${c} `);
  // Each remaining run of Han characters becomes one token of toneless pinyin (Chinese names are
  // romanised with the syllables of a word joined: 包头 → baotou).
  return text.replace(
    /\p{Script=Han}+/gu,
    (run) => ` ${pinyin(run, { toneType: 'none', type: 'array', nonZh: 'consecutive' }).join('')} `,
  );
}

/** Pinyin with tone numbers ("bao1tou2") loses its digits. */
function stripToneNumbers(token: string): string {
  return /^(?:[a-z]+[1-5])+[a-z]*$/.test(token) ? token.replace(/[1-5]/g, '') : token;
}

/**
 * Consonant skeleton: what an Arabic-script name and its many romanisations share (Arabic writes
 * few vowels). Vowels, y, w and h go (h is written or not in romanisations of ح, ه, ة and
 * in digraphs kh, sh, th, dh); doubled letters collapse; a few romanisation pairs meet
 * (q/k, c/k, z/s, j/g, ph/f, v/f).
 */
export function skeleton(token: string): string {
  const s = token
    .replace(/ph/g, 'f')
    .replace(/[aeiouywh]/g, '')
    .replace(/q/g, 'k')
    .replace(/c/g, 'k')
    .replace(/z/g, 's')
    .replace(/j/g, 'g')
    .replace(/v/g, 'f')
    .replace(/x/g, 'ks')
    .replace(/(.)\1+/g, '$1');
  return s === '' ? token.slice(0, 1) : s;
}

/** "Abd al-X" is one name however it is spaced (عبد الله, Abd Allah, Abdallah): its skeleton is joined to the next. */
function joinAbd(skeletons: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < skeletons.length; i++) {
    const s = skeletons[i] ?? '';
    const next = skeletons[i + 1];
    if (s === 'bd' && next !== undefined) {
      out.push((s + next).replace(/(.)\1+/g, '$1'));
      i++;
    } else out.push(s);
  }
  return out;
}

/**
 * Arabic-script text before transliteration: harakat and tatweel out, Persian and Urdu letter
 * forms to their Arabic counterparts, and the article ال (with a leading و / ب / ف) taken off the
 * word it is written joined to; "عبدال…" written as one word becomes "عبد …".
 */
function prepareArabic(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\u064B-\u065F\u0670\u0640]/g, '')
    .replace(/[یى]/g, 'ي')
    .replace(/ک/g, 'ك')
    .replace(/[ھہۀ]/g, 'ه')
    .replace(/(^|[^\u0621-\u064A])عبد\s*ال(?=[\u0621-\u064A]{2})/g, '$1عبد ')
    .replace(/(^|[^\u0621-\u064A])[وبف]?ال(?=[\u0621-\u064A]{2})/g, '$1');
}

/** Article forms written as their own word in romanised Arabic names (al-, el-, ul-, wal-). */
const ARTICLES = new Set(['al', 'el', 'ul', 'ol', 'il', 'l', 'wal', 'wa', 'w', 'bil', 'fil']);
/** "abd", "abdul", "abdel", "abdur" …: Abd with the article; joined to the next word. */
const ABD_ARTICLE = /^abd(?:[aeiou]?|ou)(?:[lr]?)$/;
/** "abdulrahman", "abdelkader", "abderrahmane" …: Abd and the article glued to the name. */
const ABD_GLUED =
  /^abd(?:[aeiou]l|ou?l|[aeiou]r(?=r)|[aeiou]s(?=s)|[aeiou]n(?=n)|[aeiou]d(?=d)|[aeiou]t(?=t)|[aeiou]z(?=z))(?=[a-z]{3})/;
/** Allah and al-Din written apart ("Seif Allah", "Salah Eddine", سيف الله): glued to the word before (Seifallah, Salahuddin). */
const GLUED_AFTER = /^(?:[aeiou]?l{1,2}[aeiou]?h?|(?:[aeiou][dl]?)?d(?:i|ee|y)ne?)$/;

/**
 * Arabic letters to one Latin letter each, in the classes consonantKey uses (ح and ه as "H", which
 * no digraph rule reads, so طه is t-H and not "th"); vowel letters, ع and hamza to vowels.
 */
const ARABIC_LETTERS: Readonly<Record<string, string>> = {
  ا: 'a',
  أ: 'a',
  إ: 'i',
  آ: 'a',
  ى: 'a',
  ء: '',
  ئ: 'i',
  ؤ: 'u',
  ع: 'a',
  و: 'u',
  ي: 'i',
  ی: 'i',
  ة: 'H',
  ب: 'b',
  پ: 'b',
  ت: 't',
  ط: 't',
  ث: 's',
  ج: 'j',
  چ: 's',
  ح: 'H',
  ه: 'H',
  ھ: 'H',
  ہ: 'H',
  ۀ: 'H',
  خ: 'k',
  د: 'd',
  ض: 'd',
  ذ: 'z',
  ظ: 'z',
  ر: 'r',
  ز: 'z',
  ژ: 'z',
  س: 's',
  ش: 's',
  ص: 's',
  غ: 'k',
  ف: 'f',
  ق: 'q',
  ك: 'k',
  ک: 'k',
  گ: 'g',
  ل: 'l',
  م: 'm',
  ن: 'n',
};

/** Words of an Arabic-script name as one-letter-per-consonant Latin, the article split off ("al"); Latin words folded. */
function arabicWords(raw: string): string[] {
  const out: string[] = [];
  const text = raw.normalize('NFKC').replace(/[\u064B-\u065F\u0670\u0640]/g, '');
  for (const w of text.split(/[^\p{L}\p{N}]+/u)) {
    if (w === '') continue;
    if (!ARABIC.test(w)) {
      for (const t of foldLatin(w).split(' ')) if (t !== '') out.push(t);
      continue;
    }
    let word = w;
    const art = /^(?:عبد)?[وبفل]?ال(?=..)/u.exec(word);
    if (art !== null) {
      if (art[0].startsWith('عبد')) out.push('abd');
      out.push('al');
      word = word.slice(art[0].length);
    }
    let latin = '';
    for (const ch of word) latin += ARABIC_LETTERS[ch] ?? '';
    if (latin !== '') out.push(latin);
  }
  return out;
}

/** Consonant classes of one romanised word (see NormalizedName.consonants); memoised. */
export function consonantKey(token: string): string {
  return token.length > 24 ? consonantKeyOf(token) : tokenKeys(token).consonants;
}

function consonantKeyOf(token: string): string {
  const s = token
    .replace(/dzh|dj/g, 'j')
    .replace(/sch|tch|sh|ch|zh|th|dh|ts|tz|z|x|c(?=[eiy])/g, 's')
    .replace(/kh|gh|ck|q|c|g|j/g, 'k')
    .replace(/ph|v/g, 'f')
    .replace(/p/g, 'b')
    .toLowerCase()
    .replace(/(.)[aeiouyw]*h[aeiouyw]*$/, '$1')
    .replace(/[aeiouyw]/g, '')
    .replace(/(.)\1+/g, '$1');
  return s === '' ? token.slice(0, 1).toLowerCase() : s;
}

function joinKeys(a: string, b: string): string {
  return (a + b).replace(/(.)\1+/g, '$1');
}

/** The consonant keys of a name's words, with the article, "Abd al-", Allah and al-Din handled. */
function consonantTokens(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const next = tokens[i + 1];
    if (ARTICLES.has(t) && tokens.length > 1) continue;
    // Sun-letter assimilation written apart: ar-Rahman, ud-Din, as-Salam, ash-Shami, at-Tawhid.
    if (next !== undefined && /^[aeiou](?:[tdrsznl]|sh|th|dh)$/.test(t) && next.startsWith(t.slice(1))) continue;
    if (next !== undefined && ABD_ARTICLE.test(t)) {
      let j = i + 1;
      while (j < tokens.length - 1 && ARTICLES.has(tokens[j] ?? '')) j++;
      out.push(joinKeys('bd', consonantKey(tokens[j] ?? '')));
      i = j;
      continue;
    }
    const m = ABD_GLUED.exec(t);
    const key = m === null ? consonantKey(t) : joinKeys('bd', consonantKey(t.slice(m[0].length)));
    const prev = out.length - 1;
    if (prev >= 0 && GLUED_AFTER.test(t.toLowerCase())) out[prev] = joinKeys(out[prev] ?? '', key);
    else out.push(key);
  }
  return out.length > 0 ? out : tokens.map(consonantKey);
}

/** Words a legal-form phrase or word can begin or end with (a name whose ends are none of these has none). */
const LEGAL_EDGE_WORDS = new Set([
  ...LEGAL_PHRASES.flatMap(([p]) => [p[0] ?? '', p[p.length - 1] ?? '']),
  ...Object.keys(LEGAL_WORDS),
]);

function stripLegal(tokens: string[], legal: string[]): string[] {
  if (
    tokens.length <= 1 ||
    (!LEGAL_EDGE_WORDS.has(tokens[0] ?? '') && !LEGAL_EDGE_WORDS.has(tokens[tokens.length - 1] ?? ''))
  )
    return tokens;
  let t = tokens;
  const matchAt = (start: number, phrase: readonly string[]): boolean => phrase.every((w, i) => t[start + i] === w);
  let changed = true;
  while (changed && t.length > 1) {
    changed = false;
    for (const [phrase, c] of LEGAL_PHRASES) {
      if (t.length > phrase.length && matchAt(t.length - phrase.length, phrase)) {
        t = t.slice(0, t.length - phrase.length);
        legal.push(c);
        changed = true;
      } else if (t.length > phrase.length && matchAt(0, phrase)) {
        t = t.slice(phrase.length);
        legal.push(c);
        changed = true;
      }
    }
    const last = t[t.length - 1];
    if (t.length > 1 && last !== undefined && Object.hasOwn(LEGAL_WORDS, last)) {
      legal.push(LEGAL_WORDS[last] ?? last); // own property, checked above
      t = t.slice(0, -1);
      changed = true;
    }
    const first = t[0];
    if (t.length > 1 && first !== undefined && first.length <= 4 && Object.hasOwn(LEGAL_WORDS, first)) {
      legal.push(LEGAL_WORDS[first] ?? first);
      t = t.slice(1);
      changed = true;
    }
  }
  return t;
}

/** Splits a folded string into tokens and glues runs of single letters ("i b m" → "ibm"). */
function tokenize(folded: string): string[] {
  const raw = folded.split(' ').filter((x) => x !== '');
  const out: string[] = [];
  let run = '';
  for (const t of raw) {
    if (t.length === 1 && /[a-z]/.test(t)) {
      run += t;
      continue;
    }
    if (run !== '') out.push(run);
    run = '';
    out.push(t);
  }
  if (run !== '') out.push(run);
  return out;
}

const cache = new Map<string, NormalizedName>();
const tokenCache = new Map<
  string,
  { readonly skeleton: string; readonly phonetic: string; readonly consonants: string }
>();

/** A token's skeleton and double-metaphone code (memoised: list tokens repeat a lot). */
function tokenKeys(t: string): { readonly skeleton: string; readonly phonetic: string; readonly consonants: string } {
  let k = tokenCache.get(t);
  if (k === undefined) {
    k = {
      skeleton: skeleton(t),
      phonetic: /^[0-9]+$/.test(t) ? t : doubleMetaphone(t)[0],
      consonants: consonantKeyOf(t),
    };
    if (tokenCache.size > 200_000) tokenCache.clear();
    tokenCache.set(t, k);
  }
  return k;
}

/** Normalises a name (memoised for the last few thousand distinct inputs). */
export function normalizeName(raw: string): NormalizedName {
  const hit = cache.get(raw);
  if (hit !== undefined) return hit;
  const n = computeNormalized(raw);
  if (cache.size > 20_000) cache.clear();
  cache.set(raw, n);
  return n;
}

/** Normalises a name without the memo (for bulk work such as building an index, where names do not repeat). */
export function computeNormalized(raw: string): NormalizedName {
  const script = detectScript(raw);
  const legal: string[] = [];
  const latin =
    script === 'han' ? hanToLatin(raw.normalize('NFKC'), legal) : script === 'arabic' ? prepareArabic(raw) : raw;
  let tokens = tokenize(foldLatin(latin)).map(stripToneNumbers);
  const allTokens = Object.freeze(tokens.map((t) => SYNONYMS.get(t) ?? t).filter((t) => !STOP_WORDS.has(t)));
  tokens = stripLegal(tokens, legal);
  const kept = tokens.map((t) => SYNONYMS.get(t) ?? t).filter((t) => !STOP_WORDS.has(t));
  const final = kept.length > 0 ? kept : tokens;
  return Object.freeze({
    raw,
    script,
    tokens: Object.freeze(final),
    allTokens: legal.length > 0 ? allTokens : Object.freeze(final),
    legalForms: legal.length > 0 ? Object.freeze([...new Set(legal)]) : EMPTY,
    compact: final.join(''),
    sortedCompact: [...final].sort().join(''),
    skeletons: Object.freeze(joinAbd(final.map((t) => tokenKeys(t).skeleton))),
    phonetic: Object.freeze(final.map((t) => tokenKeys(t).phonetic)),
    consonants: Object.freeze(consonantTokens(script === 'arabic' ? arabicWords(raw) : final)),
  });
}
