/**
 * Restricted-party screening use cases: importing a list snapshot (journalled as `list.imported`),
 * screening names, and screening parties with their owners inside another use case's transaction.
 * The index over the lists in force is built once per set of snapshots and cached in memory.
 */
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { isCountryCode, ValidationError, type Party } from '../domain/index.js';
import {
  buildIndex,
  checkQueryName,
  normalizeName,
  DEFAULT_THRESHOLD,
  LIST_FORMATS,
  MATCHER_VERSION,
  ownershipHits,
  parseList,
  type ListEntry,
  type ListFormat,
  type Match,
  type ParseIssue,
  type ParsedList,
  type ScreeningIndex,
} from '../screening/index.js';
import { partiesRepo, screeningRepo, screeningReviewsRepo, type Database, type ListImportRow } from '../store/index.js';
import { LIST_EFFECTS, type ListEffect } from '../rules/index.js';
import { canonicalJson, sha256Hex } from '../trust/index.js';
import type { AppContext } from './context.js';
import { commit, committedRecords } from './journal.js';
import { requireTrusted } from './trustlist.js';
import type { TrustListRef } from './trustlist.records.js';
import { LIST_NAME, type ReviewDecision } from './screening.records.js';

export interface ScreeningHit {
  list: string;
  entryId: string;
  name: string;
  score: number;
  explanation: string;
  /** The entry's programme or sub-list, where the list gives one ("SDGT", "MOFCOM export control list"). */
  program?: string;
  /** Which words of the query matched which words of the listed name, and how closely (0–1). */
  tokens?: readonly { readonly query: string; readonly entry: string; readonly score: number }[];
  /** Ownership chain (party names), from the screened party's owner down to the listed party. */
  via?: readonly string[];
  /** The list's legal effect and issuing authority, as imported (recorded with a licence application's assessment). */
  effect?: ListEffect;
  /** The export regime (ISO country) a deny or review list has its effect under, as imported. */
  regime?: string;
  authority?: string;
  /** The reviewer's decision in force on this hit for this party (or name), when one was recorded. */
  review?: HitReview;
}

/** A recorded `screening.reviewed` decision, as shown with a hit. */
export interface HitReview {
  readonly decision: ReviewDecision;
  readonly by: string;
  /** ISO time of the decision (the journal entry's). */
  readonly at: string;
  readonly reason: string;
  readonly seq: number;
  /** The score the hit had when it was reviewed. */
  readonly score: number;
}

export interface PartyScreening {
  partyId: string;
  name: string;
  hits: readonly ScreeningHit[];
  snapshots: readonly { list: string; sha256: string }[];
  matcherVersion: string;
  /**
   * Hits a reviewer decided were false positives for this party: not hits (no policy, refusal or
   * alert counts them), shown with their review. Absent when there are none.
   */
  setAside?: readonly ScreeningHit[];
}

export interface NameScreening {
  readonly query: string;
  readonly hits: readonly ScreeningHit[];
  /** As PartyScreening.setAside, for decisions recorded on this free-text name. */
  readonly setAside?: readonly ScreeningHit[];
}

/** A list file (or the text of one) and its format; SDN may come with alt.csv and add.csv. */
export interface ListSource {
  readonly text?: string | undefined;
  readonly path?: string | undefined;
  readonly format: string;
  /** Paths of OFAC's alt.csv and add.csv (with format sdn-csv), as the CLI takes them. */
  readonly alt?: string | undefined;
  readonly add?: string | undefined;
  /** The same companion files' text, as the HTTP API takes them (a path and a text of the same file are refused). */
  readonly altText?: string | undefined;
  readonly addText?: string | undefined;
  /** Rows parsed so far of the total, every 1,000 rows (for a progress line on a terminal). */
  readonly onProgress?: ((rows: number, total: number) => void) | undefined;
}

export interface ImportListRequest extends ListSource {
  readonly list: string;
  readonly actor: string;
  /** Who issued the list ("MOFCOM", "US Treasury OFAC"). */
  readonly authority?: string | undefined;
  /** Its legal effect: deny, review (case by case) or information (the default: a foreign list, for the officer). */
  readonly effect?: string | undefined;
  /**
   * The export regime (ISO country) the list has its effect under. Required with effect deny or
   * review: the importing party (`actor`) must then be listed in the trust list in force as
   * licensing authority for exports from this country (rule LIST_EFFECT_NOT_AUTHORITY).
   */
  readonly country?: string | undefined;
}

