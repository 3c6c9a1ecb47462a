import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonColumn } from './json-column.js';

/** Projection of `redflags.loaded`: each red-flag set version the monitor relied on. */
export interface RedFlagSetsTable {
  set_id: ColumnType<string, string, never>;
  version: ColumnType<string, string, never>;
  sha256: string;
  file: string;
  loaded_seq: number;
}

/** Projection of `alert.raised`, `alert.resolved`, `alert.dismissed` and `alert.assigned`. */
export interface AlertsTable {
  id: ColumnType<string, string, never>;
  seq: ColumnType<number, number, never>;
  rule: string;
  severity: 'info' | 'warning' | 'high' | 'critical';
  licence_id: string | null;
  parties: string[];
  explanation: string;
  evidence: JsonColumn;
  thresholds: JsonColumn;
  /** "set-id@version" */
  rule_set: string;
  trigger: string;
  raised_by: string;
  raised_at: ColumnType<Date, Date | string, never>;
  status: 'open' | 'resolved' | 'dismissed';
  /** The entry that closed the alert (resolved or dismissed), who closed it and the note or reason. */
  resolved_seq: number | null;
  resolved_by: string | null;
  resolution: string | null;
  /** The person the alert is assigned to (latest `alert.assigned`), migration 0028. */
  assigned_to: ColumnType<string | null, string | null | undefined, string | null>;
  assigned_by: ColumnType<string | null, string | null | undefined, string | null>;
  assigned_seq: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Projection of `report.filed`. */
export interface ReportsFiledTable {
  id: ColumnType<string, string, never>;
  seq: ColumnType<number, number, never>;
  kind: 'post-shipment' | 'end-use';
  shipment_id: string;
  licence_id: string | null;
  reporter: string;
  received_grams: ColumnType<number, number, number>;
  installed_in: string | null;
  location: string;
  /** 'YYYY-MM-DD' */
  report_date: string;
  filed_at: ColumnType<Date, Date | string, never>;
}

export type RedFlagSetRow = Selectable<RedFlagSetsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type NewAlert = Insertable<AlertsTable>;
export type ReportFiledRow = Selectable<ReportsFiledTable>;
export type NewReportFiled = Insertable<ReportsFiledTable>;
