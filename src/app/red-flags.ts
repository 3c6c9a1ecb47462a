/**
 * The red-flag set in force and the raising of findings as signed `alert.raised` records (moved out
 * of alerts.ts so that declared.ts, whose findings alerts.ts also gathers, can raise without a cycle).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Transaction } from 'kysely';
import {
  parseRedFlags,
  RedFlagError,
  thresholdsInWords,
  type Finding,
  type RedFlagId,
  type RedFlagSet,
  type Severity,
} from '../monitor/index.js';
import { alertsRepo, licencesRepo, redFlagSetsRepo, type AlertRow, type Database } from '../store/index.js';
import type { AlertTrigger } from './alerts.records.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';

/** The red-flag set shipped with Lodestone (kept apart from rules/*.yaml, which are all rule packs). */
export const DEFAULT_RED_FLAGS_FILE = fileURLToPath(new URL('../../rules/monitoring/red-flags.yaml', import.meta.url));

/** A red-flag set with the exact text it was parsed from, which the journal keeps for auditors. */
export interface LoadedRedFlags extends RedFlagSet {
  readonly text: string;
}

/** Reads and validates a red-flag set; errors name the file, the line and the field. */
export function loadRedFlagsFile(path: string, displayName = path): LoadedRedFlags {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new RedFlagError(
      'INVALID_RULE_PACK',
      `${displayName}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  return { ...parseRedFlags(text, displayName, sha256), text };
}

const loaded = new Map<string, LoadedRedFlags>();
const chosen = new WeakMap<object, LoadedRedFlags>();

/** Uses this red-flag set for this application context (tests, or a deployment's own thresholds). */
export function useRedFlags(ctx: AppContext, set: LoadedRedFlags): void {
  chosen.set(ctx.keystore, set);
}

/** The red-flag set in force: the one chosen for the context, else LODESTONE_RED_FLAGS, else the shipped one. */
export function redFlags(ctx: AppContext): LoadedRedFlags {
  const mine = chosen.get(ctx.keystore);
  if (mine) return mine;
  const path =
    process.env.LODESTONE_RED_FLAGS === undefined || process.env.LODESTONE_RED_FLAGS === ''
      ? DEFAULT_RED_FLAGS_FILE
      : process.env.LODESTONE_RED_FLAGS;
  let set = loaded.get(path);
  if (set === undefined) {
    set = loadRedFlagsFile(path, path === DEFAULT_RED_FLAGS_FILE ? 'rules/monitoring/red-flags.yaml' : path);
    loaded.set(path, set);
  }
  return set;
}

export interface Alert {
  readonly id: string;
  readonly seq: number;
  readonly rule: RedFlagId;
  readonly severity: Severity;
  readonly licenceId?: string;
  readonly parties: readonly string[];
  readonly explanation: string;
  readonly evidence: { readonly seqs: readonly number[]; readonly records: readonly string[] };
  readonly thresholds: Readonly<Record<string, unknown>>;
  /** The thresholds in words ("within 14 days"), in the same order. */
  readonly thresholdsInWords: readonly string[];
  /** "set-id@version" of the red-flag set it was raised under. */
  readonly ruleSet: string;
  readonly trigger: string;
  readonly raisedBy: string;
  readonly raisedAt: string;
  /** Open, resolved (closed with a note on what was found and done) or dismissed (closed as no concern, with the reason). */
  readonly status: 'open' | 'resolved' | 'dismissed';
  /** Who closed it, the note or reason, and the journal entry (`alert.resolved` or `alert.dismissed`). */
  readonly resolution?: { readonly by: string; readonly note: string; readonly seq: number };
  /** The person working the alert (the latest `alert.assigned`): who assigned it, in which entry. */
  readonly assignment?: { readonly to: string; readonly by: string; readonly seq: number };
}

export function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    seq: r.seq,
    rule: r.rule as RedFlagId,
    severity: r.severity,
    ...(r.licence_id === null ? {} : { licenceId: r.licence_id }),
    parties: r.parties,
    explanation: r.explanation,
    evidence: r.evidence as Alert['evidence'],
    thresholds: r.thresholds as Alert['thresholds'],
    thresholdsInWords: thresholdsInWords(r.thresholds as Alert['thresholds']),
    ruleSet: r.rule_set,
    trigger: r.trigger,
    raisedBy: r.raised_by,
    raisedAt: new Date(r.raised_at).toISOString(),
    status: r.status,
    ...(r.resolved_seq === null
      ? {}
      : { resolution: { by: r.resolved_by ?? '', note: r.resolution ?? '', seq: r.resolved_seq } }),
    ...(r.assigned_to === null || r.assigned_seq === null
      ? {}
      : { assignment: { to: r.assigned_to, by: r.assigned_by ?? '', seq: r.assigned_seq } }),
  };
}

/** The alert id: the same rule on the same evidence (the finding's key) under the same set id is the same alert. */
export function alertId(setId: string, key: string): string {
  return `alert-${createHash('sha256').update(`${setId}\u0000${key}`).digest('hex').slice(0, 20)}`;
}

/** Whether this node can sign records for the party right now (its key is here, and no other party's request is running). */
function canSignFor(ctx: AppContext, party: string): boolean {
  const request = (ctx as { readonly request?: { readonly partyId: string } }).request;
  if (request !== undefined) return request.partyId === party;
  return ctx.keystore.has(party);
}

/** Journals the red-flag set version once, with its exact text (like `rulepack.loaded`). */
async function journalRedFlags(
  tx: Transaction<Database>,
  ctx: AppContext,
  actor: string,
  set: LoadedRedFlags,
): Promise<void> {
  const stored = await redFlagSetsRepo.get(tx, set.id, set.version);
  if (stored?.sha256 === set.sha256) return;
  if (stored)
    throw new AppError(
      'ALREADY_EXISTS',
      `red-flag set ${set.id}@${set.version} was recorded with different content (sha256 ${stored.sha256}); give the changed set a new version`,
    );
  await commit(tx, ctx, 'redflags.loaded', actor, {
    setId: set.id,
    version: set.version,
    sha256: set.sha256,
    file: set.file,
    yaml: set.text,
  });
}

export interface RaiseOutcome {
  readonly raised: readonly Alert[];
  /** Findings already raised as alerts (same rule, same evidence). */
  readonly duplicates: number;
  /** Findings this node could not sign an alert for (the authority's key is elsewhere); `alerts scan` there raises them. */
  readonly deferred: number;
}

/** Raises each new finding as an alert signed by its licence's authority; known ones are skipped. */
export async function raise(
  tx: Transaction<Database>,
  ctx: AppContext,
  findings: readonly Finding[],
  trigger: AlertTrigger,
  asOf: string,
): Promise<RaiseOutcome> {
  const set = redFlags(ctx);
  const byId = new Map<string, Finding>();
  for (const f of findings) byId.set(alertId(set.id, f.key), f);
  const existing = await alertsRepo.existing(tx, [...byId.keys()]);
  const raised: Alert[] = [];
  let deferred = 0;
  const authorities = new Map<string, string | undefined>();
  for (const [id, f] of byId) {
    if (existing.has(id)) continue;
    let authority: string | undefined;
    if (f.licenceId !== undefined) {
      if (!authorities.has(f.licenceId))
        authorities.set(f.licenceId, (await licencesRepo.get(tx, f.licenceId))?.authority);
      authority = authorities.get(f.licenceId);
    }
    if (authority === undefined || !canSignFor(ctx, authority)) {
      deferred++;
      continue;
    }
    await journalRedFlags(tx, ctx, authority, set);
    const c = await commit(tx, ctx, 'alert.raised', authority, {
      id,
      rule: f.rule,
      severity: f.severity,
      ...(f.licenceId === undefined ? {} : { licenceId: f.licenceId }),
      parties: [...f.parties],
      explanation: f.explanation,
      evidence: { seqs: [...f.evidence.seqs], records: [...f.evidence.records] },
      thresholds: Object.fromEntries(
        Object.entries(f.thresholds).map(([k, v]) => [k, typeof v === 'object' ? [...v] : v]),
      ),
      ruleSet: { id: set.id, version: set.version, sha256: set.sha256 },
      trigger,
      asOf,
    });
    const row = await alertsRepo.get(tx, id);
    if (row) raised.push(toAlert(row));
    else throw new AppError('NOT_FOUND', `alert ${id} was journalled at ${c.seq} but not projected`);
  }
  return { raised, duplicates: byId.size - raised.length - deferred, deferred };
}
