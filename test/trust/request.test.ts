import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attachRequestBody,
  generateKeyPair,
  signerFromPem,
  signRequest,
  TrustError,
  verifyRequestJws,
} from '../../src/trust/index.js';
import { expectThrowsCode } from '../support/errors.js';

const alice = generateKeyPair();
const bob = generateKeyPair();
const signer = signerFromPem(alice.privateKeyPem);

describe('verifyRequestJws', () => {
  it('a request that verified once verifies again the same way; it never verifies under another key, nor does a tampered copy', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('POST', 'PUT'),
        fc.string({ minLength: 1, maxLength: 12 }),
        (body, method, tail) => {
          const jws = attachRequestBody(
            signRequest(signer, { method, path: `/v1/${encodeURIComponent(tail)}`, body }),
            body,
          );
          const first = verifyRequestJws(jws, alice.publicKey);
          expect(first.body).toBe(body);
          // Remembered (the same bytes under the same key): the same answer, and one that cannot be changed.
          const again = verifyRequestJws(jws, alice.publicKey);
          expect(again).toEqual(first);
          expect(Object.isFrozen(again) && Object.isFrozen(again.header)).toBe(true);
          // What was remembered for Alice's key is no answer for Bob's.
          expectThrowsCode(() => verifyRequestJws(jws, bob.publicKey), TrustError, 'KEY_MISMATCH');
          // Another body under the same signature: refused, though the original was just accepted.
          const tampered = attachRequestBody(jws.replace(/\.[^.]*\./, '..'), `${body} `);
          expectThrowsCode(() => verifyRequestJws(tampered, alice.publicKey), TrustError, 'BAD_SIGNATURE');
          expect(verifyRequestJws(jws, alice.publicKey).body).toBe(body);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('after more requests than it remembers, the first still verifies (checked again, not forgotten as valid or invalid)', () => {
    const jwss = Array.from({ length: 200 }, (_, i) =>
      attachRequestBody(signRequest(signer, { method: 'POST', path: '/v1/lots', body: `{"n":${i}}` }), `{"n":${i}}`),
    );
    for (const j of jwss) verifyRequestJws(j, alice.publicKey);
    for (const [i, j] of jwss.entries()) expect(verifyRequestJws(j, alice.publicKey).body).toBe(`{"n":${i}}`);
  });
});

describe('parseRequestJws: a protected header must mean one thing to every parser', () => {
  it('refuses a header with a parameter twice (here kid: one parser would check one key, another the other)', () => {
    const jws = attachRequestBody(signRequest(signer, { method: 'POST', path: '/v1/lots', body: '{}' }), '{}');
    const [h = '', p = '', s = ''] = jws.split('.');
    const header = Buffer.from(h, 'base64url').toString('utf8');
    const twice = header.replace(/"kid":"([^"]+)"/, (m) => `${m},"kid":"ed25519:AAAAAAAAAAAAAAAAAAAAAA"`);
    expect(twice).not.toBe(header);
    const forged = `${Buffer.from(twice).toString('base64url')}.${p}.${s}`;
    expect(() => verifyRequestJws(forged, alice.publicKey)).toThrow(
      /protected header\.kid is a member name that appears twice/,
    );
  });
});
