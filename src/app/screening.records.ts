import type { Transaction } from 'kysely';
import { z } from 'zod';
import { LIST_FORMATS } from '../screening/index.js';
import { isCountryCode } from '../domain/index.js';
import { LIST_EFFECTS } from '../rules/index.js';
import { screeningRepo, screeningReviewsRepo, type Database } from '../store/index.js';
import { trustListRefSchema } from './trustlist.records.js';

/** A list name: lower-case letters, digits, dot, underscore or hyphen ("ofac-sdn", "cn-mofcom-ecl"). */
export const LIST_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * `list.imported`: a restricted-party list snapshot came into force. The entries themselves are
 * reference data (list_snapshots / list_entries, keyed by this sha256); the record carries the
 * counts and the delta against the snapshot it replaces, so the journal says what changed.
 */
export const listImportedSchema = z
  .object({
    list: z.string().regex(LIST_NAME, 'must be 1–63 lower-case letters, digits, ".", "_" or "-", such as "ofac-sdn"'),
    format: z.enum(LIST_FORMATS),
    sha256,
    /** The snapshot this one replaces, when there was one. */
    previous: sha256.optional(),
    entries: z.number().int().nonnegative(),
    /** Rows the parser reported and skipped. */
    errors: z.number().int().nonnegative(),
    added: z.array(z.string().min(1)),
    removed: z.array(z.string().min(1)),
    changed: z.array(z.string().min(1)),
    /** Who issued the list (absent in imports made before lists carried it). */
    authority: z.string().min(1).max(200).optional(),
    /** The list's legal effect; absent means information (imports made before lists carried it). */
    effect: z.enum(LIST_EFFECTS).optional(),
    /**
     * The export regime (country) whose authority gave the list its effect: with effect deny or review,
     * the importing party (the record's actor) is listed as licensing authority for it in the trust
     * list version named here, in force when the import was judged.
     */
    country: z
      .string()
      .refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "CN"' })
      .optional(),
    trustList: trustListRefSchema.optional(),
  })
  .strict();
export type ListImported = z.infer<typeof listImportedSchema>;

export async function projectListImported(
  tx: Transaction<Database>,
  body: ListImported,
  { seq, at }: { seq: number; at: string },
): Promise<void> {
  await screeningRepo.insertImport(tx, {
    seq,
    list: body.list,
    sha256: body.sha256,
    format: body.format,
    imported_at: at,
    entry_count: body.entries,
    error_count: body.errors,
    added: body.added.length,
    removed: body.removed.length,
    changed: body.changed.length,
    ...(body.authority === undefined ? {} : { authority: body.authority }),
    ...(body.effect === undefined ? {} : { effect: body.effect }),
    ...(body.country === undefined ? {} : { country: body.country }),
  });
}

export const REVIEW_DECISIONS = ['false-positive', 'true-match'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/**
 * `screening.reviewed`: a reviewer's decision on one hit — the list entry found when screening a
 * registered party (`partyId`) or a free-text name (`nameKey`, the matcher's normalised key of
 * `name`, fixed in the record so a rebuild under a later matcher keys it the same). The latest
 * decision for a (subject, list, entry) is the one in force.
 */
export const screeningReviewedSchema = z
  .object({
    partyId: z.string().min(1).max(200).optional(),
    nameKey: z.string().min(1).max(1000).optional(),
    /** The name screened: the party's name, or the free text. */
    name: z.string().trim().min(1).max(1000),
    list: z.string().regex(LIST_NAME),
    entryId: z.string().min(1).max(200),
    entryName: z.string().min(1).max(1000),
    score: z.number().min(0).max(1),
    decision: z.enum(REVIEW_DECISIONS),
    reason: z.string().trim().min(1).max(2000),
    /** The snapshot of the list in force at the decision, and the matcher that found the hit. */
    snapshot: sha256,
    matcherVersion: z.string().min(1).max(100),
  })
  .strict()
  .refine((b) => (b.partyId === undefined) !== (b.nameKey === undefined), {
    message: 'names either a party (partyId) or a free-text name (nameKey), not both',
    path: ['partyId'],
  });
export type ScreeningReviewed = z.infer<typeof screeningReviewedSchema>;

export async function projectScreeningReviewed(
  tx: Transaction<Database>,
  b: ScreeningReviewed,
  { seq, actor, at }: { seq: number; actor: string; at: string },
): Promise<void> {
  await screeningReviewsRepo.insert(tx, {
    seq,
    subject_kind: b.partyId === undefined ? 'name' : 'party',
    subject: b.partyId ?? b.nameKey ?? '',
    subject_name: b.name,
    list: b.list,
    entry_id: b.entryId,
    entry_name: b.entryName,
    score: b.score,
    decision: b.decision,
    reason: b.reason,
    snapshot: b.snapshot,
    reviewer: actor,
    reviewed_at: at,
  });
}
