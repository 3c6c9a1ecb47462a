import { parse, ValidationError } from '../domain/index.js';
import { partyKeysRepo, type PartyKeyRow } from '../store/index.js';
import { keyIdFor, signKeyPossession, signerFromPem, verifyKeyPossession } from '../trust/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';
import { keyEnded, keyRevocationReason } from './keys.records.js';
import { requireParty } from './parties.js';

/**
 * Signing-key rotation and revocation (records in keys.records.ts). Each is one transaction: the
 * record and the party_keys change commit together or not at all.
 */

export interface RotatedKey {
  readonly party: string;
  readonly previousKeyId: string;
  readonly keyId: string;
  readonly seq: number;
  /** True when this call only finished a rotation committed earlier whose key file was not yet promoted. */
  readonly resumed?: boolean;
}

export interface RevokedKey {
  readonly party: string;
  readonly keyId: string;
  readonly seq: number;
  readonly reason: string;
  /** True when the party has no key in force any more: it can sign nothing until it is registered anew. */
  readonly noKeyLeft: boolean;
}

export interface PartyKeyInfo {
  readonly keyId: string;
  readonly publicKey: string;
  readonly validFromSeq: number;
  readonly validUntilSeq: number | null;
  readonly replacedBy: string | null;
  readonly revokedSeq: number | null;
  readonly revocationReason: string | null;
  readonly compromisedAt: string | null;
  readonly inForce: boolean;
}

function info(k: PartyKeyRow): PartyKeyInfo {
  return {
    keyId: k.key_id,
    publicKey: k.public_key,
    validFromSeq: k.valid_from_seq,
    validUntilSeq: k.valid_until_seq,
    replacedBy: k.replaced_by,
    revokedSeq: k.revoked_seq,
    revocationReason: k.revocation_reason,
    compromisedAt: k.compromised_at,
    inForce: k.valid_until_seq === null,
  };
}

/** A party's signing keys with their validity windows, oldest first. */
export async function listPartyKeys(ctx: AppContext, partyId: string): Promise<readonly PartyKeyInfo[]> {
  await requireParty(ctx.store.db, partyId, 'party');
  return (await partyKeysRepo.listByParty(ctx.store.db, partyId)).map(info);
}

/**
 * Rotates a party's signing key.
 *
 * - Over the API (`ctx.request` set, the party's key never here): the request is signed with the key
 *   in force, which the rotation retires; `bring` holds the new public key and its proof of possession
 *   (`signKeyPossession`, made where the new private key is).
 * - Locally (CLI): the party's key in the keystore signs; the new key (the PEM given, or a fresh one)
 *   is staged beside it, proves possession, and becomes the keystore's key once the rotation commits.
 *   If a rotation committed but its key was never promoted (a crash in between), it is finished.
 */
export async function rotateSigningKey(
  ctx: AppContext,
  partyId: string,
  opts: { bring?: { publicKey: unknown; proof: unknown }; newKeyPem?: string } = {},
): Promise<RotatedKey> {
  if (ctx.request !== undefined || opts.bring !== undefined) return rotateBrought(ctx, partyId, opts.bring);
  await requireParty(ctx.store.db, partyId, 'party');
  const current = await partyKeysRepo.current(ctx.store.db, partyId);
  const held = ctx.keystore.get(partyId);
  const staged = ctx.keystore.staged(partyId);
  if (current !== undefined && current.key_id !== held.keyId && staged?.keyId === current.key_id) {
    // The journal already names the staged key as the party's key: finish the interrupted rotation.
    ctx.keystore.promoteNext(partyId, current.key_id);
    return {
      party: partyId,
      previousKeyId: held.keyId,
      keyId: current.key_id,
      seq: current.created_seq,
      resumed: true,
    };
  }
  if (current?.key_id !== held.keyId) {
    throw new AppError(
      'FORBIDDEN',
      `key.rotation: the keystore's key for "${partyId}" (${held.keyId}) is not its key in force (${current === undefined ? 'none' : current.key_id})`,
      { field: 'party' },
    );
  }
  let next;
  try {
    next = ctx.keystore.stageNext(partyId, opts.newKeyPem);
  } catch (e) {
    throw new ValidationError('newKey', (e as Error).message);
  }
  if (next.keyId === held.keyId) {
    ctx.keystore.discardNext(partyId);
    throw new ValidationError('newKey', `is the key in force (${held.keyId}); a rotation needs a new key`);
  }
  const proof = signKeyPossession(signerFromPem(next.privateKeyPem), { party: partyId, previousKeyId: held.keyId });
  let seq: number;
  try {
    seq = await ctx.store.transaction(async (tx) => {
      if (await partyKeysRepo.get(tx, next.keyId))
        throw new AppError('ALREADY_EXISTS', `key ${next.keyId} was registered before; a key is never used again`, {
          field: 'newKey',
        });
      const c = await commit(tx, ctx, 'party.key.rotated', partyId, {
        party: partyId,
        previousKeyId: held.keyId,
        key: { algorithm: 'Ed25519', keyId: next.keyId, publicKey: next.publicKey },
        proof,
      });
      return c.seq;
    });
  } catch (e) {
    ctx.keystore.discardNext(partyId);
    throw e;
  }
  ctx.keystore.promoteNext(partyId, next.keyId);
  return { party: partyId, previousKeyId: held.keyId, keyId: next.keyId, seq };
}

