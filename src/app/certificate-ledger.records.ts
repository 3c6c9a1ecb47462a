import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { CertificateClaim, CertificateSubject, Restriction } from '../domain/index.js';
import {
  certificateLinesRepo,
  certificatesRepo,
  licencesRepo,
  lotsRepo,
  shipmentsRepo,
  type Database,
} from '../store/index.js';

/**
 * What the certificate records do to the certificate ledger and to the licences and material that
 * rely on a certificate (migration 0019). Called by the projectors of `certificate.issued`,
 * `certificate.revoked` and `application.decided`, so a rebuild reproduces it exactly.
 */

/** The claim an approval carries in its `application.decided` body. */
export const certificateClaimSchema: z.ZodType<CertificateClaim> = z
  .object({
    certificateId: z.string().regex(/^urn:uuid:[0-9a-f-]{36}$/),
    lines: z
      .array(
        z
          .object({
            controlCode: z.string().min(1),
            hsCode: z.string().min(1),
            ceilingGrams: z.number().int().positive(),
            claimedBeforeGrams: z.number().int().min(0),
            grams: z.number().int().positive(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

/** `certificate.issued`: each line of the certificate opens with nothing claimed. */
export async function openCertificateLedger(
  tx: Transaction<Database>,
  certificateId: string,
  subject: CertificateSubject,
): Promise<void> {
  await certificateLinesRepo.open(tx, certificateId, subject.items);
}

/** The reason a licence is suspended when its certificate is revoked. */
export function suspensionReason(certificateId: string, revokedBy: string, reason: string): string {
  return `certificate ${certificateId} revoked by ${revokedBy}: ${reason}`;
}

/**
 * `certificate.revoked`: every active licence relying on the certificate is suspended (with the
 * revocation's seq and reason), and every lot and in-transit shipment carrying a restriction of that
 * certificate gets `certificateRevoked` on it, so onward transfers see it. Returns the licences suspended.
 */
export async function applyRevocation(
  tx: Transaction<Database>,
  certificateId: string,
  r: { seq: number; actor: string; reason: string },
): Promise<string[]> {
  const licences = await licencesRepo.relyingOn(tx, certificateId);
  const why = suspensionReason(certificateId, r.actor, r.reason);
  const suspended: string[] = [];
  for (const l of licences) {
    if (l.status !== 'active') continue;
    await licencesRepo.suspend(tx, l.id, r.seq, why);
    suspended.push(l.id);
  }
  const mark = (rs: readonly Restriction[]): Restriction[] | undefined =>
    rs.some((x) => x.certificateId === certificateId && x.certificateRevoked === undefined)
      ? rs.map((x) =>
          x.certificateId === certificateId && x.certificateRevoked === undefined
            ? { ...x, certificateRevoked: { seq: r.seq, reason: r.reason } }
            : x,
        )
      : undefined;
  const ids = licences.map((l) => l.id);
  const lots = new Map<string, Awaited<ReturnType<typeof lotsRepo.list>>[number]>();
  for (const id of ids) for (const lot of await lotsRepo.list(tx, { licenceId: id })) lots.set(lot.id, lot);
  for (const lot of lots.values()) {
    const marked = mark(lot.restrictions as Restriction[]);
    if (marked) await lotsRepo.setRestrictions(tx, lot.id, marked, r.seq);
  }
  for (const s of await shipmentsRepo.carrying(tx, ids)) {
    if (s.status !== 'in-transit') continue;
    const marked = mark(s.restrictions as Restriction[]);
    if (marked) await shipmentsRepo.setRestrictions(tx, s.id, marked);
  }
  return suspended;
}

/**
 * `application.decided` (approved): the approval's claim on its certificate is added to the ledger
 * (the lines' CHECK refuses an overclaim), and a licence approved on a certificate already revoked
 * (possible only in a journal written before migration 0019) is suspended at once, as the migration does.
 */
export async function projectApproval(
  tx: Transaction<Database>,
  licence: { id: string; certificateId?: string | undefined },
  claim: CertificateClaim | undefined,
  seq: number,
): Promise<void> {
  for (const l of claim?.lines ?? []) {
    await certificateLinesRepo.claim(tx, {
      certificate_id: claim?.certificateId ?? '',
      control_code: l.controlCode,
      hs_code: l.hsCode,
      licence_id: licence.id,
      grams: l.grams,
      seq,
    });
  }
  if (licence.certificateId === undefined) return;
  const cert = await certificatesRepo.get(tx, licence.certificateId);
  if (cert?.status === 'revoked' && cert.revoked_seq !== null) {
    await licencesRepo.suspend(
      tx,
      licence.id,
      cert.revoked_seq,
      suspensionReason(cert.id, cert.revoked_by ?? '?', cert.revocation_reason ?? ''),
    );
  }
}
