import { CompactSign, FlattenedSign, GeneralSign, flattenedVerify } from 'jose';
import { z } from 'zod';
import { deepFreeze, describeJsonShapeProblem, jsonShapeProblem } from '../domain/index.js';
import { fromBase64url } from './base64url.js';
import { canonicalJson, parseCanonicalJson } from './canonical.js';
import { parseKeyReference } from './did.js';
import { TrustError } from './errors.js';
import { keyIdFor, publicKeyFromRaw, rawPublicKey, type Signer } from './keys.js';

/**
 * End-user certificates as W3C Verifiable Credentials 2.0, secured with JOSE (VC-JOSE-COSE §3.1):
 * the JWS payload is the UTF-8 of the RFC 8785 canonical JSON of the credential; each signature is
 * EdDSA (Ed25519) with protected header `{ alg: "EdDSA", cty: "vc", kid, typ: "vc+jwt" }`. We use
 * the General JWS JSON Serialization (RFC 7515 §7.2.1) so that a second party can countersign the
 * same payload: signature 0 is the issuer's (the end user), signatures 1… are countersignatures
 * (the importing government). Adding a countersignature never changes the payload.
 *
 * What is taken from outside may be any of the three serializations of RFC 7515 §7 (compact,
 * flattened JSON, general JSON); it is kept as the general form with each protected header and
 * signature exactly as received, and each signature is verified over the protected-header bytes
 * as received (§5.2), so the header members may come in any order. `kid` is a did:web DID URL
 * (see did.ts) or, in certificates issued before those, a bare key id.
 */

export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
/** The @context of certificates issued before the context document was served by each deployment. */
export const LODESTONE_CREDENTIALS_CONTEXT = 'https://lodestone.example/ns/credentials/v1';
/** Where a deployment serves its credentials context document (under its public URL). */
export const CREDENTIALS_CONTEXT_PATH = '/ns/credentials/v1';
export const END_USER_CERTIFICATE_TYPE = 'EndUserCertificate';
/** Header values prescribed by VC-JOSE-COSE for JOSE-secured credentials. */
export const VC_JWS_TYP = 'vc+jwt';
export const VC_JWS_CTY = 'vc';
export const MAX_SIGNATURES = 4;
const MAX_PAYLOAD_BYTES = 1024 * 1024;

const PARTY_URN = /^urn:lodestone:party:([a-z0-9][a-z0-9-]{1,62})$/;
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DEPLOYMENT_CONTEXT = /^https?:\/\/[^\s?#]{1,300}\/ns\/credentials\/v1$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function partyUrn(partyId: string): string {
  const urn = `urn:lodestone:party:${partyId}`;
  if (!PARTY_URN.test(urn)) throw new TrustError('MALFORMED_CREDENTIAL', `not a party id: ${JSON.stringify(partyId)}`);
  return urn;
}

/** The party id in `urn:lodestone:party:<id>`, or undefined. */
export function partyFromUrn(urn: string): string | undefined {
  return PARTY_URN.exec(urn)?.[1];
}

function isDateTime(s: string): boolean {
  if (!DATE_TIME.test(s) || s.startsWith('0000')) return false;
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.toISOString().replace('.000Z', 'Z') === s;
}

const dateTime = z.string().refine(isDateTime, { message: 'must be a UTC date-time such as "2026-01-01T00:00:00Z"' });

export interface BitstringStatusListEntry {
  readonly id: string;
  readonly type: 'BitstringStatusListEntry';
  readonly statusPurpose: 'revocation';
  /** A non-negative integer in base 10, as a string (Bitstring Status List §2.1). */
  readonly statusListIndex: string;
  readonly statusListCredential: string;
}

export interface CredentialSubject {
  readonly id: string;
  readonly [claim: string]: unknown;
}

/** The credentials context of a deployment (or the legacy one). */
export function isCredentialsContext(url: string): boolean {
  return url === LODESTONE_CREDENTIALS_CONTEXT || DEPLOYMENT_CONTEXT.test(url);
}

export interface EndUserCertificateCredential {
  /** The second is `<public URL>/ns/credentials/v1`, or LODESTONE_CREDENTIALS_CONTEXT in older certificates. */
  readonly '@context': readonly [typeof VC_V2_CONTEXT, string];
  readonly type: readonly ['VerifiableCredential', typeof END_USER_CERTIFICATE_TYPE];
  /** urn:uuid:… */
  readonly id: string;
  /** The end user, as urn:lodestone:party:<id>. */
  readonly issuer: string;
  /** The JWT `iss` claim (VC-JOSE-COSE §3.1.1): the same as `issuer`. Absent in older certificates. */
  readonly iss?: string;
  readonly validFrom: string;
  readonly validUntil: string;
  readonly credentialStatus: BitstringStatusListEntry;
  readonly credentialSubject: CredentialSubject;
}

