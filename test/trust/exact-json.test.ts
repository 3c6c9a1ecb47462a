import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  exactJson,
  generateKeyPair,
  parseRecordPayload,
  recordBytes,
  signerFromPem,
  signRecord,
  TrustError,
  verifyRecord,
  type RecordPayload,
} from '../../src/trust/index.js';
import { expectThrowsCode } from '../support/errors.js';

/** Values that are not exactly JSON, and the path canonicalJson names for each. */
const NOT_JSON: [string, unknown, string][] = [
  ['undefined at the top', undefined, '$'],
  ['undefined deep inside an array', { a: [{ b: [1, undefined] }] }, '$.a[0].b[1]'],
  ['a hole in an array', [1, , 3], '$[1]'], // eslint-disable-line no-sparse-arrays
  ['bigint', { n: 10n }, '$.n'],
  ['NaN', { deep: { n: Number.NaN } }, '$.deep.n'],
  ['Infinity', [Number.POSITIVE_INFINITY], '$[0]'],
  ['a function', { f: () => 1 }, '$.f'],
  ['a toJSON method', { toJSON: () => 'x' }, '$.toJSON'],
  ['a Date', { d: new Date(0) }, '$.d'],
  ['a class instance', { u: new URL('https://example.org/') }, '$.u'],
  ['a lone high surrogate', { s: 'a\uD800b' }, '$.s'],
  ['a lone low surrogate in a key', { ok: 1, ['\uDC00']: 1 }, '$.\uDC00'],
];

const cyclic = (): unknown => {
  const o: Record<string, unknown> = { a: [1] };
  (o.a as unknown[]).push({ back: o });
  return o;
};

describe('exactJson (jsonb column text) and canonicalJson refuse the same values the same way', () => {
  it.each([...NOT_JSON, ['a cycle', cyclic(), '$.a[1].back'] as [string, unknown, string]])(
    '%s: NOT_JSON naming the path',
    (_name, value, path) => {
      const canonical = expectThrowsCode(() => canonicalJson(value), TrustError, 'NOT_JSON');
      const exact = expectThrowsCode(() => exactJson(value), TrustError, 'NOT_JSON');
      expect(canonical.message.startsWith(`${path}:`), canonical.message).toBe(true);
      expect(exact.message).toBe(canonical.message);
      expect(exact.field).toBe(canonical.field);
    },
  );

  it('a value seen twice but not inside itself is no cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ b: shared, a: [shared, shared] })).toBe('{"a":[{"x":1},{"x":1}],"b":{"x":1}}');
    expect(JSON.parse(exactJson({ b: shared, a: [shared] }))).toEqual({ b: { x: 1 }, a: [{ x: 1 }] });
  });

  it('exactJson is JSON text of the same value (only the order of members may differ from the canonical form)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = exactJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(canonicalJson(v));
      }),
      { numRuns: 300 },
    );
    expect(exactJson({ b: 1, a: undefined, c: [-0, 1e21, 'é'] })).toBe('{"b":1,"c":[0,1e+21,"é"]}');
  });
});

describe('signRecord canonicalises a payload once and names its first fault as parseRecordPayload does', () => {
  const { privateKeyPem, publicKey } = generateKeyPair();
  const signer = signerFromPem(privateKeyPem);
  const good: RecordPayload = { v: 1, type: 'lot.created', actor: 'a', at: '2025-10-09T08:30:00.000Z', body: { n: 1 } };

  it.each<[string, RecordPayload]>([
    ['a body that is not JSON', { ...good, body: { deep: [{ n: 1n }] } }],
    ['a body with a lone surrogate', { ...good, body: { s: '\uD800' } }],
    ['a bad body and bad links (the body is checked first)', { ...good, body: { n: Number.NaN }, links: 'x' as never }],
    ['a bad type and a bad body (the type is checked first)', { ...good, type: 'Bad Type', body: { n: 1n } }],
    ['bad links', { ...good, links: [{ subject: 1 }] as never }],
  ])('%s', (_name, payload) => {
    let expected: unknown;
    try {
      parseRecordPayload(payload);
    } catch (e) {
      expected = e;
    }
    expect(expected).toBeInstanceOf(TrustError);
    const e = expectThrowsCode(() => signRecord(payload, signer), TrustError, (expected as TrustError).code);
    expect(e.message).toBe((expected as TrustError).message);
  });

  it('its bytes are RFC 8785 of the whole record, for any body (member by member is the same as all at once)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (body, withRequestHash) => {
        const p: RecordPayload = {
          ...good,
          body,
          links: [{ subject: 'licence:L-1', prev: null }],
          ...(withRequestHash ? { requestSha256: 'a'.repeat(64) } : {}),
        };
        const r = signRecord(p, signer);
        expect(recordBytes(r)).toBe(canonicalJson(JSON.parse(JSON.stringify(r))));
        expect(canonicalJson(r.payload)).toBe(canonicalJson(p));
        expect(Object.isFrozen(r.payload) && Object.isFrozen(r.payload.links)).toBe(true);
        verifyRecord(JSON.parse(recordBytes(r)), publicKey);
      }),
      { numRuns: 200 },
    );
  });

  it('signs the canonical bytes of the payload it was given', () => {
    const r = signRecord({ ...good, body: { z: [3, { b: 2, a: 1 }], a: 'x' } }, signer);
    expect(recordBytes(r)).toBe(
      `{"payload":{"actor":"a","at":"2025-10-09T08:30:00.000Z","body":{"a":"x","z":[3,{"a":1,"b":2}]},"type":"lot.created","v":1},"signature":${canonicalJson(r.signature)}}`,
    );
    verifyRecord(JSON.parse(recordBytes(r)), publicKey);
  });
});
