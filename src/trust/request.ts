import { randomBytes, sign, verify } from 'node:crypto';
import { describeJsonShapeProblem, jsonShapeProblem } from '../domain/index.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { TrustError } from './errors.js';
import { keyIdFor, publicKeyFromRaw, type Signer } from './keys.js';

/**
 * Signed requests: how a party proves it asked for a record without the operator holding its key.
 *
 * A request is a compact JWS (RFC 7515) with alg EdDSA (Ed25519, RFC 8037), signed by the party's
 * registered key, whose payload is the exact bytes of the HTTP request body and whose protected
 * header binds the method, the path, the time and a single-use nonce (the pattern of ACME, RFC 8555
 * §6.2). On the wire the payload is detached (RFC 7515 Appendix F: `header..signature`), since the
 * body is already there; the journal keeps the attached form, so anyone can re-verify what the party
 * signed. Verification uses node:crypto directly and is synchronous, so the offline verifier can use
 * it too.
 */

export const REQUEST_JWS_TYPE = 'lodestone-request+jws';

export interface RequestHeader {
  readonly alg: 'EdDSA';
  /** The signing key's id (`keyIdFor`). */
  readonly kid: string;
  readonly typ: typeof REQUEST_JWS_TYPE;
  /** HTTP method, upper case. */
  readonly htm: string;
  /** Request path with its query string, e.g. "/v1/lots". */
  readonly htu: string;
  /** Seconds since the epoch when the party signed. */
  readonly iat: number;
  /** Single use: 16–128 base64url characters. */
  readonly nonce: string;
}

export interface OpenedRequest {
  readonly header: RequestHeader;
  /** The signed body, as text. */
  readonly body: string;
  /** The attached compact serialisation (`header.payload.signature`). */
  readonly jws: string;
}

const utf8 = new TextEncoder();
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const MAX_PATH = 2048;

function bad(reason: string, cause?: unknown): TrustError {
  return new TrustError('MALFORMED_REQUEST', `signed request: ${reason}`, cause === undefined ? {} : { cause });
}

/** Signs a request body for `method path`; returns the detached compact JWS (`header..signature`). */
export function signRequest(
  signer: Signer,
  req: { method: string; path: string; body: string; now?: Date; nonce?: string },
): string {
  const header: RequestHeader = {
    alg: 'EdDSA',
    kid: signer.keyId,
    typ: REQUEST_JWS_TYPE,
    htm: req.method.toUpperCase(),
    htu: req.path,
    iat: Math.floor((req.now ?? new Date()).getTime() / 1000),
    nonce: req.nonce ?? randomBytes(18).toString('base64url'),
  };
  const h = toBase64url(utf8.encode(JSON.stringify(header)));
  const p = toBase64url(utf8.encode(req.body));
  const sig = toBase64url(sign(null, utf8.encode(`${h}.${p}`), signer.privateKey));
  return `${h}..${sig}`;
}

/** Reattaches a body to a detached JWS (`header..signature` → `header.payload.signature`). */
export function attachRequestBody(detached: string, body: string): string {
  if (typeof detached !== 'string') throw bad('must be a string');
  const parts = detached.split('.');
  if (parts.length !== 3 || parts[1] !== '') throw bad('must be a detached compact JWS: "<header>..<signature>"');
  return `${parts[0] ?? ''}.${toBase64url(utf8.encode(body))}.${parts[2] ?? ''}`;
}

/**
 * Parses an attached compact request JWS without checking its signature: the header's shape, and
 * the payload as UTF-8 text. Throws TrustError('MALFORMED_REQUEST') naming what is wrong.
 */
