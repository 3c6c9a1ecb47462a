import { LodestoneError } from '../domain/index.js';

/**
 * Why a bundle does not verify. The message names the first thing that failed.
 *
 * - MALFORMED: not JSON, trailing garbage, or a field of the wrong shape.
 * - CHECKPOINT: a checkpoint is malformed, signed by an unknown key, or two checkpoints disagree.
 * - INCLUSION: an entry is not in the log at the checkpoint (proof, index or order wrong).
 * - SIGNATURE: a record's signature does not verify, or its key is not registered to its actor.
 * - REPLAY: the records do not add up (balance, mass balance, a decision the rules do not support).
 * - TIME: a record's declared date or validity does not hold at the record's server time `at`.
 * - INCOMPLETE: an entry of a subject the bundle covers is missing or withheld, a record's subject
 *   links do not match its body, a head is not the one the checkpoint commits, or a party an entry needs is not registered.
 * - WITNESS: fewer pinned witnesses cosigned the checkpoint than the quorum asks (or the policy is impossible).
 * - TRUST_LIST: a trust-list version is not signed by the trust root or breaks the chain, or a decision
 *   or countersignature is by a party the trust list in force does not list for it.
 * - PEER: a peer node's record imported by this node (federation) does not verify: its import is not
 *   signed by the log, its peer is not in the bundle, the peer's checkpoint is not signed by the peer
 *   key, or the record's inclusion proof in the peer's log fails.
 */
export type VerifyCode =
  | 'MALFORMED'
  | 'CHECKPOINT'
  | 'INCLUSION'
  | 'SIGNATURE'
  | 'REPLAY'
  | 'TIME'
  | 'INCOMPLETE'
  | 'WITNESS'
  | 'TRUST_LIST'
  | 'PEER';

export class VerifyError extends LodestoneError<VerifyCode> {}
