import type { Transaction } from 'kysely';
import { z } from 'zod';
import { certificatesRepo, type Database } from '../store/index.js';
import { COMPACT_JWS, MAX_STATUS_LIST_JWS_BYTES } from '../trust/index.js';
import { applyRevocation } from './certificate-ledger.records.js';
import { AppError } from './errors.js';

/**
 * The journal record of a revocation seen in a peer's published status list (src/app/status-fetch.ts):
 * its body schema and projector (merged into the registry in records.ts). Made and signed by this
 * node's log operator; it carries the peer's signed list, so anyone holding the peer's log key can
 * check offline that the bit was set in a list the peer signed.
 */

/** `federation.status-revoked`: this node saw a peer's certificate revoked in the peer's signed status list. */
export const federationStatusRevokedSchema = z
  .object({
    node: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a node name (a-z, 0-9, "-")'),
    origin: z.string().min(1).max(255),
    certificateId: z.string().regex(/^urn:uuid:[0-9a-f-]{36}$/, 'must be a certificate id (urn:uuid:…)'),
    /** The issuer whose list it is (the certificate's end user). */
    issuer: z.string().min(1).max(63),
    statusListUrl: z.url().max(300),
    statusIndex: z.number().int().nonnegative(),
    /** The peer's status list credential, the compact JWS exactly as fetched: verifiable with the peer's log key. */
    statusList: z.string().regex(COMPACT_JWS, 'must be a compact JWS').max(MAX_STATUS_LIST_JWS_BYTES),
    /** When this node fetched it (or had it confirmed by a 304), by its clock. */
    fetchedAt: z.iso.datetime(),
    /**
     * The licences here it suspended (relying on the certificate, active until then), sorted: with the
     * certificate, its subjects (trust/subjects.ts). Absent in records written before it was added.
     */
    licences: z.array(z.string().min(1).max(200)).max(10_000).optional(),
  })
  .strict();
export type FederationStatusRevoked = z.infer<typeof federationStatusRevokedSchema>;

export interface StatusListRecordTypes {
  'federation.status-revoked': FederationStatusRevoked;
}

/** Why the licences are suspended: the peer's list says so (who revoked and why arrive with the peer's record). */
export function statusRevocationReason(b: FederationStatusRevoked): string {
  return `bit ${b.statusIndex} is set in ${b.node}'s status list ${b.statusListUrl} (fetched ${b.fetchedAt}, signed with ${b.node}'s log key)`;
}

/** Projector: the certificate revoked and the licences relying on it suspended, as `certificate.revoked` does. */
export async function projectStatusRevoked(
  tx: Transaction<Database>,
  b: FederationStatusRevoked,
  { seq }: { seq: number; actor: string; at: string },
): Promise<void> {
  const row = await certificatesRepo.get(tx, b.certificateId);
  if (row === undefined) throw new AppError('NOT_FOUND', `journal entry ${seq}: no certificate ${b.certificateId}`);
  const reason = statusRevocationReason(b);
  await certificatesRepo.revoke(tx, b.certificateId, { revokedBy: b.issuer, seq, reason });
  await applyRevocation(tx, b.certificateId, { seq, actor: `${b.node}'s status list`, reason });
}
