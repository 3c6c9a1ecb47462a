import { createHash, randomUUID } from 'node:crypto';
import { ValidationError } from '../domain/index.js';
import { canonicalJson } from '../trust/index.js';
import { epcisCaptureJobsRepo, epcisRepo, type EpcisCaptureJobRow } from '../store/index.js';
import { inTransaction, type AppContext } from './context.js';
import { captureEpcis, queryEpcis, type CaptureResult, type EpcisQuery } from './epcis.js';
import { AppError, RefusedError } from './errors.js';

/**
 * The use cases behind the EPCIS 2.0 REST binding (issue 20, point 4; GS1 EPCIS 2.0 §12 and the GS1
 * OpenAPI document `REST Bindings/openapi.json`): a page of a query as an EPCISQueryDocument with the
 * token of the next page, and capture jobs. Capture is `captureEpcis` — the use case the CLI's
 * `epcis capture` runs — so a document captured here makes exactly the custody records it makes there.
 */

/** The EPCIS 2.0 JSON-LD context (what https://ref.gs1.org/standards/epcis/epcis-context.jsonld serves). */
export const EPCIS_CONTEXT_URL = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/** The five EPCIS 2.0 event types: the ones the EPCIS 2.0 JSON Schema lets Lodestone capture. */
export const EPCIS_EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const;

/** Most events (or capture jobs) in one page; `perPage` above it is refused rather than silently lowered. */
export const EPCIS_MAX_PER_PAGE = 1000;
/** GS1 OpenAPI `PerPage` default. */
export const EPCIS_DEFAULT_PER_PAGE = 30;

// ---------------------------------------------------------------------------------------------
// Page tokens

/**
 * A nextPageToken is the keyset position after the last item of a page plus a digest of the query
 * it belongs to, base64url JSON: opaque to clients, not a secret (it only says where to continue;
 * what a caller may read is decided by who it is, on every page). A token used with another query
 * is refused, so a page cannot silently mix two queries.
 */
interface Position {
  readonly t: string;
  readonly k: string | number;
  readonly q: string;
}

const digest = (query: unknown): string =>
  createHash('sha256').update(canonicalJson(query)).digest('base64url').slice(0, 22);

function encodeToken(p: Position): string {
  return Buffer.from(JSON.stringify(p)).toString('base64url');
}

function decodeToken(token: string, query: unknown, key: 'number' | 'string'): { time: Date; key: string | number } {
  let p: unknown;
  try {
    const text = /^[A-Za-z0-9_-]{1,400}$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : undefined;
    p = text === undefined ? undefined : JSON.parse(text);
  } catch {
    p = undefined;
  }
  const pos = (typeof p === 'object' && p !== null ? p : {}) as Partial<Position>;
  const time = typeof pos.t === 'string' ? new Date(pos.t) : undefined;
  const timeOk = time !== undefined && !Number.isNaN(time.getTime());
  const wellFormed = timeOk && typeof pos.k === key && typeof pos.q === 'string';
  if (!wellFormed || (key === 'number' && !Number.isSafeInteger(pos.k))) {
    const why = 'is not a page token this server issued (follow the Link rel="next" URL as given)';
    throw new ValidationError('nextPageToken', why);
  }
  if (pos.q !== digest(query)) {
    const why = 'belongs to another query: keep the other query parameters of the page that gave it';
    throw new ValidationError('nextPageToken', why);
  }
  return { time, key: pos.k as string | number };
}

