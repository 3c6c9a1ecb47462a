import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { AuditorGrantRow, CredentialRow, IdempotencyKeyRow, NewCredential } from './credentials.table.js';

/**
 * API credentials, auditor grants and idempotency records (migration 0009). Operator state, not
 * journal projections: `rebuild` does not touch them.
 */
export const credentialsRepo = {
  async insert(db: Kysely<Database>, row: NewCredential): Promise<CredentialRow> {
    return db.insertInto('credentials').values(row).returningAll().executeTakeFirstOrThrow();
  },

  async get(db: Kysely<Database>, id: string): Promise<CredentialRow | undefined> {
    return db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** The credential whose key hashes to `keyHash` and is not revoked. */
  async byKeyHash(db: Kysely<Database>, keyHash: string): Promise<CredentialRow | undefined> {
    return db.selectFrom('credentials').selectAll().where('key_hash', '=', keyHash).where('revoked_at', 'is', null).executeTakeFirst();
  },

  async list(db: Kysely<Database>, opts: { partyId?: string } = {}): Promise<CredentialRow[]> {
    let q = db.selectFrom('credentials').selectAll();
    if (opts.partyId !== undefined) q = q.where('party_id', '=', opts.partyId);
    return q.orderBy('created_at').orderBy('id').execute();
  },

  /** Replaces the key hash of a live credential; undefined when it does not exist or is revoked. */
  async rotate(db: Kysely<Database>, id: string, keyHash: string, at: Date): Promise<CredentialRow | undefined> {
    return db.updateTable('credentials').set({ key_hash: keyHash, rotated_at: at }).where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();
  },

  async revoke(db: Kysely<Database>, id: string, at: Date): Promise<CredentialRow | undefined> {
    return db.updateTable('credentials').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();
  },
};

export const auditorGrantsRepo = {
  /** Idempotent: granting twice keeps the first grant. */
  async grant(db: Kysely<Database>, auditor: string, licenceId: string, grantedBy: string): Promise<void> {
    await db.insertInto('auditor_grants').values({ auditor, licence_id: licenceId, granted_by: grantedBy }).onConflict((oc) => oc.doNothing()).execute();
  },

  async has(db: Kysely<Database>, auditor: string, licenceId: string): Promise<boolean> {
    return (await db.selectFrom('auditor_grants').select('auditor').where('auditor', '=', auditor).where('licence_id', '=', licenceId).executeTakeFirst()) !== undefined;
  },

  async list(db: Kysely<Database>, opts: { auditor?: string; licenceId?: string }): Promise<AuditorGrantRow[]> {
    let q = db.selectFrom('auditor_grants').selectAll();
    if (opts.auditor !== undefined) q = q.where('auditor', '=', opts.auditor);
    if (opts.licenceId !== undefined) q = q.where('licence_id', '=', opts.licenceId);
    return q.orderBy('granted_at').execute();
  },
};

/** `idempotency_keys.status` of a request whose work committed but whose answer was never stored (the server stopped in between). */
export const COMMITTED_WITHOUT_RESPONSE = 0;

export const idempotencyRepo = {
  /**
   * Claims (credential, key) for a request; returns the existing row when the key was already used.
   * A claim still in progress after `staleSeconds` was left by a server that died mid-request: it is
   * taken over (one taker: the update re-checks the age of the row it locks), so the client's retry
   * runs instead of being told "in progress" forever. That cannot do the work twice: the HTTP layer
   * marks the claim committed (`markCommitted`) inside the use case's own transaction, so a claim
   * still unmarked means the first attempt wrote nothing.
   */
  async claim(db: Kysely<Database>, credentialId: string, key: string, requestHash: string, staleSeconds = 300): Promise<IdempotencyKeyRow | undefined> {
    const inserted = await db.insertInto('idempotency_keys').values({ credential_id: credentialId, key, request_hash: requestHash }).onConflict((oc) => oc.doNothing()).returning('key').executeTakeFirst();
    if (inserted !== undefined) return undefined;
    const prior = await db.selectFrom('idempotency_keys').selectAll().where('credential_id', '=', credentialId).where('key', '=', key).executeTakeFirst();
    if (prior === undefined || prior.status !== null || prior.request_hash !== requestHash) return prior;
    const taken = await db
      .updateTable('idempotency_keys')
      .set({ created_at: sql<Date>`now()` })
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .where('status', 'is', null)
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${staleSeconds})`)
      .returning('key')
      .executeTakeFirst();
    return taken === undefined ? prior : undefined;
  },

  /**
   * Marks a claim as committed (status 0: the work is recorded, the answer not stored yet). Called
   * inside the use case's transaction, so it commits with the work or not at all.
   */
  async markCommitted(db: Kysely<Database>, credentialId: string, key: string): Promise<void> {
    await db.updateTable('idempotency_keys').set({ status: COMMITTED_WITHOUT_RESPONSE }).where('credential_id', '=', credentialId).where('key', '=', key).where('status', 'is', null).execute();
  },

  async complete(db: Kysely<Database>, credentialId: string, key: string, status: number, response: string): Promise<void> {
    await db.updateTable('idempotency_keys').set({ status, response }).where('credential_id', '=', credentialId).where('key', '=', key).execute();
  },

  /** Forgets a claim whose request failed on the server's side, so the client can retry. */
  async release(db: Kysely<Database>, credentialId: string, key: string): Promise<void> {
    await db.deleteFrom('idempotency_keys').where('credential_id', '=', credentialId).where('key', '=', key).where('status', 'is', null).execute();
  },
};
