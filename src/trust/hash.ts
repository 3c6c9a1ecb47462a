import { createHash } from 'node:crypto';

/**
 * RFC 6962 §2.1 domain separation: a leaf hash is SHA-256(0x00 || leaf bytes) and an interior
 * node hash is SHA-256(0x01 || left || right), so a leaf can never be passed off as a node.
 */
export const RFC6962_LEAF_PREFIX = 0x00;

const utf8 = new TextEncoder();

/** Strings are hashed as their UTF-8 bytes. */
function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? utf8.encode(data) : data;
}

export function sha256(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytesOf(data)).digest());
}

/** Lower-case hex SHA-256. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(bytesOf(data)).digest('hex');
}

/** RFC 6962 leaf hash: SHA-256(0x00 || bytes). */
export function leafHash(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Uint8Array.of(RFC6962_LEAF_PREFIX)).update(bytesOf(data)).digest());
}

/** RFC 6962 leaf hash as lower-case hex. */
export function leafHashHex(data: string | Uint8Array): string {
  return Buffer.from(leafHash(data)).toString('hex');
}
