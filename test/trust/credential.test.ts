import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  countersignCredential,
  decodeCredential,
  decodeStatusList,
  encodeStatusList,
  generateKeyPair,
  getStatusBit,
  LODESTONE_CREDENTIALS_CONTEXT,
  newStatusList,
  setStatusBit,
  signCredential,
  signerFromPem,
  STATUS_LIST_MIN_BITS,
  statusListWith,
  toBase64url,
  TrustError,
  VC_V2_CONTEXT,
  verifyCertificate,
  type CredentialJws,
  type EndUserCertificateCredential,
  type KeyPair,
  type SignerLookup,
} from '../../src/trust/index.js';
import { expectRejectsCode, expectThrowsCode } from '../support/errors.js';

const endUser = generateKeyPair();
const government = generateKeyPair();
const mallory = generateKeyPair();
const keys: Record<string, [string, KeyPair]> = {
  [endUser.keyId]: ['chakan-drive-systems', endUser],
  [government.keyId]: ['india-dgft', government],
  [mallory.keyId]: ['mallory-trading', mallory],
};
const lookup: SignerLookup = (kid) => {
  const k = keys[kid];
  return k === undefined ? undefined : { partyId: k[0], publicKey: k[1].publicKey };
};
const utf8 = new TextEncoder();

const credential: EndUserCertificateCredential = {
  '@context': [VC_V2_CONTEXT, LODESTONE_CREDENTIALS_CONTEXT],
  type: ['VerifiableCredential', 'EndUserCertificate'],
  id: 'urn:uuid:0b6c1f0e-3f5e-4c1a-9d55-6f4f7f0f2a11',
  issuer: 'urn:lodestone:party:chakan-drive-systems',
  validFrom: '2026-01-01T00:00:00Z',
  validUntil: '2026-12-31T23:59:59Z',
  credentialStatus: {
    id: 'urn:lodestone:status:certificates#7',
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: '7',
    statusListCredential: 'urn:lodestone:status:certificates',
  },
  credentialSubject: {
    id: 'urn:lodestone:party:chakan-drive-systems',
    undertakings: { noReexportTo: ['US'] },
    grams: 2000000,
  },
};

const signed = await signCredential(credential, signerFromPem(endUser.privateKeyPem));
const countersigned = await countersignCredential(signed, signerFromPem(government.privateKeyPem));

function header(jws: CredentialJws, i: number): unknown {
  return JSON.parse(Buffer.from(jws.signatures[i]?.protected ?? '', 'base64url').toString('utf8')) as unknown;
}
function withPayload(jws: CredentialJws, text: string): CredentialJws {
  return { ...jws, payload: toBase64url(utf8.encode(text)) };
}