async function rotateBrought(
  ctx: AppContext,
  partyId: string,
  bring: { publicKey: unknown; proof: unknown } | undefined,
): Promise<RotatedKey> {
  const request = ctx.request;
  if (request === undefined || bring === undefined)
    throw new AppError(
      'FORBIDDEN',
      'key.rotation: over the API the party brings its new public key and proof of possession, on a request signed with its key in force',
    );
  if (typeof bring.publicKey !== 'string')
    throw new ValidationError('publicKey', 'must be a raw Ed25519 public key as base64url');
  if (typeof bring.proof !== 'string')
    throw new ValidationError('proof', "must be the new key's signature over the hand-over, base64url");
  let keyId: string;
  try {
    keyId = keyIdFor(bring.publicKey);
  } catch (e) {
    throw new ValidationError('publicKey', (e as Error).message);
  }
  const previousKeyId = request.keyId;
  try {
    verifyKeyPossession({ party: partyId, previousKeyId, keyId }, bring.publicKey, bring.proof);
  } catch (e) {
    throw new ValidationError('proof', (e as Error).message);
  }
  const publicKey = bring.publicKey;
  const proof = bring.proof;
  return ctx.store.transaction(async (tx) => {
    await requireParty(tx, partyId, 'party');
    if (await partyKeysRepo.get(tx, keyId))
      throw new AppError('ALREADY_EXISTS', `key ${keyId} was registered before; a key is never used again`, {
        field: 'publicKey',
      });
    const c = await commit(tx, ctx, 'party.key.rotated', partyId, {
      party: partyId,
      previousKeyId,
      key: { algorithm: 'Ed25519', keyId, publicKey },
      proof,
    });
    return { party: partyId, previousKeyId, keyId, seq: c.seq };
  });
}

/**
 * Revokes one of a party's keys (in force or already replaced), signed with its key in force (the
 * keystore's, or over the API the signed request's). From this entry on the key signs nothing;
 * revoking the key in force leaves the party without a key.
 */
export async function revokeSigningKey(
  ctx: AppContext,
  partyId: string,
  keyId: unknown,
  opts: { reason: unknown; compromisedAt?: unknown },
): Promise<RevokedKey> {
  if (typeof keyId !== 'string' || !/^ed25519:[A-Za-z0-9_-]{22}$/.test(keyId))
    throw new ValidationError(
      'keyId',
      `must be a key id such as "ed25519:" followed by 22 base64url characters, got ${JSON.stringify(keyId)}`,
    );
  const reason = parse(keyRevocationReason, opts.reason, 'reason');
  let compromisedAt: string | undefined;
  if (opts.compromisedAt !== undefined) {
    const t = typeof opts.compromisedAt === 'string' ? new Date(opts.compromisedAt) : new Date(NaN);
    if (Number.isNaN(t.getTime()))
      throw new ValidationError('compromisedAt', `must be an ISO-8601 time, got ${JSON.stringify(opts.compromisedAt)}`);
    if (t.getTime() > ctx.clock().getTime()) throw new ValidationError('compromisedAt', 'must not be in the future');
    compromisedAt = t.toISOString();
  }
  return ctx.store.transaction(async (tx) => {
    await requireParty(tx, partyId, 'party');
    const key = await partyKeysRepo.get(tx, keyId);
    if (key?.party_id !== partyId)
      throw new AppError('NOT_FOUND', `"${partyId}" has no key ${keyId}`, { field: 'keyId' });
    if (key.revoked_seq !== null)
      throw new AppError('ALREADY_EXISTS', keyEnded(key) ?? `key ${keyId} was revoked`, { field: 'keyId' });
    const c = await commit(tx, ctx, 'party.key.revoked', partyId, {
      party: partyId,
      keyId,
      reason,
      ...(compromisedAt === undefined ? {} : { compromisedAt }),
    });
    const left = await partyKeysRepo.current(tx, partyId);
    return { party: partyId, keyId, seq: c.seq, reason, noKeyLeft: left === undefined };
  });
}
