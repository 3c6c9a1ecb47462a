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
    return db
      .selectFrom('credentials')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  },

  async list(db: Kysely<Database>, opts: { partyId?: string } = {}): Promise<CredentialRow[]> {
    let q = db.selectFrom('credentials').selectAll();
    if (opts.partyId !== undefined) q = q.where('party_id', '=', opts.partyId);
    return q.orderBy('created_at').orderBy('id').execute();
  },

  /** Replaces the key hash of a live credential; undefined when it does not exist or is revoked. */
  async rotate(db: Kysely<Database>, id: string, keyHash: string, at: Date): Promise<CredentialRow | undefined> {
    return db
      .updateTable('credentials')
      .set({ key_hash: keyHash, rotated_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  },

  async revoke(db: Kysely<Database>, id: string, at: Date): Promise<CredentialRow | undefined> {
    return db
      .updateTable('credentials')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  },
};

export const auditorGrantsRepo = {
  /** Idempotent: granting twice keeps the first grant. */
  async grant(db: Kysely<Database>, auditor: string, licenceId: string, grantedBy: string): Promise<void> {
    await db
      .insertInto('auditor_grants')
      .values({ auditor, licence_id: licenceId, granted_by: grantedBy })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async has(db: Kysely<Database>, auditor: string, licenceId: string): Promise<boolean> {
    return (
      (await db
        .selectFrom('auditor_grants')
        .select('auditor')
        .where('auditor', '=', auditor)
        .where('licence_id', '=', licenceId)
        .executeTakeFirst()) !== undefined
    );
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

/**
 * How long the holder of an Idempotency-Key claim may stay silent before it is presumed dead: its
 * unmarked claim is then taken over by a retry, and a marked one (work committed, answer not
 * stored) is reported lost. A holder renews `alive_at` (`renew`) well within this while it works.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 60;

/** The first key of the two-key advisory locks on Idempotency-Keys (`lockAndFind`): "lodi" in ASCII. */
export const IDEMPOTENCY_LOCK_CLASS = 0x6c6f6469;

/** A claim found already taken: the row, and whether its holder is past its lease (presumed dead). */
export type PriorClaim = IdempotencyKeyRow & { readonly stale: boolean };

/** A keyed request's stored answer (`idempotencyRepo.record`). */
export interface IdempotencyAnswer {
  readonly credentialId: string;
  readonly key: string;
  readonly requestHash: string;
  readonly holder: string;
  readonly status: number;
  readonly response: string;
}

/** Per transaction (a group commit's shared attempt): the keys `lockAndFindAll` locked and read, by credential ‖ key. */
const foundIn = new WeakMap<object, Map<string, PriorClaim | 'busy' | undefined>>();
/** Per transaction that defers its answers (`deferRecords`): the answers held until `flushRecords`. */
const answersIn = new WeakMap<object, IdempotencyAnswer[]>();
const claimId = (credentialId: string, key: string) => `${credentialId}\n${key}`;

export const idempotencyRepo = {
  /**
   * Claims (credential, key) for a request on behalf of `holder` (the server process); returns the
   * existing row when the key was already used. A claim still in progress whose holder has been
   * silent for `leaseSeconds` (by `alive_at`, or `created_at` on rows older than migration 0021)
   * was left by a server that died mid-request, and one whose holder is `holder` itself was left by
   * a request of this process that ended without storing its answer — the caller guarantees it has
   * no request on this key in flight (src/http keeps them in memory). Either is taken over (one
   * taker: the update re-checks the row it locks), so the client's retry runs instead of being told
   * "in progress" forever. That cannot do the work twice: the HTTP layer marks the claim committed
   * (`markCommitted`) inside the use case's own transaction, so a claim still unmarked means the
   * first attempt wrote nothing.
   */
  async claim(
    db: Kysely<Database>,
    credentialId: string,
    key: string,
    requestHash: string,
    holder: string,
    leaseSeconds = IDEMPOTENCY_LEASE_SECONDS,
  ): Promise<PriorClaim | undefined> {
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({ credential_id: credentialId, key, request_hash: requestHash, holder, alive_at: sql<Date>`now()` })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted !== undefined) return undefined;
    const silentSince = sql<Date>`coalesce(alive_at, created_at)`;
    const prior = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .select(sql<boolean>`${silentSince} < now() - make_interval(secs => ${leaseSeconds})`.as('stale'))
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (prior === undefined || prior.status !== null || prior.request_hash !== requestHash) return prior;
    const taken = await db
      .updateTable('idempotency_keys')
      .set({ created_at: sql<Date>`now()`, alive_at: sql<Date>`now()`, holder })
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .where('status', 'is', null)
      .where((eb) =>
        eb.or([
          eb('holder', '=', holder),
          eb(silentSince, '<', sql<Date>`now() - make_interval(secs => ${leaseSeconds})`),
        ]),
      )
      .returning('key')
      .executeTakeFirst();
    return taken === undefined ? prior : undefined;
  },

  /** The holder says it is still working on the request (while no answer is stored). */
  async renew(db: Kysely<Database>, credentialId: string, key: string, holder: string): Promise<void> {
    await db
      .updateTable('idempotency_keys')
      .set({ alive_at: sql<Date>`now()` })
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .where('holder', '=', holder)
      .where('response', 'is', null)
      .execute();
  },

  /**
   * Marks a claim as committed (status 0: the work is recorded, the answer not stored yet). Called
   * inside the use case's transaction, so it commits with the work or not at all.
   */
  async markCommitted(db: Kysely<Database>, credentialId: string, key: string): Promise<void> {
    await db
      .updateTable('idempotency_keys')
      .set({ status: COMMITTED_WITHOUT_RESPONSE })
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .where('status', 'is', null)
      .execute();
  },

  async complete(
    db: Kysely<Database>,
    credentialId: string,
    key: string,
    status: number,
    response: string,
  ): Promise<void> {
    await db
      .updateTable('idempotency_keys')
      .set({ status, response })
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .execute();
  },

  /**
   * Inside the transaction that will do a keyed request's work (a group commit's savepoint): takes
   * the key's transaction-level advisory lock without waiting, and reads what is stored under the
   * key. 'busy' when another transaction holds the lock — a request with that key is being worked
   * on in another server process, whose answer is not committed yet. Every writer of a key row
   * takes this lock first, so once it is held no other transaction can store the key before this
   * one ends (one that committed just before the lock was taken may still be unseen by this read:
   * `record` then stores nothing and says so).
   */
  async lockAndFind(
    db: Kysely<Database>,
    credentialId: string,
    key: string,
    leaseSeconds = IDEMPOTENCY_LEASE_SECONDS,
  ): Promise<PriorClaim | 'busy' | undefined> {
    // Locked and read already, with the rest of its group (`lockAndFindAll`): answered once from there.
    const found = foundIn.get(db);
    const id = claimId(credentialId, key);
    if (found?.has(id) === true) {
      const hit = found.get(id);
      found.delete(id);
      return hit;
    }
    // One round trip: the lock, and the row as of this statement's snapshot (a row committed between
    // the snapshot and the lock is caught by `record`).
    const r = await sql<
      Omit<IdempotencyKeyRow, 'credential_id'> & { credential_id: string | null; got: boolean; stale: boolean | null }
    >`select pg_try_advisory_xact_lock(${IDEMPOTENCY_LOCK_CLASS}, hashtext(${`${credentialId}\n${key}`})) as got,
        k.*, coalesce(k.alive_at, k.created_at) < now() - make_interval(secs => ${leaseSeconds}) as stale
      from (select 1) as one
      left join idempotency_keys k on k.credential_id = ${credentialId} and k.key = ${key}`.execute(db);
    const row = r.rows[0];
    if (row?.got !== true) return 'busy';
    const { got: _got, stale, credential_id, ...rest } = row;
    if (credential_id === null) return undefined;
    return { ...rest, credential_id, stale: stale === true };
  },

  /**
   * `lockAndFind` for many keys in one statement (a group commit's shared attempt: the keys of every
   * request of the group, locked and read before any of them runs); each key's `lockAndFind` in `db`
   * is then answered from what this read, once.
   */
  async lockAndFindAll(
    db: Kysely<Database>,
    claims: readonly { readonly credentialId: string; readonly key: string }[],
    leaseSeconds = IDEMPOTENCY_LEASE_SECONDS,
  ): Promise<void> {
    if (claims.length === 0) return;
    const r = await sql<
      Omit<IdempotencyKeyRow, 'credential_id'> & {
        credential_id: string | null;
        n: string | number;
        got: boolean;
        stale: boolean | null;
      }
    >`select c.n, pg_try_advisory_xact_lock(${IDEMPOTENCY_LOCK_CLASS}, hashtext(c.credential_id || ${'\n'} || c.key)) as got,
        k.*, coalesce(k.alive_at, k.created_at) < now() - make_interval(secs => ${leaseSeconds}) as stale
      from unnest(${claims.map((c) => c.credentialId)}::text[], ${claims.map((c) => c.key)}::text[])
        with ordinality as c (credential_id, key, n)
      left join idempotency_keys k on k.credential_id = c.credential_id and k.key = c.key
      order by c.n`.execute(db);
    const found = foundIn.get(db) ?? new Map<string, PriorClaim | 'busy' | undefined>();
    foundIn.set(db, found);
    for (const row of r.rows) {
      const claim = claims[Number(row.n) - 1];
      if (claim === undefined) continue;
      const { got, stale, credential_id, n: _n, ...rest } = row;
      found.set(
        claimId(claim.credentialId, claim.key),
        !got ? 'busy' : credential_id === null ? undefined : { ...rest, credential_id, stale: stale === true },
      );
    }
  },

  /**
   * Holds the answers `record` stores in `tx` until `flushRecords` (a group commit's shared attempt:
   * one statement for the whole group). Only for a transaction whose caller flushes before it commits
   * and rolls it back when the flush says a key was stored meanwhile.
   */
  deferRecords(tx: Kysely<Database>): void {
    answersIn.set(tx, []);
  },

  /**
   * Stores the answers `tx` held, in one statement; false when any key was stored meanwhile (by a
   * transaction that committed before its lock was taken): the caller must roll everything back and
   * run the requests again one by one, as `record` would have told each.
   */
  async flushRecords(tx: Kysely<Database>): Promise<boolean> {
    const held = answersIn.get(tx);
    answersIn.delete(tx);
    foundIn.delete(tx);
    if (held === undefined || held.length === 0) return true;
    const column = <K extends keyof IdempotencyAnswer>(k: K) => held.map((a) => a[k]);
    const r = await sql<{ n: string | number }>`
      with ins as (
        insert into idempotency_keys (credential_id, key, request_hash, holder, alive_at, status, response)
        select v.credential_id, v.key, v.request_hash, v.holder, now(), v.status, v.response
        from unnest(${column('credentialId')}::text[], ${column('key')}::text[], ${column('requestHash')}::text[],
          ${column('holder')}::text[], ${column('status')}::int[], ${column('response')}::text[])
          as v (credential_id, key, request_hash, holder, status, response)
        on conflict do nothing
        returning 1)
      select count(*) as n from ins`.execute(tx);
    return Number(r.rows[0]?.n) === held.length;
  },

  /**
   * Stores a keyed request's answer in the transaction that did its work (after `lockAndFind`), so
   * the work and its answer commit together or not at all. False when the key was stored meanwhile
   * (by a transaction that committed before the lock was taken): the caller must roll its work back
   * and answer with the stored row.
   */
  async record(db: Kysely<Database>, row: IdempotencyAnswer): Promise<boolean> {
    // Held for the group's one statement (`deferRecords`), whose `flushRecords` says whether every key was still free.
    const held = answersIn.get(db);
    if (held !== undefined) {
      held.push(row);
      return true;
    }
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        credential_id: row.credentialId,
        key: row.key,
        request_hash: row.requestHash,
        holder: row.holder,
        alive_at: sql<Date>`now()`,
        status: row.status,
        response: row.response,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst();
    return inserted !== undefined;
  },

  /** Deletes an unanswered claim (left by a server that died, see `claim`) so that a retry can take the key. */
  async forget(db: Kysely<Database>, credentialId: string, key: string): Promise<void> {
    await db
      .deleteFrom('idempotency_keys')
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .where('status', 'is', null)
      .execute();
  },

  /** Forgets a claim whose request failed on the server's side, so the client can retry. */
  async release(db: Kysely<Database>, credentialId: string, key: string): Promise<void> {
    await db
      .deleteFrom('idempotency_keys')
      .where('credential_id', '=', credentialId)
      .where('key', '=', key)
      .where('status', 'is', null)
      .execute();
  },
};
