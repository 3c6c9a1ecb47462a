import { describe, expect, it } from 'vitest';
import { leafHash, leafHashHex, RFC6962_LEAF_PREFIX, sha256, sha256Hex } from '../../src/trust/index.js';

describe('hashes', () => {
  it('sha256Hex matches FIPS 180-2 examples', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes strings as UTF-8', () => {
    expect(sha256Hex('é€😀')).toBe(sha256Hex(new TextEncoder().encode('é€😀')));
    expect(Buffer.from(sha256('é')).toString('hex')).toBe(sha256Hex(Uint8Array.of(0xc3, 0xa9)));
  });

  it('leafHash is SHA-256(0x00 || bytes) as in RFC 6962 §2.1', () => {
    expect(RFC6962_LEAF_PREFIX).toBe(0);
    // The RFC 6962 hash of an empty leaf, as used by the transparency-dev and Certificate Transparency test data.
    expect(leafHashHex('')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(leafHashHex('L')).toBe(sha256Hex(Uint8Array.of(0x00, 0x4c)));
    expect(Buffer.from(leafHash('x')).toString('hex')).toBe(leafHashHex('x'));
    expect(leafHashHex('x')).not.toBe(sha256Hex('x'));
  });
});
