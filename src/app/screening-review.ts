/**
 * Screening review (issue 22 item 5): a reviewer screens a registered party or a free-text name,
 * reads each hit with its explanation, and records a decision on one hit — a false positive (set
 * aside on later screenings of the same party or name, shown with the review) or a true match (stays
 * a hit, so the licensing policies, export checks and monitor treat it as the listing it is) —
 * journalled as `screening.reviewed`.
 *
 * Who decides: a party the trust list names as a licensing authority (for any country). A decision
 * sets a hit aside for every later screening of that party, so it is not any trade party's to make.
 */
import type { Kysely } from 'kysely';
import { ValidationError, type Party } from '../domain/index.js';
import { MATCHER_VERSION } from '../screening/index.js';
import {
  screeningRepo,
  screeningReviewsRepo,
  trustListsRepo,
  type Database,
  type ScreeningReviewRow,
} from '../store/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';
import { requireParty } from './parties.js';
import {
  nameKey,
  screenNamesInDb,
  screenPartiesWithOwners,
  type PartyScreening,
  type ScreeningHit,
} from './screening.js';
import { LIST_NAME, REVIEW_DECISIONS, type ReviewDecision } from './screening.records.js';
import type { TrustListEntry } from './trustlist.records.js';

export interface ReviewInput {
  /** A registered party's id, or … */
  readonly partyId?: string | undefined;
  /** … a free-text name (exactly one of the two). */
  readonly name?: string | undefined;
  readonly list: string;
  readonly entryId: string;
  readonly decision: string;
  readonly reason: string;
}

export interface ScreeningReview {
  readonly seq: number;
  readonly subject: { readonly partyId: string } | { readonly name: string };
  readonly name: string;
  readonly list: string;
  readonly entryId: string;
  readonly entryName: string;
  readonly score: number;
  readonly decision: ReviewDecision;
  readonly reason: string;
  readonly snapshot: string;
  readonly by: string;
  readonly at: string;
}

function toReview(r: ScreeningReviewRow): ScreeningReview {
  return {
    seq: r.seq,
    subject: r.subject_kind === 'party' ? { partyId: r.subject } : { name: r.subject_name },
    name: r.subject_name,
    list: r.list,
    entryId: r.entry_id,
    entryName: r.entry_name,
    score: r.score,
    decision: r.decision,
    reason: r.reason,
    snapshot: r.snapshot,
    by: r.reviewer,
    at: new Date(r.reviewed_at).toISOString(),
  };
}

/** Checks a review's fields (before any transaction); each error names its field. */
export function checkReviewInput(input: ReviewInput): {
  subject: { partyId: string } | { name: string };
  decision: ReviewDecision;
  reason: string;
} {
  const hasParty = input.partyId !== undefined && input.partyId !== '';
  const hasName = input.name !== undefined && input.name.trim() !== '';
  if (hasParty === hasName)
    throw new ValidationError(
      'partyId',
      hasParty
        ? 'give a registered party (partyId) or a free-text name (name), not both'
        : 'give the registered party (partyId) or the free-text name (name) the hit was found for',
    );
  if (typeof input.list !== 'string' || !LIST_NAME.test(input.list))
    throw new ValidationError(
      'list',
      `must be a list name such as "ofac-sdn" (lower-case letters, digits, ".", "_", "-"), got ${JSON.stringify(input.list)}`,
    );
  if (typeof input.entryId !== 'string' || input.entryId.trim() === '' || input.entryId.length > 200)
    throw new ValidationError('entryId', "must be the list entry's id (1–200 characters), as the hit shows it");
  if (!(REVIEW_DECISIONS as readonly string[]).includes(input.decision))
    throw new ValidationError(
      'decision',
      `must be ${REVIEW_DECISIONS.join(' or ')}, got ${JSON.stringify(input.decision)}`,
    );
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '')
    throw new ValidationError('reason', 'must say why (e.g. "different date of birth and nationality")');
  if (reason.length > 2000) throw new ValidationError('reason', `is ${reason.length} characters long; at most 2000`);
  return {
    subject: hasParty ? { partyId: input.partyId ?? '' } : { name: (input.name ?? '').trim() },
    decision: input.decision as ReviewDecision,
    reason,
  };
}

