import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { NewRequestNonce, RequestNonceRow } from './request-nonces.table.js';

/** Transactions whose spends are held until `flushSpends` (a group commit's shared attempt), with the spends held. */
const deferredIn = new WeakMap<object, NewRequestNonce[]>();

export const requestNoncesRepo = {
  /**
   * Spends a nonce: true if this call inserted it, false if it was already spent (by any request —
   * the caller compares `jws_sha256` of `get` to tell the same request from a replay). In a
   * transaction that defers its spends (`deferSpends`) the row is held and true returned: its
   * `flushSpends` must then find every held nonce unspent, or the transaction must not commit.
   */
  async spend(db: Kysely<Database>, row: NewRequestNonce): Promise<boolean> {
    const held = deferredIn.get(db);
    if (held !== undefined) {
      held.push(row);
      return true;
    }
    const r = await db
      .insertInto('request_nonces')
      .values(row)
      .onConflict((oc) => oc.column('nonce').doNothing())
      .returning('nonce')
      .executeTakeFirst();
    return r !== undefined;
  },

  /**
   * Holds `tx`'s spends until `flushSpends` (group commit, src/app/group-commit.ts: one statement for the
   * nonces of a whole group instead of one per request). Only for a transaction whose caller flushes
   * before it commits and rolls it back when the flush says a nonce was spent already.
   */
  deferSpends(tx: Kysely<Database>): void {
    deferredIn.set(tx, []);
  },

  /**
   * Writes the spends `tx` held, in one statement; false when any of them was spent already (by a
   * transaction that committed first, or twice among them): a replay, which the caller must not
   * commit — it runs its requests again one by one (`spend`, which names the replayed one).
   */
  async flushSpends(tx: Kysely<Database>): Promise<boolean> {
    const held = deferredIn.get(tx);
    deferredIn.delete(tx);
    if (held === undefined || held.length === 0) return true;
    const column = <K extends keyof NewRequestNonce>(k: K) => held.map((r) => r[k]);
    const r = await sql<{ n: string | number }>`
      with ins as (
        insert into request_nonces (nonce, party_id, key_id, jws_sha256, first_seq)
        select * from unnest(${column('nonce')}::text[], ${column('party_id')}::text[], ${column('key_id')}::text[],
          ${column('jws_sha256')}::text[], ${column('first_seq')}::bigint[])
        on conflict (nonce) do nothing
        returning 1)
      select count(*) as n from ins`.execute(tx);
    return Number(r.rows[0]?.n) === held.length;
  },

  /** The nonce a request with this hex SHA-256 spent (no index: for the rare lookup outside the transaction that made the records). */
  async byDigest(db: Kysely<Database>, jwsSha256: string): Promise<RequestNonceRow | undefined> {
    return db.selectFrom('request_nonces').selectAll().where('jws_sha256', '=', jwsSha256).executeTakeFirst();
  },

  async get(db: Kysely<Database>, nonce: string): Promise<RequestNonceRow | undefined> {
    return db.selectFrom('request_nonces').selectAll().where('nonce', '=', nonce).executeTakeFirst();
  },
};
