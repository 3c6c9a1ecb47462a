/**
 * Diversion monitoring: the red-flag rule set (YAML data) and the detectors over custody facts.
 * Pure: no I/O; src/app gathers the facts and journals the alerts.
 */
export {
  parseRedFlags,
  RedFlagError,
  RED_FLAG_IDS,
  SEVERITIES,
  type RedFlagId,
  type RedFlagRules,
  type RedFlagSet,
  type RuleMeta,
  type Severity,
} from './red-flags.js';
export {
  daysBetween,
  detectAll,
  detectAnnualNeed,
  detectCertificateRevoked,
  detectCircularTrade,
  detectLateReports,
  detectMassBalanceGaps,
  detectNewScreeningHits,
  detectQuickReshipment,
  detectSectorMismatch,
  detectTransshipment,
  ppmOf,
  provenance,
  relatedByOwnership,
  type AttemptFact,
  type BalanceFact,
  type Finding,
  type HolderBalanceFact,
  type LicenceFact,
  type MonitorFacts,
  type ReportFact,
  type ScreeningNow,
  type ShipmentFact,
  type ThresholdValue,
  type TransformFact,
} from './detectors.js';
export {
  detectOverReceipts,
  detectUnderDeclaredValues,
  type DeclaredValueFact,
  type OverReceiptFact,
} from './declared.js';
export { thresholdInWords, thresholdsInWords } from './thresholds.js';
