import { sql, type Kysely } from 'kysely';
import type { CertificateRow, NewCertificate } from './certificates.table.js';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';

export type NewCertificateValues = WithJsonValues<NewCertificate, 'jws' | 'subject'>;

export const certificatesRepo = {
  /** StoreError CONFLICT on certificates_pkey (id), certificates_seq_key or certificates_issuer_status_index_key (the same entry of the issuer's status list, migration 0037). */
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

  /** The next free index of `issuer`'s status list (one past the highest it holds; other issuers' lists, a peer's among them, do not count). */
  async nextStatusIndex(db: Kysely<Database>, issuer: string): Promise<number> {
    const r = await db
      .selectFrom('certificates')
      .select(sql<number>`coalesce(max(status_index) + 1, 0)::int`.as('next'))
      .where('issuer', '=', issuer)
      .executeTakeFirstOrThrow();
    return r.next;
  },

  /** Whether a certificate already holds this index of `issuer`'s status list. */
  async statusIndexTaken(db: Kysely<Database>, issuer: string, index: number): Promise<boolean> {
    return (
      (await db
        .selectFrom('certificates')
        .select('id')
        .where('issuer', '=', issuer)
        .where('status_index', '=', index)
        .executeTakeFirst()) !== undefined
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
