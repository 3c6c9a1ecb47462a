/**
 * Trust primitives: RFC 8785 canonical JSON, SHA-256 and RFC 6962 leaf hashing, Ed25519 keys and
 * signed records. Pure apart from node:crypto: no files, no database.
 */
export { TrustError, type TrustCode } from './errors.js';
export { canonicalJson, parseCanonicalJson } from './canonical.js';
export { RFC6962_LEAF_PREFIX, leafHash, leafHashHex, sha256, sha256Hex } from './hash.js';
export { fromBase64url, toBase64url } from './base64url.js';
export {
  appendNodeIds,
  consistencyProof,
  consistencyProofNodeIds,
  emptyRoot,
  HASH_BYTES,
  hashChildren,
  hashesEqual,
  inclusionProof,
  inclusionProofNodeIds,
  memoryNodeReader,
  nodesForAppend,
  RFC6962_NODE_PREFIX,
  rootFromInclusionProof,
  rootFromLeafHashes,
  treeRoot,
  treeRootNodeIds,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
  type NodeReader,
  type StoredNode,
} from './merkle.js';
export {
  generateKeyPair,
  importPrivateKey,
  keyIdFor,
  publicKeyFromRaw,
  rawPublicKey,
  signerFromPem,
  type KeyPair,
  type Signer,
} from './keys.js';
export {
  isUtcMillis,
  parseRecordPayload,
  parseSignedRecord,
  recordBytes,
  recordDigests,
  signRecord,
  verifyRecord,
  type PublicKeyLookup,
  type RecordDigests,
  type RecordPayload,
  type RecordSignature,
  type SignedRecord,
} from './record.js';
export {
  countersignCredential,
  decodeCredential,
  END_USER_CERTIFICATE_TYPE,
  LODESTONE_CREDENTIALS_CONTEXT,
  MAX_SIGNATURES,
  parseCredential,
  partyFromUrn,
  partyUrn,
  signCredential,
  VC_JWS_CTY,
  VC_JWS_TYP,
  VC_V2_CONTEXT,
  verifyCertificate,
  type BitstringStatusListEntry,
  type CredentialJws,
  type CredentialSigner,
  type CredentialSubject,
  type DecodedCredential,
  type EndUserCertificateCredential,
  type JwsSignature,
  type ProtectedHeader,
  type SignerKey,
  type SignerLookup,
  type SignerRole,
  type VerifiedCredential,
} from './credential.js';
export {
  decodeStatusList,
  encodeStatusList,
  getStatusBit,
  newStatusList,
  setStatusBit,
  STATUS_LIST_MAX_BYTES,
  STATUS_LIST_MIN_BITS,
  statusListWith,
} from './status-list.js';
