import type { Transaction } from 'kysely';
import { z } from 'zod';
import { LIST_FORMATS } from '../screening/index.js';
import { LIST_EFFECTS } from '../rules/index.js';
import { screeningRepo, type Database } from '../store/index.js';

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
  });
}
