import { sign, verify } from 'node:crypto';
import { fromBase64url, toBase64url } from './base64url.js';
import { canonicalJson } from './canonical.js';
import { TrustError } from './errors.js';
import { keyIdFor, publicKeyFromRaw, type Signer } from './keys.js';

/**
 * Proof of possession of a party's NEW signing key in a key rotation (`party.key.rotated`): the
 * rotation record is signed (or, over the API, requested) with the key it retires, and carries this
 * Ed25519 signature by the key it introduces over
 *
 *   canonicalJson({ purpose: "lodestone-key-possession/v1", party, previousKeyId, keyId })
 *
 * so both keys sign the hand-over, as `party.registered` is self-certifying. The statement names the
 * party and both keys, so a proof cannot be replayed for another party, another old key or another
 * new key.
 */
export const KEY_POSSESSION_PURPOSE = 'lodestone-key-possession/v1';

export interface KeyHandOver {
  readonly party: string;
  /** The key being retired (signs the rotation). */
  readonly previousKeyId: string;
  /** The key being introduced (signs this statement). */
  readonly keyId: string;
}

const utf8 = new TextEncoder();
const ED25519_SIGNATURE_BYTES = 64;

function statement(h: KeyHandOver): Uint8Array {
  return utf8.encode(
    canonicalJson({ purpose: KEY_POSSESSION_PURPOSE, party: h.party, previousKeyId: h.previousKeyId, keyId: h.keyId }),
  );
}

/** The new key's signature over the hand-over statement (base64url). `signer` must be the new key. */
export function signKeyPossession(signer: Signer, h: Omit<KeyHandOver, 'keyId'>): string {
  return toBase64url(sign(null, statement({ ...h, keyId: signer.keyId }), signer.privateKey));
}

/**
 * Checks a proof of possession: `publicKey` is the key named `keyId`, and `proof` is its signature
 * over the hand-over statement. Throws TrustError (KEY_MISMATCH, BAD_KEY, BAD_SIGNATURE) otherwise.
 */
export function verifyKeyPossession(h: KeyHandOver, publicKey: string, proof: string): void {
  if (keyIdFor(publicKey) !== h.keyId)
    throw new TrustError('KEY_MISMATCH', `the new public key is ${keyIdFor(publicKey)}, not ${h.keyId}`, {
      field: 'key.keyId',
    });
  const sig = fromBase64url(proof);
  if (sig?.length !== ED25519_SIGNATURE_BYTES)
    throw new TrustError(
      'BAD_SIGNATURE',
      'the proof of possession must be a 64-byte Ed25519 signature as unpadded base64url',
      { field: 'proof' },
    );
  let ok: boolean;
  try {
    ok = verify(null, statement(h), publicKeyFromRaw(publicKey), sig);
  } catch (e) {
    throw new TrustError('BAD_SIGNATURE', 'the proof of possession of the new key does not verify', {
      field: 'proof',
      cause: e,
    });
  }
  if (!ok)
    throw new TrustError(
      'BAD_SIGNATURE',
      `the proof of possession of the new key ${h.keyId} does not verify (it must sign party ${h.party}, previous key ${h.previousKeyId} and the new key id)`,
      { field: 'proof' },
    );
}
