import type { ColumnType, Generated, Selectable } from 'kysely';
import type { JsonColumn } from './json-column.js';

type Immutable<S, I = S> = ColumnType<S, I, never>;

/**
 * A peer this node follows (migration 0030): what it pinned — the projection of its root-signed
 * `federation.peer.followed` record (migration 0034) — and how far it got (operator state).
 */
export interface FederationPeersTable {
  node: Immutable<string>;
  origin: string;
  log_vkey: string;
  witness_vkey: string;
  trust_root_key: string;
  countries: string[];
  cosigned_size: Generated<number>;
  cosigned_body: string | null;
  /** JSON array of base64 hashes: the compact range of the peer's tree at the cosigned checkpoint (migration 0032). */
  cosigned_range: string | null;
  applied_seq: Generated<number>;
  heard_size: Generated<number>;
  heard_body: string | null;
  heard_at: ColumnType<string | null, string | null, string | null>;
  split_alert_seq: number | null;
  last_error: string | null;
  /** The peer's public base URL, where its status lists are published (migration 0035); null: not known. */
  public_url: Generated<string | null>;
  /** The journal entry of the root-signed `federation.peer.followed` record in force (migration 0034); null: pinned before, not journalled. */
  followed_seq: ColumnType<number | null, number | null | undefined, number | null>;
}
export type FederationPeerRow = Selectable<FederationPeersTable>;

/** A peer's journal record as received (operator state): exact canonical bytes, by the peer's seq. */
export interface FederationMirrorTable {
  node: Immutable<string>;
  seq: Immutable<number>;
  record_hash: Immutable<string>;
  leaf_hash: Immutable<string>;
  canonical: Immutable<string>;
  received_at: Generated<string>;
}
export type FederationMirrorRow = Selectable<FederationMirrorTable>;

/** A peer's status list of one issuer as last fetched and verified (migration 0035, operator state). */
export interface FederationStatusListsTable {
  node: string;
  party_id: string;
  url: string;
  etag: string | null;
  jws: string;
  fetched_at: ColumnType<string, string, string>;
}
export type FederationStatusListRow = Selectable<FederationStatusListsTable>;

/** This node's publication progress on its own stream (one row). */
export interface FederationOutboxTable {
  singleton: Generated<boolean>;
  published_seq: number;
  published_checkpoint_size: number;
}

/** Projection of federation.imported: a party registered on another node, and the record that says so. */
export interface FederationPartyHomesTable {
  party_id: Immutable<string>;
  node: Immutable<string>;
  peer_seq: Immutable<number>;
  record_hash: Immutable<string>;
  imported_seq: Immutable<number>;
}

/** Projection of federation.imported: a peer's trust-list version. */
export interface FederationTrustListsTable {
  node: Immutable<string>;
  version: Immutable<number>;
  entries: JsonColumn;
  record_hash: Immutable<string>;
  imported_seq: Immutable<number>;
}

/** Projection of federation.imported: a peer's record about material this node shipped there. */
export interface FederationEvidenceTable {
  node: Immutable<string>;
  peer_seq: Immutable<number>;
  record_type: Immutable<string>;
  shipment_id: Immutable<string>;
  lot_ids: Immutable<string[]>;
  summary: Immutable<string>;
  at: ColumnType<string, string, never>;
  imported_seq: Immutable<number>;
}
export type FederationEvidenceRow = Selectable<FederationEvidenceTable>;

/** Projection of federation.split-view: a peer showed a checkpoint inconsistent with one cosigned here. */
export interface FederationAlertsTable {
  seq: Immutable<number>;
  node: Immutable<string>;
  cosigned: Immutable<string>;
  shown: Immutable<string>;
  explanation: Immutable<string>;
}
export type FederationAlertRow = Selectable<FederationAlertsTable>;
