import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseCanonicalJson, TrustError } from '../../src/trust/index.js';
import { expectThrowsCode } from '../support/errors.js';

interface JcsFixture {
  documents: { name: string; input: string; expected: string }[];
  numbers: { ieee754: string; expected: string }[];
  invalidNumbers: { ieee754: string; name: string }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/trust/rfc8785-jcs.json', import.meta.url), 'utf8'),
) as JcsFixture;
const double = (hex: string) => Buffer.from(hex, 'hex').readDoubleBE(0);

describe('canonicalJson (RFC 8785)', () => {
  it.each(fixture.documents)('$name', ({ input, expected }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  it.each(fixture.numbers)('Appendix B: $ieee754 → $expected', ({ ieee754, expected }) => {
    expect(canonicalJson(double(ieee754))).toBe(expected);
    expect(canonicalJson([double(ieee754)])).toBe(`[${expected}]`);
  });

  it.each(fixture.invalidNumbers)('Appendix B: $name ($ieee754) is refused', ({ ieee754 }) => {
    expectThrowsCode(() => canonicalJson({ n: double(ieee754) }), TrustError, 'NOT_JSON');
  });

  it('omits object properties that are undefined, as JSON does', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: { d: undefined } })).toBe('{"b":1,"c":{}}');
  });

  it('accepts objects without a prototype and frozen objects', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.z = 1;
    bare.a = Object.freeze([true]);
    expect(canonicalJson(bare)).toBe('{"a":[true],"z":1}');
  });

  it.each<[string, unknown, string]>([
    ['undefined at the top', undefined, '$'],
    ['undefined inside an array', [1, undefined], '$[1]'],
    ['a hole in an array', [1, , 3], '$[1]'], // eslint-disable-line no-sparse-arrays
    ['bigint', { n: 10n }, '$.n'],
    ['NaN', { n: Number.NaN }, '$.n'],
    ['-Infinity', [Number.NEGATIVE_INFINITY], '$[0]'],
    ['a function', { f: () => 1 }, '$.f'],
    ['a toJSON method', { toJSON: () => 'x' }, '$.toJSON'],
    ['a symbol', { s: Symbol('s') }, '$.s'],
    ['a Date', { d: new Date(0) }, '$.d'],
    ['a Map', { m: new Map([['a', 1]]) }, '$.m'],
    ['a class instance', { u: new URL('https://example.org/') }, '$.u'],
    ['a lone high surrogate', { s: 'a\uD800b' }, '$.s'],
    ['a lone low surrogate in a key', { ['\uDC00']: 1 }, '$.\uDC00'],
  ])('refuses %s, naming the path', (_name, value, path) => {
    const e = expectThrowsCode(() => canonicalJson(value), TrustError, 'NOT_JSON');
    expect(e.message.startsWith(`${path}:`), e.message).toBe(true);
  });

  it('refuses cycles instead of overflowing the stack', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { back: a };
    expectThrowsCode(() => canonicalJson(a), TrustError, 'NOT_JSON');
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"k":1},"b":[{"k":1}]}');
  });

  it('writes -0 as 0 and keeps well-formed surrogate pairs', () => {
    expect(canonicalJson([-0, '\uD83D\uDE00'])).toBe('[0,"😀"]');
  });

  it('is idempotent: canonicalJson(JSON.parse(canonicalJson(x))) === canonicalJson(x)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (x) => {
        const once = canonicalJson(x);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
        expect(parseCanonicalJson(once)).toStrictEqual(JSON.parse(once));
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order in which properties were added', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
    );
  });
});

describe('parseCanonicalJson', () => {
  it('returns the value of canonical text', () => {
    expect(parseCanonicalJson('{"a":[1,"x"],"b":null}')).toEqual({ a: [1, 'x'], b: null });
  });

  it.each([
    ['whitespace', '{"a": 1}'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['a non-shortest number', '{"a":1.0}'],
    ['an exponent spelled differently', '[1E+30]'],
    ['an escaped character JCS writes literally', '["\\u00e9"]'],
    ['a duplicate key', '{"a":1,"a":1}'],
    ['trailing whitespace', '[1]\n'],
    ['invalid JSON', '{"a":'],
    ['a lone surrogate escape', '["\\ud800"]'],
  ])('refuses %s', (_name, text) => {
    expectThrowsCode(() => parseCanonicalJson(text), TrustError, 'NOT_CANONICAL');
  });
});