const statusEntrySchema = z
  .object({
    id: z.string().min(1).max(300),
    type: z.literal('BitstringStatusListEntry'),
    statusPurpose: z.literal('revocation'),
    statusListIndex: z.string().regex(/^(0|[1-9]\d{0,8})$/, 'must be a non-negative integer in base 10 (a string)'),
    statusListCredential: z.string().min(1).max(300),
  })
  .strict();

const credentialSchema = z
  .object({
    '@context': z.tuple([
      z.literal(VC_V2_CONTEXT),
      z
        .string()
        .refine(isCredentialsContext, { message: `must be the deployment's <public URL>${CREDENTIALS_CONTEXT_PATH}` }),
    ]),
    type: z.tuple([z.literal('VerifiableCredential'), z.literal(END_USER_CERTIFICATE_TYPE)]),
    id: z.string().regex(UUID_URN, 'must be a urn:uuid: with a lower-case UUID'),
    issuer: z.string().regex(PARTY_URN, 'must be urn:lodestone:party:<party id>'),
    iss: z.string().max(300).optional(),
    validFrom: dateTime,
    validUntil: dateTime,
    credentialStatus: statusEntrySchema,
    credentialSubject: z.looseObject({ id: z.string().min(1).max(300) }),
  })
  .strict()
  .refine((c) => c.validFrom < c.validUntil, { message: 'validUntil must be after validFrom', path: ['validUntil'] })
  .refine((c) => c.iss === undefined || c.iss === c.issuer, {
    message: 'must be the same as issuer (VC-JOSE-COSE)',
    path: ['iss'],
  });

/** Checks a credential's shape (not its subject's meaning). Throws TrustError('MALFORMED_CREDENTIAL') naming the field. */
export function parseCredential(input: unknown): EndUserCertificateCredential {
  const r = credentialSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = ['credential', ...(issue?.path.map(String) ?? [])].join('.');
    throw new TrustError(
      'MALFORMED_CREDENTIAL',
      `${field}: ${issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : (issue?.message ?? 'is invalid')}`,
      { field },
    );
  }
  return input as EndUserCertificateCredential;
}

/** One signature of a General JWS: the protected header (base64url) and the signature (base64url). */
export interface JwsSignature {
  readonly protected: string;
  readonly signature: string;
}

/** A credential as a General JWS JSON Serialization. */
export interface CredentialJws {
  readonly payload: string;
  readonly signatures: readonly JwsSignature[];
}

export interface ProtectedHeader {
  readonly alg: 'EdDSA';
  /** "vc" when present (VC-JOSE-COSE: cty is optional). */
  readonly cty?: typeof VC_JWS_CTY;
  /** A did:web DID URL of the signer's key (`<DID>#ed25519:…`), or a bare key id (older certificates). */
  readonly kid: string;
  readonly typ: typeof VC_JWS_TYP;
}

/** A JWS whose shape, headers and canonical payload have been checked, but not its signatures. */
export interface DecodedCredential {
  readonly jws: CredentialJws;
  readonly credential: EndUserCertificateCredential;
  /** The payload as text: canonicalJson(credential). */
  readonly canonical: string;
  /** The `kid` of each signature, in order, as received. */
  readonly kids: readonly string[];
  /** The key id (`ed25519:…`) each kid names, in order. */
  readonly keyIds: readonly string[];
}

export type SignerRole = 'end-user' | 'countersigner';

export interface CredentialSigner {
  readonly role: SignerRole;
  readonly partyId: string;
  /** The key id (`ed25519:…`) the signature's kid names. */
  readonly kid: string;
}

export interface VerifiedCredential extends DecodedCredential {
  readonly issuer: string;
  /** signers[0] is the end user (the issuer); the rest countersigned. */
  readonly signers: readonly CredentialSigner[];
}

/** The party holding a key, and the raw Ed25519 public key (base64url). */
export interface SignerKey {
  readonly partyId: string;
  readonly publicKey: string;
}

/** Finds who holds a key id (`ed25519:…`); undefined if the key is unknown (or must not be trusted). */
export type SignerLookup = (keyId: string) => SignerKey | undefined | Promise<SignerKey | undefined>;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const B64URL = /^[A-Za-z0-9_-]+$/;
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const HEADER_MEMBERS: readonly string[] = ['alg', 'cty', 'kid', 'typ'];

