import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  generateKeyPair,
  leafHashHex,
  parseSignedRecord,
  recordBytes,
  recordDigests,
  sha256Hex,
  signerFromPem,
  signRecord,
  TrustError,
  verifyRecord,
  type RecordPayload,
  type SignedRecord,
} from '../../src/trust/index.js';
import { expectThrowsCode } from '../support/errors.js';

const alice = generateKeyPair();
const aliceSigner = signerFromPem(alice.privateKeyPem);
const mallory = generateKeyPair();

const payload: RecordPayload = {
  v: 1,
  type: 'party.registered',
  actor: 'baotou-magnets',
  at: '2025-10-09T08:30:00.000Z',
  body: { party: { id: 'baotou-magnets', name: 'Baotou Magnets Co.', country: 'CN' }, massGrams: 9007199254740991 },
};

/** A deep, mutable copy of a record, as JSON from the outside world would be. */
const copy = (r: SignedRecord): Record<string, Record<string, unknown>> =>
  JSON.parse(JSON.stringify(r)) as Record<string, Record<string, unknown>>;

describe('signed records', () => {
  it('sign then verify', () => {
    const record = signRecord(payload, aliceSigner);
    expect(record.signature.alg).toBe('Ed25519');
    expect(record.signature.keyId).toBe(alice.keyId);
    expect(Buffer.from(record.signature.sig, 'base64url')).toHaveLength(64);
    expect(record.payload).toEqual(payload);
    verifyRecord(record, alice.publicKey);
    verifyRecord(copy(record), alice.publicKey);
    verifyRecord(record, (keyId) => (keyId === alice.keyId ? alice.publicKey : undefined));
  });

  it('is deterministic (Ed25519) and independent of property order', () => {
    const reordered: RecordPayload = {
      body: payload.body,
      at: payload.at,
      actor: payload.actor,
      type: payload.type,
      v: 1,
    };
    expect(signRecord(reordered, aliceSigner)).toEqual(signRecord(payload, aliceSigner));
  });

  it('returns a frozen record detached from the caller’s payload', () => {
    const body = { note: 'original', drop: undefined };
    const record = signRecord({ ...payload, body }, aliceSigner);
    body.note = 'changed afterwards';
    expect(record.payload.body).toEqual({ note: 'original' });
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record.payload.body)).toBe(true);
    verifyRecord(record, alice.publicKey);
  });

  it('recordBytes and recordDigests give the canonical leaf content and its hashes', () => {
    const record = signRecord(payload, aliceSigner);
    const d = recordDigests(record);
    expect(d.canonical).toBe(recordBytes(record));
    expect(d.canonical).toBe(canonicalJson(record));
    expect(d.canonical.startsWith('{"payload":{"actor":"baotou-magnets","at":')).toBe(true);
    expect(d.recordHash).toBe(sha256Hex(d.canonical));
    expect(d.leafHash).toBe(leafHashHex(d.canonical));
    expect(d.recordHash).toMatch(/^[0-9a-f]{64}$/);
  });

  describe('tampering is detected', () => {
    const record = signRecord(payload, aliceSigner);

    it('a flipped byte anywhere in the body → BAD_SIGNATURE', () => {
      const text = canonicalJson(record.payload.body);
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        const flipped = text.slice(0, i) + String.fromCharCode(code ^ 1) + text.slice(i + 1);
        let body: unknown;
        try {
          body = JSON.parse(flipped);
        } catch {
          continue; // not JSON any more: nobody could present it as a record
        }
        if (canonicalJson(body) === text) continue;
        const tampered = copy(record);
        tampered.payload!.body = body;
        expectThrowsCode(
          () => {
            verifyRecord(tampered, alice.publicKey);
          },
          TrustError,
          'BAD_SIGNATURE',
        );
      }
    });

    it.each<[string, (r: Record<string, Record<string, unknown>>) => void]>([
      [
        'type',
        (r) => {
          r.payload!.type = 'party.deleted';
        },
      ],
      [
        'actor',
        (r) => {
          r.payload!.actor = 'someone-else';
        },
      ],
      [
        'at',
        (r) => {
          r.payload!.at = '2025-10-09T08:30:00.001Z';
        },
      ],
      [
        'an extra body field',
        (r) => {
          (r.payload!.body as Record<string, unknown>).extra = true;
        },
      ],
      [
        'the mass by one gram',
        (r) => {
          (r.payload!.body as Record<string, unknown>).massGrams = 9007199254740990;
        },
      ],
    ])('changing %s → BAD_SIGNATURE', (_name, mutate) => {
      const tampered = copy(record);
      mutate(tampered);
      expectThrowsCode(
        () => {
          verifyRecord(tampered, alice.publicKey);
        },
        TrustError,
        'BAD_SIGNATURE',
      );
    });

    it('a flipped bit in any byte of the signature → BAD_SIGNATURE', () => {
      const sig = Buffer.from(record.signature.sig, 'base64url');
      for (let i = 0; i < sig.length; i++) {
        const bad = Buffer.from(sig);
        bad[i] = (bad[i] ?? 0) ^ 0x80;
        const tampered = copy(record);
        tampered.signature!.sig = bad.toString('base64url');
        expectThrowsCode(
          () => {
            verifyRecord(tampered, alice.publicKey);
          },
          TrustError,
          'BAD_SIGNATURE',
        );
      }
    });

    it('another party’s key → KEY_MISMATCH; an unknown key id → UNKNOWN_KEY', () => {
      expectThrowsCode(
        () => {
          verifyRecord(record, mallory.publicKey);
        },
        TrustError,
        'KEY_MISMATCH',
      );
      expectThrowsCode(
        () => {
          verifyRecord(record, () => undefined);
        },
        TrustError,
        'UNKNOWN_KEY',
      );
      const relabelled = copy(record);
      relabelled.signature!.keyId = mallory.keyId;
      expectThrowsCode(
        () => {
          verifyRecord(relabelled, mallory.publicKey);
        },
        TrustError,
        'BAD_SIGNATURE',
      );
    });

    it('a signature re-signed by another key under the right key id → BAD_SIGNATURE', () => {
      const forged = copy(signRecord(payload, signerFromPem(mallory.privateKeyPem)));
      forged.signature!.keyId = alice.keyId;
      expectThrowsCode(
        () => {
          verifyRecord(forged, alice.publicKey);
        },
        TrustError,
        'BAD_SIGNATURE',
      );
    });
  });

  describe('hostile shapes → MALFORMED_RECORD naming the field', () => {
    const good = signRecord(payload, aliceSigner);
    it.each<[string, unknown, string]>([
      ['null', null, 'record'],
      ['an array', [good.payload, good.signature], 'record'],
      ['a string', canonicalJson(good), 'record'],
      ['an extra top-level field', { ...good, extra: 1 }, 'extra'],
      ['no signature', { payload: good.payload }, 'signature'],
      ['payload v 2', { ...good, payload: { ...good.payload, v: 2 } }, 'payload.v'],
      ['payload v "1"', { ...good, payload: { ...good.payload, v: '1' } }, 'payload.v'],
      ['an extra payload field', { ...good, payload: { ...good.payload, nonce: 1 } }, 'payload.nonce'],
      ['no body', { ...good, payload: { v: 1, type: 'x', actor: 'a', at: good.payload.at } }, 'payload.body'],
      ['an upper-case type', { ...good, payload: { ...good.payload, type: 'Party' } }, 'payload.type'],
      ['an empty actor', { ...good, payload: { ...good.payload, actor: '' } }, 'payload.actor'],
      ['an actor with a newline', { ...good, payload: { ...good.payload, actor: 'a\nb' } }, 'payload.actor'],
      [
        'a time without milliseconds',
        { ...good, payload: { ...good.payload, at: '2025-10-09T08:30:00Z' } },
        'payload.at',
      ],
      [
        'a time with an offset',
        { ...good, payload: { ...good.payload, at: '2025-10-09T08:30:00.000+01:00' } },
        'payload.at',
      ],
      ['an impossible date', { ...good, payload: { ...good.payload, at: '2025-02-30T08:30:00.000Z' } }, 'payload.at'],
      ['year 0000', { ...good, payload: { ...good.payload, at: '0000-01-01T00:00:00.000Z' } }, 'payload.at'],
      ['alg none', { ...good, signature: { ...good.signature, alg: 'none' } }, 'signature.alg'],
      ['a malformed key id', { ...good, signature: { ...good.signature, keyId: 'alice' } }, 'signature.keyId'],
      ['a numeric signature', { ...good, signature: { ...good.signature, sig: 7 } }, 'signature.sig'],
      [
        'a padded signature',
        { ...good, signature: { ...good.signature, sig: `${good.signature.sig}==` } },
        'signature.sig',
      ],
      [
        'a truncated signature',
        { ...good, signature: { ...good.signature, sig: good.signature.sig.slice(0, 84) } },
        'signature.sig',
      ],
      [
        'a signature with garbage appended',
        { ...good, signature: { ...good.signature, sig: `${good.signature.sig}AAAA` } },
        'signature.sig',
      ],
      ['an extra signature field', { ...good, signature: { ...good.signature, kid: 'x' } }, 'signature.kid'],
    ])('%s', (_name, input, field) => {
      const e = expectThrowsCode(
        () => {
          verifyRecord(input, alice.publicKey);
        },
        TrustError,
        'MALFORMED_RECORD',
      );
      expect(e.field).toBe(field);
    });

    it('a signature whose base64url has non-zero trailing bits (same bytes, other text)', () => {
      const sig = good.signature.sig; // 64 bytes → 86 characters, the last carrying 4 unused bits
      const last = sig.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
      expect(Buffer.from(sig.slice(0, -1) + sibling, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
      const e = expectThrowsCode(
        () => {
          verifyRecord({ ...good, signature: { ...good.signature, sig: sig.slice(0, -1) + sibling } }, alice.publicKey);
        },
        TrustError,
        'MALFORMED_RECORD',
      );
      expect(e.field).toBe('signature.sig');
    });

    it('a body that is not JSON → NOT_JSON', () => {
      expectThrowsCode(() => signRecord({ ...payload, body: { n: 1n } }, aliceSigner), TrustError, 'NOT_JSON');
      expectThrowsCode(() => signRecord({ ...payload, body: undefined }, aliceSigner), TrustError, 'MALFORMED_RECORD');
    });

    it('parseSignedRecord checks shape only', () => {
      expect(parseSignedRecord(copy(good))).toEqual(good);
    });
  });

  it('signRecord refuses a signer whose key id does not match its key', () => {
    expectThrowsCode(
      () => signRecord(payload, { keyId: mallory.keyId, privateKey: aliceSigner.privateKey }),
      TrustError,
      'KEY_MISMATCH',
    );
  });

  it('property: any JSON body signs, survives a JSON round trip and verifies; any change to it does not', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), fc.jsonValue(), (body, other) => {
        const record = signRecord({ ...payload, body }, aliceSigner);
        const received: unknown = JSON.parse(JSON.stringify(record));
        verifyRecord(received, alice.publicKey);
        expect(canonicalJson(received)).toBe(recordBytes(record));
        expect(recordBytes(parseSignedRecord(received))).toBe(recordBytes(record));
        if (canonicalJson(other) !== canonicalJson(body)) {
          const tampered = copy(record);
          tampered.payload!.body = other;
          expectThrowsCode(
            () => {
              verifyRecord(tampered, alice.publicKey);
            },
            TrustError,
            'BAD_SIGNATURE',
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});