function perPageOf(perPage: number | undefined): number {
  const n = perPage ?? EPCIS_DEFAULT_PER_PAGE;
  if (!Number.isSafeInteger(n) || n < 1 || n > EPCIS_MAX_PER_PAGE) {
    throw new ValidationError('perPage', `must be a whole number from 1 to ${EPCIS_MAX_PER_PAGE}`);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Query

export interface EpcisPage {
  /** An EPCIS 2.0 EPCISQueryDocument (queryName SimpleEventQuery). */
  readonly document: Record<string, unknown>;
  /** Present when there are more events: the nextPageToken of the next page. */
  readonly nextPageToken?: string;
}

/** The extra @context entries of the captured documents, merged: prefixes first defined wins. */
function mergedContext(contexts: readonly unknown[]): unknown[] {
  const urls: string[] = [];
  const terms: Record<string, unknown> = {};
  for (const c of contexts) {
    for (const entry of Array.isArray(c) ? (c as unknown[]) : [c]) {
      if (typeof entry === 'string') {
        if (!/\/epcis-context(-simple)?\.jsonld$/.test(entry) && !urls.includes(entry)) urls.push(entry);
      } else if (typeof entry === 'object' && entry !== null) {
        for (const [k, v] of Object.entries(entry)) if (!(k in terms)) terms[k] = v;
      }
    }
  }
  return [EPCIS_CONTEXT_URL, ...urls, ...(Object.keys(terms).length > 0 ? [terms] : [])];
}

/**
 * One page of an EPCIS SimpleEventQuery over the events `capturedBy` captured, in event-time order
 * (then journal order): every filter — the caller's own events included — is applied before the page
 * is cut, and following nextPageToken walks every matching event exactly once. Each event is
 * returned as it was captured, with its eventID (its CBV 2.0 event hash ID when it came without one)
 * and its recordTime (when Lodestone's journal recorded it; a recordTime the capturer sent is replaced).
 */
/** Which page: its size and the token of the page before it. */
export interface PageRequest {
  readonly perPage?: number | undefined;
  readonly nextPageToken?: string | undefined;
}

export async function epcisEventsPage(
  ctx: AppContext,
  capturedBy: string,
  query: EpcisQuery,
  page: PageRequest,
): Promise<EpcisPage> {
  const perPage = perPageOf(page.perPage);
  const q = { query, capturedBy };
  const after = page.nextPageToken === undefined ? undefined : decodeToken(page.nextPageToken, q, 'number');
  const start = after === undefined ? {} : { after: { time: after.time, seq: after.key as number } };
  const { events } = await queryEpcis(ctx, { ...query, limit: perPage + 1 }, { capturedBy, ...start });
  const shown = events.slice(0, perPage);
  const records = new Map(
    (
      await epcisRepo.recordsOf(
        ctx.store.db,
        shown.map((e) => e.seq),
      )
    ).map((r) => [r.seq, r]),
  );
  const eventList = shown.map((e) => {
    const stored = e.event as Record<string, unknown>;
    const recorded = records.get(e.seq)?.recorded_at;
    const eventID = typeof stored.eventID === 'string' ? stored.eventID : e.hashId;
    return { ...stored, eventID, ...(recorded === undefined ? {} : { recordTime: new Date(recorded).toISOString() }) };
  });
  const last = shown[shown.length - 1];
  const document = {
    '@context': mergedContext(shown.map((e) => records.get(e.seq)?.context)),
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: ctx.clock().toISOString(),
    epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList } } },
  };
  if (events.length <= perPage || last === undefined) return { document };
  return { document, nextPageToken: encodeToken({ t: last.eventTime, k: last.seq, q: digest(q) }) };
}

/** The GS1 OpenAPI `EventTypeCollection` of the event types Lodestone captures and queries. */
export function epcisEventTypes(): Record<string, unknown> {
  return { '@context': [EPCIS_CONTEXT_URL], type: 'Collection', member: [...EPCIS_EVENT_TYPES] };
}

// ---------------------------------------------------------------------------------------------
// Capture jobs

/** The GS1 OpenAPI `CaptureJob`, plus what the capture did (`lodestone:result`) when it succeeded. */
export interface CaptureJob {
  readonly captureID: string;
  readonly createdAt: string;
  readonly finishedAt: string;
  readonly running: false;
  readonly success: boolean;
  readonly captureErrorBehaviour: 'rollback';
  /** RFC 9457 problem details of a refused document; empty when the job succeeded. */
  readonly errors: readonly unknown[];
  readonly 'lodestone:result'?: CaptureResult;
}

