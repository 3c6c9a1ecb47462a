import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { FederationStatusListRow } from './federation.tables.js';

/**
 * The peers' status lists as last fetched and verified (migration 0035, operator state: written by
 * the fetcher, src/federation/status-fetch.ts, never by a journal record; left alone by a rebuild).
 * One row per (peer, issuer); a write replaces it. Only lists that verified are stored.
 */
export const statusListCacheRepo = {
  async get(db: Kysely<Database>, node: string, partyId: string): Promise<FederationStatusListRow | undefined> {
    return db
      .selectFrom('federation_status_lists')
      .selectAll()
      .where('node', '=', node)
      .where('party_id', '=', partyId)
      .executeTakeFirst();
  },
  async put(
    db: Kysely<Database>,
    r: { node: string; party_id: string; url: string; etag: string | null; jws: string; fetched_at: string },
  ): Promise<void> {
    await db
      .insertInto('federation_status_lists')
      .values(r)
      .onConflict((oc) =>
        oc
          .columns(['node', 'party_id'])
          .doUpdateSet({ url: r.url, etag: r.etag, jws: r.jws, fetched_at: r.fetched_at }),
      )
      .execute();
  },
  /** A 304: the list held is still the peer's, as of `at`. */
  async touch(db: Kysely<Database>, node: string, partyId: string, at: string): Promise<void> {
    await db
      .updateTable('federation_status_lists')
      .set({ fetched_at: at })
      .where('node', '=', node)
      .where('party_id', '=', partyId)
      .execute();
  },
};
