import type { Transaction } from 'kysely';
import {
  formatGrams,
  certificateLineKey,
  claimedGrams,
  mergeUndertakings,
  overclaims,
  type CertificateClaim,
  type CertificateClaimLine,
  type Licence,
} from '../domain/index.js';
import { certificateLinesRepo, type Database } from '../store/index.js';
import { checkCertificate } from './certificates.js';
import { AppError, RefusedError } from './errors.js';

/**
 * An approval backed by its end-user certificate (moved out of certificate-ledger.ts, which
 * certificates.ts reads, so that this check of the certificate does not make a cycle).
 */

const fmt = formatGrams;

/**
 * For decideApplication, before the approval is recorded: the certificate the licence relies on is
 * read under a share lock and checked again (signatures, not revoked, valid today, same parties);
 * the approval's conditions are joined with the end user's undertakings (what it leaves out is
 * added; what it contradicts is refused, rule UNDERTAKING_REMOVED); and its claim on each line of
 * the certificate is checked against what the other licences claimed, with the lines locked
 * (FOR UPDATE) until the transaction ends (rule CERTIFICATE_OVERCLAIMED, naming the remainder).
 * Returns the licence as it will be granted and the claim the approval record carries.
 */
export async function backApproval(
  tx: Transaction<Database>,
  licence: Licence,
  asOf: string,
): Promise<{ licence: Licence; claim?: CertificateClaim }> {
  const id = licence.certificateId;
  if (id === undefined) return { licence };
  if (!(await certificateLinesRepo.lockCertificateShared(tx, id)))
    throw new AppError('NOT_FOUND', `no certificate ${id}`, { field: 'certificateId' });
  const checked = await checkCertificate(tx, id, {
    asOf,
    exporter: licence.holder,
    importer: licence.importer,
    endUser: licence.endUser,
  });
  const subject = checked.subject;
  const { merged, conflicts } = mergeUndertakings(
    {
      prohibitedReexportDestinations: licence.prohibitedReexportDestinations,
      useOnlyIn: licence.useOnlyIn,
      extendsToIncorporatingProducts: licence.extendsToIncorporatingProducts,
    },
    subject.undertakings,
  );
  if (conflicts.length > 0) {
    throw new RefusedError(
      conflicts.map((c) => ({
        rule: 'UNDERTAKING_REMOVED',
        message: `${c.field}: ${c.message} (certificate ${id}); an approval may add conditions, never remove an undertaking the end user signed`,
      })),
    );
  }
  const granted: Licence = { ...licence, ...merged };
  const lines = await certificateLinesRepo.lock(tx, id);
  const { claims, unmatched } = claimedGrams(granted, subject.items);
  if (unmatched.length > 0)
    throw new AppError(
      'CERTIFICATE_REFUSED',
      `certificate ${id} refused (certificate.items): licence lines ${unmatched.join(', ')} are not items of the certificate`,
      { field: 'certificate.items' },
    );
  const claim: CertificateClaimLine[] = [];
  for (const [key, grams] of claims) {
    const row = lines.find((l) => certificateLineKey({ controlCode: l.control_code, hsCode: l.hs_code }) === key);
    if (row === undefined)
      throw new AppError('NOT_FOUND', `certificate ${id} has no ledger line ${key}`, { field: 'certificateId' });
    if (grams > 0)
      claim.push({
        controlCode: row.control_code,
        hsCode: row.hs_code,
        ceilingGrams: row.ceiling_grams,
        claimedBeforeGrams: row.claimed_grams,
        grams,
      });
  }
  const over = overclaims(claim);
  if (over.length > 0) {
    const by = await certificateLinesRepo.claims(tx, id);
    throw new RefusedError(
      over.map((l) => {
        const others = by
          .filter((c) => c.control_code === l.controlCode && c.hs_code === l.hsCode)
          .map((c) => `${c.licence_id} ${fmt(c.grams)}`);
        return {
          rule: 'CERTIFICATE_OVERCLAIMED',
          message: `certificate ${id} covers ${fmt(l.ceilingGrams)} of ${l.controlCode} (HS ${l.hsCode}) across all its licences; ${fmt(l.claimedBeforeGrams)} is claimed already (${others.join(', ') || 'none'}), ${fmt(l.ceilingGrams - l.claimedBeforeGrams)} remains, and this approval claims ${fmt(l.grams)}`,
        };
      }),
    );
  }
  return { licence: granted, ...(claim.length === 0 ? {} : { claim: { certificateId: id, lines: claim } }) };
}
