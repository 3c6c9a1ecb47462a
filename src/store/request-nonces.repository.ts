import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { NewRequestNonce, RequestNonceRow } from './request-nonces.table.js';

export const requestNoncesRepo = {
  /**
   * Spends a nonce: true if this call inserted it, false if it was already spent (by any request —
   * the caller compares `jws_sha256` of `get` to tell the same request from a replay).
   */
  async spend(db: Kysely<Database>, row: NewRequestNonce): Promise<boolean> {
    const r = await db
      .insertInto('request_nonces')
      .values(row)
      .onConflict((oc) => oc.column('nonce').doNothing())
      .returning('nonce')
      .executeTakeFirst();
    return r !== undefined;
  },

  /** The nonce a request with this hex SHA-256 spent (no index: for the rare lookup outside the transaction that made the records). */
  async byDigest(db: Kysely<Database>, jwsSha256: string): Promise<RequestNonceRow | undefined> {
    return db.selectFrom('request_nonces').selectAll().where('jws_sha256', '=', jwsSha256).executeTakeFirst();
  },

  async get(db: Kysely<Database>, nonce: string): Promise<RequestNonceRow | undefined> {
    return db.selectFrom('request_nonces').selectAll().where('nonce', '=', nonce).executeTakeFirst();
  },
};
