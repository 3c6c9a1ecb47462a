import { verify } from 'node:crypto';
import { z } from 'zod';
import { fromBase64url } from './base64url.js';
import { parseCanonicalJson } from './canonical.js';
import { VC_JWS_CTY, VC_JWS_TYP, VC_V2_CONTEXT } from './credential.js';
import { keyReference, parseKeyReference } from './did.js';
import { TrustError } from './errors.js';
import { keyIdFor, publicKeyFromRaw } from './keys.js';
import { decodeStatusList } from './status-list.js';

/**
 * Opens a W3C Bitstring Status List credential secured as a compact JWS (VC-JOSE-COSE), as a node
 * publishes one for each party's certificates (src/app/status-lists.ts) — hostile input, checked
 * in this order, the first failure thrown as TrustError('BAD_STATUS_LIST') with the reason:
 *
 * - a compact JWS whose protected header is `{ alg: "EdDSA", kid, typ: "vc+jwt" }` (and
 *   optionally `cty: "vc"`), `kid` the did:web DID URL of `publicKey` under `did`, and whose Ed25519
 *   signature verifies with `publicKey` — the key the caller pinned, never one the JWS names;
 * - a payload that is the RFC 8785 canonical JSON of a BitstringStatusListCredential whose id is
 *   `url`, whose issuer (and `iss`) is `did`, statusPurpose "revocation";
 * - `validFrom` / `validUntil`, when present, holding at `at`;
 * - an encodedList that decodes (status-list.ts: GZIP, base64url, at least 16 KB).
 *
 * Synchronous (node:crypto), so that both the server fetching a peer's list
 * (src/app/status-fetch.ts) and the offline verifier re-checking a list kept as evidence in the
 * journal (src/verify/peer-check.ts) run this one function.
 */
export interface OpenedStatusList {
  /** The decoded bitstring. */
  readonly list: Uint8Array;
  readonly validFrom?: string;
  readonly validUntil?: string;
}

/** Largest list JWS accepted (the minimum list compresses to well under 1 KB; the 16 MB limit of status-list.ts is on the inflated bitstring). */
export const MAX_STATUS_LIST_JWS_BYTES = 1024 * 1024;

/** A compact JWS: three base64url parts. */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const credentialSchema = z
  .object({
    '@context': z.array(z.string()).min(1),
    id: z.string(),
    type: z.array(z.string()),
    issuer: z.string(),
    iss: z.string().optional(),
    validFrom: z.string().optional(),
    validUntil: z.string().optional(),
    credentialSubject: z.object({
      id: z.string(),
      type: z.literal('BitstringStatusList'),
      statusPurpose: z.literal('revocation'),
      encodedList: z.string().max(MAX_STATUS_LIST_JWS_BYTES),
    }),
  })
  .loose();

function bad(reason: string, cause?: unknown): never {
  throw new TrustError('BAD_STATUS_LIST', reason, cause === undefined ? {} : { cause });
}

function json(part: string, name: string): unknown {
  const bytes = fromBase64url(part);
  if (bytes === undefined) return bad(`its ${name} is not unpadded base64url`);
  try {
    return parseCanonicalJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return bad(`its ${name} is not canonical JSON (${(e as Error).message})`, e);
  }
}

export function openStatusListCredential(
  jws: string,
  expect: {
    readonly url: string;
    readonly did: string;
    readonly publicKey: string;
    readonly at: Date;
    /** How the reasons name the key (default "the pinned key"). */
    readonly keyName?: string;
  },
): OpenedStatusList {
  const keyName = expect.keyName ?? 'the pinned key';
  if (jws.length > MAX_STATUS_LIST_JWS_BYTES || !COMPACT_JWS.test(jws))
    bad('not a compact JWS (header.payload.signature)');
  const [h = '', p = '', s = ''] = jws.split('.');
  let ok = false;
  try {
    ok = verify(
      null,
      Buffer.from(`${h}.${p}`, 'ascii'),
      publicKeyFromRaw(expect.publicKey),
      fromBase64url(s) ?? new Uint8Array(),
    );
  } catch (e) {
    bad(`its signature does not verify with ${keyName} (${(e as Error).message})`, e);
  }
  if (!ok) bad(`its signature does not verify with ${keyName}`);
  // The header is parsed only after the signature verified (it is covered by it).
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64url(h)));
  } catch (e) {
    return bad(`its protected header is not JSON (${(e as Error).message})`, e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return bad('its protected header is not a JSON object');
  const header = parsed as Record<string, unknown>;
  const members = Object.keys(header);
  if (members.some((m) => !['alg', 'cty', 'kid', 'typ'].includes(m)))
    bad(`unexpected protected header parameter(s): ${members.join(', ')}`);
  if (header.alg !== 'EdDSA') bad(`protected header alg is ${JSON.stringify(header.alg)}, not "EdDSA"`);
  if (header.typ !== VC_JWS_TYP) bad(`protected header typ is ${JSON.stringify(header.typ)}, not "${VC_JWS_TYP}"`);
  if (header.cty !== undefined && header.cty !== VC_JWS_CTY) bad(`protected header cty is not "${VC_JWS_CTY}"`);
  const kid = keyReference(expect.did, keyIdFor(expect.publicKey));
  if (header.kid !== kid || parseKeyReference(header.kid)?.keyId !== keyIdFor(expect.publicKey))
    bad(`signed under kid ${JSON.stringify(header.kid)}, not ${kid} (${keyName} at ${expect.did})`);
  const r = credentialSchema.safeParse(json(p, 'payload'));
  if (!r.success) {
    const issue = r.error.issues[0];
    return bad(`credential.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'is invalid'}`);
  }
  const c = r.data;
  if (c['@context'][0] !== VC_V2_CONTEXT) bad(`@context does not start with ${VC_V2_CONTEXT}`);
  if (!c.type.includes('BitstringStatusListCredential')) bad('it is not a BitstringStatusListCredential');
  if (c.id !== expect.url) bad(`its id is ${JSON.stringify(c.id)}, not ${expect.url}`);
  if (c.issuer !== expect.did || (c.iss !== undefined && c.iss !== expect.did))
    bad(`its issuer is ${JSON.stringify(c.issuer)}, not ${expect.did}`);
  const at = expect.at.getTime();
  const time = (field: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    return Number.isNaN(t) ? bad(`${field} ${JSON.stringify(v)} is not a date-time`) : t;
  };
  const from = time('validFrom', c.validFrom);
  const until = time('validUntil', c.validUntil);
  if (from !== undefined && at < from) bad(`not valid before ${c.validFrom ?? ''} (at ${expect.at.toISOString()})`);
  if (until !== undefined && at >= until) bad(`expired at ${c.validUntil ?? ''} (at ${expect.at.toISOString()})`);
  let list: Uint8Array;
  try {
    list = decodeStatusList(c.credentialSubject.encodedList);
  } catch (e) {
    return bad((e as Error).message, e);
  }
  return {
    list,
    ...(c.validFrom === undefined ? {} : { validFrom: c.validFrom }),
    ...(c.validUntil === undefined ? {} : { validUntil: c.validUntil }),
  };
}
