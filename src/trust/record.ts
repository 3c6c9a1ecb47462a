import { sign, verify, type KeyObject } from 'node:crypto';
import { deepFreeze } from '../domain/index.js';
import { fromBase64url, toBase64url } from './base64url.js';
import { canonicalJson } from './canonical.js';
import { TrustError } from './errors.js';
import { leafHash, sha256Hex } from './hash.js';
import { keyIdFor, publicKeyFromRaw, rawPublicKey, type Signer } from './keys.js';
import { parseRequestJws } from './request.js';
import { parseLinks, type SubjectLink } from './subjects.js';

/** What a party asserts. Signed as the UTF-8 bytes of `canonicalJson(payload)`. */
export interface RecordPayload {
  readonly v: 1;
  /** What kind of record this is, e.g. "party.registered". */
  readonly type: string;
  /** The id of the party that makes the record (and whose key signs it). */
  readonly actor: string;
  /** When, as ISO-8601 UTC with milliseconds: "2025-10-09T08:30:00.000Z". */
  readonly at: string;
  /** The record's content: any JSON value. */
  readonly body: unknown;
  /**
   * When the actor asked over the API: its signed request (attached compact JWS, see
   * `src/trust/request.ts`), and the record itself is then signed by the log operator's key. The
   * actor's own signature is on the request, so the operator cannot make a record for a party that
   * did not ask for it.
   */
  readonly request?: string;
  /**
   * Instead of `request`, for the second and later records a signed request makes in one
   * transaction (a capture document's events): the hex SHA-256 of that request's attached JWS,
   * which an earlier record of the log carries in full. Verifiers find the request there.
   */
  readonly requestSha256?: string;
  /**
   * Per-subject back-links (see `subjectsOf`): for each subject the record concerns, in ascending
   * order, the seq and leaf hash of the previous entry that concerned it (null for its first). Absent
   * on a record with no subject, and on records written before subject links existed.
   */
  readonly links?: readonly SubjectLink[];
}

export interface RecordSignature {
  readonly alg: 'Ed25519';
  /** See `keyIdFor`. */
  readonly keyId: string;
  /** base64url (unpadded) of the 64-byte Ed25519 signature (RFC 8032, pure Ed25519) over `canonicalJson(payload)` as UTF-8. */
  readonly sig: string;
}

export interface SignedRecord {
  readonly payload: RecordPayload;
  readonly signature: RecordSignature;
}

/** Finds the raw public key (base64url) for a key id, or undefined if none is known. */
export type PublicKeyLookup = (keyId: string) => string | undefined;

/** The canonical bytes of a signed record, and the hashes the journal and the Merkle log keep. */
export interface RecordDigests {
  /** `canonicalJson(record)`: the Merkle leaf content, as text (hash its UTF-8 bytes). */
  readonly canonical: string;
  /** Hex SHA-256 of `canonical`. */
  readonly recordHash: string;
  /** Hex RFC 6962 leaf hash of `canonical`: SHA-256(0x00 || canonical). */
  readonly leafHash: string;
  /** The same leaf hash as 32 bytes (what the Merkle log stores). */
  readonly leaf: Uint8Array;
}

const utf8 = new TextEncoder();
const ED25519_SIGNATURE_BYTES = 64;
const TYPE_PATTERN = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;
const MAX_TYPE_LENGTH = 100;
const MAX_ACTOR_LENGTH = 200;
const UTC_MILLIS_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Signs a payload. The payload is checked first (never sign something malformed), the signer's
 * key id must match its private key (TrustError 'KEY_MISMATCH'), and the result is a deep-frozen
 * record holding a copy of exactly the JSON that was signed.
 */
const keyIds = new WeakMap<KeyObject, string>();

/** The key id of a private key's public half (remembered per KeyObject, which is immutable). */
function keyIdOf(privateKey: KeyObject): string {
  let id = keyIds.get(privateKey);
  if (id === undefined) {
    id = keyIdFor(rawPublicKey(privateKey));
    keyIds.set(privateKey, id);
  }
  return id;
}

export function signRecord(payload: RecordPayload, signer: Signer): SignedRecord {
  // The payload is canonicalised once: that is also the check that its body is exactly JSON. Should
  // anything fail, the full check runs to throw its first fault, as parseRecordPayload names it.
  let members: Map<PayloadMember, string>;
  try {
    members = canonicalMembers(checkPayload(payload, 'payload', false));
  } catch (e) {
    parseRecordPayload(payload);
    throw e;
  }
  const expectedKeyId = keyIdOf(signer.privateKey);
  if (signer.keyId !== expectedKeyId) {
    throw new TrustError(
      'KEY_MISMATCH',
      `signer key id ${signer.keyId} does not match its private key (${expectedKeyId})`,
    );
  }
  const message = `{${[...members].map(([name, text]) => `"${name}":${text}`).join(',')}}`;
  const sig = toBase64url(sign(null, utf8.encode(message), signer.privateKey));
  const signature = Object.freeze({ alg: 'Ed25519', keyId: signer.keyId, sig } as const);
  const record: SignedRecord = Object.freeze({ payload: signedPayload(members), signature });
  // RFC 8785 orders the two members "payload" < "signature"; the payload's bytes are the message.
  signedHere.set(record, `{"payload":${message},"signature":${canonicalJson(signature)}}`);
  return record;
}