/** The reviewer must be named a licensing authority (for some country) by the trust list in force. */
async function requireReviewer(db: Kysely<Database>, actor: string): Promise<void> {
  await requireParty(db, actor, 'as');
  const head = await trustListsRepo.lockHead(db, 'share');
  const list = head === undefined ? undefined : await trustListsRepo.get(db, head.version);
  const entries = (list?.entries ?? []) as TrustListEntry[];
  if (!entries.some((e) => e.party === actor && e.role === 'licensing-authority'))
    throw new AppError(
      'FORBIDDEN',
      `"${actor}" is not a licensing authority on the trust list${list === undefined ? ' (none is in force)' : ` (version ${list.version})`}; only a licensing authority records screening decisions`,
      { field: 'as' },
    );
}

/**
 * Records a reviewer's decision on one hit. The hit must be one the subject's screening finds now
 * (against the list in force, at the default threshold), so the score, the entry's name and the
 * snapshot recorded are the server's, not the caller's. One transaction: the record and its projection.
 */
export async function reviewScreeningHit(
  ctx: AppContext,
  actor: string,
  input: ReviewInput,
): Promise<{ review: ScreeningReview; hit: ScreeningHit }> {
  const { subject, decision, reason } = checkReviewInput(input);
  return ctx.store.transaction(async (tx) => {
    await requireReviewer(tx, actor);
    const current = await screeningRepo.currentImport(tx, input.list);
    if (current === undefined)
      throw new AppError('NOT_FOUND', `no list "${input.list}" is in force (lodestone lists list)`, { field: 'list' });
    let screened: { name: string; hits: readonly ScreeningHit[]; setAside?: readonly ScreeningHit[] };
    if ('partyId' in subject) {
      const party = await requireParty(tx, subject.partyId, 'partyId');
      const { screenings } = await screenPartiesWithOwners(tx, [party]);
      screened = screenings[0] ?? { name: party.name, hits: [] };
    } else {
      const [r] = await screenNamesInDb(tx, [subject.name]);
      screened = { name: subject.name, hits: r?.hits ?? [], ...(r?.setAside ? { setAside: r.setAside } : {}) };
    }
    const hit = [...screened.hits, ...(screened.setAside ?? [])].find(
      (h) => h.list === input.list && h.entryId === input.entryId,
    );
    if (hit === undefined)
      throw new ValidationError(
        'entryId',
        `${input.list} entry ${JSON.stringify(input.entryId)} is not a hit of ${JSON.stringify(screened.name)} against the list in force (hits: ${
          [...screened.hits, ...(screened.setAside ?? [])].map((h) => `${h.list} ${h.entryId}`).join(', ') || 'none'
        })`,
      );
    const c = await commit(tx, ctx, 'screening.reviewed', actor, {
      ...('partyId' in subject ? { partyId: subject.partyId } : { nameKey: nameKey(subject.name) }),
      name: screened.name,
      list: hit.list,
      entryId: hit.entryId,
      entryName: hit.name,
      score: hit.score,
      decision,
      reason,
      snapshot: current.sha256,
      matcherVersion: MATCHER_VERSION,
    });
    const { review: _previous, ...bare } = hit;
    return {
      review: {
        seq: c.seq,
        subject,
        name: screened.name,
        list: hit.list,
        entryId: hit.entryId,
        entryName: hit.name,
        score: hit.score,
        decision,
        reason,
        snapshot: current.sha256,
        by: actor,
        at: c.record.payload.at,
      },
      hit: bare,
    };
  });
}

/** A registered party screened now (name, aliases, identifiers, owners), with the decisions in force applied, and the decisions' history. */
export async function screenParty(
  ctx: AppContext,
  partyId: string,
): Promise<PartyScreening & { party: Party; reviews: readonly ScreeningReview[] }> {
  const db = ctx.store.db;
  const party = await requireParty(db, partyId, 'partyId');
  const { screenings } = await screenPartiesWithOwners(db, [party]);
  const s = screenings[0];
  if (s === undefined) throw new AppError('NOT_FOUND', `no screening for party "${partyId}"`, { field: 'partyId' });
  const reviews = (await screeningReviewsRepo.history(db, 'party', partyId)).map(toReview);
  return { ...s, party, reviews };
}

/** Every decision recorded on a party or a free-text name, newest first. */
export async function screeningReviews(
  ctx: AppContext,
  subject: { partyId: string } | { name: string },
): Promise<readonly ScreeningReview[]> {
  const rows =
    'partyId' in subject
      ? await screeningReviewsRepo.history(ctx.store.db, 'party', subject.partyId)
      : await screeningReviewsRepo.history(ctx.store.db, 'name', nameKey(subject.name));
  return rows.map(toReview);
}
