import type { Kysely } from 'kysely';
import type { CertificateClaimRow, CertificateLineRow } from './certificate-lines.table.js';
import type { Database } from './database.js';

type Db = Kysely<Database>;

/** The certificate ledger (migration 0019): each line's ceiling and what each licence claims of it. */
export const certificateLinesRepo = {
  async open(
    db: Db,
    certificateId: string,
    lines: readonly { controlCode: string; hsCode: string; quantityGrams: number }[],
  ): Promise<void> {
    if (lines.length === 0) return;
    await db
      .insertInto('certificate_lines')
      .values(
        lines.map((l) => ({
          certificate_id: certificateId,
          control_code: l.controlCode,
          hs_code: l.hsCode,
          ceiling_grams: l.quantityGrams,
        })),
      )
      .execute();
  },
  /**
   * The certificate row under a share lock: approvals relying on it proceed together (their lines
   * queue below), while its revocation (FOR UPDATE) waits for them, or they for it.
   */
  async lockCertificateShared(db: Db, certificateId: string): Promise<{ id: string; status: string } | undefined> {
    return db
      .selectFrom('certificates')
      .select(['id', 'status'])
      .where('id', '=', certificateId)
      .forShare()
      .executeTakeFirst();
  },
  async lines(db: Db, certificateId: string): Promise<CertificateLineRow[]> {
    return db
      .selectFrom('certificate_lines')
      .selectAll()
      .where('certificate_id', '=', certificateId)
      .orderBy('control_code')
      .orderBy('hs_code')
      .execute();
  },
  /** Locks the certificate's lines (SELECT … FOR UPDATE) until the transaction ends: concurrent approvals queue here. */
  async lock(db: Db, certificateId: string): Promise<CertificateLineRow[]> {
    return db
      .selectFrom('certificate_lines')
      .selectAll()
      .where('certificate_id', '=', certificateId)
      .orderBy('control_code')
      .orderBy('hs_code')
      .forUpdate()
      .execute();
  },
  /** Adds a licence's claim on a line (the line's CHECK refuses an overclaim: StoreError INVALID_ROW). */
  async claim(db: Db, row: CertificateClaimRow): Promise<void> {
    await db.insertInto('certificate_claims').values(row).execute();
    await db
      .updateTable('certificate_lines')
      .set((eb) => ({ claimed_grams: eb('claimed_grams', '+', row.grams) }))
      .where('certificate_id', '=', row.certificate_id)
      .where('control_code', '=', row.control_code)
      .where('hs_code', '=', row.hs_code)
      .executeTakeFirstOrThrow();
  },
  async claims(db: Db, certificateId: string): Promise<CertificateClaimRow[]> {
    return db
      .selectFrom('certificate_claims')
      .selectAll()
      .where('certificate_id', '=', certificateId)
      .orderBy('seq')
      .orderBy('control_code')
      .orderBy('hs_code')
      .execute();
  },
};
