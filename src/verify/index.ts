/**
 * The offline verifier of audit bundles: read-only, no database, no network. Imports only
 * src/trust and src/domain, so the rest of the system never needs to load it (and it could ship alone).
 */
export {
  BUNDLE_FORMAT,
  type AuditBundle,
  type BundleEntry,
  type BundleKey,
  type BundlePeer,
  type PeerProof,
  type SubjectProof,
  type WithheldEntry,
} from './bundle.js';
export { VerifyError, type VerifyCode } from './errors.js';
export {
  formatSummary,
  parseBundle,
  verifyBundle,
  type LineBalance,
  type MassBalanceTotals,
  type VerifyOptions,
  type VerifyStep,
  type VerifySummary,
} from './verify.js';
export { checkTrustList, type TrustListCheck } from './trust-list-check.js';
export { checkWitnesses, parseWitnessPin, type WitnessCheck, type WitnessPolicy } from './witness-check.js';
export { checkPeerRecords, parsePeerPin, type PeerCheck, type PeerPins } from './peer-check.js';