/** The columns every finished job has. */
const row = (id: string, actor: string, createdAt: Date, finishedAt: Date) =>
  ({ id, actor, created_at: createdAt, finished_at: finishedAt, running: false, error_behaviour: 'rollback' }) as const;

function toJob(r: EpcisCaptureJobRow): CaptureJob {
  return {
    captureID: r.id,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: new Date(r.finished_at ?? r.created_at).toISOString(),
    running: false,
    success: r.success,
    captureErrorBehaviour: r.error_behaviour,
    errors: Array.isArray(r.errors) ? (r.errors as unknown[]) : [],
    ...(r.result === null ? {} : { 'lodestone:result': r.result as CaptureResult }),
  };
}

/**
 * Captures an EPCIS document as a capture job, processed at once: the job is stored with the capture
 * in one transaction when the document is accepted, and on its own, with the refusal as `errors`
 * (`describe` turns it into problem details), when the document is refused (all or nothing: nothing
 * else is written). Bad input — a document that fails the EPCIS 2.0 JSON Schema, a mass that is not
 * whole grams — is not a job: ValidationError, nothing written, as on the CLI.
 */
export async function captureEpcisJob(
  ctx: AppContext,
  actor: string,
  document: unknown,
  describe: (e: RefusedError) => unknown,
): Promise<CaptureJob> {
  const id = randomUUID();
  const createdAt = ctx.clock();
  try {
    return await ctx.store.transaction(async (tx) => {
      const result = await captureEpcis(inTransaction(ctx, tx), actor, document);
      const finishedAt = ctx.clock();
      await epcisCaptureJobsRepo.insert(tx, { id, actor, createdAt, finishedAt, success: true, errors: [], result });
      return toJob({ ...row(id, actor, createdAt, finishedAt), success: true, errors: [], result });
    });
  } catch (e) {
    if (!(e instanceof RefusedError)) throw e;
    const finishedAt = ctx.clock();
    const errors = [describe(e)];
    const job = { id, actor, createdAt, finishedAt, success: false, errors, result: undefined };
    await ctx.store.transaction((tx) => epcisCaptureJobsRepo.insert(tx, job));
    return toJob({ ...row(id, actor, createdAt, finishedAt), success: false, errors, result: null });
  }
}

/** A capture job of `actor`'s; NOT_FOUND for anyone else's (ids do not leak). */
export async function getCaptureJob(ctx: AppContext, actor: string, id: string): Promise<CaptureJob> {
  const row = await epcisCaptureJobsRepo.get(ctx.store.db, id);
  if (row?.actor !== actor) throw new AppError('NOT_FOUND', `no capture job "${id}"`, { field: 'captureID' });
  return toJob(row);
}

/** One page of `actor`'s capture jobs, oldest first. */
export async function listCaptureJobs(
  ctx: AppContext,
  actor: string,
  page: PageRequest,
): Promise<{ readonly jobs: readonly CaptureJob[]; readonly nextPageToken?: string }> {
  const perPage = perPageOf(page.perPage);
  const q = { jobsOf: actor };
  const after = page.nextPageToken === undefined ? undefined : decodeToken(page.nextPageToken, q, 'string');
  const from = after === undefined ? undefined : { createdAt: after.time, id: after.key as string };
  const rows = await epcisCaptureJobsRepo.list(ctx.store.db, actor, perPage + 1, from);
  const shown = rows.slice(0, perPage);
  const last = shown[shown.length - 1];
  const jobs = shown.map(toJob);
  if (rows.length <= perPage || last === undefined) return { jobs };
  const token = encodeToken({ t: new Date(last.created_at).toISOString(), k: last.id, q: digest(q) });
  return { jobs, nextPageToken: token };
}
