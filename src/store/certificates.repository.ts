import { sql, type Kysely } from 'kysely';
import type { CertificateRow, NewCertificate } from './certificates.table.js';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';

export type NewCertificateValues = WithJsonValues<NewCertificate, 'jws' | 'subject'>;

export const certificatesRepo = {
  /** StoreError CONFLICT on certificates_pkey (id), certificates_seq_key or certificates_status_index_key. */
  async insert(db: Kysely<Database>, row: NewCertificateValues): Promise<CertificateRow> {
    return db
      .insertInto('certificates')
      .values({ ...row, jws: jsonText(row.jws), subject: jsonText(row.subject) })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async get(db: Kysely<Database>, id: string): Promise<CertificateRow | undefined> {
    return db.selectFrom('certificates').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** The row, locked until the end of the transaction (for countersigning and revoking). */
  async getForUpdate(db: Kysely<Database>, id: string): Promise<CertificateRow | undefined> {
    return db.selectFrom('certificates').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  /** The next free status-list index (one past the highest taken). */
  async nextStatusIndex(db: Kysely<Database>): Promise<number> {
    const r = await db
      .selectFrom('certificates')
      .select(sql<number>`coalesce(max(status_index) + 1, 0)::int`.as('next'))
      .executeTakeFirstOrThrow();
    return r.next;
  },

  /** Whether a certificate already holds this revocation status-list index. */
  async statusIndexTaken(db: Kysely<Database>, index: number): Promise<boolean> {
    return (
      (await db.selectFrom('certificates').select('id').where('status_index', '=', index).executeTakeFirst()) !==
      undefined
    );
  },

  async countersign(
    db: Kysely<Database>,
    id: string,
    v: { jws: unknown; countersignedBy: string; seq: number },
  ): Promise<void> {
    await db
      .updateTable('certificates')
      .set({ jws: jsonText(v.jws), countersigned_by: v.countersignedBy, countersigned_seq: v.seq })
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  },

  async revoke(db: Kysely<Database>, id: string, v: { revokedBy: string; seq: number; reason: string }): Promise<void> {
    await db
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_by: v.revokedBy, revoked_seq: v.seq, revocation_reason: v.reason })
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  },

  /** Status-list indexes of revoked certificates. */
  async revokedIndexes(db: Kysely<Database>): Promise<number[]> {
    return (
      await db
        .selectFrom('certificates')
        .select('status_index')
        .where('status', '=', 'revoked')
        .orderBy('status_index')
        .execute()
    ).map((r) => r.status_index);
  },

  /** Status-list indexes of the revoked certificates `issuer` issued (its published list). */
  async revokedIndexesOf(db: Kysely<Database>, issuer: string): Promise<number[]> {
    const rows = await db
      .selectFrom('certificates')
      .select('status_index')
      .where('issuer', '=', issuer)
      .where('status', '=', 'revoked')
      .orderBy('status_index')
      .execute();
    return rows.map((r) => r.status_index);
  },

  /** The parties that have issued certificates, in id order. */
  async issuers(db: Kysely<Database>): Promise<string[]> {
    return (await db.selectFrom('certificates').select('issuer').distinct().orderBy('issuer').execute()).map(
      (r) => r.issuer,
    );
  },

  /** Certificates in journal order, optionally only those naming `party` (as issuer, exporter, importer or end user). */
  async list(db: Kysely<Database>, opts: { party?: string; limit?: number } = {}): Promise<CertificateRow[]> {
    let q = db.selectFrom('certificates').selectAll().orderBy('seq');
    const party = opts.party;
    if (party !== undefined)
      q = q.where((eb) =>
        eb.or([
          eb('issuer', '=', party),
          eb('exporter', '=', party),
          eb('importer', '=', party),
          eb('end_user', '=', party),
        ]),
      );
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    return q.execute();
  },
};
