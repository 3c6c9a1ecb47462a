/**
 * The audit bundle: everything an auditor needs to check one licence's story offline.
 *
 * ```
 * { "format": "lodestone-audit-bundle/v1",
 *   "licence": "<licence id>",
 *   "log": { "name": "<the log's origin, e.g. lodestone.example.org/log>", "publicKey": "<base64url raw Ed25519>" },
 *   "checkpoint": "<C2SP signed note: the log's checkpoint, with any witness cosignatures>",
 *   "otherCheckpoints": ["<signed note>", …],          // earlier checkpoints, e.g. ones witnesses saw
 *   "witnesses": [{ "name": "…", "publicKey": "…" }],  // the exporter's claim of who cosigned: never trusted, the auditor pins witnesses
 *   "leafIndexes": [0, 3, …],                           // the leaves this bundle claims to hold, ascending
 *   "entries": [{ "leafIndex": 0, "record": "<canonical signed record>", "proof": ["<base64>", …] }, …],
 *   "subjects": [{ "subject": "licence:…", "head": { "seq": 31, "leafHash": "<hex>" } | null,
 *                  "proof": { "siblings": ["<base64>", …], "leaf": { "key": "<base64>", "value": "<base64>" } } }, …],
 *   "withheld": [{ "leafIndex": 11, "leafHash": "<hex>", "proof": ["<base64>", …] }, …],
 *   "peers": [{ "node": "in", "log": { "name": "<peer origin>", "publicKey": "…" }, "trustRoot": "…",
 *               "countries": ["IN"], "checkpoint": "<the peer's checkpoint this node cosigned>",
 *               "proofs": [{ "leafIndex": 4, "proof": ["<base64>", …] }, …] }, …] }
 * ```
 *
 * `peers` (federation, issue 24; docs/federation.md): a `federation.imported` entry carries a peer
 * node's signed record. For each peer whose records the bundle shows: the peer's log key, trust-list
 * root and deferred countries as the exporting node pinned them (claims: the auditor pins the peer's
 * key with `--peer-key`), the peer checkpoint the node cosigned, and each shown peer record's
 * inclusion proof (its leaf index is the import's `peerSeq` − 1) in the peer's log at that checkpoint.
 *
 * `subjects`: for each subject the bundle covers (the licence, its application, its certificate,
 * its alerts), the subject's head at the checkpoint and its proof in the subject map whose root
 * the checkpoint's extension line commits; the verifier walks each chain from the head and
 * refuses the bundle if any entry is missing. `withheld`: entries that touch the licence's story
 * but concern only other licences (or none), given as leaf hashes with inclusion proofs only.
 *
 * Inclusion proofs are to `checkpoint`. Public keys travel as `party.registered` records, rule
 * packs as `rulepack.loaded` records: they are log entries like any other, proved the same way.
 */
export const BUNDLE_FORMAT = 'lodestone-audit-bundle/v1';

export interface BundleEntry {
  readonly leafIndex: number;
  readonly record: string;
  readonly proof: readonly string[];
}

export interface BundleKey {
  readonly name: string;
  readonly publicKey: string;
}

/** An entry the bundle proves is in the log without showing it (least disclosure). */
export interface WithheldEntry {
  readonly leafIndex: number;
  /** Hex RFC 6962 leaf hash. */
  readonly leafHash: string;
  readonly proof: readonly string[];
}

/** A covered subject's head at the checkpoint, with its proof in the subject map. */
export interface SubjectProof {
  readonly subject: string;
  readonly head: { readonly seq: number; readonly leafHash: string } | null;
  readonly proof: unknown;
}

/** An imported peer record's inclusion proof in the peer's log, at the peer's checkpoint. */
export interface PeerProof {
  readonly leafIndex: number;
  readonly proof: readonly string[];
}

/** A peer node whose records the bundle shows (inside `federation.imported` entries). */
export interface BundlePeer {
  readonly node: string;
  /** The peer's log (origin and key) as the exporting node pinned it: a claim unless the auditor pins it. */
  readonly log: BundleKey;
  /** The peer's trust-list root key as the exporting node pinned it. */
  readonly trustRoot: string;
  /** The countries whose roles the exporting node takes from the peer's trust list. */
  readonly countries: readonly string[];
  /** The peer's checkpoint the exporting node cosigned, which every proof is to. */
  readonly checkpoint: string;
  readonly proofs: readonly PeerProof[];
}

export interface AuditBundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly licence: string;
  readonly log: BundleKey;
  readonly checkpoint: string;
  readonly otherCheckpoints: readonly string[];
  readonly witnesses: readonly BundleKey[];
  readonly leafIndexes: readonly number[];
  readonly entries: readonly BundleEntry[];
  readonly subjects?: readonly SubjectProof[];
  readonly withheld?: readonly WithheldEntry[];
  readonly peers?: readonly BundlePeer[];
}
