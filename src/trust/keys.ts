import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { fromBase64url, toBase64url } from './base64url.js';
import { TrustError } from './errors.js';
import { sha256 } from './hash.js';

/** An Ed25519 key pair as text, ready to store: the public half is shared, the private half is not. */
export interface KeyPair {
  /** See `keyIdFor`. */
  readonly keyId: string;
  /** The raw 32-byte Ed25519 public key (RFC 8032 §5.1.5), base64url without padding. */
  readonly publicKey: string;
  /** The private key as PKCS #8 PEM ("-----BEGIN PRIVATE KEY-----"). */
  readonly privateKeyPem: string;
}

/** What `signRecord` needs: the key id to name in the signature, and the private key. */
export interface Signer {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

const KEY_ID_PREFIX = 'ed25519:';
const KEY_ID_HASH_CHARS = 22; // 22 base64url characters = 132 bits of the SHA-256
const ED25519_PUBLIC_KEY_BYTES = 32;

/**
 * The stable identifier of an Ed25519 public key:
 * `"ed25519:" + base64url(SHA-256(raw 32-byte public key)).slice(0, 22)`, e.g.
 * `ed25519:Zq3b…` (30 characters). It depends only on the public key bytes, so anyone holding the
 * public key recomputes it; 132 bits keep accidental and brute-forced collisions out of reach.
 */
export function keyIdFor(publicKeyRaw: string): string {
  return KEY_ID_PREFIX + toBase64url(sha256(rawPublicKeyBytes(publicKeyRaw))).slice(0, KEY_ID_HASH_CHARS);
}

/** A fresh Ed25519 key pair from the operating system's CSPRNG. */
export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    keyId: keyIdFor(raw),
    publicKey: raw,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** Imports a PKCS #8 PEM Ed25519 private key. Throws TrustError('BAD_KEY') for anything else. */
export function importPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new TrustError('BAD_KEY', 'not a PEM private key', { cause: e });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TrustError('BAD_KEY', `expected an Ed25519 private key, got ${String(key.asymmetricKeyType)}`);
  return key;
}

/** A Signer for a PKCS #8 PEM Ed25519 private key, its key id derived from the key itself. */
export function signerFromPem(pem: string): Signer {
  const privateKey = importPrivateKey(pem);
  return { keyId: keyIdFor(rawPublicKey(privateKey)), privateKey };
}

/** Imports a raw Ed25519 public key given as base64url. Throws TrustError('BAD_KEY') if it is not 32 bytes of canonical base64url. */
export function publicKeyFromRaw(publicKeyRaw: string): KeyObject {
  const known = publicKeys.get(publicKeyRaw);
  if (known !== undefined) return known;
  const x = toBase64url(rawPublicKeyBytes(publicKeyRaw));
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (e) {
    throw new TrustError('BAD_KEY', 'not an Ed25519 public key', { cause: e });
  }
  // Keys verified again and again (a party's, the log's) are imported once; the cache is bounded.
  if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.delete(publicKeys.keys().next().value ?? '');
  publicKeys.set(publicKeyRaw, key);
  return key;
}

const PUBLIC_KEY_CACHE = 1024;
const publicKeys = new Map<string, KeyObject>();
const rawOfPrivate = new WeakMap<KeyObject, string>();

/** The raw public key (base64url) of an Ed25519 public key, or of the public half of a private key. */
export function rawPublicKey(key: KeyObject): string {
  const known = rawOfPrivate.get(key);
  if (known !== undefined) return known;
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TrustError('BAD_KEY', `expected an Ed25519 key, got ${String(key.asymmetricKeyType)}`);
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new TrustError('BAD_KEY', 'Ed25519 key has no public component');
  // A KeyObject is immutable: remember its public half (signRecord checks the signer's key id on every signature).
  rawOfPrivate.set(key, x);
  return x;
}

function rawPublicKeyBytes(publicKeyRaw: string): Uint8Array {
  const bytes = fromBase64url(publicKeyRaw);
  if (bytes?.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new TrustError('BAD_KEY', `an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} bytes as unpadded base64url`);
  }
  return bytes;
}
