/**
 * Migration 0031 (and 0037's unique (issuer, status_index), which also serves the issuer): the certificate queries that filter by party (an issuer's revoked certificates
 * for its status list, the list of issuers, `certificates list --party`) are answered from indexes.
 * With sequential scans disabled, PostgreSQL still plans a sequential scan when no index fits, so
 * each plan below names an index only when the migration created one.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { STORES, useFreshStore } from '../support/stores.js';

describe.each(STORES)('certificate indexes: %s', (kind) => {
  const current = useFreshStore(kind);

  async function plan(query: string): Promise<string> {
    return current()
      .store.db.transaction()
      .execute(async (tx) => {
        await sql`set local enable_seqscan = off`.execute(tx);
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${sql.raw(query)}`.execute(tx);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
  }

  it("an issuer's revoked certificates come from the issuer index", async () => {
    const p = await plan(
      "select status_index from certificates where issuer = 'in-dgft' and status = 'revoked' order by status_index",
    );
    // Either issuer index: 0031's (issuer, status) or 0037's unique (issuer, status_index).
    expect(p).toMatch(/certificates_issuer_status_(idx|index_key)/);
    expect(p).not.toContain('Seq Scan');
  });

  it('the certificates naming a party (issuer, exporter, importer or end user) come from one index per column', async () => {
    const p = await plan(
      "select * from certificates where issuer = 'x' or exporter = 'x' or importer = 'x' or end_user = 'x' order by seq",
    );
    expect(p).toMatch(/certificates_issuer_status_(idx|index_key)/);
    for (const index of ['certificates_exporter_idx', 'certificates_importer_idx', 'certificates_end_user_idx'])
      expect(p).toContain(index);
    expect(p).not.toContain('Seq Scan');
  });
});
