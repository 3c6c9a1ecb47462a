import { LodestoneError } from '../domain/index.js';

/**
 * Why a value, key or signed record was refused. A closed union: callers switch on `code`.
 *
 * - NOT_JSON: the value cannot be represented as RFC 8785 canonical JSON.
 * - NOT_CANONICAL: text that should be canonical JSON is not (re-canonicalising changes it).
 * - MALFORMED_RECORD: a signed record, payload or signature has the wrong shape.
 * - BAD_KEY: a key is not a well-formed Ed25519 key.
 * - KEY_MISMATCH: the key given does not match the key id the record (or the signer) names.
 * - UNKNOWN_KEY: no public key is known for the record's key id.
 * - BAD_SIGNATURE: the Ed25519 signature does not verify over the canonical payload.
 * - MALFORMED_CREDENTIAL: a verifiable credential or its JWS has the wrong shape.
 * - WRONG_SIGNER: a credential signature is valid but made by a party that may not sign it in that place.
 * - BAD_STATUS_LIST: an encoded bitstring status list cannot be decoded, or is too short.
 * - BAD_PROOF: a Merkle inclusion or consistency proof (or its inputs) does not hold.
 * - BAD_CHECKPOINT: a signed note / checkpoint is malformed, unsigned by a known key, or badly signed.
 * - MALFORMED_REQUEST: a signed request (compact JWS) has the wrong shape or header.
 * - BAD_TILE: a C2SP tlog-tiles tile or entry bundle is malformed or does not match the log's checkpoint.
 */
export type TrustCode =
  | 'NOT_JSON'
  | 'NOT_CANONICAL'
  | 'MALFORMED_RECORD'
  | 'BAD_KEY'
  | 'KEY_MISMATCH'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'MALFORMED_CREDENTIAL'
  | 'WRONG_SIGNER'
  | 'BAD_STATUS_LIST'
  | 'BAD_PROOF'
  | 'BAD_CHECKPOINT'
  | 'MALFORMED_REQUEST'
  | 'BAD_TILE';

export class TrustError extends LodestoneError<TrustCode> {}
