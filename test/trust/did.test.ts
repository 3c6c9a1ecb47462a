import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePublicUrl } from '../../src/app/index.js';
import { ValidationError } from '../../src/domain/index.js';
import {
  decodeCredential,
  didDocumentUrl,
  didWebFor,
  generalJws,
  generateKeyPair,
  keyReference,
  parseKeyReference,
  partyDid,
  signCredential,
  signerFromPem,
  TrustError,
  VC_V2_CONTEXT,
  verifyCertificate,
  type EndUserCertificateCredential,
} from '../../src/trust/index.js';

const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}$/);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const segments = fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/), { maxLength: 3 });
const partyId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,30}$/);

describe('did:web key references', () => {
  it('property: a party DID URL names its key and party, and resolves to <public URL>/parties/<id>/did.json', () => {
    const key = generateKeyPair();
    fc.assert(
      fc.property(host, port, segments, partyId, (h, p, path, party) => {
        const base = `https://${h}${p === undefined || p === 443 ? '' : `:${String(p)}`}${path.map((s) => `/${s}`).join('')}`;
        const publicUrl = parsePublicUrl(base);
        const did = partyDid(publicUrl, party);
        expect(parseKeyReference(keyReference(did, key.keyId))).toEqual({ keyId: key.keyId, did, partyId: party });
        expect(didDocumentUrl(did)).toBe(`${publicUrl}/parties/${party}/did.json`);
        expect(didDocumentUrl(didWebFor(publicUrl))).toBe(
          path.length === 0 ? `${publicUrl}/.well-known/did.json` : `${publicUrl}/did.json`,
        );
      }),
    );
  });

  it('encodes the port as %3A (did:web §3.1) and reads bare key ids as before', () => {
    expect(partyDid('http://localhost:8080', 'acme-magnets')).toBe('did:web:localhost%3A8080:parties:acme-magnets');
    const key = generateKeyPair();
    expect(parseKeyReference(key.keyId)).toEqual({ keyId: key.keyId });
    for (const bad of [
      '',
      'ed25519:short',
      `did:example:x#${key.keyId}`,
      `did:web:h#rsa:${key.keyId}`,
      `did:web:h:parties:x#${key.keyId}#x`,
      `did:web:a b#${key.keyId}`,
    ]) {
      expect(parseKeyReference(bad)).toBeUndefined();
    }
  });

  it('refuses a public URL that is not absolute http(s), or carries credentials, a query or a fragment, naming the field', () => {
    expect(parsePublicUrl('https://Lodestone.Example.org/')).toBe('https://lodestone.example.org');
    for (const bad of [
      'lodestone.example.org',
      'ftp://x.org',
      'https://u:p@x.org',
      'https://x.org/?a=1',
      'https://x.org/#f',
    ]) {
      expect(() => parsePublicUrl(bad, '--public-url')).toThrow(ValidationError);
      expect(() => parsePublicUrl(bad, '--public-url')).toThrow(/^--public-url: /);
    }
  });
});

describe('JWS serializations (RFC 7515 §7)', () => {
  const endUser = generateKeyPair();
  const credential: EndUserCertificateCredential = {
    '@context': [VC_V2_CONTEXT, 'https://lodestone.example.org/ns/credentials/v1'],
    type: ['VerifiableCredential', 'EndUserCertificate'],
    id: 'urn:uuid:0b6c1f0e-3f5e-4c1a-9d55-6f4f7f0f2a11',
    issuer: 'urn:lodestone:party:chakan-drive-systems',
    iss: 'urn:lodestone:party:chakan-drive-systems',
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2026-12-31T23:59:59Z',
    credentialStatus: {
      id: 'https://lodestone.example.org/status-lists/chakan-drive-systems/revocation#7',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '7',
      statusListCredential: 'https://lodestone.example.org/status-lists/chakan-drive-systems/revocation',
    },
    credentialSubject: { id: 'urn:lodestone:party:chakan-drive-systems', grams: 2000000 },
  };
  const did = partyDid('https://lodestone.example.org', 'chakan-drive-systems');
  const lookup = (keyId: string) =>
    keyId === endUser.keyId ? { partyId: 'chakan-drive-systems', publicKey: endUser.publicKey } : undefined;

  it('compact, flattened and general forms decode to the same general JWS, parts as received', async () => {
    const jws = await signCredential(
      credential,
      signerFromPem(endUser.privateKeyPem),
      keyReference(did, endUser.keyId),
    );
    const [sig] = jws.signatures;
    if (sig === undefined) throw new Error('unsigned');
    const forms = [`${sig.protected}.${jws.payload}.${sig.signature}`, { payload: jws.payload, ...sig }, jws];
    for (const form of forms) {
      expect(generalJws(form)).toEqual({ payload: jws.payload, signatures: [sig] });
      expect((await verifyCertificate(form, lookup)).signers).toEqual([
        { role: 'end-user', partyId: 'chakan-drive-systems', kid: endUser.keyId },
      ]);
    }
    expect(decodeCredential(forms[0]).kids).toEqual([keyReference(did, endUser.keyId)]);
  });

  it('refuses iss ≠ issuer, and a kid whose DID names another party than the key holder', async () => {
    expect(() => decodeCredential({ payload: '', signatures: [] })).toThrow(TrustError);
    await expect(
      signCredential({ ...credential, iss: 'urn:lodestone:party:mallory' }, signerFromPem(endUser.privateKeyPem)),
    ).rejects.toThrow(/credential\.iss: must be the same as issuer/);
    const other = keyReference(partyDid('https://lodestone.example.org', 'mallory-trading'), endUser.keyId);
    const jws = await signCredential(credential, signerFromPem(endUser.privateKeyPem), other);
    await expect(verifyCertificate(jws, lookup)).rejects.toThrow(
      /names party "mallory-trading", but key \S+ belongs to "chakan-drive-systems"/,
    );
  });
});
