import type { ColumnType, Selectable } from 'kysely';

type Int8 = ColumnType<number, number, number>;

/** A certificate line's quantity as a ceiling across every licence relying on the certificate (migration 0019). */
export interface CertificateLinesTable {
  certificate_id: ColumnType<string, string, never>;
  control_code: ColumnType<string, string, never>;
  hs_code: ColumnType<string, string, never>;
  ceiling_grams: ColumnType<number, number, never>;
  /** Σ grams of the line's claims; CHECK 0 ≤ claimed ≤ ceiling. */
  claimed_grams: ColumnType<number, number | undefined, number>;
}

/** What one licence claims of one certificate line, and the approval that claimed it. */
export interface CertificateClaimsTable {
  certificate_id: string;
  control_code: string;
  hs_code: string;
  licence_id: string;
  grams: Int8;
  seq: number;
}

export type CertificateLineRow = Selectable<CertificateLinesTable>;
export type CertificateClaimRow = Selectable<CertificateClaimsTable>;
