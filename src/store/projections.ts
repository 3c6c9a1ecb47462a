import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { PROJECTION_TABLES, type Database, type ProjectionTable } from './database.js';

/** Every projection table's rows, each table in primary-key order. */
export type ProjectionDump = { [T in ProjectionTable]: Selectable<Database[T]>[] };

/**
 * Empties every projection table (for a rebuild), in the caller's transaction so a failed
 * rebuild leaves the old projections. The journal is not touched (and refuses truncation).
 * TRUNCATE takes an exclusive lock on the tables until the transaction ends.
 */
export async function truncateProjections(tx: Transaction<Database>): Promise<void> {
  await sql`truncate table ${sql.join(PROJECTION_TABLES.map((t) => sql.table(t)))}`.execute(tx);
}

/** The columns that order each projection table's rows deterministically (its primary key). */
const ORDER: { readonly [T in ProjectionTable]: readonly string[] } = {
  federation_alerts: ['seq'],
  federation_evidence: ['node', 'peer_seq', 'shipment_id'],
  federation_trust_lists: ['node', 'version'],
  federation_party_homes: ['party_id'],
  trust_list_head: ['singleton'],
  trust_lists: ['version'],
  epcis_events: ['hash_id', 'kind'],
  epcis_lot_links: ['epc', 'holder', 'lot_id'],
  alerts: ['id'],
  red_flag_sets: ['set_id', 'version'],
  reports_filed: ['id'],
  request_nonces: ['nonce'],
  list_imports: ['seq'],
  screening_reviews: ['seq'],
  classifications: ['id'],
  certificates: ['id'],
  certificate_lines: ['certificate_id', 'control_code', 'hs_code'],
  certificate_claims: ['certificate_id', 'control_code', 'hs_code', 'licence_id'],
  rule_packs: ['pack_id', 'version'],
  party_keys: ['key_id'],
  parties: ['id'],
  applications: ['id'],
  licences: ['id'],
  licence_balances: ['licence_id', 'line_ref'],
  lots: ['id'],
  shipments: ['id'],
  custody_ledger: ['seq', 'licence_id', 'lot_id', 'kind'],
  licence_holder_totals: ['licence_id', 'holder'],
};

/** Every projection row in a deterministic order, to compare two databases (e.g. before and after a rebuild). Keys follow PROJECTION_TABLES. */
export async function dumpProjections(db: Kysely<Database>): Promise<ProjectionDump> {
  const dump: Record<string, unknown[]> = {};
  for (const t of PROJECTION_TABLES) {
    dump[t] = await sql<
      Record<string, unknown>
    >`select * from ${sql.table(t)} order by ${sql.join(ORDER[t].map((c) => sql.ref(c)))}`
      .execute(db)
      .then((r) => r.rows);
  }
  return dump as ProjectionDump;
}