/** A payload's members in RFC 8785 order (UTF-16 code units of their names, all ASCII). */
const PAYLOAD_MEMBERS = ['actor', 'at', 'body', 'links', 'request', 'requestSha256', 'type', 'v'] as const;
type PayloadMember = (typeof PAYLOAD_MEMBERS)[number];

/**
 * The canonical JSON of each member a checked payload has, in RFC 8785 order: the payload's canonical
 * form is `{"name":text,…}` of them, as JCS serialises an object member by member.
 */
function canonicalMembers(payload: RecordPayload): Map<PayloadMember, string> {
  const out = new Map<PayloadMember, string>();
  for (const name of PAYLOAD_MEMBERS) {
    const value = payload[name];
    if (value !== undefined) out.set(name, canonicalJson(value));
  }
  return out;
}

/**
 * The deep-frozen payload of a record just signed, parsed from the canonical text of its members —
 * a copy of exactly the JSON that was signed. Its body, the one large member, is parsed when it is
 * first read: appending a record reads its type, actor and time, not its body.
 */
function signedPayload(members: ReadonlyMap<PayloadMember, string>): RecordPayload {
  const payload = {};
  for (const [name, text] of members) {
    if (name === 'body') {
      let body: unknown;
      let parsed = false;
      Object.defineProperty(payload, name, {
        enumerable: true,
        get(): unknown {
          if (!parsed) {
            body = deepFreeze(JSON.parse(text) as unknown);
            parsed = true;
          }
          return body;
        },
      });
    } else {
      Object.defineProperty(payload, name, { enumerable: true, value: deepFreeze(JSON.parse(text) as unknown) });
    }
  }
  return Object.freeze(payload) as RecordPayload;
}

/**
 * The canonical bytes of the records signRecord made in this process (deep-frozen, so they cannot
 * change): appending one neither re-checks its shape nor canonicalises it again.
 */
const signedHere = new WeakMap<SignedRecord, string>();

/**
 * Verifies a signed record from anywhere (treated as hostile): checks its shape, that the
 * public key is the one the record names, and the Ed25519 signature over the canonical payload.
 * Throws TrustError on the first failure: MALFORMED_RECORD, NOT_JSON, UNKNOWN_KEY (the lookup has
 * no key for the id), BAD_KEY, KEY_MISMATCH (the key given is not the key named) or BAD_SIGNATURE.
 *
 * This proves only that the holder of `signature.keyId` signed the payload. The caller must still
 * check that the key belongs to `payload.actor` and was valid (not revoked) when the record was made.
 */
export function verifyRecord(record: unknown, publicKey: string | PublicKeyLookup): asserts record is SignedRecord {
  const { payload, signature } = parseSignedRecord(record);
  const raw = typeof publicKey === 'string' ? publicKey : publicKey(signature.keyId);
  if (raw === undefined)
    throw new TrustError('UNKNOWN_KEY', `no public key known for ${signature.keyId}`, { field: 'signature.keyId' });
  const key = publicKeyFromRaw(raw);
  const keyId = keyIdFor(raw);
  if (keyId !== signature.keyId) {
    throw new TrustError('KEY_MISMATCH', `record is signed by ${signature.keyId}, but the key given is ${keyId}`, {
      field: 'signature.keyId',
    });
  }
  const sig = fromBase64url(signature.sig);
  if (sig?.length !== ED25519_SIGNATURE_BYTES)
    throw malformed('signature.sig', 'must be a 64-byte Ed25519 signature as unpadded base64url');
  let ok: boolean;
  try {
    ok = verify(null, utf8.encode(canonicalJson(payload)), key, sig);
  } catch (e) {
    throw new TrustError('BAD_SIGNATURE', 'signature does not verify', { field: 'signature.sig', cause: e });
  }
  if (!ok) throw new TrustError('BAD_SIGNATURE', 'signature does not verify', { field: 'signature.sig' });
}

/** The leaf content of a record: `canonicalJson(record)`. */
export function recordBytes(record: SignedRecord): string {
  return signedHere.get(record) ?? canonicalJson(record);
}