export function parseRequestJws(jws: unknown): OpenedRequest {
  if (typeof jws !== 'string') throw bad('must be a string');
  if (jws.length > 64 * 1024 * 1024) throw bad('too long');
  const parts = jws.split('.');
  if (parts.length !== 3) throw bad('must have three dot-separated parts');
  const [h = '', p = '', s = ''] = parts;
  const hb = fromBase64url(h);
  const pb = fromBase64url(p);
  if (hb === undefined) throw bad('protected header is not canonical base64url');
  if (pb === undefined) throw bad('payload is not canonical base64url');
  if (fromBase64url(s)?.length !== 64) throw bad('signature must be 64 bytes of canonical base64url');
  let header: unknown;
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(hb);
    header = JSON.parse(headerText);
  } catch (e) {
    throw bad('protected header is not UTF-8 JSON', e);
  }
  // The header's members must mean one thing to every JSON parser (see src/domain/json.ts).
  const shape = jsonShapeProblem(headerText, 'protected header', 4);
  if (shape !== undefined) throw bad(`${shape.path} ${describeJsonShapeProblem(shape)}`);
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw bad('protected header must be a JSON object');
  const hd = header as Record<string, unknown>;
  const allowed = ['alg', 'kid', 'typ', 'htm', 'htu', 'iat', 'nonce'];
  for (const k of Object.keys(hd)) if (!allowed.includes(k)) throw bad(`protected header: unknown parameter "${k}"`);
  if (hd.alg !== 'EdDSA') throw bad('protected header alg must be "EdDSA"');
  if (typeof hd.kid !== 'string' || !/^ed25519:[A-Za-z0-9_-]{22}$/.test(hd.kid))
    throw bad('protected header kid must be a key id such as "ed25519:…"');
  if (hd.typ !== REQUEST_JWS_TYPE) throw bad(`protected header typ must be "${REQUEST_JWS_TYPE}"`);
  if (typeof hd.htm !== 'string' || !/^[A-Z]{3,7}$/.test(hd.htm))
    throw bad('protected header htm must be an upper-case HTTP method');
  if (typeof hd.htu !== 'string' || !hd.htu.startsWith('/') || hd.htu.length > MAX_PATH)
    throw bad('protected header htu must be the request path, starting with "/"');
  if (typeof hd.iat !== 'number' || !Number.isSafeInteger(hd.iat) || hd.iat < 0)
    throw bad('protected header iat must be whole seconds since the epoch');
  if (typeof hd.nonce !== 'string' || !NONCE.test(hd.nonce))
    throw bad('protected header nonce must be 16–128 base64url characters');
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(pb);
  } catch (e) {
    throw bad('payload is not UTF-8', e);
  }
  return { header: hd as unknown as RequestHeader, body, jws };
}

/**
 * Verifies an attached request JWS under a raw Ed25519 public key (base64url) whose key id must be
 * the header's kid. Throws TrustError: MALFORMED_REQUEST, KEY_MISMATCH, BAD_KEY or BAD_SIGNATURE.
 */
export function verifyRequestJws(jws: unknown, publicKey: string): OpenedRequest {
  // The same bytes under the same key verify the same way: a request verified when it arrived is
  // not verified again when its record is committed (a signature check per request, not two).
  const known = typeof jws === 'string' ? verifiedRequests.get(jws) : undefined;
  if (known !== undefined && known.publicKey === publicKey) return known.opened;
  const opened = parseRequestJws(jws);
  if (keyIdFor(publicKey) !== opened.header.kid)
    throw new TrustError(
      'KEY_MISMATCH',
      `signed request names key ${opened.header.kid}, but the key given is ${keyIdFor(publicKey)}`,
    );
  const key = publicKeyFromRaw(publicKey);
  const [h = '', p = '', s = ''] = opened.jws.split('.');
  const sig = fromBase64url(s) ?? new Uint8Array();
  let ok: boolean;
  try {
    ok = verify(null, utf8.encode(`${h}.${p}`), key, sig);
  } catch (e) {
    throw new TrustError('BAD_SIGNATURE', 'signed request: signature does not verify', { cause: e });
  }
  if (!ok) throw new TrustError('BAD_SIGNATURE', 'signed request: signature does not verify');
  if (verifiedRequests.size >= VERIFIED_KEPT) verifiedRequests.delete(verifiedRequests.keys().next().value ?? '');
  Object.freeze(opened.header);
  verifiedRequests.set(opened.jws, { publicKey, opened: Object.freeze(opened) });
  return opened;
}

/** The last requests that verified (by attached JWS), oldest first: enough for the requests in flight. */
const verifiedRequests = new Map<string, { readonly publicKey: string; readonly opened: OpenedRequest }>();
const VERIFIED_KEPT = 64;
