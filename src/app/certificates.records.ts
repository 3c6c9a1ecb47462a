import type { Transaction } from 'kysely';
import { z } from 'zod';
import { parseCertificateSubject, type CertificateSubject } from '../domain/index.js';
import { certificatesRepo, type Database } from '../store/index.js';
import { decodeCredential, type CredentialJws, type DecodedCredential, type JwsSignature } from '../trust/index.js';
import { applyRevocation, openCertificateLedger } from './certificate-ledger.records.js';
import { trustListRefSchema, type TrustListRef } from './trustlist.records.js';
import { AppError } from './errors.js';

/**
 * Journal records of end-user certificates: their body schemas and projectors (merged into the
 * registry in records.ts). The certificate itself is the signed JWS inside `certificate.issued`;
 * `certificate.countersigned` carries the one signature the government adds over the same payload.
 */

export interface CertificateIssued {
  readonly jws: CredentialJws;
}
export interface CertificateCountersigned {
  readonly certificateId: string;
  readonly signature: JwsSignature;
  /** The trust-list version the countersigner was found listed in. */
  readonly trustList?: TrustListRef | undefined;
}
export interface CertificateRevoked {
  readonly certificateId: string;
  readonly reason: string;
}

export interface CertificateRecordTypes {
  'certificate.issued': CertificateIssued;
  'certificate.countersigned': CertificateCountersigned;
  'certificate.revoked': CertificateRevoked;
}

const certificateId = z.string().regex(/^urn:uuid:[0-9a-f-]{36}$/, 'must be a certificate id (urn:uuid:…)');
export const revocationReason = z.string().trim().min(1, 'must not be empty').max(500);

/** The credential in a JWS and its subject, checked (shape and canonical payload; not the signatures). */
export function decodeCertificate(jws: unknown): DecodedCredential & { subject: CertificateSubject } {
  const decoded = decodeCredential(jws);
  const { id: _subjectId, ...subject } = decoded.credential.credentialSubject;
  return { ...decoded, subject: parseCertificateSubject(subject, 'credentialSubject') };
}

const issuedSchema = z
  .object({ jws: z.unknown() })
  .strict()
  .superRefine((b, ctx) => {
    try {
      decodeCertificate(b.jws);
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: ['jws'], message: (e as Error).message });
    }
  }) as unknown as z.ZodType<CertificateIssued>;

const countersignedSchema: z.ZodType<CertificateCountersigned> = z
  .object({
    certificateId,
    signature: z
      .object({ protected: z.string().regex(/^[A-Za-z0-9_-]+$/), signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/) })
      .strict(),
    trustList: trustListRefSchema.optional(),
  })
  .strict();

const revokedSchema: z.ZodType<CertificateRevoked> = z.object({ certificateId, reason: revocationReason }).strict();

type Meta = { seq: number; actor: string; at: string };
interface Kind<B> {
  readonly schema: z.ZodType<B>;
  readonly project: (tx: Transaction<Database>, body: B, meta: Meta) => Promise<void>;
}

async function stored(tx: Transaction<Database>, id: string, seq: number) {
  const row = await certificatesRepo.get(tx, id);
  if (!row) throw new AppError('NOT_FOUND', `journal entry ${seq}: no certificate ${id}`);
  return row;
}

export const CERTIFICATE_KINDS: { readonly [T in keyof CertificateRecordTypes]: Kind<CertificateRecordTypes[T]> } = {
  'certificate.issued': {
    schema: issuedSchema,
    async project(tx, body, { seq, actor }) {
      const c = decodeCertificate(body.jws);
      await certificatesRepo.insert(tx, {
        id: c.credential.id,
        seq,
        issuer: actor,
        exporter: c.subject.exporter,
        importer: c.subject.importer,
        end_user: c.subject.endUser,
        countersigned_by: null,
        countersigned_seq: null,
        status: 'active',
        status_index: Number(c.credential.credentialStatus.statusListIndex),
        valid_from: c.subject.validity.from,
        valid_until: c.subject.validity.until,
        jws: c.jws,
        subject: c.subject,
        revoked_by: null,
        revoked_seq: null,
        revocation_reason: null,
      });
      await openCertificateLedger(tx, c.credential.id, c.subject);
    },
  },
  'certificate.countersigned': {
    schema: countersignedSchema,
    async project(tx, body, { seq, actor }) {
      const row = await stored(tx, body.certificateId, seq);
      const jws = decodeCredential(row.jws).jws;
      await certificatesRepo.countersign(tx, body.certificateId, {
        jws: { payload: jws.payload, signatures: [...jws.signatures, body.signature] },
        countersignedBy: actor,
        seq,
      });
    },
  },
  'certificate.revoked': {
    schema: revokedSchema,
    async project(tx, body, { seq, actor }) {
      await stored(tx, body.certificateId, seq);
      await certificatesRepo.revoke(tx, body.certificateId, { revokedBy: actor, seq, reason: body.reason });
      await applyRevocation(tx, body.certificateId, { seq, actor, reason: body.reason });
    },
  },
};
