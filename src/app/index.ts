export { AppError, type AppCode } from './errors.js';
export {
  openApp,
  createApp,
  loadPacks,
  parsePublicUrl,
  resolveOptions,
  DEFAULT_DATA_DIR,
  DEFAULT_PUBLIC_URL,
  type AppContext,
  type AppOptions,
} from './context.js';
export { Keystore, type StoredKey } from './keystore.js';
export { loadRulePacks, loadRulePackFile, DEFAULT_RULES_DIR, type LoadedPack } from './rulepacks.js';
export { registerParty, getParty, listParties, type RegisteredParty } from './parties.js';
export {
  assumedReadings,
  evaluateClassification,
  recordClassification,
  listClassifications,
  todayUtc,
  type ClassifyRequest,
  type EvaluatedClassification,
  type RecordedClassification,
} from './classify.js';
export { commit, verifyEntry, type Committed } from './journal.js';
export { rebuild, type RebuildReport } from './rebuild.js';
export {
  checkLog,
  checkOrigin,
  DEFAULT_LOG_ORIGIN,
  latestCheckpoint,
  LOG_ID,
  logOrigin,
  logVerifier,
  logVerifierKey,
  publishCheckpoint,
  type LogCheck,
  type PublishedCheckpoint,
} from './log.js';
export { exportAuditBundle, witnessCheckpoint, type WitnessResult, type WitnessState } from './audit.js';
export { runDemo, type DemoResult } from './demo.js';
export {
  submitApplication,
  decideApplication,
  getLicence,
  type Assessment,
  type DecisionInput,
  type DecisionResult,
  type LicenceStatus,
  type SubmittedApplication,
} from './licensing.js';
export {
  createLot,
  getLot,
  dispatchShipment,
  receiveShipment,
  transformLots,
  consumeLot,
  ingestCustodyEvents,
  checkExport,
  massBalance,
  listLots,
  type CustodyEventInput,
  type IngestedCustodyEvent,
  type ExportCheck,
  type MassBalance,
  type MassBalanceRow,
} from './custody.js';
export { impact, type ImpactChange, type ImpactReport } from './impact.js';
export { renderReport, type NarrativeEvent, type ScenarioReport } from './report.js';
export { RefusedError } from './errors.js';
export { isRecordType, type RecordType, type RecordTypes } from './records.js';
export {
  CERTIFICATE_STATUS_LIST,
  certificateStatusList,
  checkCertificate,
  countersignCertificate,
  getCertificate,
  issueCertificate,
  prepareCertificate,
  revokeCertificate,
  partyKeyReference,
  statusListUrl,
  submitCertificate,
  verifyCertificateJws,
  verifyStoredCertificate,
  type Certificate,
  type CertificateCheck,
  type CertificateRefusal,
  type CertificateReport,
  type CheckedCertificate,
} from './certificates.js';
export {
  operatorDidDocument,
  operatorJwks,
  partyDidDocument,
  partyJwks,
  publishedStatusList,
  publishedStatusLists,
  type PublishedStatusList,
} from './status-lists.js';
export {
  importList,
  listEffect,
  listSnapshots,
  screenNames,
  screenNamesInFile,
  screenPartiesInTx,
  loadListSource,
  listFormat,
  threshold as screeningThreshold,
  type ImportListRequest,
  type ImportListResult,
  type ListSnapshotInfo,
  type ListSource,
  type NameScreening,
  type PartyScreening,
  type HitReview,
  type ScreeningHit,
  type ScreenOptions,
} from './screening.js';
export {
  checkReviewInput,
  reviewScreeningHit,
  screenParty,
  screeningReviews,
  type ReviewInput,
  type ScreeningReview,
} from './screening-review.js';
export { REVIEW_DECISIONS, type ReviewDecision } from './screening.records.js';
export {
  actingAs,
  verifySignedRequest,
  signRequest,
  REQUEST_CLOCK_SKEW_SECONDS,
  type RequestToVerify,
  type SignedRequest,
} from './requests.js';
export {
  lotInputSchema,
  shipmentInputSchema,
  receiptInputSchema,
  transformInputSchema,
  consumeInputSchema,
  toLot,
  type Dispatched,
} from './custody.js';
export {
  alertId,
  DEFAULT_RED_FLAGS_FILE,
  fileReport,
  getAlert,
  listAlerts,
  toAlert,
  loadRedFlagsFile,
  redFlags,
  reportInputSchema,
  resolveAlert,
  dismissAlert,
  assignAlert,
  scanAlerts,
  useRedFlags,
  type Alert,
  type AlertQuery,
  type FiledReport,
  type LoadedRedFlags,
  type RaiseOutcome,
  type ScanResult,
} from './alerts.js';
export { ALERT_TRIGGERS, type AlertRaised, type AlertTrigger, type ReportFiled } from './alerts.records.js';
export {
  captureEpcisJob,
  epcisEventsPage,
  epcisEventTypes,
  getCaptureJob,
  listCaptureJobs,
  EPCIS_CONTEXT_URL,
  EPCIS_DEFAULT_PER_PAGE,
  EPCIS_EVENT_TYPES,
  EPCIS_MAX_PER_PAGE,
  type CaptureJob,
  type EpcisPage,
} from './epcis-binding.js';
export {
  captureEpcis,
  queryEpcis,
  exportEpcis,
  linkLotToEpc,
  EpcisCaptureRefusedError,
  LODESTONE_EPCIS_NS,
  CONSUMING_BIZSTEP,
  type CaptureResult,
  type CaptureStatus,
  type CapturedEvent,
  type CapturedEventOutcome,
  type EpcisQuery,
  type EpcisQueryScope,
} from './epcis.js';
export {
  listPartyKeys,
  revokeSigningKey,
  rotateSigningKey,
  type PartyKeyInfo,
  type RevokedKey,
  type RotatedKey,
} from './keys.js';
export { ensureTrustListEntries, getTrustList, publishTrustList, trustRootKey, type TrustList } from './trustlist.js';
export {
  TRUST_LIST_RECORD,
  TRUST_LIST_ROLES,
  TRUST_ROOT_ID,
  type TrustListEntry,
  type TrustListRole,
} from './trustlist.records.js';
export {
  acceptCosignature,
  acceptPeerCheckpoint,
  addPeer,
  applyPeerRecords,
  federationAlerts,
  federationEvidence,
  federationIdentity,
  federationStatus,
  mirrorPeerRecord,
  WITNESS_ID,
  type CheckpointOutcome,
  type CosignatureMessage,
  type FederationIdentity,
  type FederationStatus,
  type PeerStatus,
} from './federation.js';
export {
  askPeersFirst,
  confirmPeerCertificate,
  DEFAULT_STATUS_LIST_MAX_AGE_S,
  DEFAULT_STATUS_LIST_TIMEOUT_MS,
  peerStatusList,
  StatusListError,
  statusListPolicy,
  verifyPeerStatusList,
  type PeerCertificateStatus,
  type PeerStatusList,
  type StatusListPolicy,
  type StatusListPurpose,
  type VerifiedStatusList,
} from './status-fetch.js';
export {
  DEFAULT_GROUP_COMMIT,
  GroupCommit,
  Isolate,
  type GroupClaim,
  type GroupCommitOptions,
  type GroupRun,
  type GroupWork,
} from './group-commit.js';
