/**
 * Matcher 1.4.0: the causes of the misses and false hits found on the SDN Latin variants (the
 * tuning set; the held-out set was not looked at), one example test per cause, and properties of
 * the new normalisation rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIndex,
  DEFAULT_THRESHOLD,
  normalizeName,
  romanKey,
  scoreNames,
  type ListEntry,
} from '../../src/screening/index.js';

const entry = (id: string, name: string, more: Partial<ListEntry> = {}): ListEntry => ({
  id,
  name,
  aliases: [],
  type: 'entity',
  countries: [],
  identifiers: [],
  ...more,
});

const score = (a: string, b: string, type: ListEntry['type'] = 'unknown'): number =>
  scoreNames(normalizeName(a), normalizeName(b), type).score;

/** Syllables, each with the spellings different romanisations give it. */
const SYLLABLES: readonly (readonly string[])[] = [
  ['dzha', 'dja', 'ja', 'zha'],
  ['kha', 'ha'],
  ['tsa', 'tza', 'ca'],
  ['mou', 'mu', 'moo'],
  ['ya', 'ia'],
  ['yu', 'iu'],
  ['ri', 'ry', 'ree'],
  ['sha', 'scha'],
  ['fa', 'pha'],
  ['ka', 'qa'],
  ['va', 'wa'],
  ['ma'],
  ['na'],
  ['lo'],
  ['be'],
  ['to'],
];

describe('romanisation key', () => {
  it('property: a word spelt syllable by syllable in any of the romanisations has one key', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(SYLLABLES.length - 1), fc.nat(3), fc.nat(3)), { minLength: 2, maxLength: 5 }),
        (word) => {
          const spell = (pick: (forms: readonly string[], a: number, b: number) => string): string =>
            word.map(([s, a, b]) => pick(SYLLABLES[s] ?? [''], a, b)).join('');
          const one = spell((f, a) => f[a % f.length] ?? '');
          const other = spell((f, _a, b) => f[b % f.length] ?? '');
          expect(romanKey(one)).toBe(romanKey(other));
        },
      ),
    );
  });

  it('property: the key of a key is itself, and digits are left alone', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,12}$/), (t) => {
        expect(romanKey(romanKey(t))).toBe(romanKey(t));
        if (/^[0-9]+$/.test(t)) expect(romanKey(t)).toBe(t);
      }),
    );
  });

  it('scores the usual romanisation pairs as one name (dzh/j, kh/h, ts/c, ou/u, ya/ia, yu/iu)', () => {
    const pairs: readonly (readonly [string, string])[] = [
      ['Dzhamal Khasanov', 'Jamal Hasanov'],
      ['Tsoi Viktor', 'Coi Viktor'],
      ['Mourad Yusupov', 'Murad Iusupov'],
      ['TRO YA LLC', 'TRO IA LLC'],
      ['Ivanov Pyotr', 'Iwanow Piotr'],
    ];
    for (const [a, b] of pairs) expect(score(a, b, 'person'), `${a} / ${b}`).toBeGreaterThanOrEqual(0.9);
  });

  it('finds a listed name written in another romanisation, and says which tokens met', () => {
    const index = buildIndex([
      {
        list: 't',
        entries: [
          entry('1', 'DZHABAROV, Rustam', { type: 'person' }),
          entry('2', 'TRO YA LLC'),
          entry('3', 'JABER, Rustam', { type: 'person' }),
        ],
      },
    ]);
    const [hit] = index.search('Rustam Jabarov');
    expect(hit?.entryId).toBe('1');
    expect(hit?.explanation).toContain('jabarov≈dzhabarov 0.95');
    expect(index.search('Tro Ia').map((m) => m.entryId)).toEqual(['2']);
  });
});

