import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonColumn } from './json-column.js';

export type CertificateStatus = 'active' | 'revoked';

export interface CertificatesTable {
  /** The credential id, urn:uuid:…. */
  id: ColumnType<string, string, never>;
  /** The journal entry that issued it. */
  seq: ColumnType<number, number, never>;
  /** The end user who signed it. */
  issuer: ColumnType<string, string, never>;
  exporter: ColumnType<string, string, never>;
  importer: ColumnType<string, string, never>;
  end_user: ColumnType<string, string, never>;
  countersigned_by: string | null;
  countersigned_seq: number | null;
  status: CertificateStatus;
  /** The credential's entry in the revocation status list. */
  status_index: ColumnType<number, number, never>;
  /** 'YYYY-MM-DD' (a Postgres date, read back as text), inclusive. */
  valid_from: ColumnType<string, string, never>;
  valid_until: ColumnType<string, string, never>;
  /** The General JWS: payload and signatures (the end user's, then any countersignature). */
  jws: JsonColumn;
  /** The credential subject, as signed. */
  subject: ColumnType<unknown, string, never>;
  revoked_by: string | null;
  revoked_seq: number | null;
  revocation_reason: string | null;
}

export type CertificateRow = Selectable<CertificatesTable>;
export type NewCertificate = Insertable<CertificatesTable>;
export type CertificateUpdate = Updateable<CertificatesTable>;
