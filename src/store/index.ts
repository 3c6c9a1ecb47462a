/**
 * Storage: the Kysely schema, SQL migrations (migrations/*.sql), PGlite / PostgreSQL connections
 * and thin repositories that take `db` or a transaction and return rows. No domain logic here:
 * use cases map rows to domain values.
 */
export {
  attachPgliteStore,
  DEFAULT_STORE_TIMEOUTS,
  MEMORY,
  openPgliteStore,
  PGLITE_PARSERS,
  openPostgresStore,
  openStore,
  type OpenPgliteOptions,
  type OpenPostgresOptions,
  type OpenStoreOptions,
  type PgliteStore,
  type PostgresStore,
  type Store,
  STORE_TIMEOUT_ENV,
  storeTimeoutsFromEnv,
  type StoreTimeouts,
  withTransactionEnd,
} from './open.js';
export { StoreError, type StoreCode } from './errors.js';
export { chooseDatabaseHost, parseDatabaseHosts, type DatabaseHosts, type TargetSessionAttrs } from './hosts.js';
export { LOCK_FILE } from './lock.js';
export { loadMigrations, MIGRATIONS_DIR, type Migration, type MigrationReport } from './migrate.js';
export { PROJECTION_TABLES, type Database, type ProjectionTable } from './database.js';
export { jsonText, type JsonColumn, type WithJsonValues } from './json-column.js';
export type { SchemaMigrationRow, SchemaMigrationsTable } from './schema-migrations.table.js';
export type { JournalHeadRow, JournalHeadTable } from './journal-head.table.js';
export type { JournalRow, JournalTable, NewJournalRow } from './journal.table.js';
export type { NewParty, PartiesTable, PartyRow, PartyUpdate } from './parties.table.js';
export type { NewPartyKey, PartyKeyRow, PartyKeysTable, PartyKeyUpdate } from './party-keys.table.js';
export type { NewRulePack, RulePackRow, RulePacksTable, RulePackUpdate } from './rule-packs.table.js';
export type {
  ClassificationRow,
  ClassificationsTable,
  ClassificationUpdate,
  NewClassification,
} from './classifications.table.js';
export { journalRepo, type AppendResult, type ReadOptions } from './journal.repository.js';
export { partiesRepo, type NewPartyValues } from './parties.repository.js';
export { partyKeysRepo } from './party-keys.repository.js';
export { rulePacksRepo, type NewRulePackValues } from './rule-packs.repository.js';
export { classificationsRepo, type NewClassificationValues } from './classifications.repository.js';
export type {
  CertificateRow,
  CertificateStatus,
  CertificatesTable,
  CertificateUpdate,
  NewCertificate,
} from './certificates.table.js';
export { certificatesRepo, type NewCertificateValues } from './certificates.repository.js';
export type {
  CertificateClaimRow,
  CertificateClaimsTable,
  CertificateLineRow,
  CertificateLinesTable,
} from './certificate-lines.table.js';
export { certificateLinesRepo } from './certificate-lines.repository.js';
export type {
  ListEntryRow,
  ListEntriesTable,
  ListImportRow,
  ListImportsTable,
  ListSnapshotRow,
  ListSnapshotsTable,
  NewListImport,
  NewListSnapshot,
} from './screening.tables.js';
export { screeningRepo, type NewListEntryValues } from './screening.repository.js';
export type { NewScreeningReview, ScreeningReviewRow, ScreeningReviewsTable } from './screening-reviews.table.js';
export { screeningReviewsRepo } from './screening-reviews.repository.js';
export { dumpProjections, truncateProjections, type ProjectionDump } from './projections.js';
export type {
  ApplicationRow,
  CustodyLedgerRow,
  LicenceBalanceRow,
  LicenceHolderTotalsRow,
  LicenceRow,
  LotRow,
  ShipmentRow,
} from './licensing.tables.js';
export {
  applicationsRepo,
  heldRowsRepo,
  holderTotalsRepo,
  ledgerRepo,
  licencesRepo,
  lotsRepo,
  shipmentsRepo,
} from './licensing.repository.js';
export type {
  LogCheckpointRow,
  LogCheckpointHistoryTable,
  LogCheckpointsTable,
  LogCosignaturesTable,
  LogOriginTable,
  MerkleNodeRow,
  MerkleNodesTable,
} from './log.tables.js';
export { cosignaturesRepo, logRepo } from './log.repository.js';
export { requestNoncesRepo } from './request-nonces.repository.js';
export type { RequestNonceRow, NewRequestNonce } from './request-nonces.table.js';
export type {
  AuditorGrantRow,
  AuditorGrantsTable,
  CredentialRow,
  CredentialsTable,
  CredentialUpdate,
  IdempotencyKeyRow,
  IdempotencyKeysTable,
  NewCredential,
} from './credentials.table.js';
export {
  auditorGrantsRepo,
  COMMITTED_WITHOUT_RESPONSE,
  credentialsRepo,
  IDEMPOTENCY_LEASE_SECONDS,
  IDEMPOTENCY_LOCK_CLASS,
  idempotencyRepo,
  type IdempotencyAnswer,
  type PriorClaim,
} from './credentials.repository.js';
export type {
  AlertRow,
  AlertsTable,
  NewAlert,
  NewReportFiled,
  RedFlagSetRow,
  RedFlagSetsTable,
  ReportFiledRow,
  ReportsFiledTable,
} from './alerts.tables.js';
export {
  alertsRepo,
  journalTimesRepo,
  redFlagSetsRepo,
  reportsFiledRepo,
  type NewAlertValues,
} from './alerts.repository.js';
export type { EpcisEventRow, EpcisEventsTable, EpcisLotLinkRow, EpcisLotLinksTable } from './epcis.tables.js';
export { epcisRepo, type EpcisEventQuery } from './epcis.repository.js';
export type { EpcisCaptureJobRow, EpcisCaptureJobsTable } from './epcis-capture-jobs.table.js';
export { epcisCaptureJobsRepo, type NewCaptureJob } from './epcis-capture-jobs.repository.js';
export { rememberReadsIn, type TotalsDelta } from './tx-memo.js';
export {
  containsPattern,
  listsRepo,
  type ApplicationsStatusFilter,
  type ListPage,
  type ListWindow,
} from './lists.repository.js';
export { subjectsRepo } from './subjects.repository.js';
export type {
  SubjectHeadRow,
  SubjectHeadsTable,
  SubjectLogTable,
  SubjectMapNodeRow,
  SubjectMapNodesTable,
} from './subjects.tables.js';
export type {
  NewTrustList,
  TrustListHeadRow,
  TrustListHeadTable,
  TrustListRow,
  TrustListsTable,
} from './trust-lists.table.js';
export { trustListsRepo, type NewTrustListValues } from './trust-lists.repository.js';
export { federationRepo } from './federation.repository.js';
export { statusListCacheRepo } from './federation-status-lists.repository.js';
export type {
  FederationStatusListRow,
  FederationAlertRow,
  FederationEvidenceRow,
  FederationMirrorRow,
  FederationPeerRow,
} from './federation.tables.js';
