/** base64url without padding (RFC 4648 §5), strict: the decoder refuses anything the encoder would not produce. */

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decodes unpadded base64url, or returns undefined if `text` is not the canonical encoding of
 * some byte string (wrong alphabet, padding, impossible length, or non-zero trailing bits —
 * Node's own decoder accepts all of these, which would make signatures malleable as text).
 */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes);
}
