import type { Transaction } from 'kysely';
import { z } from 'zod';
import { parse } from '../domain/index.js';
import { partyKeysRepo, type Database, type PartyKeyRow } from '../store/index.js';
import { isUtcMillis, verifyKeyPossession, type RecordPayload } from '../trust/index.js';
import { AppError } from './errors.js';

/**
 * Journal records of a party's signing keys after its registration (issue 18, item 9): their body
 * schemas, projectors (merged into the registry in records.ts) and the check `commit` and `rebuild`
 * make of them beyond the usual signature check (`checkKeyRecord`).
 *
 * - `party.key.rotated`: the party replaces its key in force. Signed (or, over the API, requested)
 *   with the key it retires, `previousKeyId`, and carrying `proof`, the new key's signature over the
 *   hand-over (src/trust/key-possession.ts): both keys sign it. The old key's validity ends at this
 *   entry; the new key's starts here.
 * - `party.key.revoked`: the party revokes one of its keys (in force or already replaced), with a
 *   reason and optionally the time it believes the key was compromised (a claim, recorded as given).
 *   Signed with a key of the party in force at that point — the revoked key itself included (a key
 *   holder can always stop its own key: a "suicide note", as OpenPGP revocation certificates are).
 *   The key signs nothing after this entry.
 *
 * The log operator cannot make either: records on a signed request need the party's own signature
 * on the request, and a record signed directly needs the party's key.
 */

/** A registered Ed25519 public key (party.registered, party.key.rotated). */
export const keySchema = z
  .object({
    algorithm: z.literal('Ed25519'),
    keyId: z.string().regex(/^ed25519:[A-Za-z0-9_-]{22}$/),
    publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  })
  .strict();
const keyId = z
  .string()
  .regex(/^ed25519:[A-Za-z0-9_-]{22}$/, 'must be a key id such as "ed25519:" followed by 22 base64url characters');

export const keyRevocationReason = z.string().trim().min(1, 'must not be empty').max(500);

export const partyKeyRotatedSchema = z
  .object({
    party: z.string().min(1).max(200),
    previousKeyId: keyId,
    key: keySchema,
    /** The new key's Ed25519 signature over the hand-over statement (base64url). */
    proof: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a 64-byte Ed25519 signature as unpadded base64url'),
  })
  .strict();
export type PartyKeyRotated = z.infer<typeof partyKeyRotatedSchema>;

export const partyKeyRevokedSchema = z
  .object({
    party: z.string().min(1).max(200),
    keyId,
    reason: keyRevocationReason,
    compromisedAt: z
      .string()
      .refine(isUtcMillis, 'must be an ISO-8601 UTC time with milliseconds, such as "2026-11-24T08:30:00.000Z"')
      .optional(),
  })
  .strict();
export type PartyKeyRevoked = z.infer<typeof partyKeyRevokedSchema>;

// A type alias (not an interface), so it satisfies the registry's Record<string, unknown> constraint.
export type KeyRecordTypes = {
  'party.key.rotated': PartyKeyRotated;
  'party.key.revoked': PartyKeyRevoked;
};

export const KEY_SCHEMAS: { readonly [K in keyof KeyRecordTypes]: z.ZodType<KeyRecordTypes[K]> } = {
  'party.key.rotated': partyKeyRotatedSchema,
  'party.key.revoked': partyKeyRevokedSchema,
};

export const KEY_PROJECTORS: {
  readonly [K in keyof KeyRecordTypes]: (
    tx: Transaction<Database>,
    body: KeyRecordTypes[K],
    meta: { seq: number; actor: string; at: string },
  ) => Promise<void>;
} = {
  async 'party.key.rotated'(tx, body, { seq }) {
    const old = await partyKeysRepo.replace(tx, body.party, body.previousKeyId, seq, body.key.keyId);
    if (old === undefined)
      throw new AppError(
        'FORBIDDEN',
        `journal entry ${seq}: key.rotation: ${body.previousKeyId} is not the key in force of "${body.party}"`,
        { field: 'previousKeyId' },
      );
    if (await partyKeysRepo.get(tx, body.key.keyId))
      throw new AppError(
        'FORBIDDEN',
        `journal entry ${seq}: key.rotation: key ${body.key.keyId} was registered before; a key is never used again`,
        { field: 'key.keyId' },
      );
    await partyKeysRepo.insert(tx, {
      key_id: body.key.keyId,
      party_id: body.party,
      algorithm: 'Ed25519',
      public_key: body.key.publicKey,
      created_seq: seq,
    });
  },
  async 'party.key.revoked'(tx, body, { seq }) {
    const row = await partyKeysRepo.revoke(tx, body.party, body.keyId, {
      seq,
      reason: body.reason,
      compromisedAt: body.compromisedAt ?? null,
    });
    if (row === undefined)
      throw new AppError(
        'FORBIDDEN',
        `journal entry ${seq}: key.revocation: ${body.keyId} is not an unrevoked key of "${body.party}"`,
        { field: 'keyId' },
      );
  },
};

/**
 * What a key record needs beyond a valid signature by a key of its actor (checked by `commit` and by
 * `rebuild` before the record is applied): it is about the actor's own keys; a rotation is signed
 * (or requested) with the key it retires, `partyKeyId`, and proves possession of the new key.
 */
export function checkKeyRecord(payload: RecordPayload, partyKeyId: string): void {
  if (payload.type === 'party.key.rotated') {
    const body = parse(partyKeyRotatedSchema, payload.body, 'body');
    if (body.party !== payload.actor)
      throw new AppError(
        'FORBIDDEN',
        `key.rotation: a party rotates only its own key: actor "${payload.actor}" ≠ party "${body.party}"`,
        { field: 'party' },
      );
    if (body.previousKeyId !== partyKeyId)
      throw new AppError(
        'FORBIDDEN',
        `key.rotation: must be signed with the key it retires (${body.previousKeyId}), not ${partyKeyId}`,
        { field: 'previousKeyId' },
      );
    try {
      verifyKeyPossession(
        { party: body.party, previousKeyId: body.previousKeyId, keyId: body.key.keyId },
        body.key.publicKey,
        body.proof,
      );
    } catch (e) {
      throw new AppError('FORBIDDEN', `key.rotation: ${(e as Error).message}`, { field: 'proof', cause: e });
    }
  } else if (payload.type === 'party.key.revoked') {
    const body = parse(partyKeyRevokedSchema, payload.body, 'body');
    if (body.party !== payload.actor)
      throw new AppError(
        'FORBIDDEN',
        `key.revocation: a party revokes only its own keys: actor "${payload.actor}" ≠ party "${body.party}"`,
        { field: 'party' },
      );
  }
}

/** Why a stored key may sign nothing more (replaced or revoked, naming the journal entry), or undefined while it is in force. */
export function keyEnded(key: PartyKeyRow): string | undefined {
  if (key.revoked_seq !== null && key.valid_until_seq === key.revoked_seq)
    return `key ${key.key_id} was revoked at journal entry ${key.revoked_seq} (${key.revocation_reason ?? ''})`;
  if (key.valid_until_seq !== null) {
    const revoked =
      key.revoked_seq === null
        ? ''
        : `, and revoked at journal entry ${key.revoked_seq} (${key.revocation_reason ?? ''})`;
    return `key ${key.key_id} was replaced by ${key.replaced_by ?? 'another key'} at journal entry ${key.valid_until_seq}${revoked}`;
  }
  return undefined;
}