describe('end-user certificate credentials (VC 2.0 secured as General JWS)', () => {
  it('signs the canonical JSON with EdDSA and a vc+jwt protected header', async () => {
    expect(Buffer.from(signed.payload, 'base64url').toString('utf8')).toBe(canonicalJson(credential));
    expect(header(signed, 0)).toEqual({ alg: 'EdDSA', cty: 'vc', kid: endUser.keyId, typ: 'vc+jwt' });
    const v = await verifyCertificate(signed, lookup);
    expect(v.credential).toEqual(credential);
    expect(v.issuer).toBe('chakan-drive-systems');
    expect(v.signers).toEqual([{ role: 'end-user', partyId: 'chakan-drive-systems', kid: endUser.keyId }]);
  });

  it('a countersignature keeps the payload and the first signature, and both verify', async () => {
    expect(countersigned.payload).toBe(signed.payload);
    expect(countersigned.signatures[0]).toEqual(signed.signatures[0]);
    expect(countersigned.signatures).toHaveLength(2);
    const v = await verifyCertificate(JSON.parse(JSON.stringify(countersigned)) as unknown, lookup);
    expect(v.signers.map((s) => [s.role, s.partyId])).toEqual([
      ['end-user', 'chakan-drive-systems'],
      ['countersigner', 'india-dgft'],
    ]);
  });

  it('refuses a tampered payload (every signature is over the original)', async () => {
    const tampered = withPayload(countersigned, canonicalJson({ ...credential, validUntil: '2030-12-31T23:59:59Z' }));
    const e = await expectRejectsCode(verifyCertificate(tampered, lookup), TrustError, 'BAD_SIGNATURE');
    expect(e.message).toMatch(/signatures\[0\]/);
  });

  it('property: changing any one byte of the payload or a signature is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (inPayload, at, xor) => {
        const target = inPayload
          ? Buffer.from(countersigned.payload, 'base64url')
          : Buffer.from(countersigned.signatures[1]?.signature ?? '', 'base64url');
        const i = at % target.length;
        target[i] = (target[i] ?? 0) ^ xor;
        const jws: CredentialJws = inPayload
          ? { ...countersigned, payload: target.toString('base64url') }
          : {
              ...countersigned,
              signatures: [
                countersigned.signatures[0]!,
                { ...countersigned.signatures[1]!, signature: target.toString('base64url') },
              ],
            };
        await expect(verifyCertificate(jws, lookup)).rejects.toBeInstanceOf(TrustError);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses swapped signatures: the first must be the issuer's", async () => {
    const swapped = { ...countersigned, signatures: [countersigned.signatures[1]!, countersigned.signatures[0]!] };
    const e = await expectRejectsCode(verifyCertificate(swapped, lookup), TrustError, 'WRONG_SIGNER');
    expect(e.message).toMatch(/first signature must be the issuer's/);
    const mixed = {
      ...countersigned,
      signatures: [{ ...countersigned.signatures[0]!, signature: countersigned.signatures[1]!.signature }],
    };
    await expectRejectsCode(verifyCertificate(mixed, lookup), TrustError, 'BAD_SIGNATURE');
  });

  it('refuses a wrong kid, an unknown kid, and a key that is not the one the kid names', async () => {
    const bySomeoneElse = await signCredential(credential, signerFromPem(mallory.privateKeyPem));
    await expectRejectsCode(verifyCertificate(bySomeoneElse, lookup), TrustError, 'WRONG_SIGNER');
    await expectRejectsCode(
      verifyCertificate(signed, () => undefined),
      TrustError,
      'UNKNOWN_KEY',
    );
    await expectRejectsCode(
      verifyCertificate(signed, () => ({ partyId: 'chakan-drive-systems', publicKey: mallory.publicKey })),
      TrustError,
      'KEY_MISMATCH',
    );
    // A header naming the end user's kid over Mallory's signature.
    const relabelled = {
      ...bySomeoneElse,
      signatures: [{ ...bySomeoneElse.signatures[0]!, protected: signed.signatures[0]!.protected }],
    };
    await expectRejectsCode(verifyCertificate(relabelled, lookup), TrustError, 'BAD_SIGNATURE');
  });

  it('refuses a non-canonical payload even when it is validly signed', async () => {
    const pretty = JSON.stringify(credential, null, 1);
    const { GeneralSign } = await import('jose');
    const jws = await new GeneralSign(utf8.encode(pretty))
      .addSignature(signerFromPem(endUser.privateKeyPem).privateKey)
      .setProtectedHeader({ alg: 'EdDSA', cty: 'vc', kid: endUser.keyId, typ: 'vc+jwt' })
      .sign();
    await expectRejectsCode(verifyCertificate(jws, lookup), TrustError, 'NOT_CANONICAL');
  });

  it('refuses malformed JWS and credential shapes, naming the field', async () => {
    const cases: [unknown, string, RegExp][] = [
      [null, 'MALFORMED_CREDENTIAL', /jws/],
      [{ ...signed, extra: 1 }, 'MALFORMED_CREDENTIAL', /extra: unknown field/],
      [{ ...signed, signatures: [] }, 'MALFORMED_CREDENTIAL', /signatures: must be a non-empty array/],
      [
        { ...signed, signatures: [{ ...signed.signatures[0], header: { kid: 'x' } }] },
        'MALFORMED_CREDENTIAL',
        /signatures\[0\]\.header: unknown field/,
      ],
      [{ ...signed, payload: `${signed.payload}=` }, 'MALFORMED_CREDENTIAL', /payload: must be unpadded base64url/],
      [
        withPayload(signed, canonicalJson({ ...credential, issuer: 'did:example:x' })),
        'MALFORMED_CREDENTIAL',
        /credential\.issuer/,
      ],
      [
        withPayload(signed, canonicalJson({ ...credential, validUntil: '2025-01-01T00:00:00Z' })),
        'MALFORMED_CREDENTIAL',
        /credential\.validUntil/,
      ],
      [
        withPayload(signed, canonicalJson({ ...credential, type: ['VerifiableCredential'] })),
        'MALFORMED_CREDENTIAL',
        /credential\.type/,
      ],
      [
        { ...countersigned, signatures: [countersigned.signatures[0], countersigned.signatures[0]] },
        'WRONG_SIGNER',
        /signs twice/,
      ],
    ];
    for (const [input, code, message] of cases) {
      const e = await expectRejectsCode(verifyCertificate(input, lookup), TrustError, code as TrustError['code']);
      expect(e.message).toMatch(message);
    }
    const noneAlg = toBase64url(
      utf8.encode(canonicalJson({ alg: 'none', cty: 'vc', kid: endUser.keyId, typ: 'vc+jwt' })),
    );
    const e = expectThrowsCode(
      () => decodeCredential({ ...signed, signatures: [{ ...signed.signatures[0]!, protected: noneAlg }] }),
      TrustError,
      'MALFORMED_CREDENTIAL',
    );
    expect(e.message).toMatch(/alg: must be "EdDSA"/);
  });

  it('refuses to countersign twice with the same key', async () => {
    await expectRejectsCode(
      countersignCredential(countersigned, signerFromPem(government.privateKeyPem)),
      TrustError,
      'WRONG_SIGNER',
    );
  });
});

