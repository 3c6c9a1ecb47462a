import type { AlertsTable, RedFlagSetsTable, ReportsFiledTable } from './alerts.tables.js';
import type { CertificatesTable } from './certificates.table.js';
import type { CertificateClaimsTable, CertificateLinesTable } from './certificate-lines.table.js';
import type { EpcisEventsTable, EpcisLotLinksTable } from './epcis.tables.js';
import type { EpcisCaptureJobsTable } from './epcis-capture-jobs.table.js';
import type { RequestNoncesTable } from './request-nonces.table.js';
import type { ClassificationsTable } from './classifications.table.js';
import type { AuditorGrantsTable, CredentialsTable, IdempotencyKeysTable } from './credentials.table.js';
import type {
  ApplicationsTable,
  CustodyLedgerTable,
  LicenceBalancesTable,
  LicenceHolderTotalsTable,
  LicencesTable,
  LotsTable,
  ShipmentsTable,
} from './licensing.tables.js';
import type { JournalHeadTable } from './journal-head.table.js';
import type { JournalTable } from './journal.table.js';
import type {
  LogCheckpointHistoryTable,
  LogCheckpointsTable,
  LogCosignaturesTable,
  LogOriginTable,
  MerkleNodesTable,
} from './log.tables.js';
import type { PartiesTable } from './parties.table.js';
import type { PartyKeysTable } from './party-keys.table.js';
import type { RulePacksTable } from './rule-packs.table.js';
import type { SchemaMigrationsTable } from './schema-migrations.table.js';
import type { TrustListHeadTable, TrustListsTable } from './trust-lists.table.js';
import type { ListEntriesTable, ListImportsTable, ListSnapshotsTable } from './screening.tables.js';
import type {
  FederationAlertsTable,
  FederationEvidenceTable,
  FederationMirrorTable,
  FederationOutboxTable,
  FederationStatusListsTable,
  FederationPartyHomesTable,
  FederationPeersTable,
  FederationTrustListsTable,
} from './federation.tables.js';
import type { ScreeningReviewsTable } from './screening-reviews.table.js';
import type { SubjectHeadsTable, SubjectLogTable, SubjectMapNodesTable } from './subjects.tables.js';

/** Every table of the Lodestone schema (migrations/*.sql), as Kysely sees it. */
export interface Database {
  schema_migrations: SchemaMigrationsTable;
  journal_head: JournalHeadTable;
  journal: JournalTable;
  parties: PartiesTable;
  party_keys: PartyKeysTable;
  rule_packs: RulePacksTable;
  classifications: ClassificationsTable;
  list_snapshots: ListSnapshotsTable;
  list_entries: ListEntriesTable;
  list_imports: ListImportsTable;
  screening_reviews: ScreeningReviewsTable;
  certificates: CertificatesTable;
  certificate_lines: CertificateLinesTable;
  certificate_claims: CertificateClaimsTable;
  applications: ApplicationsTable;
  licences: LicencesTable;
  licence_balances: LicenceBalancesTable;
  lots: LotsTable;
  shipments: ShipmentsTable;
  custody_ledger: CustodyLedgerTable;
  licence_holder_totals: LicenceHolderTotalsTable;
  merkle_nodes: MerkleNodesTable;
  log_checkpoints: LogCheckpointsTable;
  log_checkpoint_history: LogCheckpointHistoryTable;
  log_cosignatures: LogCosignaturesTable;
  log_origin: LogOriginTable;
  /** Log state (migration 0016): subject links and the subject map, not journal projections. */
  subject_log: SubjectLogTable;
  subject_heads: SubjectHeadsTable;
  subject_map_nodes: SubjectMapNodesTable;
  epcis_events: EpcisEventsTable;
  epcis_lot_links: EpcisLotLinksTable;
  red_flag_sets: RedFlagSetsTable;
  alerts: AlertsTable;
  reports_filed: ReportsFiledTable;
  trust_lists: TrustListsTable;
  trust_list_head: TrustListHeadTable;
  /** Operator state (migration 0009), not journal projections. */
  credentials: CredentialsTable;
  auditor_grants: AuditorGrantsTable;
  idempotency_keys: IdempotencyKeysTable;
  request_nonces: RequestNoncesTable;
  /** Operator state (migration 0023): EPCIS REST binding capture jobs. */
  epcis_capture_jobs: EpcisCaptureJobsTable;
  /** Operator state (migration 0030): the peers followed, their mirrored records, this node's outbox. */
  federation_peers: FederationPeersTable;
  federation_mirror: FederationMirrorTable;
  federation_outbox: FederationOutboxTable;
  /** Operator state (migration 0035): the peers' status lists as last fetched. */
  federation_status_lists: FederationStatusListsTable;
  /** Projections of federation.* records (migration 0030). */
  federation_party_homes: FederationPartyHomesTable;
  federation_trust_lists: FederationTrustListsTable;
  federation_evidence: FederationEvidenceTable;
  federation_alerts: FederationAlertsTable;
}

/**
 * The projection tables: derived from the journal and rebuildable from it. In an order that is
 * safe to truncate one by one (referencing tables before the tables they reference).
 */
export const PROJECTION_TABLES = [
  'federation_alerts',
  'federation_evidence',
  'federation_trust_lists',
  'federation_party_homes',
  'screening_reviews',
  'trust_list_head',
  'trust_lists',
  'epcis_events',
  'epcis_lot_links',
  'alerts',
  'red_flag_sets',
  'reports_filed',
  'request_nonces',
  'list_imports',
  'licence_holder_totals',
  'certificate_claims',
  'custody_ledger',
  'shipments',
  'lots',
  'licence_balances',
  'licences',
  'applications',
  'certificate_lines',
  'certificates',
  'classifications',
  'rule_packs',
  'party_keys',
  'parties',
] as const satisfies readonly (keyof Database)[];
export type ProjectionTable = (typeof PROJECTION_TABLES)[number];
