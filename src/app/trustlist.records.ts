import type { Transaction } from 'kysely';
import { z } from 'zod';
import { isCountryCode, parse } from '../domain/index.js';
import { journalRepo, trustListsRepo, type Database } from '../store/index.js';
import { TRUST_LIST_RECORD, TRUST_ROOT_ID, type SignedRecord } from '../trust/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';

/**
 * The trust list (issue 18 item 8): which parties may license exports from which country, and
 * which may countersign end-user certificates for which country. Roles come from here — never
 * from a party's own fields (its sector, its country). Each version is a `trustlist.published`
 * record made by the operator's root key (`operator-root` in the keystore, distinct from the log
 * key), naming the previous version by the SHA-256 of its canonical record.
 */

export { TRUST_LIST_RECORD, TRUST_ROOT_ID };

export const TRUST_LIST_ROLES = ['licensing-authority', 'countersigner'] as const;
export type TrustListRole = (typeof TRUST_LIST_ROLES)[number];

export const trustListEntrySchema = z
  .object({
    party: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a registered party id'),
    /** licensing-authority: licenses exports FROM `country`; countersigner: countersigns certificates of importers IN `country`. */
    role: z.enum(TRUST_LIST_ROLES),
    country: z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "CN"' }),
    note: z.string().min(1).max(500).optional(),
  })
  .strict();
export type TrustListEntry = z.infer<typeof trustListEntrySchema>;

export const trustListEntriesSchema = z
  .array(trustListEntrySchema)
  .max(10_000)
  .superRefine((entries, c) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      const k = `${e.party} ${e.role} ${e.country}`;
      if (seen.has(k))
        c.addIssue({ code: 'custom', path: [i], message: `lists ${e.party} as ${e.role} for ${e.country} twice` });
      seen.add(k);
    });
  });

/** The trust-list version a decision or countersignature was judged by (its version and record hash), recorded with it. */
export const trustListRefSchema = z
  .object({ version: z.number().int().min(1), recordHash: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
export type TrustListRef = z.infer<typeof trustListRefSchema>;

export const trustListPublishedSchema = z
  .object({
    version: z.number().int().min(1).max(2_147_483_647),
    /** Hex SHA-256 of the previous version's canonical record; null for version 1. */
    previous: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    /** The operator's root key that signs this record (and every version: a verifier pins it). */
    root: z
      .object({
        algorithm: z.literal('Ed25519'),
        keyId: z.string().regex(/^ed25519:[A-Za-z0-9_-]{22}$/),
        publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
      })
      .strict(),
    /** The entries in force from this record on (the whole list, not a change). */
    entries: trustListEntriesSchema,
  })
  .strict()
  .refine((b) => (b.version === 1) === (b.previous === null), {
    message: 'version 1 has no previous version; every later version names one',
    path: ['previous'],
  });
export type TrustListPublished = z.infer<typeof trustListPublishedSchema>;

export interface TrustListRecordTypes {
  'trustlist.published': TrustListPublished;
}

/**
 * Projects a trust-list version: it must follow the version in force (version + 1, naming its
 * record's hash), so a replayed journal with a missing or reordered version stops the rebuild.
 */
export async function projectTrustListPublished(
  tx: Transaction<Database>,
  body: TrustListPublished,
  meta: { seq: number; at: string },
): Promise<void> {
  const head = await trustListsRepo.lockHead(tx, 'update');
  const prev = head === undefined ? undefined : await trustListsRepo.get(tx, head.version);
  const expected = (prev?.version ?? 0) + 1;
  if (body.version !== expected || body.previous !== (prev?.record_hash ?? null)) {
    throw new AppError(
      'JOURNAL_INVALID',
      `journal entry ${meta.seq}: trust list version ${body.version} (previous ${String(body.previous)}) does not follow the version in force (${prev === undefined ? 'none' : `${prev.version}, record ${prev.record_hash}`})`,
    );
  }
  if (prev !== undefined && (prev.root_key_id !== body.root.keyId || prev.root_public_key !== body.root.publicKey)) {
    throw new AppError(
      'JOURNAL_INVALID',
      `journal entry ${meta.seq}: trust list version ${body.version} names root key ${body.root.keyId}, but the list is kept under ${prev.root_key_id}`,
    );
  }
  const row = await journalRepo.get(tx, meta.seq);
  if (row === undefined) throw new AppError('JOURNAL_INVALID', `journal entry ${meta.seq}: not in the journal`);
  await trustListsRepo.insert(tx, {
    version: body.version,
    seq: meta.seq,
    record_hash: row.record_hash,
    previous_hash: body.previous,
    root_key_id: body.root.keyId,
    root_public_key: body.root.publicKey,
    entries: body.entries,
    published_at: meta.at,
  });
  await trustListsRepo.setHead(tx, { version: body.version, seq: meta.seq });
}

/**
 * The key that must sign a `trustlist.published` record: the operator's root key as this node's
 * keystore holds it — never a party key, never the log key, never on a party's API request.
 * Returns its public key (for `verifyRecord`).
 */
export function trustRootSignatureKey(ctx: AppContext, record: SignedRecord): string {
  const { payload, signature } = record;
  if (payload.request !== undefined || payload.requestSha256 !== undefined) {
    throw new AppError(
      'FORBIDDEN',
      'the trust list is changed only with the operator root key (lodestone trust-list set), never on a signed API request',
    );
  }
  if (payload.actor !== TRUST_ROOT_ID)
    throw new AppError('FORBIDDEN', `a trust list is published by ${TRUST_ROOT_ID}, not by "${payload.actor}"`);
  const body = parse(trustListPublishedSchema, payload.body, 'body');
  if (!ctx.keystore.has(TRUST_ROOT_ID))
    throw new AppError(
      'KEY_MISSING',
      `this node has no operator root key (${TRUST_ROOT_ID}) in ${ctx.keystore.dir}: it cannot accept a trust list`,
    );
  const root = ctx.keystore.get(TRUST_ROOT_ID);
  if (body.root.keyId !== root.keyId || body.root.publicKey !== root.publicKey) {
    throw new AppError(
      'FORBIDDEN',
      `trust list version ${body.version} names root key ${body.root.keyId}; this node's operator root key is ${root.keyId}`,
    );
  }
  if (signature.keyId !== root.keyId)
    throw new AppError(
      'FORBIDDEN',
      `trust list version ${body.version} is signed by ${signature.keyId}, not by the operator root key ${root.keyId}`,
    );
  return root.publicKey;
}
