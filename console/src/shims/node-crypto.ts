/**
 * Browser stand-in for `node:crypto`, with exactly what the offline verifier (src/verify, through
 * src/trust) calls, synchronously as Node does: SHA-256 (createHash), timingSafeEqual, Ed25519
 * public keys from a JWK or a private key (createPublicKey, createPrivateKey from PKCS #8) and
 * Ed25519 verify/sign — from @noble/hashes and @noble/curves. Verification is strict RFC 8032
 * (zip215: false), as OpenSSL's is. Anything else throws, naming the function.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Buffer } from 'buffer';

type Bytes = Uint8Array;
const utf8 = new TextEncoder();

function bytesOf(data: unknown): Bytes {
  if (typeof data === 'string') return utf8.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('node:crypto shim: data must be a string or bytes');
}

class Hash {
  private readonly h = sha256.create();
  update(data: unknown): this {
    this.h.update(bytesOf(data));
    return this;
  }
  digest(): Buffer;
  digest(encoding: 'hex' | 'base64' | 'base64url'): string;
  digest(encoding?: 'hex' | 'base64' | 'base64url'): Buffer | string {
    const out = Buffer.from(this.h.digest());
    return encoding === undefined ? out : out.toString(encoding);
  }
}

export function createHash(algorithm: string): Hash {
  if (algorithm.toLowerCase() !== 'sha256')
    throw new Error(`node:crypto shim: only sha256 is available, not ${algorithm}`);
  return new Hash();
}

export function timingSafeEqual(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) throw new RangeError('Input buffers must have the same byte length');
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

function b64urlBytes(s: string): Bytes {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return new Uint8Array(Buffer.from(b64 + '='.repeat((4 - (b64.length % 4)) % 4), 'base64'));
}
const toB64url = (b: Bytes) =>
  Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The part of Node's KeyObject the trust module uses, for Ed25519 keys only. */
export class KeyObject {
  readonly asymmetricKeyType = 'ed25519';
  constructor(
    readonly type: 'public' | 'private',
    /** The 32-byte public key, or the 32-byte private seed. */
    readonly raw: Bytes,
  ) {}
  export(o: { format: string }): { kty: string; crv: string; x: string } {
    if (o.format !== 'jwk' || this.type !== 'public')
      throw new Error('node:crypto shim: only a public key exports, as a JWK');
    return { kty: 'OKP', crv: 'Ed25519', x: toB64url(this.raw) };
  }
}

export function createPublicKey(
  input: KeyObject | { key: { kty?: string; crv?: string; x?: string }; format: 'jwk' },
): KeyObject {
  if (input instanceof KeyObject)
    return input.type === 'public' ? input : new KeyObject('public', ed25519.getPublicKey(input.raw));
  const { kty, crv, x } = input.key;
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string')
    throw new Error('node:crypto shim: only Ed25519 public keys as JWK');
  const raw = b64urlBytes(x);
  if (raw.length !== 32) throw new Error('Invalid Ed25519 public key');
  return new KeyObject('public', raw);
}

const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';

export function createPrivateKey(input: { key: string | Bytes; format: 'pem' | 'der'; type?: string }): KeyObject {
  let der: Bytes;
  if (input.format === 'pem' && typeof input.key === 'string') {
    const m = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(input.key);
    if (!m) throw new Error('node:crypto shim: not a PKCS #8 PEM private key');
    der = new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  } else if (input.format === 'der' && typeof input.key !== 'string') {
    der = input.key;
  } else throw new Error('node:crypto shim: a PKCS #8 private key as PEM text or DER bytes');
  const hex = Buffer.from(der).toString('hex');
  if (der.length !== 48 || !hex.startsWith(PKCS8_ED25519_PREFIX))
    throw new Error('node:crypto shim: only Ed25519 PKCS #8 private keys');
  return new KeyObject('private', der.slice(16));
}

export function verify(algorithm: unknown, data: Bytes, key: KeyObject, signature: Bytes): boolean {
  if (algorithm !== null && algorithm !== undefined)
    throw new Error('node:crypto shim: Ed25519 takes no digest algorithm');
  if (key.type !== 'public') key = createPublicKey(key);
  if (signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, bytesOf(data), key.raw, { zip215: false });
  } catch {
    return false;
  }
}

export function sign(algorithm: unknown, data: Bytes, key: KeyObject): Buffer {
  if (algorithm !== null && algorithm !== undefined)
    throw new Error('node:crypto shim: Ed25519 takes no digest algorithm');
  if (key.type !== 'private') throw new Error('node:crypto shim: sign needs a private key');
  return Buffer.from(ed25519.sign(bytesOf(data), key.raw));
}

export function randomBytes(n: number): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n)));
}

export function randomUUID(): string {
  return crypto.randomUUID();
}

export function generateKeyPairSync(): never {
  throw new Error('node:crypto shim: generateKeyPairSync is not available in the console');
}

export default {
  createHash,
  timingSafeEqual,
  createPublicKey,
  createPrivateKey,
  verify,
  sign,
  randomBytes,
  randomUUID,
  generateKeyPairSync,
  KeyObject,
};
