import type { Transaction } from 'kysely';
import {
  journalRepo,
  partyKeysRepo,
  requestNoncesRepo,
  type AppendResult,
  type Database,
  type JournalRow,
  type PartyKeyRow,
} from '../store/index.js';
import {
  parseCanonicalJson,
  parseRequestJws,
  parseSignedRecord,
  recordBytes,
  sha256Hex,
  signRecord,
  verifyRecord,
  verifyRequestJws,
  type Signer,
  type SignedRecord,
} from '../trust/index.js';
import type { AppContext } from './context.js';
import type { StoredKey } from './keystore.js';
import { AppError } from './errors.js';
import { batchingLog, checkpointAfterAppend, LOG_ID } from './log.js';
import { checkKeyRecord, keyEnded } from './keys.records.js';
import { parseBody, project, type RecordType, type RecordTypes } from './records.js';
import { PEER_FOLLOWED_RECORD, peerRecordSignatureKey } from './federation.records.js';
import { linksFor, noteAppended } from './subjects.js';
import { TRUST_LIST_RECORD, trustRootSignatureKey } from './trustlist.records.js';

export interface Committed extends AppendResult {
  readonly record: SignedRecord;
}

/**
 * Signs a record with the actor's key, appends it to the journal and applies it to the projections,
 * all in the caller's transaction: the record and its projection rows commit together or not at all.
 */
export async function commit<T extends RecordType>(
  tx: Transaction<Database>,
  ctx: AppContext,
  type: T,
  actor: string,
  body: RecordTypes[T],
): Promise<Committed> {
  const checked = parseBody(type, body);
  const at = ctx.clock().toISOString();
  const request = ctx.request;
  // The record's back-link to the previous entry of each subject it concerns (subjects.ts).
  const links = await linksFor(tx, type, checked);
  const linked = links === undefined ? {} : { links };
  let record: SignedRecord;
  if (request === undefined) {
    record = signRecord({ v: 1, type, actor, at, body: checked, ...linked }, keyIn(tx, ctx, actor).signer);
  } else {
    // On a party's signed API request: the record is that party's or none, carries the request,
    // and is signed by the log operator (the party's key is not here).
    if (actor !== request.partyId)
      throw new AppError(
        'FORBIDDEN',
        `the request is signed by "${request.partyId}", so it cannot make a record for "${actor}"`,
        { field: 'actor' },
      );
    // The transaction's first record of the request carries it whole; later ones (a capture
    // document's other events) refer to it by hash, so a k-event document stores it once, not k times.
    const digest = requestDigest(request.jws);
    const ref = requestsIn.get(tx)?.has(digest) === true ? { requestSha256: digest } : { request: request.jws };
    record = signRecord(
      { v: 1, type, actor, at, body: checked, ...ref, ...linked },
      keyIn(tx, ctx, LOG_ID, 'ensure').signer,
    );
  }
  // The transaction's first record is appended first, taking the journal_head lock, and its key then
  // read fresh under the lock and checked (a rotation or revocation cannot commit before it any more):
  // one read of the key instead of a read before the lock and another after. A refusal throws before
  // anything else of the record is written, and the transaction rolls back with its row.
  const first = committedIn.get(tx) === undefined;
  if (!first) await checkSigningKey(tx, ctx, record);
  const appended = await journalRepo.append(tx, record, { defer: batchingLog(tx) });
  noteAppended(tx, links, { seq: appended.seq, leafHash: appended.leafHash });
  if (first) {
    keysIn.delete(tx);
    await checkSigningKey(tx, ctx, record);
  }
  const mine = committedIn.get(tx) ?? [];
  committedIn.set(tx, mine);
  mine.push({ seq: appended.seq, type, body: checked });
  if (type.startsWith('party.')) keysIn.delete(tx);
  await project(tx, type, checked, { seq: appended.seq, actor, at }, true);
  if (record.payload.request !== undefined || record.payload.requestSha256 !== undefined)
    await spendNonce(tx, record, appended.seq, 'commit');
  // The transparency log's checkpoint, signed and stored in the same transaction as the records.
  await checkpointAfterAppend(tx, ctx);
  // What reacts to the record (the diversion monitor) runs here, in the record's transaction.
  for (const react of ctx.reactions) await react(tx, ctx, { seq: appended.seq, type, body: checked });
  return { ...appended, record };
}

const committedIn = new WeakMap<
  object,
  { readonly seq: number; readonly type: RecordType; readonly body: unknown }[]
>();

