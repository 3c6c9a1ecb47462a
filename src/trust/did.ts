import { TrustError } from './errors.js';
import { keyIdFor } from './keys.js';

/**
 * Key references a standard tool can resolve: did:web (W3C DID Core 1.0, did:web method). A
 * deployment published at `https://host[:port][/path]` is `did:web:host[%3Aport][:path…]`; a party
 * `P` of it is `did:web:host…:parties:P`, whose DID document is at `https://host…/parties/P/did.json`
 * (the operator's, having no path, at `/.well-known/did.json`). A signature's `kid` is the DID URL
 * of the key: `<party DID>#ed25519:<22 chars>` (the fragment is the key id of `keyIdFor`).
 */

const KEY_ID = /^ed25519:[A-Za-z0-9_-]{22}$/;
/** did:web method-specific id: host (port as %3A) then path segments, each percent-encoded, joined by ':'. */
const DID_WEB = /^did:web:[A-Za-z0-9.%_~-]+(?::[A-Za-z0-9.%_~-]+)*$/;
const PARTY_DID = /:parties:([a-z0-9][a-z0-9-]{1,62})$/;
const MAX_KID_CHARS = 500;

/** The DID of a deployment published at `publicUrl` (an absolute http(s) URL without query or fragment). */
export function didWebFor(publicUrl: string): string {
  const url = new URL(publicUrl);
  const host = url.port === '' ? url.hostname : `${url.hostname}%3A${url.port}`;
  const path = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => encodeURIComponent(decodeURIComponent(s)));
  return ['did:web', host, ...path].join(':');
}

/** The DID of a party of the deployment at `publicUrl`. */
export function partyDid(publicUrl: string, partyId: string): string {
  return `${didWebFor(publicUrl)}:parties:${partyId}`;
}

/** The DID URL naming one key of a DID: `<did>#<key id>`. */
export function keyReference(did: string, keyId: string): string {
  return `${did}#${keyId}`;
}

/**
 * The https URL of a did:web DID's document (did:web §3.2.1 Read): ':' becomes '/', %3A the port
 * separator, and `/.well-known` is added when the DID has no path.
 */
export function didDocumentUrl(did: string): string {
  if (!DID_WEB.test(did))
    throw new TrustError('MALFORMED_CREDENTIAL', `not a did:web DID: ${JSON.stringify(did)}`, { field: 'kid' });
  const [host = '', ...path] = did.slice('did:web:'.length).split(':');
  const base = `https://${decodeURIComponent(host)}`;
  return path.length === 0 ? `${base}/.well-known/did.json` : `${base}/${path.join('/')}/did.json`;
}

/** What a `kid` names: the key id, and the DID it is a key of (absent for a bare key id, as before DIDs). */
export interface KeyReference {
  readonly keyId: string;
  readonly did?: string;
  /** The party the DID names (`…:parties:<id>`), if it names one. */
  readonly partyId?: string;
}

/**
 * Reads a `kid`: a bare key id (`ed25519:…`, certificates issued before key references) or a
 * did:web DID URL whose fragment is the key id. Undefined for anything else.
 */
export function parseKeyReference(kid: string): KeyReference | undefined {
  if (kid.length > MAX_KID_CHARS) return undefined;
  if (KEY_ID.test(kid)) return { keyId: kid };
  const hash = kid.indexOf('#');
  if (hash < 0) return undefined;
  const did = kid.slice(0, hash);
  const keyId = kid.slice(hash + 1);
  if (!KEY_ID.test(keyId) || !DID_WEB.test(did)) return undefined;
  const partyId = PARTY_DID.exec(did)?.[1];
  return partyId === undefined ? { keyId, did } : { keyId, did, partyId };
}

/** An Ed25519 public key as a JWK (RFC 8037), named by `kid`, for signatures (EdDSA). */
export interface Ed25519Jwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export function ed25519Jwk(publicKeyRaw: string, kid: string): Ed25519Jwk {
  keyIdFor(publicKeyRaw); // throws BAD_KEY unless it is 32 bytes of base64url
  return { kty: 'OKP', crv: 'Ed25519', x: publicKeyRaw, kid, alg: 'EdDSA', use: 'sig' };
}

export const DID_V1_CONTEXT = 'https://www.w3.org/ns/did/v1';
/** Defines the `JsonWebKey` verification method type (W3C Controlled Identifiers / VC Data Integrity). */
export const JWK_CONTEXT = 'https://w3id.org/security/jwk/v1';

/**
 * A DID document (DID Core §5) listing `keys` as JsonWebKey verification methods for
 * assertions (signing credentials) and authentication (signing requests).
 */
export function didDocument(
  did: string,
  keys: readonly { readonly keyId: string; readonly publicKey: string }[],
): unknown {
  const methods = keys.map((k) => {
    const id = keyReference(did, k.keyId);
    const { kty, crv, x } = ed25519Jwk(k.publicKey, id);
    return { id, type: 'JsonWebKey', controller: did, publicKeyJwk: { kty, crv, x } };
  });
  const ids = methods.map((m) => m.id);
  return {
    '@context': [DID_V1_CONTEXT, JWK_CONTEXT],
    id: did,
    verificationMethod: methods,
    assertionMethod: ids,
    authentication: ids,
  };
}