/** The rule refusing a deny or review list from a party that is not a licensing authority for the regime. */
export const LIST_EFFECT_RULE = 'LIST_EFFECT_NOT_AUTHORITY';

export interface ImportListResult {
  readonly status: 'imported' | 'unchanged';
  readonly list: string;
  readonly format: ListFormat;
  readonly sha256: string;
  readonly previous?: string | undefined;
  readonly authority?: string | undefined;
  readonly effect: ListEffect;
  /** The regime the effect is under, and the trust-list version the importing authority was judged by (deny and review). */
  readonly country?: string | undefined;
  readonly trustList?: TrustListRef | undefined;
  readonly entries: number;
  /** Rows reported and skipped, with their line numbers. */
  readonly errors: readonly ParseIssue[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  readonly seq?: number | undefined;
  /** Alerts raised by re-screening the parties of active licences against the new snapshot. */
  readonly alertsRaised?: number | undefined;
}

export interface ScreenOptions {
  readonly country?: string | undefined;
  readonly threshold?: number | undefined;
  readonly limit?: number | undefined;
}

/** A list's legal effect, validated: deny | review | information. */
export function listEffect(s: unknown, field = 'effect'): ListEffect {
  if (typeof s !== 'string' || !(LIST_EFFECTS as readonly string[]).includes(s)) {
    throw new ValidationError(
      field,
      `must be one of ${LIST_EFFECTS.join(', ')} (deny: e.g. China's Control List; review: its Concern List; information: a foreign list), got ${JSON.stringify(s)}`,
    );
  }
  return s as ListEffect;
}

function listAuthority(s: string | undefined, field = 'authority'): string | undefined {
  if (s === undefined) return undefined;
  if (s.trim() === '' || s.length > 200 || /\p{Cc}/u.test(s))
    throw new ValidationError(field, `must be 1–200 characters naming the issuing authority, got ${JSON.stringify(s)}`);
  return s.trim();
}

/** The regime of a list's effect: an ISO country code, required with effect deny or review. */
function listCountry(s: string | undefined, effect: ListEffect, field = 'country'): string | undefined {
  if (s === undefined) {
    if (effect === 'information') return undefined;
    throw new ValidationError(
      field,
      `is required with effect ${effect}: the country whose export regime gives the list its effect (its licensing authority imports it)`,
    );
  }
  const c = s.trim().toUpperCase();
  if (!isCountryCode(c))
    throw new ValidationError(
      field,
      `must be an ISO 3166-1 alpha-2 country code such as "CN", got ${JSON.stringify(s)}`,
    );
  return c;
}

export function listFormat(s: unknown, field = 'format'): ListFormat {
  if (typeof s !== 'string' || !(LIST_FORMATS as readonly string[]).includes(s)) {
    throw new ValidationError(field, `must be one of ${LIST_FORMATS.join(', ')}, got ${JSON.stringify(s)}`);
  }
  return s as ListFormat;
}

export function threshold(v: unknown, field = 'threshold'): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 1 || (typeof v === 'string' && v.trim() === '')) {
    throw new ValidationError(field, `must be a number above 0 and at most 1, got ${JSON.stringify(v)}`);
  }
  return n;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readText(path: string, field: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ValidationError(field, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (bytes.includes(0)) throw new ValidationError(field, `${path} is a binary file, not a list`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError(field, `${path} is not UTF-8 text`);
  }
}

interface LoadedSource {
  readonly format: ListFormat;
  readonly parsed: ParsedList;
  readonly sha256: string;
}

/** Reads and parses a list source; the sha256 covers every file of it. */
export function loadListSource(src: ListSource): LoadedSource {
  const format = listFormat(src.format);
  if (src.text === undefined && src.path === undefined) throw new ValidationError('file', 'is required');
  const main = src.text ?? readText(src.path ?? '', 'file');
  const companion = (path: string | undefined, text: string | undefined, field: 'alt' | 'add'): string | undefined => {
    if (path !== undefined && text !== undefined)
      throw new ValidationError(field, 'give the file either as a path or as text, not both');
    if ((path !== undefined || text !== undefined) && format !== 'sdn-csv')
      throw new ValidationError(
        path !== undefined ? `--${field}` : field,
        `${field}.csv goes only with format sdn-csv`,
      );
    return text ?? (path === undefined ? undefined : readText(path, `--${field}`));
  };
  const alt = companion(src.alt, src.altText, 'alt');
  const add = companion(src.add, src.addText, 'add');
  const parsed = parseList(format, main, {
    ...(alt !== undefined ? { alt } : {}),
    ...(add !== undefined ? { add } : {}),
    onProgress: src.onProgress,
  });
  if (parsed.entries.length === 0) {
    const first = parsed.errors[0];
    throw new ValidationError(
      'file',
      `has no usable entries${first ? ` (${parsed.errors.length} rows rejected; line ${first.line}: ${first.reason})` : ''}`,
    );
  }
  const sha256 =
    alt === undefined && add === undefined
      ? sha256Hex(main)
      : sha256Hex(
          canonicalJson({
            sdn: sha256Hex(main),
            alt: alt === undefined ? null : sha256Hex(alt),
            add: add === undefined ? null : sha256Hex(add),
          }),
        );
  return { format, parsed, sha256 };
}

/**
 * Imports a list snapshot. Identical content to the snapshot in force → "unchanged", nothing
 * written. Otherwise the snapshot is stored (once per content) and a signed `list.imported`
 * record with the delta makes it the one in force. A bad file throws a ValidationError and the
 * previous snapshot stays in force.
 */
export async function importList(ctx: AppContext, req: ImportListRequest): Promise<ImportListResult> {
  if (!LIST_NAME.test(req.list))
    throw new ValidationError(
      'list',
      `must be 1–63 lower-case letters, digits, ".", "_" or "-", such as "ofac-sdn", got ${JSON.stringify(req.list)}`,
    );
  const effect = req.effect === undefined ? 'information' : listEffect(req.effect);
  const authority = listAuthority(req.authority);
  const country = listCountry(req.country, effect);
  const { format, parsed, sha256 } = loadListSource(req);
  const digests = new Map<string, string>(parsed.entries.map((e) => [e.id, sha256Hex(canonicalJson(e))]));
  return ctx.store.transaction(async (tx) => {
    // A list's legal effect is an authority's decision: deny and review only from a party the trust
    // list in force names as licensing authority for the regime (information is open to the operator).
    const trustList =
      effect === 'information' || country === undefined
        ? undefined
        : await requireTrusted(tx, req.actor, 'licensing-authority', country, LIST_EFFECT_RULE);
    const current = await screeningRepo.currentImport(tx, req.list);
    const base = {
      list: req.list,
      format,
      sha256,
      entries: parsed.entries.length,
      errors: parsed.errors,
      previous: current?.sha256,
      authority,
      effect,
      ...(country === undefined ? {} : { country }),
      ...(trustList === undefined ? {} : { trustList }),
    };
    // The same content with the same authority and effect is unchanged; a new effect is a new import.
    if (current?.sha256 === sha256 && current.effect === effect && (current.authority ?? undefined) === authority)
      return { ...base, status: 'unchanged', added: [], removed: [], changed: [] };
    await screeningRepo.putSnapshot(
      tx,
      {
        list: req.list,
        sha256,
        format,
        entry_count: parsed.entries.length,
        error_count: parsed.errors.length,
        created_at: ctx.clock().toISOString(),
      },
      parsed.entries.map((e) => ({ entry_id: e.id, digest: digests.get(e.id) ?? '', entry: e })),
    );
    const before =
      current === undefined ? new Map<string, string>() : await screeningRepo.digests(tx, req.list, current.sha256);
    const added: string[] = [];
    const changed: string[] = [];
    for (const [id, d] of digests) {
      const old = before.get(id);
      if (old === undefined) added.push(id);
      else if (old !== d) changed.push(id);
    }
    const removed = [...before.keys()].filter((id) => !digests.has(id));
    const c = await commit(tx, ctx, 'list.imported', req.actor, {
      list: req.list,
      format,
      sha256,
      ...(current ? { previous: current.sha256 } : {}),
      entries: parsed.entries.length,
      errors: parsed.errors.length,
      added,
      removed,
      changed,
      ...(authority === undefined ? {} : { authority }),
      effect,
      ...(country === undefined ? {} : { country }),
      ...(trustList === undefined ? {} : { trustList }),
    });
    // A changed list: the monitor (alerts.ts, reacting to `list.imported` in this transaction) screened every
    // party of every active licence again; the new hits it raised follow the record in the journal.
    const alertsRaised = committedRecords(tx).filter((r) => r.seq > c.seq && r.type === 'alert.raised').length;
    return { ...base, status: 'imported', added, removed, changed, seq: c.seq, alertsRaised };
  });
}

export interface ListSnapshotInfo {
  readonly list: string;
  readonly authority?: string;
  readonly effect: ListEffect;
  readonly format: string;
  readonly sha256: string;
  readonly entries: number;
  readonly errors: number;
  readonly importedAt: string;
  readonly seq: number;
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
}

function info(r: ListImportRow): ListSnapshotInfo {
  return {
    list: r.list,
    ...(r.authority === null ? {} : { authority: r.authority }),
    effect: r.effect,
    format: r.format,
    sha256: r.sha256,
    entries: r.entry_count,
    errors: r.error_count,
    importedAt: new Date(r.imported_at).toISOString(),
    seq: r.seq,
    added: r.added,
    removed: r.removed,
    changed: r.changed,
  };
}

/** The snapshot in force for each list. */
export async function listSnapshots(ctx: AppContext): Promise<readonly ListSnapshotInfo[]> {
  return (await screeningRepo.currentImports(ctx.store.db)).map(info);
}

/** The lists in force (their snapshots) and the index over them, as `indexInForce` or `screeningIndexFor` find them. */
export interface IndexInForce {
  readonly index: ScreeningIndex;
  readonly snapshots: readonly { list: string; sha256: string }[];
}

/** Indexes by snapshot set ("list:sha256,…"); a few are kept (one per store in tests, usually one). */
const indexes = new Map<string, Promise<ScreeningIndex>>();
const MAX_CACHED = 4;

async function indexInForce(db: Kysely<Database>): Promise<IndexInForce> {
  const current = await screeningRepo.currentImports(db);
  return indexFor(
    db,
    current.map((r) => ({ list: r.list, sha256: r.sha256 })),
  );
}

/** The index over the lists in force named as `lotsRepo.forExportCheck` reads them ("list:sha256,…", null for none). */
export async function screeningIndexFor(db: Kysely<Database>, listsInForce: string | null): Promise<IndexInForce> {
  const snapshots = (listsInForce ?? '')
    .split(',')
    .filter((x) => x !== '')
    .map((x) => {
      const at = x.lastIndexOf(':');
      return { list: x.slice(0, at), sha256: x.slice(at + 1) };
    });
  return indexFor(db, snapshots);
}

async function indexFor(
  db: Kysely<Database>,
  snapshots: readonly { list: string; sha256: string }[],
): Promise<IndexInForce> {
  const key = snapshots.map((s) => `${s.list}:${s.sha256}`).join(',');
  let index = indexes.get(key);
  if (index === undefined) {
    index = (async () => {
      const lists: { list: string; entries: ListEntry[] }[] = [];
      for (const s of snapshots)
        lists.push({
          list: s.list,
          entries: (await screeningRepo.entries(db, s.list, s.sha256)).map((r) => r.entry as ListEntry),
        });
      return buildIndex(lists);
    })();
    if (indexes.size >= MAX_CACHED) indexes.delete(indexes.keys().next().value ?? '');
    indexes.set(key, index);
    index.catch(() => indexes.delete(key));
  }
  return { index: await index, snapshots };
}

function toHit(m: Match, via?: readonly string[]): ScreeningHit {
  return {
    list: m.list,
    entryId: m.entryId,
    name: m.name,
    score: m.score,
    explanation: m.explanation,
    ...(m.entry.program === undefined ? {} : { program: m.entry.program }),
    tokens: m.features.tokenPairs,
    ...(via ? { via } : {}),
  };
}

function runQueries(index: ScreeningIndex, queries: readonly string[], opts: ScreenOptions): NameScreening[] {
  const t = opts.threshold === undefined ? DEFAULT_THRESHOLD : threshold(opts.threshold);
  if (queries.length === 0) throw new ValidationError('query', 'give at least one name');
  queries.forEach((q, i) => checkQueryName(q, queries.length > 1 ? `query[${i}]` : 'query'));
  return queries.map((query) => ({
    query,
    hits: index
      .search({ name: query, country: opts.country }, { threshold: t, limit: opts.limit })
      .map((m) => toHit(m)),
  }));
}

/** Screens names against the lists in force in the store. */
export async function screenNames(
  ctx: AppContext,
  queries: readonly string[],
  opts: ScreenOptions = {},
): Promise<readonly NameScreening[]> {
  return screenNamesInDb(ctx.store.db, queries, opts);
}

/** As screenNames, in the caller's transaction (or on any handle to the store). */
export async function screenNamesInDb(
  db: Kysely<Database>,
  queries: readonly string[],
  opts: ScreenOptions = {},
): Promise<readonly NameScreening[]> {
  const { index } = await indexInForce(db);
  const results = runQueries(index, queries, opts);
  const reviews = await reviewsFor(
    db,
    'name',
    results.map((r) => nameKey(r.query)),
  );
  return results.map((r) => applyReviews(r, reviews.get(nameKey(r.query))));
}

/** The key under which decisions on a free-text name are kept: the matcher's sorted compact form of it. */
export function nameKey(name: string): string {
  return normalizeName(name).sortedCompact;
}

type ReviewsBySubject = Map<string, Map<string, HitReview>>;

/** The decisions in force on these subjects: subject → "list\0entryId" → review. */
async function reviewsFor(
  db: Kysely<Database>,
  kind: 'party' | 'name',
  subjects: readonly string[],
): Promise<ReviewsBySubject> {
  const out: ReviewsBySubject = new Map();
  for (const r of await screeningReviewsRepo.latestFor(db, kind, subjects)) {
    let m = out.get(r.subject);
    if (m === undefined) out.set(r.subject, (m = new Map<string, HitReview>()));
    m.set(`${r.list}\u0000${r.entry_id}`, {
      decision: r.decision,
      by: r.reviewer,
      at: new Date(r.reviewed_at).toISOString(),
      reason: r.reason,
      seq: r.seq,
      score: r.score,
    });
  }
  return out;
}

/** A screening with the decisions in force applied: true matches stay hits (with their review), false positives are set aside. */
function applyReviews<S extends { hits: readonly ScreeningHit[]; setAside?: readonly ScreeningHit[] }>(
  s: S,
  reviews: ReadonlyMap<string, HitReview> | undefined,
): S {
  if (reviews === undefined || reviews.size === 0) return s;
  const hits: ScreeningHit[] = [];
  const setAside: ScreeningHit[] = [];
  for (const h of s.hits) {
    const review = reviews.get(`${h.list}\u0000${h.entryId}`);
    if (review === undefined) hits.push(h);
    else if (review.decision === 'true-match') hits.push({ ...h, review });
    else
      setAside.push({
        ...h,
        review,
        explanation: `reviewed: false positive by ${review.by} on ${review.at.slice(0, 10)} (${review.reason}); ${h.explanation}`,
      });
  }
  return setAside.length === 0 ? { ...s, hits } : { ...s, hits, setAside };
}

/** Screens names against a list file directly, without the store. */
export function screenNamesInFile(
  src: ListSource & { list?: string },
  queries: readonly string[],
  opts: ScreenOptions = {},
): readonly NameScreening[] {
  const { parsed } = loadListSource(src);
  return runQueries(buildIndex([{ list: src.list ?? src.format, entries: parsed.entries }]), queries, opts);
}

/**
 * Screens parties — their names, aliases and identifiers, and their owners under the 50 % rule —
 * against the lists in force, inside the caller's transaction. Owners that are registered parties
 * are followed through the parties table to their own owners.
 */
export async function screenPartiesInTx(
  tx: Kysely<Database>,
  parties: readonly Party[],
  opts?: { threshold?: number },
): Promise<readonly PartyScreening[]> {
  return (await screenPartiesWithOwners(tx, parties, opts)).screenings;
}

/**
 * As `screenPartiesInTx`, also returning the registered parties it read along the ownership chains
 * (by id), so a caller that needs them too (the onward-transfer check) does not read them again.
 */
export async function screenPartiesWithOwners(
  db: Kysely<Database>,
  parties: readonly Party[],
  opts?: { threshold?: number; inForce?: IndexInForce },
): Promise<{ screenings: readonly PartyScreening[]; owners: ReadonlyMap<string, Party> }> {
  const t = opts?.threshold === undefined ? DEFAULT_THRESHOLD : threshold(opts.threshold);
  const { index, snapshots } = opts?.inForce ?? (await indexInForce(db));
  const registered = await registeredOwners(db, parties);
  const owners = new Map([...registered].map(([id, p]) => [id, p?.owners ?? []] as const));
  const search = (q: {
    name: string;
    country?: string | undefined;
    identifiers?: Party['identifiers'];
  }): readonly Match[] => cachedSearch(index, q, t);
  const screen = (name: string, country: string | undefined): readonly Match[] => search({ name, country });
  const screenings = parties.map((p) => {
    const byEntry = new Map<string, ScreeningHit>();
    const add = (h: ScreeningHit): void => {
      const k = `${h.list}\u0000${h.entryId}`;
      const prev = byEntry.get(k);
      if (prev === undefined || h.score > prev.score) byEntry.set(k, h);
    };
    for (const name of [p.name, ...(p.aliases ?? [])]) {
      for (const m of search({ name, country: p.country, identifiers: p.identifiers })) add(toHit(m));
    }
    for (const h of ownershipHits(p.owners ?? [], { screen, ownersOf: (id) => owners.get(id) })) {
      if (!byEntry.has(`${h.match.list}\u0000${h.match.entryId}`)) {
        add(toHit(h.match, h.via));
        const hit = byEntry.get(`${h.match.list}\u0000${h.match.entryId}`);
        if (hit)
          hit.explanation = `owned ${(h.sharePpm / 10_000).toFixed(2)} % by listed parties through ${[p.name, ...h.via].join(' → ')}; ${hit.explanation}`;
      }
    }
    const hits = [...byEntry.values()].sort((a, b) => b.score - a.score || a.entryId.localeCompare(b.entryId));
    const s: PartyScreening = { partyId: p.id, name: p.name, hits, snapshots, matcherVersion: MATCHER_VERSION };
    return s;
  });
  const reviews = await reviewsFor(
    db,
    'party',
    parties.map((p) => p.id),
  );
  const found = new Map<string, Party>();
  for (const [id, p] of registered) if (p !== undefined) found.set(id, p);
  return { screenings: screenings.map((s) => applyReviews(s, reviews.get(s.partyId))), owners: found };
}

/**
 * The same name, country, identifiers and threshold against the same index give the same matches
 * (the matcher is a pure function of its index): the answers are kept, per index, for the parties
 * screened again and again (every dispatch to a regular consignee). Bounded; oldest out first.
 */
const searches = new WeakMap<ScreeningIndex, Map<string, readonly Match[]>>();
const MAX_CACHED_SEARCHES = 20_000;

function cachedSearch(
  index: ScreeningIndex,
  q: { name: string; country?: string | undefined; identifiers?: Party['identifiers'] },
  t: number,
): readonly Match[] {
  let cache = searches.get(index);
  if (cache === undefined) searches.set(index, (cache = new Map<string, readonly Match[]>()));
  const key = JSON.stringify([q.name, q.country ?? null, q.identifiers ?? null, t]);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const matches = index.search({ name: q.name, country: q.country, identifiers: q.identifiers }, { threshold: t });
  if (cache.size >= MAX_CACHED_SEARCHES) cache.delete(cache.keys().next().value ?? '');
  cache.set(key, matches);
  return matches;
}

/** Every registered party reachable from the parties' owners (breadth first, at most 8 levels); undefined for an id not registered. */
async function registeredOwners(
  db: Kysely<Database>,
  parties: readonly Party[],
): Promise<Map<string, Party | undefined>> {
  const out = new Map<string, Party | undefined>();
  let frontier = parties.flatMap((p) =>
    (p.owners ?? []).map((o) => o.partyId).filter((id): id is string => id !== undefined),
  );
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const id of new Set(frontier)) {
      if (out.has(id)) continue;
      const row = await partiesRepo.get(db, id);
      const party = row === undefined ? undefined : (row.party as Party);
      out.set(id, party);
      for (const o of party?.owners ?? []) if (o.partyId !== undefined && !out.has(o.partyId)) next.push(o.partyId);
    }
    frontier = next;
  }
  return out;
}