describe('bitstring status list', () => {
  it('encodes with the Multibase "u" prefix, GZIP, and at least 16 KB', () => {
    const encoded = encodeStatusList(newStatusList());
    expect(encoded.startsWith('uH4sI')).toBe(true); // "u" + base64url of the GZIP magic 1f 8b 08
    expect(decodeStatusList(encoded)).toHaveLength(STATUS_LIST_MIN_BITS / 8);
  });

  it('index 0 is the left-most bit of the first byte', () => {
    const list = newStatusList();
    setStatusBit(list, 0, true);
    setStatusBit(list, 9, true);
    expect([list[0], list[1]]).toEqual([0x80, 0x40]);
  });

  it('property: set bits round-trip through encode/decode, and nothing else is set', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: STATUS_LIST_MIN_BITS * 2 - 1 }), { maxLength: 40 }),
        fc.nat({ max: STATUS_LIST_MIN_BITS - 1 }),
        (indexes, probe) => {
          const decoded = decodeStatusList(encodeStatusList(statusListWith(indexes)));
          for (const i of indexes) expect(getStatusBit(decoded, i)).toBe(true);
          expect(getStatusBit(decoded, probe)).toBe(indexes.includes(probe));
          setStatusBit(decoded, probe, false);
          expect(getStatusBit(decoded, probe)).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses short lists, bad encodings and indexes outside the list', () => {
    expectThrowsCode(
      () => decodeStatusList(`u${toBase64url(new Uint8Array(gzipSync(new Uint8Array(100))))}`),
      TrustError,
      'BAD_STATUS_LIST',
    );
    expectThrowsCode(() => decodeStatusList(encodeStatusList(newStatusList()).slice(1)), TrustError, 'BAD_STATUS_LIST');
    expectThrowsCode(() => decodeStatusList('unot-gzip'), TrustError, 'BAD_STATUS_LIST');
    expectThrowsCode(() => getStatusBit(newStatusList(), STATUS_LIST_MIN_BITS), TrustError, 'BAD_STATUS_LIST');
    expectThrowsCode(() => newStatusList(8), TrustError, 'BAD_STATUS_LIST');
  });
});
