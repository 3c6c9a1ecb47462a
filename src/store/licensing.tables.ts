import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonColumn } from './json-column.js';

type Int8 = ColumnType<number, number, number>;

export interface ApplicationsTable {
  id: ColumnType<string, string, never>;
  seq: ColumnType<number, number, never>;
  authority: string;
  applicant: string;
  status: 'submitted' | 'approved' | 'denied' | 'info-requested';
  recommendation: 'approvable' | 'case-by-case' | 'deny';
  application: JsonColumn;
  assessment: JsonColumn;
  decision: ColumnType<unknown, string | null | undefined, string | null>;
  decided_seq: ColumnType<number | null, number | null | undefined, number | null>;
  submitted_at: ColumnType<Date, Date | string, never>;
}

export interface LicencesTable {
  id: ColumnType<string, string, never>;
  seq: ColumnType<number, number, never>;
  application_id: string;
  authority: string;
  holder: string;
  consignee: string;
  end_user: string;
  destination: string;
  /** 'YYYY-MM-DD' */
  valid_from: string;
  valid_until: string;
  status: 'active' | 'suspended' | 'revoked';
  licence: JsonColumn;
  /** The revocation of the certificate the licence relies on (migration 0019); null unless suspended. */
  suspended_seq: ColumnType<number | null, number | null | undefined, number | null>;
  suspension_reason: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface LicenceBalancesTable {
  licence_id: ColumnType<string, string, never>;
  line_ref: ColumnType<string, string, never>;
  currency: string;
  ceiling_grams: Int8;
  ceiling_value_minor: Int8;
  shipped_grams: ColumnType<number, number | undefined, number>;
  shipped_value_minor: ColumnType<number, number | undefined, number>;
  shipments: ColumnType<number, number | undefined, number>;
}

export interface LotsTable {
  id: ColumnType<string, string, never>;
  holder: string;
  location: string;
  item: JsonColumn;
  mass_grams: Int8;
  units: number | null;
  value_minor: number | null;
  currency: string | null;
  restrictions: JsonColumn;
  licence_ids: string[];
  created_seq: ColumnType<number, number, never>;
  updated_seq: number;
}

export interface ShipmentsTable {
  id: ColumnType<string, string, never>;
  seq: ColumnType<number, number, never>;
  from_lot: string;
  from_holder: string;
  to_party: string;
  destination: string;
  grams: Int8;
  units: number | null;
  value_minor: number | null;
  currency: string | null;
  /** What the shipper declared when it was below the lot's value for the grams (value_minor is then that value). */
  declared_value_minor: number | null;
  licence_id: string | null;
  line_ref: string | null;
  shipped_on: string;
  restrictions: JsonColumn;
  status: 'in-transit' | 'received';
  received_grams: number | null;
  receiving_lot: string | null;
  received_seq: number | null;
}

export interface CustodyLedgerTable {
  seq: number;
  licence_id: string;
  holder: string;
  lot_id: string;
  kind: 'created' | 'received' | 'shipped' | 'transformed-in' | 'transformed-out' | 'consumed' | 'counted';
  grams: Int8;
}

/** Running totals per licence and holder (migration 0013), kept by triggers on custody_ledger and lots. */
export interface LicenceHolderTotalsTable {
  licence_id: ColumnType<string, never, never>;
  holder: ColumnType<string, never, never>;
  /** The holder's first custody-ledger entry under the licence; null when it has none (only lots). */
  first_seq: ColumnType<number | null, never, never>;
  /** Grams of the holder's 'created' ledger rows. */
  created_grams: ColumnType<number, never, never>;
  /** created + received + transformed-in − shipped − transformed-out − consumed. */
  net_grams: ColumnType<number, never, never>;
  /** Σ licensedGrams of the licence's restrictions on the holder's lots. */
  on_hand_grams: ColumnType<number, never, never>;
}

export type ApplicationRow = Selectable<ApplicationsTable>;
export type LicenceHolderTotalsRow = Selectable<LicenceHolderTotalsTable>;
export type LicenceRow = Selectable<LicencesTable>;
export type LicenceBalanceRow = Selectable<LicenceBalancesTable>;
export type LotRow = Selectable<LotsTable>;
export type ShipmentRow = Selectable<ShipmentsTable>;
export type CustodyLedgerRow = Selectable<CustodyLedgerTable>;
export type NewLot = Insertable<LotsTable>;
export type NewShipment = Insertable<ShipmentsTable>;