/** The records `commit` made in this transaction so far, in journal order (type and body). */
export function committedRecords(
  tx: Transaction<Database>,
): readonly { readonly seq: number; readonly type: RecordType; readonly body: unknown }[] {
  return committedIn.get(tx) ?? [];
}

const keysOf = new WeakMap<object, Map<string, { readonly key: StoredKey; readonly signer: Signer }>>();

/**
 * A party's stored key and signer, read from the keystore once per transaction (each keystore read
 * checks the key file on disk, a system call per record otherwise). `ensure` creates the key on
 * first use (the log operator's).
 */
function keyIn(
  tx: Transaction<Database>,
  ctx: AppContext,
  partyId: string,
  mode: 'get' | 'ensure' = 'get',
): { readonly key: StoredKey; readonly signer: Signer } {
  const mine = keysOf.get(tx) ?? new Map<string, { readonly key: StoredKey; readonly signer: Signer }>();
  keysOf.set(tx, mine);
  let hit = mine.get(partyId);
  if (hit === undefined) {
    const key = mode === 'ensure' ? ctx.keystore.ensure(partyId) : ctx.keystore.get(partyId);
    hit = { key, signer: ctx.keystore.signer(partyId) };
    mine.set(partyId, hit);
  }
  return hit;
}

const spentIn = new WeakMap<object, Set<string>>();
const verifiedIn = new WeakMap<object, Set<string>>();

/**
 * A signed request's nonce is spent by the first record it makes. Later records of the same
 * request pass: at commit, those in the same transaction; on replay of the journal, those with the
 * same JWS. Anything else with that nonce is a replay.
 */
async function spendNonce(
  tx: Transaction<Database>,
  record: SignedRecord,
  seq: number,
  mode: 'commit' | 'replay',
): Promise<void> {
  if (record.payload.request === undefined) {
    // A record that refers to its request by hash: the record that carries the request came first
    // (checkRequestSignature found it) and spent the nonce.
    const digest = record.payload.requestSha256 ?? '';
    const known =
      requestsIn.get(tx)?.has(digest) === true ||
      (mode === 'replay' && (await requestNoncesRepo.byDigest(tx, digest)) !== undefined);
    if (!known)
      throw new AppError(
        'JOURNAL_INVALID',
        `journal entry ${seq}: refers to signed request ${digest}, which no earlier record carries`,
      );
    return;
  }
  const jws = record.payload.request;
  const { header } = parseRequestJws(jws);
  const digest = requestDigest(jws);
  const mine = spentIn.get(tx) ?? new Set<string>();
  spentIn.set(tx, mine);
  // Later records of a request whose nonce this transaction spent pass without asking the database again.
  if (mode === 'commit' && mine.has(header.nonce)) return;
  if (
    await requestNoncesRepo.spend(tx, {
      nonce: header.nonce,
      party_id: record.payload.actor,
      key_id: header.kid,
      jws_sha256: digest,
      first_seq: seq,
    })
  ) {
    mine.add(header.nonce);
    return;
  }
  const spent = await requestNoncesRepo.get(tx, header.nonce);
  const sameRequest = mode === 'commit' ? mine.has(header.nonce) : spent?.jws_sha256 === digest;
  if (!sameRequest)
    throw new AppError(
      'REPLAYED',
      `the request's nonce was already used (journal entry ${String(spent?.first_seq)}): sign every request with a fresh nonce`,
      { field: 'nonce' },
    );
}

/**
 * Ends a request's part of a transaction that several requests share (a group commit's shared attempt,
 * group-commit.ts): the next request's records start afresh — its nonce is not taken for one this
 * transaction already spent (a replay of the same signed request in the same group is a replay, not
 * a later record of the same request), and its request is carried whole, not named by hash.
 */
export function requestEnded(tx: Transaction<Database>): void {
  spentIn.delete(tx);
  requestsIn.delete(tx);
}

/** The requests records of this transaction carried whole, by hex SHA-256 of the attached JWS. */
const requestsIn = new WeakMap<object, Map<string, string>>();

let lastDigest: { readonly jws: string; readonly digest: string } | undefined;

/** Hex SHA-256 of an attached request JWS (the last one remembered: a document's records share it). */
function requestDigest(jws: string): string {
  if (lastDigest?.jws !== jws) lastDigest = { jws, digest: sha256Hex(jws) };
  return lastDigest.digest;
}

let lastKid: { readonly jws: string; readonly kid: string } | undefined;

