import type { Kysely } from 'kysely';
import { restrictionTerms, type CertificateSubject, type Licence, type RestrictionTerms } from '../domain/index.js';
import {
  certificateLinesRepo,
  certificatesRepo,
  licencesRepo,
  lotsRepo,
  shipmentsRepo,
  type CertificateRow,
  type Database,
  type LicenceRow,
} from '../store/index.js';
import { RefusedError } from './errors.js';

/**
 * The end-user certificate as a guarantee that binds: its quantities are a ceiling across every
 * licence relying on it (a per-certificate claims ledger, migration 0019), its undertakings travel
 * in every restriction its licences create, and its revocation suspends those licences.
 */

/**
 * For dispatchShipment: the licence row read afresh under a share lock (a revocation suspending it
 * waits for this transaction, or this read waits for the revocation), refused when it is not in
 * force: CERTIFICATE_REVOKED naming the revocation when its certificate was revoked. Returns the
 * licence row and its certificate's row as read here: the share lock on the licence keeps a
 * revocation of that certificate from committing before this transaction ends (the revocation
 * locks the licences relying on it, `lockRevocationTargets`), so the caller uses this certificate
 * row for the rest of the dispatch instead of reading it again.
 */
export async function refuseUnlessInForce(
  tx: Kysely<Database>,
  row: LicenceRow,
): Promise<{ readonly licence: LicenceRow; readonly certificate: CertificateRow | undefined }> {
  const fresh = (await licencesRepo.getShared(tx, row.id)) ?? row;
  const certificateId = (fresh.licence as Licence).certificateId;
  if (fresh.status === 'suspended') {
    throw new RefusedError([
      {
        rule: 'CERTIFICATE_REVOKED',
        message: `licence ${fresh.id} is suspended since journal entry ${fresh.suspended_seq ?? '?'}: ${fresh.suspension_reason ?? ''}`,
        chain: [`licence ${fresh.id}`, ...(certificateId === undefined ? [] : [`certificate ${certificateId}`])],
      },
    ]);
  }
  if (fresh.status !== 'active')
    throw new RefusedError([{ rule: 'LICENCE_REVOKED', message: `licence ${fresh.id} is ${fresh.status}` }]);
  let cert: CertificateRow | undefined;
  if (certificateId !== undefined) {
    cert = await certificatesRepo.get(tx, certificateId);
    if (cert?.status === 'revoked') {
      throw new RefusedError([
        {
          rule: 'CERTIFICATE_REVOKED',
          message: `licence ${fresh.id} relies on certificate ${certificateId}, revoked by ${cert.revoked_by ?? '?'} at journal entry ${cert.revoked_seq ?? '?'}: ${cert.revocation_reason ?? ''}`,
        },
      ]);
    }
  }
  return { licence: fresh, certificate: cert };
}

/**
 * For revokeCertificate, before its record is journalled: the rows its projector will change, locked
 * in the order the custody use cases lock them (lots, then shipments, then licences, then the
 * journal), so a revocation and a dispatch or receipt queue instead of deadlocking. The caller holds
 * the certificate row (FOR UPDATE), so no new licence can come to rely on it meanwhile. Returns the
 * active licences that will be suspended.
 */
export async function lockRevocationTargets(tx: Kysely<Database>, certificateId: string): Promise<string[]> {
  const ids = (await licencesRepo.relyingOn(tx, certificateId)).map((l) => l.id);
  await lotsRepo.lockCarrying(tx, ids);
  await shipmentsRepo.lockInTransitCarrying(tx, ids);
  return (await licencesRepo.lockRelyingOn(tx, certificateId)).filter((l) => l.status === 'active').map((l) => l.id);
}

/** The certificate's subject as recorded (its undertakings), or undefined for a licence without one. */
/**
 * For dispatchShipment: the terms of a licensed shipment's restriction — the licence's conditions ∪
 * its certificate's undertakings (`certificate`: the licence's certificate row, as `refuseUnlessInForce`
 * read it).
 */
export function licensedRestrictionTerms(licence: Licence, certificate: CertificateRow | undefined): RestrictionTerms {
  if (certificate !== undefined && certificate.id !== licence.certificateId)
    throw new Error(
      `certificate ${certificate.id} is not licence ${licence.id}'s (${licence.certificateId ?? 'none'})`,
    );
  const subject = certificate?.subject as CertificateSubject | undefined;
  return restrictionTerms(licence, subject?.undertakings);
}

export interface CertificateLedgerLine {
  readonly controlCode: string;
  readonly hsCode: string;
  readonly ceilingGrams: number;
  readonly claimedGrams: number;
  readonly remainingGrams: number;
  /** Which licence claims how much, in approval order, with the licence's status now. */
  readonly claims: readonly {
    readonly licenceId: string;
    readonly grams: number;
    readonly seq: number;
    readonly status: string;
  }[];
}

/** What is claimed of each line of a certificate, by which licence. */
export async function certificateLedger(
  db: Kysely<Database>,
  certificateId: string,
): Promise<readonly CertificateLedgerLine[]> {
  const lines = await certificateLinesRepo.lines(db, certificateId);
  const claims = await certificateLinesRepo.claims(db, certificateId);
  const status = new Map(
    (await licencesRepo.byIds(db, [...new Set(claims.map((c) => c.licence_id))])).map((l) => [l.id, l.status]),
  );
  return lines.map((l) => ({
    controlCode: l.control_code,
    hsCode: l.hs_code,
    ceilingGrams: l.ceiling_grams,
    claimedGrams: l.claimed_grams,
    remainingGrams: l.ceiling_grams - l.claimed_grams,
    claims: claims
      .filter((c) => c.control_code === l.control_code && c.hs_code === l.hs_code)
      .map((c) => ({ licenceId: c.licence_id, grams: c.grams, seq: c.seq, status: status.get(c.licence_id) ?? '?' })),
  }));
}
