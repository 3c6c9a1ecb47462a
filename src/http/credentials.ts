import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError, type AppContext } from '../app/index.js';
import { ValidationError } from '../domain/index.js';
import { credentialsRepo, partiesRepo, type CredentialRow } from '../store/index.js';
import { isRole, privilegeRefusal, type Principal, type Role } from './roles.js';

/**
 * API keys. A key is `lsk_` + 32 random bytes (base64url); only its SHA-256 is stored. A slow
 * password hash (scrypt, argon2) exists to make guessing low-entropy secrets expensive; a 256-bit
 * random secret cannot be guessed, so SHA-256 gives the same protection against a stolen table,
 * costs microseconds per request instead of tens of milliseconds, and lets the key be looked up by
 * its hash (a unique index) rather than by scanning. The key is shown once, when issued or rotated.
 */
const PREFIX = 'lsk_';
const KEY = /^lsk_[A-Za-z0-9_-]{43}$/;

export interface CredentialInfo {
  readonly id: string;
  readonly partyId: string | null;
  readonly role: Role;
  readonly label: string | null;
  readonly createdAt: string;
  readonly rotatedAt: string | null;
  readonly revokedAt: string | null;
}

export interface IssuedCredential extends CredentialInfo {
  /** The API key: shown only now. */
  readonly key: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function newKey(): string {
  return `${PREFIX}${randomBytes(32).toString('base64url')}`;
}

function info(r: CredentialRow): CredentialInfo {
  if (!isRole(r.role)) throw new AppError('JOURNAL_INVALID', `credential ${r.id} has an unknown role "${r.role}"`);
  return {
    id: r.id,
    partyId: r.party_id,
    role: r.role,
    label: r.label,
    createdAt: new Date(r.created_at).toISOString(),
    rotatedAt: r.rotated_at === null ? null : new Date(r.rotated_at).toISOString(),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
  };
}

/** A caller managing a credential it may not (item 9's privilege order, src/http/roles.ts). Thrown inside the transaction, so nothing is written. */
function checkPrivilege(by: Principal | undefined, target: { role: Role; partyId: string | null }): void {
  const refusal = by === undefined ? undefined : privilegeRefusal(by, target);
  if (refusal !== undefined) throw new AppError('CREDENTIAL_PRIVILEGE', refusal, { field: 'credential' });
}

/**
 * Issues a credential for a registered party (or, with role operator-admin, for no party). `by`, the
 * caller over the API, may issue only credentials it may manage (its own role or lower, its own party).
 */
export async function issueCredential(
  ctx: AppContext,
  req: { partyId?: string | undefined; role: string; label?: string | undefined },
  by?: Principal,
): Promise<IssuedCredential> {
  if (!isRole(req.role))
    throw new ValidationError(
      'role',
      `must be one of exporter, licensing-authority, importer, importing-government, downstream-holder, auditor, operator-admin`,
    );
  if (req.role === 'operator-admin' && req.partyId !== undefined)
    throw new ValidationError('party', 'an operator-admin credential belongs to no party');
  if (req.role !== 'operator-admin' && req.partyId === undefined)
    throw new ValidationError('party', `is required for role ${req.role}`);
  if (req.label !== undefined && (req.label.length === 0 || req.label.length > 200))
    throw new ValidationError('label', 'must be 1–200 characters');
  checkPrivilege(by, { role: req.role, partyId: req.partyId ?? null });
  const key = newKey();
  // One transaction (through ctx.store, so an HTTP Idempotency-Key claim is marked committed with it).
  const row = await ctx.store.transaction(async (tx) => {
    if (req.partyId !== undefined && !(await partiesRepo.get(tx, req.partyId)))
      throw new AppError('NOT_FOUND', `no party "${req.partyId}"`, { field: 'party' });
    return credentialsRepo.insert(tx, {
      id: `cred_${randomBytes(12).toString('base64url')}`,
      party_id: req.partyId ?? null,
      role: req.role,
      key_hash: hashKey(key),
      label: req.label ?? null,
    });
  });
  return { ...info(row), key };
}

/** Thrown inside the transaction, so that it (and an Idempotency-Key mark with it) rolls back. */
function noLiveCredential(id: string): never {
  throw new AppError('NOT_FOUND', `no live credential "${id}"`, { field: 'credential' });
}

/** The stored credential `id`, checked against the caller's privilege, inside the transaction. */
async function manageable(
  tx: Parameters<typeof credentialsRepo.get>[0],
  id: string,
  by: Principal | undefined,
): Promise<void> {
  const row = await credentialsRepo.get(tx, id);
  if (row === undefined || row.revoked_at !== null) noLiveCredential(id);
  checkPrivilege(by, info(row));
}

/**
 * A new key for the same credential; the old key stops working at once. The credential keeps its
 * own role and party (never the caller's); `by`, the caller over the API, may rotate only
 * credentials it may manage.
 */
export async function rotateCredential(ctx: AppContext, id: string, by?: Principal): Promise<IssuedCredential> {
  const key = newKey();
  const row = await ctx.store.transaction(async (tx) => {
    await manageable(tx, id, by);
    return (await credentialsRepo.rotate(tx, id, hashKey(key), ctx.clock())) ?? noLiveCredential(id);
  });
  return { ...info(row), key };
}

export async function revokeCredential(ctx: AppContext, id: string, by?: Principal): Promise<CredentialInfo> {
  const row = await ctx.store.transaction(async (tx) => {
    await manageable(tx, id, by);
    return (await credentialsRepo.revoke(tx, id, ctx.clock())) ?? noLiveCredential(id);
  });
  return info(row);
}

export async function getCredential(ctx: AppContext, id: string): Promise<CredentialInfo | undefined> {
  const row = await credentialsRepo.get(ctx.store.db, id);
  return row && info(row);
}

export async function listCredentials(
  ctx: AppContext,
  opts: { partyId?: string } = {},
): Promise<readonly CredentialInfo[]> {
  return (await credentialsRepo.list(ctx.store.db, opts)).map(info);
}

/** The principal behind an `Authorization: Bearer <key>` header, or undefined for a missing, malformed, unknown or revoked key. */
export async function authenticate(ctx: AppContext, authorization: string | undefined): Promise<Principal | undefined> {
  if (authorization === undefined) return undefined;
  const m = /^Bearer ([^\s]+)$/.exec(authorization);
  const key = m?.[1];
  if (key === undefined || !KEY.test(key)) return undefined;
  const hash = hashKey(key);
  const row = await credentialsRepo.byKeyHash(ctx.store.db, hash);
  // The lookup is by hash (an index), so the comparison below is defence in depth, in constant time.
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex')) || !isRole(row.role))
    return undefined;
  return { credentialId: row.id, role: row.role, partyId: row.party_id };
}