export function recordDigests(record: SignedRecord): RecordDigests {
  const canonical = recordBytes(record);
  // The UTF-8 bytes once, for both hashes.
  const bytes = Buffer.from(canonical, 'utf8');
  const leaf = leafHash(bytes);
  return { canonical, recordHash: sha256Hex(bytes), leafHash: Buffer.from(leaf).toString('hex'), leaf };
}

/** Checks the shape of a signed record (not its signature). Throws TrustError('MALFORMED_RECORD') naming the field. */
export function parseSignedRecord(input: unknown): SignedRecord {
  if (typeof input === 'object' && input !== null && signedHere.has(input as SignedRecord))
    return input as SignedRecord;
  const record = exactObject(input, '', ['payload', 'signature']);
  parseRecordPayload(record.payload, 'payload');
  const signature = exactObject(record.signature, 'signature', ['alg', 'keyId', 'sig']);
  if (signature.alg !== 'Ed25519') throw malformed('signature.alg', 'must be "Ed25519"');
  if (typeof signature.keyId !== 'string' || !/^ed25519:[A-Za-z0-9_-]{22}$/.test(signature.keyId)) {
    throw malformed('signature.keyId', 'must be a key id such as "ed25519:" followed by 22 base64url characters');
  }
  if (typeof signature.sig !== 'string') throw malformed('signature.sig', 'must be a string');
  return input as SignedRecord;
}

/** Checks the shape of a record payload. Throws TrustError('MALFORMED_RECORD') naming the field. */
export function parseRecordPayload(input: unknown, root = 'payload'): RecordPayload {
  return checkPayload(input, root, true);
}

/** parseRecordPayload; with `body` false, all but the check that the body is exactly JSON (which canonicalising it makes). */
function checkPayload(input: unknown, root: string, body: boolean): RecordPayload {
  const p = exactObject(input, root, ['v', 'type', 'actor', 'at', 'body'], ['request', 'requestSha256', 'links']);
  const at = (field: string) => (root === '' ? field : `${root}.${field}`);
  if (p.v !== 1) throw malformed(at('v'), 'must be 1');
  if (typeof p.type !== 'string' || p.type.length > MAX_TYPE_LENGTH || !TYPE_PATTERN.test(p.type)) {
    throw malformed(at('type'), 'must be a lower-case dotted name such as "party.registered"');
  }
  if (
    typeof p.actor !== 'string' ||
    p.actor.length === 0 ||
    p.actor.length > MAX_ACTOR_LENGTH ||
    CONTROL_CHARACTERS.test(p.actor)
  ) {
    throw malformed(at('actor'), `must be a party id (1–${MAX_ACTOR_LENGTH} characters, no control characters)`);
  }
  if (typeof p.at !== 'string' || !isUtcMillis(p.at))
    throw malformed(at('at'), 'must be an ISO-8601 UTC time with milliseconds, such as "2025-10-09T08:30:00.000Z"');
  if (!('body' in p) || p.body === undefined) throw malformed(at('body'), 'is required');
  if (body) canonicalJson(p.body);
  if (Object.hasOwn(p, 'request')) {
    try {
      parseRequestJws(p.request);
    } catch (e) {
      throw malformed(at('request'), (e as Error).message);
    }
  }
  if (Object.hasOwn(p, 'requestSha256')) {
    if (typeof p.requestSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.requestSha256))
      throw malformed(at('requestSha256'), 'must be the hex SHA-256 of a signed request (64 lower-case hex digits)');
    if (Object.hasOwn(p, 'request'))
      throw malformed(at('requestSha256'), 'a record carries its request or refers to it, not both');
  }
  if (Object.hasOwn(p, 'links')) parseLinks(p.links, at('links'));
  return input as RecordPayload;
}

/** True for "YYYY-MM-DDTHH:mm:ss.sssZ" naming a real instant in the years 0001–9999 (no 2025-02-30, no 24:00). */
export function isUtcMillis(s: string): boolean {
  if (!UTC_MILLIS_PATTERN.test(s) || s.startsWith('0000')) return false;
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.toISOString() === s;
}

function exactObject(
  input: unknown,
  path: string,
  keys: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  const name = path === '' ? 'record' : path;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw malformed(name, 'must be an object');
  const proto: unknown = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) throw malformed(name, 'must be a plain object');
  const obj = input as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key) && !optional.includes(key))
      throw malformed(path === '' ? key : `${path}.${key}`, 'unknown field');
  }
  for (const key of keys) {
    if (!Object.hasOwn(obj, key)) throw malformed(path === '' ? key : `${path}.${key}`, 'is required');
  }
  return obj;
}

function malformed(field: string, reason: string): TrustError {
  return new TrustError('MALFORMED_RECORD', `${field}: ${reason}`, { field });
}
