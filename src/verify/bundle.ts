/**
 * The audit bundle: everything an auditor needs to check one licence's story offline.
 *
 * ```
 * { "format": "lodestone-audit-bundle/v1",
 *   "licence": "<licence id>",
 *   "log": { "name": "lodestone-log", "publicKey": "<base64url raw Ed25519>" },
 *   "checkpoint": "<C2SP signed note: the log's checkpoint, with any witness cosignatures>",
 *   "otherCheckpoints": ["<signed note>", …],          // earlier checkpoints, e.g. ones witnesses saw
 *   "witnesses": [{ "name": "…", "publicKey": "…" }],  // the exporter's claim of who cosigned: never trusted, the auditor pins witnesses
 *   "leafIndexes": [0, 3, …],                           // the leaves this bundle claims to hold, ascending
 *   "entries": [{ "leafIndex": 0, "record": "<canonical signed record>", "proof": ["<base64>", …] }, …] }
 * ```
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

export interface AuditBundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly licence: string;
  readonly log: BundleKey;
  readonly checkpoint: string;
  readonly otherCheckpoints: readonly string[];
  readonly witnesses: readonly BundleKey[];
  readonly leafIndexes: readonly number[];
  readonly entries: readonly BundleEntry[];
}