/** The key id in an attached request JWS's protected header (the last one remembered: parsing decodes the whole document it signs). */
function requestKid(jws: string): string {
  if (lastKid?.jws !== jws) lastKid = { jws, kid: parseRequestJws(jws).header.kid };
  return lastKid.kid;
}

/**
 * The request a record was made on: the one it carries, or the one an earlier record carries
 * whose hash it names — in this transaction, else in the journal (through the nonce it spent).
 */
async function requestOf(tx: Transaction<Database>, record: SignedRecord): Promise<string> {
  const { request, requestSha256 } = record.payload;
  if (request !== undefined) return request;
  const digest = requestSha256 ?? '';
  const known = requestsIn.get(tx)?.get(digest);
  if (known !== undefined) return known;
  const spent = await requestNoncesRepo.byDigest(tx, digest);
  const carrier = spent === undefined ? undefined : await journalRepo.get(tx, spent.first_seq);
  const carried =
    carrier === undefined ? undefined : parseSignedRecord(parseCanonicalJson(carrier.canonical)).payload.request;
  if (carried === undefined || requestDigest(carried) !== digest)
    throw new AppError('FORBIDDEN', `the record refers to signed request ${digest}, which no earlier record carries`);
  return carried;
}

/**
 * The key that signed a record must belong to its actor: registered in party_keys for that party
 * and in force (neither replaced nor revoked: `party_keys.valid_until_seq` unset; a rebuild replays in
 * order, so that is the key's window at this point of the journal); a key record must also pass
 * `checkKeyRecord` — except for `party.registered`, which is self-certifying (signed by the key it
 * registers, proving possession).
 */
async function checkSigningKey(tx: Transaction<Database>, ctx: AppContext, record: SignedRecord): Promise<string> {
  const { payload, signature } = record;
  if (payload.type === TRUST_LIST_RECORD) return trustRootSignatureKey(ctx, record);
  if (payload.type === PEER_FOLLOWED_RECORD) return peerRecordSignatureKey(ctx, record);
  if (payload.type.startsWith('federation.')) return operatorSignatureKey(tx, ctx, record);
  if (payload.request !== undefined || payload.requestSha256 !== undefined)
    return checkRequestSignature(tx, ctx, record);
  if (payload.type === 'party.registered') {
    const body = parseBody('party.registered', payload.body);
    if (body.party.id !== payload.actor)
      throw new AppError('FORBIDDEN', `a party registers itself: actor "${payload.actor}" ≠ party "${body.party.id}"`);
    if (body.key.keyId !== signature.keyId)
      throw new AppError(
        'FORBIDDEN',
        `party.registered must be signed by the key it registers (${body.key.keyId}), not ${signature.keyId}`,
      );
    return body.key.publicKey;
  }
  const key = await partyKeyIn(tx, signature.keyId);
  if (key === undefined) throw new AppError('FORBIDDEN', `key ${signature.keyId} is not registered`);
  if (key.party_id !== payload.actor)
    throw new AppError(
      'FORBIDDEN',
      `key ${signature.keyId} belongs to "${key.party_id}", not to the actor "${payload.actor}"`,
    );
  const ended = keyEnded(key);
  if (ended !== undefined) throw new AppError('FORBIDDEN', `${ended}: it signs nothing after that`);
  checkKeyRecord(payload, signature.keyId);
  return key.public_key;
}

/**
 * A federation record (federation.records.ts) is the log operator's own statement about a peer's
 * records: made by LOG_ID, signed with its key, never on a party's request.
 */
function operatorSignatureKey(tx: Transaction<Database>, ctx: AppContext, record: SignedRecord): string {
  const { payload, signature } = record;
  const operator = keyIn(tx, ctx, LOG_ID, 'ensure').key;
  if (payload.actor !== LOG_ID || payload.request !== undefined || payload.requestSha256 !== undefined)
    throw new AppError('FORBIDDEN', `a ${payload.type} record is made by the log operator (${LOG_ID}) alone`);
  if (signature.keyId !== operator.keyId)
    throw new AppError(
      'FORBIDDEN',
      `a ${payload.type} record must be signed by the log operator's key ${operator.keyId}, not ${signature.keyId}`,
    );
  return operator.publicKey;
}

/**
 * Re-checks one journal entry as a verifier would: the stored canonical bytes parse to the stored
 * record, re-canonicalise to themselves, and carry a valid signature by a key the actor held.
 */