function malformed(field: string, reason: string): TrustError {
  return new TrustError('MALFORMED_CREDENTIAL', `${field}: ${reason}`, { field });
}

function headerFor(kid: string): ProtectedHeader {
  // Keys in canonical (sorted) order, so the encoded header is canonical JSON.
  return { alg: 'EdDSA', cty: VC_JWS_CTY, kid, typ: VC_JWS_TYP };
}

/** The kid to sign with: the signer's key id, or a DID URL whose fragment is it. */
function signingKid(signer: Signer, kid: string | undefined): string {
  const expected = keyIdFor(rawPublicKey(signer.privateKey));
  if (signer.keyId !== expected)
    throw new TrustError('KEY_MISMATCH', `signer key id ${signer.keyId} does not match its private key (${expected})`);
  if (kid === undefined) return signer.keyId;
  if (parseKeyReference(kid)?.keyId !== signer.keyId)
    throw new TrustError('KEY_MISMATCH', `kid ${kid} does not name the signer's key ${signer.keyId}`, { field: 'kid' });
  return kid;
}

/**
 * Signs a credential as its issuer: a General JWS with one signature over its canonical JSON.
 * `kid` (default the bare key id) is the key reference put in the protected header.
 */
export async function signCredential(
  credential: EndUserCertificateCredential,
  signer: Signer,
  kid?: string,
): Promise<CredentialJws> {
  const checked = parseCredential(credential);
  const header = headerFor(signingKid(signer, kid));
  const canonical = canonicalJson(checked);
  const jws = await new GeneralSign(utf8.encode(canonical))
    .addSignature(signer.privateKey)
    .setProtectedHeader({ ...header })
    .sign();
  const out: CredentialJws = {
    payload: jws.payload,
    signatures: jws.signatures.map((s) => ({ protected: s.protected ?? '', signature: s.signature })),
  };
  decodeCredential(out);
  return deepFreeze(out);
}

/**
 * Adds a countersignature over the same payload. The JWS is checked structurally first (the caller
 * verifies the existing signatures); the payload is left byte for byte as it was.
 */
export async function countersignCredential(jws: unknown, signer: Signer, kid?: string): Promise<CredentialJws> {
  const decoded = decodeCredential(jws);
  const header = headerFor(signingKid(signer, kid));
  if (decoded.keyIds.includes(signer.keyId))
    throw new TrustError('WRONG_SIGNER', `key ${signer.keyId} has already signed this credential`, {
      field: 'signatures',
    });
  if (decoded.kids.length >= MAX_SIGNATURES) throw malformed('signatures', `at most ${MAX_SIGNATURES} signatures`);
  const payload = fromBase64url(decoded.jws.payload);
  if (payload === undefined) throw malformed('payload', 'must be unpadded base64url');
  const added = await new FlattenedSign(payload).setProtectedHeader({ ...header }).sign(signer.privateKey);
  if (added.payload !== decoded.jws.payload || added.protected === undefined)
    throw new TrustError('MALFORMED_CREDENTIAL', 'countersigning would change the payload');
  return deepFreeze({
    payload: decoded.jws.payload,
    signatures: [...decoded.jws.signatures, { protected: added.protected, signature: added.signature }],
  });
}

/**
 * Secures any credential the same way (VC-JOSE-COSE §3.1.1), as a compact JWS: protected header
 * `{ alg: "EdDSA", cty: "vc", kid, typ: "vc+jwt" }`, payload its RFC 8785 canonical JSON. For
 * credentials that are published rather than countersigned (the status lists).
 */
export async function signCompactCredential(credential: object, signer: Signer, kid?: string): Promise<string> {
  const header = headerFor(signingKid(signer, kid));
  return new CompactSign(utf8.encode(canonicalJson(credential)))
    .setProtectedHeader({ ...header })
    .sign(signer.privateKey);
}

function exactObject(input: unknown, name: string, keys: readonly string[]): Record<string, unknown> {
  const obj = plainObject(input, name);
  for (const key of Object.keys(obj))
    if (!keys.includes(key)) throw malformed(`${name}.${key}`, 'unknown field (only protected headers are accepted)');
  for (const key of keys)
    if (!Object.hasOwn(obj, key) || typeof obj[key] !== 'string')
      throw malformed(`${name}.${key}`, 'is required (a string)');
  return obj;
}

function plainObject(input: unknown, name: string): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw malformed(name, 'must be an object');
  const proto: unknown = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) throw malformed(name, 'must be a plain object');
  return input as Record<string, unknown>;
}