describe('one-letter initials that are also conjunctions (A., I., E., Y.)', () => {
  it('keeps them where they are initials: followed by a period, first or last, beside a comma', () => {
    expect(normalizeName('Ahmed A. Khan').tokens).toEqual(['ahmed', 'a', 'khan']);
    expect(normalizeName('KHAN, Ahmed A').tokens).toEqual(['khan', 'ahmed', 'a']);
    expect(normalizeName('I. Petrov').tokens).toEqual(['i', 'petrov']);
    expect(normalizeName('GARCIA, E. Luis').tokens).toEqual(['garcia', 'e', 'luis']);
    expect(normalizeName('Y, Maria').tokens).toEqual(['y', 'maria']);
  });

  it('drops them where they read as words: between two words, no period', () => {
    expect(normalizeName('Banco y Comercio').tokens).toEqual(['banco', 'comercio']);
    expect(normalizeName('Rossi e Figli').tokens).toEqual(['rossi', 'figli']);
    expect(normalizeName('Ahmed A Khan').tokens).toEqual(['ahmed', 'khan']);
  });

  it('property: a lone conjunction letter between two words is dropped, one with a period kept', () => {
    const word = fc.stringMatching(/^[a-z]{3,8}$/);
    fc.assert(
      fc.property(word, fc.constantFrom('a', 'e', 'i', 'y'), word, (x, l, y) => {
        expect(normalizeName(`${x} ${l} ${y}`).tokens).not.toContain(l);
        expect(normalizeName(`${x} ${l.toUpperCase()}. ${y}`).tokens).toContain(l);
      }),
    );
  });

  it('a listed person with such an initial is told from one with another initial', () => {
    const index = buildIndex([
      {
        list: 't',
        entries: [entry('1', 'KHAN, Ahmed A.', { type: 'person' }), entry('2', 'KHAN, Ahmed B.', { type: 'person' })],
      },
    ]);
    const hits = index.search('Ahmed A. Khan');
    expect(hits[0]?.entryId).toBe('1');
    expect(hits[0]?.score).toBeGreaterThan(hits.find((h) => h.entryId === '2')?.score ?? 0);
  });
});

describe('legal forms', () => {
  it('recognises a legal form of three words or more with one word misspelt, and only then', () => {
    expect(normalizeName('Limited Liabilpty Company Geos')).toMatchObject({ tokens: ['geos'], legalForms: ['llc'] });
    expect(normalizeName('Limited Liabilpty Compamy Geos').tokens).toContain('liabilpty');
    expect(normalizeName('Sdn Bhx Geos').tokens).toContain('bhx');
  });

  it('does not count the words of the same legal form on both sides as name words', () => {
    expect(score('Limited Liability Company Granite', 'Limited Liability Company Garant-SV')).toBeLessThan(
      DEFAULT_THRESHOLD,
    );
    // A legal form one side misspelt is still compared as words.
    expect(score('MSD Capital Pti Ltd', 'MSD Capital Pty Ltd')).toBeGreaterThanOrEqual(0.9);
  });
});

describe('one-word names', () => {
  it('finds a one-word alias with one letter left out, changed or swapped', () => {
    const index = buildIndex([
      {
        list: 't',
        entries: [
          entry('1', 'MORENO, Nazario', { type: 'person', aliases: ['EL CHAYO'] }),
          entry('2', 'SHAHID GROUP', { aliases: ['ARMACO'] }),
          entry('3', 'RESTREPO, Eduardo', { type: 'person', aliases: ['EL SOCIO'] }),
          ...Array.from({ length: 200 }, (_, i) =>
            entry(`x${i}`, `CAYO${i} ${'AZMA'.slice(0, 1 + (i % 4))}CO TRADING`),
          ),
        ],
      },
    ]);
    expect(index.search('EL CAYO').map((m) => m.entryId)).toContain('1');
    expect(index.search('AZMACO').map((m) => m.entryId)).toContain('2');
    expect(index.search('EL SCOIO').map((m) => m.entryId)).toContain('3');
  });
});
