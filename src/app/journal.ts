import type { Transaction } from 'kysely';
import { journalRepo, partyKeysRepo, type AppendResult, type Database, type JournalRow } from '../store/index.js';
import { parseCanonicalJson, parseSignedRecord, recordBytes, signRecord, verifyRecord, type SignedRecord } from '../trust/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { publishCheckpoint } from './log.js';
import { parseBody, project, type RecordType, type RecordTypes } from './records.js';

export interface Committed extends AppendResult {
  readonly record: SignedRecord;
}

/**
 * Signs a record with the actor's key, appends it to the journal and applies it to the projections,
 * all in the caller's transaction: the record and its projection rows commit together or not at all.
 */
export async function commit<T extends RecordType>(tx: Transaction<Database>, ctx: AppContext, type: T, actor: string, body: RecordTypes[T]): Promise<Committed> {
  const checked = parseBody(type, body);
  const signer = ctx.keystore.signer(actor);
  const at = ctx.clock().toISOString();
  const record = signRecord({ v: 1, type, actor, at, body: checked }, signer);
  await checkSigningKey(tx, record);
  const appended = await journalRepo.append(tx, record);
  await project(tx, type, checked, { seq: appended.seq, actor, at });
  // The transparency log's checkpoint, signed and stored in the same transaction as the record.
  await publishCheckpoint(tx, ctx);
  return { ...appended, record };
}

/**
 * The key that signed a record must belong to its actor: registered in party_keys for that party
 * and not revoked — except for `party.registered`, which is self-certifying (signed by the key it
 * registers, proving possession).
 */
async function checkSigningKey(tx: Transaction<Database>, record: SignedRecord): Promise<string> {
  const { payload, signature } = record;
  if (payload.type === 'party.registered') {
    const body = parseBody('party.registered', payload.body);
    if (body.party.id !== payload.actor) throw new AppError('FORBIDDEN', `a party registers itself: actor "${payload.actor}" ≠ party "${body.party.id}"`);
    if (body.key.keyId !== signature.keyId) throw new AppError('FORBIDDEN', `party.registered must be signed by the key it registers (${body.key.keyId}), not ${signature.keyId}`);
    return body.key.publicKey;
  }
  const key = await partyKeysRepo.get(tx, signature.keyId);
  if (key === undefined) throw new AppError('FORBIDDEN', `key ${signature.keyId} is not registered`);
  if (key.party_id !== payload.actor) throw new AppError('FORBIDDEN', `key ${signature.keyId} belongs to "${key.party_id}", not to the actor "${payload.actor}"`);
  if (key.revoked_seq !== null) throw new AppError('FORBIDDEN', `key ${signature.keyId} was revoked at journal entry ${key.revoked_seq}`);
  return key.public_key;
}

/**
 * Re-checks one journal entry as a verifier would: the stored canonical bytes parse to the stored
 * record, re-canonicalise to themselves, and carry a valid signature by a key the actor held.
 */
export async function verifyEntry(tx: Transaction<Database>, row: JournalRow): Promise<SignedRecord> {
  let record: SignedRecord;
  try {
    record = parseSignedRecord(parseCanonicalJson(row.canonical));
  } catch (e) {
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: ${(e as Error).message}`, { cause: e });
  }
  if (recordBytes(record) !== row.canonical) throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: stored bytes are not canonical`);
  if (record.payload.type !== row.type || record.payload.actor !== row.actor) {
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: columns disagree with the signed record`);
  }
  try {
    const publicKey = await checkSigningKey(tx, record);
    verifyRecord(record, publicKey);
  } catch (e) {
    throw new AppError('JOURNAL_INVALID', `journal entry ${row.seq}: ${(e as Error).message}`, { cause: e });
  }
  return record;
}

/** Applies a verified journal entry to the projections (used by rebuild). */
export async function replayEntry(tx: Transaction<Database>, seq: number, record: SignedRecord): Promise<void> {
  await project(tx, record.payload.type, record.payload.body, { seq, actor: record.payload.actor, at: record.payload.at });
}