function partText(text: string, field: string): string {
  const bytes = fromBase64url(text);
  if (bytes === undefined) throw malformed(field, 'must be unpadded base64url');
  if (bytes.length > MAX_PAYLOAD_BYTES) throw malformed(field, `is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  try {
    return strictUtf8.decode(bytes);
  } catch (e) {
    throw new TrustError('MALFORMED_CREDENTIAL', `${field}: is not UTF-8`, { field, cause: e });
  }
}

/** The payload: the RFC 8785 canonical JSON of the credential (our records are canonical). */
function decodePayload(text: string): unknown {
  try {
    return parseCanonicalJson(partText(text, 'payload'));
  } catch (e) {
    if (e instanceof TrustError && e.code !== 'MALFORMED_CREDENTIAL')
      throw new TrustError('NOT_CANONICAL', `payload: ${e.message}`, { field: 'payload', cause: e });
    throw e;
  }
}

/**
 * A protected header: any JSON object (members in any order, any spacing, RFC 7515 §4), but one
 * reading only: a member named twice is refused.
 */
function decodeHeader(text: string, field: string): unknown {
  const json = partText(text, field);
  const shape = jsonShapeProblem(json, field);
  if (shape !== undefined) throw malformed(shape.path === '' ? field : shape.path, describeJsonShapeProblem(shape));
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new TrustError('MALFORMED_CREDENTIAL', `${field}: is not JSON (${(e as Error).message})`, {
      field,
      cause: e,
    });
  }
}

/**
 * Any JWS serialization of RFC 7515 §7 as the general JSON form, parts as received: a compact
 * string `header.payload.signature`, a flattened `{ payload, protected, signature }` or a general
 * `{ payload, signatures }`. Unprotected headers (`header`) and detached payloads are refused.
 */
export function generalJws(input: unknown): { readonly payload: unknown; readonly signatures: unknown } {
  if (typeof input === 'string') {
    if (!COMPACT.test(input))
      throw new TrustError(
        'MALFORMED_CREDENTIAL',
        'a compact JWS is three base64url parts joined by "." (header.payload.signature)',
      );
    const [protectedHeader, payload, signature] = input.split('.');
    return { payload, signatures: [{ protected: protectedHeader, signature }] };
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TrustError(
      'MALFORMED_CREDENTIAL',
      'must be a jws in an RFC 7515 serialization: compact (a string), flattened { payload, protected, signature } or general { payload, signatures }',
    );
  }
  const obj = input as Record<string, unknown>;
  if (Object.hasOwn(obj, 'signatures')) {
    for (const key of Object.keys(obj))
      if (key !== 'payload' && key !== 'signatures') throw malformed(key, 'unknown field');
    return { payload: obj.payload, signatures: obj.signatures };
  }
  for (const key of Object.keys(obj))
    if (!['payload', 'protected', 'signature'].includes(key))
      throw malformed(key, 'unknown field (only protected headers are accepted)');
  return { payload: obj.payload, signatures: [{ protected: obj.protected, signature: obj.signature }] };
}

/**
 * Checks a credential JWS from anywhere (hostile input) without verifying signatures: any of the
 * three serializations (`generalJws`), no unprotected headers, each protected header exactly
 * `{ alg: "EdDSA", kid, typ: "vc+jwt" }` and optionally `cty: "vc"`, in any order, kids naming
 * distinct keys, and a payload that is the canonical JSON of a well-formed credential.
 */
export function decodeCredential(input: unknown): DecodedCredential {
  const top = generalJws(input);
  if (typeof top.payload !== 'string') throw malformed('payload', 'is required (base64url of the credential)');
  if (!Array.isArray(top.signatures) || top.signatures.length === 0)
    throw malformed('signatures', 'must be a non-empty array');
  if (top.signatures.length > MAX_SIGNATURES) throw malformed('signatures', `at most ${MAX_SIGNATURES} signatures`);
  const signatures: JwsSignature[] = [];
  const kids: string[] = [];
  const keyIds: string[] = [];
  (top.signatures as unknown[]).forEach((s, i) => {
    const sig = exactObject(s, `signatures[${i}]`, ['protected', 'signature']);
    const field = `signatures[${i}].protected`;
    if (!B64URL.test(sig.protected as string)) throw malformed(field, 'must be unpadded base64url');
    const { kid, keyId } = exactHeader(decodeHeader(sig.protected as string, field), field);
    if (keyIds.includes(keyId))
      throw new TrustError('WRONG_SIGNER', `signatures[${i}]: key ${keyId} signs twice`, { field: `${field}.kid` });
    const raw = fromBase64url(sig.signature as string);
    if (raw?.length !== 64)
      throw malformed(`signatures[${i}].signature`, 'must be a 64-byte Ed25519 signature as unpadded base64url');
    kids.push(kid);
    keyIds.push(keyId);
    signatures.push({ protected: sig.protected as string, signature: sig.signature as string });
  });
  const credential = parseCredential(decodePayload(top.payload));
  const canonical = canonicalJson(credential);
  return deepFreeze({ jws: { payload: top.payload, signatures }, credential, canonical, kids, keyIds });
}

function exactHeader(input: unknown, field: string): { kid: string; keyId: string } {
  const h = plainObject(input, field);
  for (const key of Object.keys(h))
    if (!HEADER_MEMBERS.includes(key))
      throw malformed(`${field}.${key}`, `unknown header parameter (only ${HEADER_MEMBERS.join(', ')})`);
  if (h.alg !== 'EdDSA') throw malformed(`${field}.alg`, 'must be "EdDSA"');
  if (h.typ !== VC_JWS_TYP) throw malformed(`${field}.typ`, `must be "${VC_JWS_TYP}"`);
  if (Object.hasOwn(h, 'cty') && h.cty !== VC_JWS_CTY)
    throw malformed(`${field}.cty`, `must be "${VC_JWS_CTY}" when present`);
  const ref = typeof h.kid === 'string' ? parseKeyReference(h.kid) : undefined;
  if (ref === undefined)
    throw malformed(
      `${field}.kid`,
      'must be a did:web DID URL ending in #ed25519:<22 base64url characters>, or such a key id alone',
    );
  return { kid: h.kid as string, keyId: ref.keyId };
}

/**
 * Verifies a credential JWS (hostile input): its shape and canonical payload (`decodeCredential`),
 * then every signature, each against the key its kid names (jose, EdDSA only, over the protected
 * header as received). A kid that is a party's DID URL must name the party that holds the key.
 * Signature 0 must be by the issuer; every later one is a countersignature by another party.
 * Throws TrustError: MALFORMED_CREDENTIAL, NOT_CANONICAL, UNKNOWN_KEY, KEY_MISMATCH, BAD_SIGNATURE
 * or WRONG_SIGNER.
 */
export async function verifyCertificate(jws: unknown, lookup: SignerLookup): Promise<VerifiedCredential> {
  const decoded = decodeCredential(jws);
  const issuer = partyFromUrn(decoded.credential.issuer);
  if (issuer === undefined) throw malformed('credential.issuer', 'must be urn:lodestone:party:<party id>');
  const signers: CredentialSigner[] = [];
  for (const [i, sig] of decoded.jws.signatures.entries()) {
    const kid = decoded.kids[i] as string;
    const keyId = decoded.keyIds[i] as string;
    const field = `signatures[${i}]`;
    const key = await lookup(keyId);
    if (key === undefined)
      throw new TrustError('UNKNOWN_KEY', `${field}: no public key known for ${keyId}`, {
        field: `${field}.protected.kid`,
      });
    if (keyIdFor(key.publicKey) !== keyId)
      throw new TrustError(
        'KEY_MISMATCH',
        `${field}: signed by ${keyId}, but the key given is ${keyIdFor(key.publicKey)}`,
        { field: `${field}.protected.kid` },
      );
    const named = parseKeyReference(kid)?.partyId;
    if (named !== undefined && named !== key.partyId) {
      throw new TrustError(
        'KEY_MISMATCH',
        `${field}: kid ${kid} names party "${named}", but key ${keyId} belongs to "${key.partyId}"`,
        { field: `${field}.protected.kid` },
      );
    }
    try {
      await flattenedVerify(
        { payload: decoded.jws.payload, protected: sig.protected, signature: sig.signature },
        publicKeyFromRaw(key.publicKey),
        { algorithms: ['EdDSA'] },
      );
    } catch (e) {
      throw new TrustError('BAD_SIGNATURE', `${field}: signature by ${keyId} does not verify`, {
        field: `${field}.signature`,
        cause: e,
      });
    }
    const role: SignerRole = i === 0 ? 'end-user' : 'countersigner';
    if (role === 'end-user' && key.partyId !== issuer) {
      throw new TrustError(
        'WRONG_SIGNER',
        `${field}: the first signature must be the issuer's ("${issuer}"), but key ${keyId} belongs to "${key.partyId}"`,
        { field: `${field}.protected.kid` },
      );
    }
    if (role === 'countersigner' && signers.some((s) => s.partyId === key.partyId)) {
      throw new TrustError('WRONG_SIGNER', `${field}: "${key.partyId}" has already signed this credential`, {
        field: `${field}.protected.kid`,
      });
    }
    signers.push({ role, partyId: key.partyId, kid: keyId });
  }
  return deepFreeze({ ...decoded, issuer, signers });
}
