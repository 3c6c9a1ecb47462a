import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { country, isoDateValue, parseItem, todayUtc, type Item } from '../domain/index.js';
import { classify, parseReadings, type Classification, type Readings, type RulePack } from '../rules/index.js';
import {
  classificationsRepo,
  partiesRepo,
  rulePacksRepo,
  type ClassificationRow,
  type Database,
} from '../store/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';
import type { LoadedPack } from './rulepacks.js';

export interface ClassifyRequest {
  readonly item: unknown;
  /** YYYY-MM-DD; default today (UTC). */
  readonly asOf?: string | undefined;
  /** ISO country the item leaves from; default its origin. */
  readonly exportFrom?: string | undefined;
  /** ISO country the item goes to, when known; the same as exportFrom is a domestic transfer, not an export. */
  readonly destination?: string | undefined;
  /** Readings of unverified facts to use instead of the packs' defaults (validated: see parseReadings). */
  readonly readings?: Readings | undefined;
}

export interface EvaluatedClassification {
  readonly item: Item;
  readonly classification: Classification;
}

/** Today's date lives in src/domain/time.ts (pure: the custody use cases and the monitor both need it). */
export { todayUtc } from '../domain/index.js';

/**
 * The readings a caller chose (`FACT=READING`, from --assume or the `assume` query parameter), checked
 * against the packs' unverified facts; an unknown fact or reading is a ValidationError naming `field`.
 */
export function assumedReadings(
  packs: readonly RulePack[],
  choices: string | readonly string[] | undefined,
  field: string,
): Readings {
  return parseReadings(packs, choices === undefined ? [] : typeof choices === 'string' ? [choices] : choices, field);
}

/** Validates the request and classifies the item against the packs. Pure apart from the clock. */
export function evaluateClassification(
  packs: readonly RulePack[],
  req: ClassifyRequest,
  clock?: () => Date,
): EvaluatedClassification {
  const item = parseItem(req.item);
  const asOf = req.asOf === undefined ? todayUtc(clock) : isoDateValue(req.asOf, 'asOf');
  const exportFrom = req.exportFrom === undefined ? undefined : country(req.exportFrom, 'exportFrom');
  const destination = req.destination === undefined ? undefined : country(req.destination, 'destination');
  const readings = req.readings ?? {};
  return {
    item,
    classification: classify(item, packs, {
      asOf,
      readings,
      ...(exportFrom === undefined ? {} : { exportFrom }),
      ...(destination === undefined ? {} : { destination }),
    }),
  };
}

export interface RecordedClassification extends EvaluatedClassification {
  readonly id: string;
  readonly seq: number;
}

/**
 * Classifies an item and records the result in the journal, signed by the actor, in one
 * transaction with the rule packs it relied on (each pack version is journalled once, with its
 * exact text, so an auditor can re-run the evaluation).
 */
export async function recordClassification(
  ctx: AppContext,
  actor: string,
  req: ClassifyRequest & { label?: string | undefined },
): Promise<RecordedClassification> {
  const packs = ctx.packs();
  const evaluated = evaluateClassification(packs, req, ctx.clock);
  return ctx.store.transaction(async (tx) => {
    if (!(await partiesRepo.get(tx, actor)))
      throw new AppError('NOT_FOUND', `no party "${actor}" (register it first)`, { field: 'actor' });
    await journalPacks(tx, ctx, actor, packs);
    const id = `cls-${randomUUID()}`;
    const c = await commit(tx, ctx, 'item.classified', actor, {
      id,
      ...(req.label === undefined ? {} : { label: req.label }),
      item: evaluated.item,
      asOf: evaluated.classification.asOf,
      exportFrom: evaluated.classification.exportFrom,
      ...(req.readings === undefined || Object.keys(req.readings).length === 0 ? {} : { assume: { ...req.readings } }),
      result: evaluated.classification,
    });
    return { ...evaluated, id, seq: c.seq };
  });
}

/** Journals each pack version the actor relies on, once, with its exact text (for auditors to re-run the rules). */
export async function journalPacks(
  tx: Transaction<Database>,
  ctx: AppContext,
  actor: string,
  packs: readonly LoadedPack[],
): Promise<void> {
  for (const p of packs) {
    const stored = await rulePacksRepo.get(tx, p.id, p.version);
    if (stored?.sha256 === p.sha256) continue;
    if (stored)
      throw new AppError(
        'ALREADY_EXISTS',
        `rule pack ${p.id}@${p.version} was recorded with different content (sha256 ${stored.sha256}); give the changed pack a new version`,
      );
    await commit(tx, ctx, 'rulepack.loaded', actor, {
      packId: p.id,
      version: p.version,
      sha256: p.sha256,
      file: p.file,
      yaml: p.text,
    });
  }
}

export async function listClassifications(
  ctx: AppContext,
  opts: { actor?: string; limit?: number } = {},
): Promise<readonly ClassificationRow[]> {
  return classificationsRepo.list(ctx.store.db, opts);
}
