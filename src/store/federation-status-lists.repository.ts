import { sql, type Kysely } from 'kysely';
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
  /**
   * The certificate a decision relies on — named directly, or as the one licence `licenceId` relies
   * on — when it is a peer's (its issuer at home on a peer whose public URL is pinned) and still active
   * here: one indexed read, so decisions on local certificates pay one query for the check.
   */
  async activePeerCertificate(
    db: Kysely<Database>,
    by: { certificateId: string } | { licenceId: string },
  ): Promise<{ certificate_id: string; node: string } | undefined> {
    let q = db
      .selectFrom('certificates as c')
      .innerJoin('federation_party_homes as h', 'h.party_id', 'c.issuer')
      .innerJoin('federation_peers as p', 'p.node', 'h.node')
      .select(['c.id as certificate_id', 'p.node'])
      .where('c.status', '=', 'active')
      .where('p.public_url', 'is not', null);
    q =
      'certificateId' in by
        ? q.where('c.id', '=', by.certificateId)
        : q.where('c.id', '=', (eb) =>
            eb
              .selectFrom('licences')
              .select(sql<string>`licence->>'certificateId'`.as('certificate_id'))
              .where('id', '=', by.licenceId),
          );
    return q.executeTakeFirst();
  },
  /**
   * The licences `holder` holds in force that rely on a peer's certificate still active here (its
   * issuer at home on a peer whose public URL is pinned): those whose shipments ask the peer's status
   * list. One read; none for a holder without such a licence.
   */
  async peerCertificateLicences(db: Kysely<Database>, holder: string): Promise<string[]> {
    const rows = await db
      .selectFrom('licences as l')
      .innerJoin('certificates as c', (j) => j.on(sql<boolean>`c.id = l.licence->>'certificateId'`))
      .innerJoin('federation_party_homes as h', 'h.party_id', 'c.issuer')
      .innerJoin('federation_peers as p', 'p.node', 'h.node')
      .select('l.id')
      .where('l.holder', '=', holder)
      .where('l.status', '=', 'active')
      .where('c.status', '=', 'active')
      .where('p.public_url', 'is not', null)
      .orderBy('l.id')
      .execute();
    return rows.map((r) => r.id);
  },
};
