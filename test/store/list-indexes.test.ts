/**
 * Migration 0033: the caseload lists in SQL (listsRepo) find a party's licences, and an authority's
 * alerts, from indexes. With sequential scans disabled, PostgreSQL still plans a sequential scan
 * when no index fits, so each plan names an index only when a migration created one. The queries
 * are the ones listsRepo sends (compiled by Kysely, explained with their parameters).
 */
import { sql, type Compilable } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listsRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

describe.each(STORES)('list indexes: %s', (kind) => {
  const current = useFreshStore(kind);

  /** The plan of a query listsRepo builds, with sequential scans disabled. */
  async function plan(query: Compilable): Promise<string> {
    const { sql: text, parameters } = query.compile();
    return current()
      .store.db.transaction()
      .execute(async (tx) => {
        await sql`set local enable_seqscan = off`.execute(tx);
        // Parameters inlined as literals: they are test constants (party ids), never user input.
        const inlined = text.replace(/\$(\d+)/g, (_, i: string) => {
          const v = parameters[Number(i) - 1];
          return typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
        });
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${sql.raw(inlined)}`.execute(tx);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
  }

  it("a party's licences come from one index per party column", async () => {
    const p = await plan(listsRepo.licencesQuery(current().store.db, 'x', {}));
    for (const index of [
      'licences_authority_idx',
      'licences_holder_idx',
      'licences_importer_idx',
      'licences_consignee_idx',
      'licences_end_user_idx',
    ])
      expect(p).toContain(index);
    expect(p).not.toContain('Seq Scan on licences');
  });

  it("an authority's alerts come from the authority's licences and the alerts' licence index", async () => {
    const p = await plan(listsRepo.alertsQuery(current().store.db, 'x', {}));
    expect(p).toContain('licences_authority_idx');
    expect(p).toContain('alerts_licence_idx');
    expect(p).not.toContain('Seq Scan');
  });
});