export async function verifyEntry(tx: Transaction<Database>, ctx: AppContext, row: JournalRow): Promise<SignedRecord> {
  let record: SignedRecord;
  try {
    record = parseSignedRecord(parseCanonicalJson(row.canonical));
  } catch (e) {
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: ${(e as Error).message}`, { cause: e });
  }
  if (recordBytes(record) !== row.canonical)
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: stored bytes are not canonical`);
  if (record.payload.type !== row.type || record.payload.actor !== row.actor) {
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: columns disagree with the signed record`);
  }
  try {
    const publicKey = await checkSigningKey(tx, ctx, record);
    verifyRecord(record, publicKey);
  } catch (e) {
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: ${(e as Error).message}`, { cause: e });
  }
  return record;
}

/** Applies a verified journal entry to the projections (used by rebuild). */
export async function replayEntry(tx: Transaction<Database>, seq: number, record: SignedRecord): Promise<void> {
  await project(tx, record.payload.type, record.payload.body, {
    seq,
    actor: record.payload.actor,
    at: record.payload.at,
  });
  if (record.payload.type.startsWith('party.')) keysIn.delete(tx);
  if (record.payload.request !== undefined || record.payload.requestSha256 !== undefined)
    await spendNonce(tx, record, seq, 'replay');
}

const keysIn = new WeakMap<object, Map<string, PartyKeyRow | undefined>>();

/**
 * A party key as this transaction sees it, read once per transaction (a capture document's records
 * all name the same key); forgotten when the transaction commits a `party.*` record, which may
 * change the keys.
 */
async function partyKeyIn(tx: Transaction<Database>, keyId: string): Promise<PartyKeyRow | undefined> {
  let mine = keysIn.get(tx);
  if (mine === undefined) keysIn.set(tx, (mine = new Map<string, PartyKeyRow | undefined>()));
  if (mine.has(keyId)) return mine.get(keyId);
  const key = await partyKeysRepo.get(tx, keyId);
  mine.set(keyId, key);
  return key;
}

/**
 * A record made on a signed request: the record is signed by the log operator's key, and the request
 * by a key the actor held (registered and not revoked) — or, for `party.registered`, by the key the
 * record registers. Returns the public key that signed the record (the operator's).
 */
async function checkRequestSignature(
  tx: Transaction<Database>,
  ctx: AppContext,
  record: SignedRecord,
): Promise<string> {
  const { payload, signature } = record;
  const operator = keyIn(tx, ctx, LOG_ID, 'ensure').key;
  if (signature.keyId !== operator.keyId)
    throw new AppError(
      'FORBIDDEN',
      `a record made on a signed request must be signed by the log operator's key ${operator.keyId}, not ${signature.keyId}`,
    );
  let partyKey: string;
  const request = await requestOf(tx, record);
  const digest = requestDigest(request);
  const kid = requestKid(request);
  if (payload.type === 'party.registered') {
    const body = parseBody('party.registered', payload.body);
    if (body.party.id !== payload.actor)
      throw new AppError('FORBIDDEN', `a party registers itself: actor "${payload.actor}" ≠ party "${body.party.id}"`);
    if (body.key.keyId !== kid)
      throw new AppError(
        'FORBIDDEN',
        `party.registered must be requested with the key it registers (${body.key.keyId}), not ${kid}`,
      );
    partyKey = body.key.publicKey;
  } else {
    const key = await partyKeyIn(tx, kid);
    if (key === undefined) throw new AppError('FORBIDDEN', `request key ${kid} is not registered`);
    if (key.party_id !== payload.actor)
      throw new AppError(
        'FORBIDDEN',
        `request key ${kid} belongs to "${key.party_id}", not to the actor "${payload.actor}"`,
      );
    const ended = keyEnded(key);
    if (ended !== undefined) throw new AppError('FORBIDDEN', `request ${ended}: it signs nothing after that`);
    checkKeyRecord(payload, kid);
    partyKey = key.public_key;
  }
  // A request that makes many records (a capture document) is verified once per transaction.
  const seen = verifiedIn.get(tx) ?? new Set<string>();
  verifiedIn.set(tx, seen);
  if (!seen.has(`${partyKey} ${digest}`)) {
    verifyRequestJws(request, partyKey);
    seen.add(`${partyKey} ${digest}`);
  }
  if (payload.request !== undefined) {
    const carried = requestsIn.get(tx) ?? new Map<string, string>();
    requestsIn.set(tx, carried);
    // Bounded (a rebuild replays every request in one transaction); older ones are found through their nonce.
    if (carried.size >= 64 && !carried.has(digest)) carried.delete(carried.keys().next().value ?? '');
    carried.set(digest, request);
  }
  return operator.publicKey;
}
