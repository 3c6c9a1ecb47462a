import { gunzipSync, gzipSync } from 'node:zlib';
import { fromBase64url, toBase64url } from './base64url.js';
import { TrustError } from './errors.js';

/**
 * W3C Bitstring Status List v1.0: one bit per credential (statusPurpose "revocation"), index 0 the
 * left-most (most significant) bit of the first byte. `encodedList` is the Multibase base64url
 * ("u" prefix, no padding) of the GZIP-compressed bitstring, which is at least 16 KB (131,072
 * entries) for herd privacy.
 */
export const STATUS_LIST_MIN_BITS = 131_072;
/** Refuse to inflate a list past 16 MB (a zip bomb would otherwise exhaust memory). */
export const STATUS_LIST_MAX_BYTES = 16 * 1024 * 1024;

function bad(reason: string, cause?: unknown): TrustError {
  return new TrustError(
    'BAD_STATUS_LIST',
    `status list: ${reason}`,
    cause === undefined ? { field: 'encodedList' } : { field: 'encodedList', cause },
  );
}

/** An all-zero bitstring of `bits` entries (a multiple of 8, at least 131,072). */
export function newStatusList(bits = STATUS_LIST_MIN_BITS): Uint8Array {
  if (
    !Number.isSafeInteger(bits) ||
    bits < STATUS_LIST_MIN_BITS ||
    bits % 8 !== 0 ||
    bits / 8 > STATUS_LIST_MAX_BYTES
  ) {
    throw bad(
      `size must be a multiple of 8 between ${STATUS_LIST_MIN_BITS} and ${STATUS_LIST_MAX_BYTES * 8} bits, got ${bits}`,
    );
  }
  return new Uint8Array(bits / 8);
}

function position(list: Uint8Array, index: number): [number, number] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= list.length * 8)
    throw bad(`index ${index} is outside the list (0–${list.length * 8 - 1})`);
  return [index >> 3, 0x80 >> (index & 7)];
}

export function getStatusBit(list: Uint8Array, index: number): boolean {
  const [byte, mask] = position(list, index);
  return ((list[byte] ?? 0) & mask) !== 0;
}

/** Sets or clears one entry, in place. */
export function setStatusBit(list: Uint8Array, index: number, value: boolean): void {
  const [byte, mask] = position(list, index);
  list[byte] = value ? (list[byte] ?? 0) | mask : (list[byte] ?? 0) & ~mask;
}

/** A list of the minimum size (or larger, to hold the highest index) with the given entries set. */
export function statusListWith(indexes: Iterable<number>): Uint8Array {
  const all = [...indexes];
  const needed = all.reduce((m, i) => Math.max(m, i + 1), 0);
  const list = newStatusList(Math.max(STATUS_LIST_MIN_BITS, Math.ceil(needed / 8) * 8));
  for (const i of all) setStatusBit(list, i, true);
  return list;
}

/** `encodedList`: "u" + base64url(GZIP(bitstring)). */
export function encodeStatusList(list: Uint8Array): string {
  if (list.length * 8 < STATUS_LIST_MIN_BITS)
    throw bad(`a bitstring must hold at least ${STATUS_LIST_MIN_BITS} entries, got ${list.length * 8}`);
  return `u${toBase64url(new Uint8Array(gzipSync(list)))}`;
}

/** Decodes `encodedList` (hostile input). Throws TrustError('BAD_STATUS_LIST'). */
export function decodeStatusList(encoded: string): Uint8Array {
  if (!encoded.startsWith('u'))
    throw bad('encodedList must start with the Multibase prefix "u" (base64url, no padding)');
  const compressed = fromBase64url(encoded.slice(1));
  if (compressed === undefined || compressed.length === 0) throw bad('encodedList is not unpadded base64url');
  let bytes: Buffer;
  try {
    bytes = gunzipSync(compressed, { maxOutputLength: STATUS_LIST_MAX_BYTES });
  } catch (e) {
    throw bad('encodedList is not GZIP data of at most 16 MB', e);
  }
  if (bytes.length * 8 < STATUS_LIST_MIN_BITS)
    throw bad(`the bitstring holds ${bytes.length * 8} entries, fewer than the minimum ${STATUS_LIST_MIN_BITS}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The JSON-LD types of a W3C Bitstring Status List credential (§2.2). */
export interface BitstringStatusListCredential {
  readonly '@context': readonly ['https://www.w3.org/ns/credentials/v2'];
  readonly id: string;
  readonly type: readonly ['VerifiableCredential', 'BitstringStatusListCredential'];
  readonly issuer: string;
  /** The JWT `iss` claim (VC-JOSE-COSE): the same as `issuer`. */
  readonly iss: string;
  readonly credentialSubject: {
    readonly id: string;
    readonly type: 'BitstringStatusList';
    readonly statusPurpose: 'revocation';
    readonly encodedList: string;
  };
}

/** A revocation BitstringStatusListCredential published at `url`, issued by `issuer`, with these entries set. */
export function revocationListCredential(
  url: string,
  issuer: string,
  revoked: Iterable<number>,
): BitstringStatusListCredential {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer,
    iss: issuer,
    credentialSubject: {
      id: `${url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      encodedList: encodeStatusList(statusListWith(revoked)),
    },
  };
}
