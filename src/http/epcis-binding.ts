import { z } from 'zod';
import {
  captureEpcisJob,
  epcisEventsPage,
  epcisEventTypes,
  EPCIS_EVENT_TYPES,
  EPCIS_MAX_PER_PAGE,
  getCaptureJob,
  listCaptureJobs,
  type EpcisQuery,
} from '../app/index.js';
import { LodestoneError, ValidationError } from '../domain/index.js';
import { epcisCaptureJobsRepo } from '../store/index.js';
import { toProblem } from './problem.js';
import type { Role } from './roles.js';
import { Answer, route, type AnyRoute } from './route.js';

/**
 * The EPCIS 2.0 REST binding (GS1 EPCIS 2.0 §12, as the GS1 OpenAPI document `REST Bindings/openapi.json`
 * of github.com/gs1/EPCIS defines it), under the base path /epcis: the resources a Lodestone
 * repository can answer — GET /events and /eventTypes/{eventType}/events (an EPCISQueryDocument,
 * paged with perPage / nextPageToken and `Link: <…>; rel="next"`), GET /eventTypes, POST /capture
 * (202 + Location of a capture job), GET /capture and /capture/{captureID}. Routes of the one route
 * table, so authentication, roles, signed requests and Idempotency-Key are the rest of the API's.
 * The project's own /v1/epcis routes stay as they are.
 */

export const EPCIS_BASE = '/epcis';
const EPCIS_BODY_LIMIT = 50 * 1024 * 1024;
const HOLDERS: readonly Role[] = ['exporter', 'importer', 'downstream-holder'];

/** The versions this binding speaks (EPCIS 2.0.0, CBV 2.0.0), sent on every response of it. */
const VERSION_HEADERS = {
  'GS1-EPCIS-Version': '2.0.0',
  'GS1-CBV-Version': '2.0.0',
  'GS1-EPCIS-Min': '2.0.0',
  'GS1-EPCIS-Max': '2.0.0',
  'GS1-CBV-Min': '2.0.0',
  'GS1-CBV-Max': '2.0.0',
  'GS1-EPC-Format': 'Never_Translates',
  'GS1-Capture-Error-Behaviour': 'rollback',
} as const;

const VERSION_DOCS: Readonly<Record<string, string>> = {
  'GS1-EPCIS-Version': 'The EPCIS version of the response: 2.0.0',
  'GS1-CBV-Version': 'The CBV version of the response: 2.0.0',
  'GS1-EPCIS-Min': 'The lowest EPCIS version the server speaks: 2.0.0',
  'GS1-EPCIS-Max': 'The highest EPCIS version the server speaks: 2.0.0',
  'GS1-CBV-Min': 'The lowest CBV version the server speaks: 2.0.0',
  'GS1-CBV-Max': 'The highest CBV version the server speaks: 2.0.0',
  'GS1-EPC-Format': 'Never_Translates: identifiers are returned as they were captured (EPC URN or GS1 Digital Link)',
  'GS1-Capture-Error-Behaviour': 'rollback: a capture is all or nothing',
};

const LINK_DOC = 'Link: <URL of the next page>; rel="next" while there are more results (RFC 8288); absent on the last page';

const QUERY_HEADERS: Readonly<Record<string, string>> = {
  'gs1-epcis-min': 'The lowest EPCIS version the client accepts (406 if above 2.0.0)',
  'gs1-epcis-max': 'The highest EPCIS version the client accepts (406 if below 2.0.0)',
  'gs1-cbv-min': 'The lowest CBV version the client accepts (406 if above 2.0.0)',
  'gs1-cbv-max': 'The highest CBV version the client accepts (406 if below 2.0.0)',
  'gs1-epc-format': 'No_Preference or Never_Translates; Always_GS1_Digital_Link / Always_EPC_URN are 406 (identifiers are returned as captured)',
};

const CAPTURE_HEADERS: Readonly<Record<string, string>> = {
  'gs1-epcis-version': 'The EPCIS version of the document sent (406 unless 2.x)',
  'gs1-cbv-version': 'The CBV version of the document sent (406 unless 2.x)',
  'gs1-capture-error-behaviour': 'rollback (the default: all or nothing); proceed is 501 (Lodestone captures a document as one transaction)',
};

// ---------------------------------------------------------------------------------------------
// Headers

const VERSION = /^\d{1,4}(\.\d{1,4}){0,3}$/;

function version(headers: Readonly<Record<string, string | undefined>>, name: string): number[] | undefined {
  const v = headers[name]?.trim();
  if (v === undefined) return undefined;
  if (!VERSION.test(v)) throw new ValidationError(name, `must be a version such as 2.0.0, got ${JSON.stringify(v)}`);
  return v.split('.').map(Number);
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const TWO = [2, 0, 0];

/** The client's acceptable range must contain 2.0.0 (GS1 OpenAPI: 406 NotAcceptableException otherwise). */
function negotiate(headers: Readonly<Record<string, string | undefined>>): void {
  for (const [min, max, what] of [['gs1-epcis-min', 'gs1-epcis-max', 'EPCIS'], ['gs1-cbv-min', 'gs1-cbv-max', 'CBV']] as const) {
    const lo = version(headers, min);
    const hi = version(headers, max);
    if (lo !== undefined && compare(lo, TWO) > 0) throw new LodestoneError('NOT_ACCEPTABLE', `${min}: this server answers in ${what} 2.0.0 only, below the ${headers[min] ?? ''} asked for`, { field: min });
    if (hi !== undefined && compare(hi, TWO) < 0) throw new LodestoneError('NOT_ACCEPTABLE', `${max}: this server answers in ${what} 2.0.0 only, above the ${headers[max] ?? ''} asked for`, { field: max });
  }
  const format = headers['gs1-epc-format']?.trim();
  if (format === undefined || format === 'No_Preference' || format === 'Never_Translates') return;
  if (format === 'Always_GS1_Digital_Link' || format === 'Always_EPC_URN') {
    throw new LodestoneError('NOT_ACCEPTABLE', `gs1-epc-format: ${format} is not offered: identifiers are returned as they were captured (Never_Translates)`, { field: 'gs1-epc-format' });
  }
  throw new ValidationError('gs1-epc-format', `must be one of No_Preference, Always_GS1_Digital_Link, Always_EPC_URN, Never_Translates, got ${JSON.stringify(format)}`);
}

function captureHeaders(headers: Readonly<Record<string, string | undefined>>): void {
  for (const [name, what] of [['gs1-epcis-version', 'EPCIS'], ['gs1-cbv-version', 'CBV']] as const) {
    const v = version(headers, name);
    if (v !== undefined && v[0] !== 2) throw new LodestoneError('NOT_ACCEPTABLE', `${name}: this server captures ${what} 2.x documents, not ${headers[name] ?? ''}`, { field: name });
  }
  const behaviour = headers['gs1-capture-error-behaviour']?.trim();
  if (behaviour === undefined || behaviour === 'rollback') return;
  if (behaviour === 'proceed') throw new LodestoneError('NOT_IMPLEMENTED', 'gs1-capture-error-behaviour: proceed is not implemented: Lodestone captures a document all or nothing (rollback)', { field: 'gs1-capture-error-behaviour' });
  throw new ValidationError('gs1-capture-error-behaviour', `must be rollback or proceed, got ${JSON.stringify(behaviour)}`);
}

// ---------------------------------------------------------------------------------------------
// Query parameters

const value = z.union([z.string().max(4000), z.array(z.string().max(4000)).min(1).max(100)]);
const single = z.string().max(200);
type Value = z.infer<typeof value>;

/** The query parameters of EPCIS 2.0 §8.2.7.1 (SimpleEventQuery) and the binding's paging this server answers. */
const SUPPORTED = ['eventType', 'GE_eventTime', 'LT_eventTime', 'EQ_bizStep', 'EQ_bizLocation', 'MATCH_epc', 'MATCH_anyEPC', 'perPage', 'nextPageToken'] as const;

/**
 * The other query parameters the GS1 OpenAPI document defines for /events (§8.2.7.1), and the
 * families of §8.2.7.1's parameterised names (EQ_INNER_…, EQ_ILMD_…, EXISTS_…, GT_…, …): a request
 * with one of them is 501 naming it — never answered as if the filter were not there.
 */
const NOT_IMPLEMENTED = new Set(['orderBy', 'orderDirection', 'eventCountLimit', 'maxEventCount']);
const PARAMETER_FAMILY = /^(EQ|NE|GT|GE|LT|LE|EXISTS|HASATTR|EQATTR|MATCH|WD)_[A-Za-z0-9_:.-]+$/;

interface EventsQuery {
  readonly [name: string]: Value | undefined;
  readonly perPage?: string | undefined;
  readonly nextPageToken?: string | undefined;
}

const eventsQuery = (withType: boolean) =>
  z
    .object({
      ...(withType ? { eventType: value.optional() } : {}),
      GE_eventTime: single.optional(),
      LT_eventTime: single.optional(),
      EQ_bizStep: value.optional(),
      EQ_bizLocation: value.optional(),
      MATCH_epc: value.optional(),
      MATCH_anyEPC: value.optional(),
      perPage: z.string().regex(/^\d{1,7}$/, `must be a whole number from 1 to ${EPCIS_MAX_PER_PAGE}`).optional(),
      nextPageToken: z.string().min(1).max(400).optional(),
    })
    .catchall(value) as unknown as z.ZodType<EventsQuery>;

/** Every value of a pipeDelimited list parameter (GS1 OpenAPI `style: pipeDelimited`), repeated parameters included. */
const pipeList = (v: Value | undefined): string[] | undefined => (v === undefined ? undefined : (typeof v === 'string' ? [v] : v).flatMap((x) => x.split('|')).filter((x) => x !== ''));

function toEpcisQuery(q: EventsQuery, allowed: readonly string[]): EpcisQuery {
  for (const name of Object.keys(q)) {
    if (allowed.includes(name)) continue;
    if (NOT_IMPLEMENTED.has(name) || PARAMETER_FAMILY.test(name) || name === 'eventType') {
      if (name === 'eventType') throw new ValidationError('query.eventType', 'the event type is given by the path (/eventTypes/{eventType}/events)');
      throw new LodestoneError('NOT_IMPLEMENTED', `query.${name}: this EPCIS query parameter is not implemented (supported: ${allowed.join(', ')})`, { field: `query.${name}` });
    }
    throw new ValidationError(`query.${name}`, `is not an EPCIS 2.0 query parameter (supported: ${allowed.join(', ')})`);
  }
  const one = (name: 'GE_eventTime' | 'LT_eventTime'): string | undefined => {
    const v = q[name];
    if (Array.isArray(v)) throw new ValidationError(`query.${name}`, 'must be given once');
    return v;
  };
  const lists = { eventType: pipeList(q.eventType), EQ_bizStep: pipeList(q.EQ_bizStep), EQ_bizLocation: pipeList(q.EQ_bizLocation), MATCH_epc: pipeList(q.MATCH_epc), MATCH_anyEPC: pipeList(q.MATCH_anyEPC) };
  for (const [name, l] of Object.entries(lists)) if (l?.length === 0) throw new ValidationError(`query.${name}`, 'must name at least one value');
  if (lists.eventType?.some((t) => !(EPCIS_EVENT_TYPES as readonly string[]).includes(t))) {
    throw new ValidationError('query.eventType', `must be one of ${EPCIS_EVENT_TYPES.join(', ')} (the event types Lodestone captures)`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...lists, GE_eventTime: one('GE_eventTime'), LT_eventTime: one('LT_eventTime') })) if (v !== undefined) out[k] = v;
  return out;
}

const perPageOf = (q: { perPage?: string | undefined }): number | undefined => (q.perPage === undefined ? undefined : Number(q.perPage));

/** `<path?query&nextPageToken=…>; rel="next"`: the request's own query with the next page's token (RFC 8288, a relative reference). */
function nextLink(path: string, q: EventsQuery, token: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === 'nextPageToken' || v === undefined) continue;
    for (const x of typeof v === 'string' ? [v] : v) params.append(k, x);
  }
  params.append('nextPageToken', token);
  return `<${path}?${params.toString()}>; rel="next"`;
}

// ---------------------------------------------------------------------------------------------
// Response shapes (for the OpenAPI document; the GS1 ones are the reference)

const obj = z.looseObject({});
const queryDocument = z
  .looseObject({
    '@context': z.array(z.union([z.string(), obj])),
    type: z.literal('EPCISQueryDocument'),
    schemaVersion: z.literal('2.0'),
    creationDate: z.string(),
    epcisBody: z.object({ queryResults: z.object({ queryName: z.literal('SimpleEventQuery'), resultsBody: z.object({ eventList: z.array(obj) }) }) }),
  })
  .describe('GS1 EPCIS 2.0 EPCISQueryDocument (EPCIS 2.0 JSON Schema; GS1 OpenAPI `epcisQueryDocument`)');
const captureJob = z
  .looseObject({
    captureID: z.string(),
    createdAt: z.string(),
    finishedAt: z.string(),
    running: z.boolean(),
    success: z.boolean(),
    captureErrorBehaviour: z.literal('rollback'),
    errors: z.array(obj),
    'lodestone:result': z.looseObject({ events: z.array(obj), captured: z.number().int(), duplicates: z.number().int() }).optional(),
  })
  .describe('GS1 OpenAPI `CaptureJob`; `lodestone:result` says what a successful capture did (per event: hash ID, status, custody records)');
const eventTypeCollection = z.object({ '@context': z.array(z.string()), type: z.literal('Collection'), member: z.array(z.string()) }).describe('GS1 OpenAPI `EventTypeCollection`');

const versionHeaders = { fixed: VERSION_HEADERS, describe: VERSION_DOCS };
const pagedHeaders = { fixed: VERSION_HEADERS, describe: { ...VERSION_DOCS, Link: LINK_DOC } };
const own = (p: { partyId: string | null }) => p.partyId ?? '';
const OWN_EVENTS = "only the events the caller's party captured are returned, filtered before paging";

const eventTypeParam = z.object({ eventType: z.enum(EPCIS_EVENT_TYPES) }).strict();
const captureIdParam = z.object({ captureID: z.string().min(1).max(200) }).strict();
const pageQuery = z.object({ perPage: z.string().regex(/^\d{1,7}$/, `must be a whole number from 1 to ${EPCIS_MAX_PER_PAGE}`).optional(), nextPageToken: z.string().min(1).max(400).optional() }).strict();

export const EPCIS_BINDING_ROUTES: readonly AnyRoute[] = [
  route<Record<string, never>, EventsQuery>({
    id: 'epcisEvents', method: 'GET', url: `${EPCIS_BASE}/events`, tag: 'epcis-rest', records: false,
    summary: 'EPCIS 2.0 REST binding: the caller\'s events as an EPCISQueryDocument (SimpleEventQuery parameters eventType, GE_/LT_eventTime, EQ_bizStep, EQ_bizLocation, MATCH_epc, MATCH_anyEPC; pipe-delimited lists; perPage default 30, at most 1000; nextPageToken). Another EPCIS parameter is 501 naming it',
    query: eventsQuery(true), response: queryDocument, headers: pagedHeaders, requestHeaders: QUERY_HEADERS, problems: [406, 501],
    access: { roles: HOLDERS, owner: 'any', describe: OWN_EVENTS },
    handle: async ({ ctx, party, query, headers }) => {
      negotiate(headers);
      const page = await epcisEventsPage(ctx, party, toEpcisQuery(query, SUPPORTED), { perPage: perPageOf(query), nextPageToken: query.nextPageToken });
      return new Answer(page.document, page.nextPageToken === undefined ? {} : { link: nextLink(`${EPCIS_BASE}/events`, query, page.nextPageToken) });
    },
  }),
  route<{ eventType: (typeof EPCIS_EVENT_TYPES)[number] }, EventsQuery>({
    id: 'epcisEventsOfType', method: 'GET', url: `${EPCIS_BASE}/eventTypes/:eventType/events`, tag: 'epcis-rest', records: false,
    summary: 'EPCIS 2.0 REST binding: the caller\'s events of one type as an EPCISQueryDocument (the parameters and paging of GET /epcis/events)',
    params: eventTypeParam, query: eventsQuery(false), response: queryDocument, headers: pagedHeaders, requestHeaders: QUERY_HEADERS, problems: [406, 501],
    access: { roles: HOLDERS, owner: 'any', describe: OWN_EVENTS },
    handle: async ({ ctx, party, params, query, headers }) => {
      negotiate(headers);
      const q = { ...toEpcisQuery(query, SUPPORTED.filter((s) => s !== 'eventType')), eventType: [params.eventType] };
      const page = await epcisEventsPage(ctx, party, q, { perPage: perPageOf(query), nextPageToken: query.nextPageToken });
      return new Answer(page.document, page.nextPageToken === undefined ? {} : { link: nextLink(`${EPCIS_BASE}/eventTypes/${params.eventType}/events`, query, page.nextPageToken) });
    },
  }),
  route<Record<string, never>, { perPage?: string | undefined; nextPageToken?: string | undefined }>({
    id: 'epcisEventTypes', method: 'GET', url: `${EPCIS_BASE}/eventTypes`, tag: 'epcis-rest', records: false,
    summary: 'EPCIS 2.0 REST binding: the event types this repository captures and queries (an EventTypeCollection, one page)',
    query: pageQuery, response: eventTypeCollection, headers: pagedHeaders, requestHeaders: QUERY_HEADERS, problems: [406],
    access: { roles: HOLDERS, owner: 'any', describe: 'the same list for every caller' },
    handle: ({ query, headers }) => {
      negotiate(headers);
      if (query.nextPageToken !== undefined) throw new ValidationError('nextPageToken', 'the event types fit in one page: there is no next page');
      return epcisEventTypes();
    },
  }),
  route<Record<string, never>, Record<string, never>, Record<string, unknown>>({
    id: 'epcisCapture', method: 'POST', url: `${EPCIS_BASE}/capture`, tag: 'epcis-rest', status: 202, records: true, bodyLimit: EPCIS_BODY_LIMIT,
    summary: 'EPCIS 2.0 REST binding: capture an EPCISDocument or EPCISQueryDocument (up to 50 MB) as a capture job, processed at once with `lodestone epcis capture`\'s use case: 202 with the Location of the job, whose success or errors (a refused document: nothing captured) GET /epcis/capture/{captureID} reports. A document failing the EPCIS 2.0 JSON Schema is 400, no job',
    body: z.looseObject({ type: z.enum(['EPCISDocument', 'EPCISQueryDocument']) }).describe('an EPCIS 2.0 EPCISDocument or EPCISQueryDocument; validated in full against the EPCIS 2.0 JSON Schema'),
    response: captureJob, requestHeaders: CAPTURE_HEADERS, problems: [406, 501],
    headers: { fixed: VERSION_HEADERS, of: (job) => ({ location: `${EPCIS_BASE}/capture/${encodeURIComponent((job as { captureID: string }).captureID)}` }), describe: { ...VERSION_DOCS, Location: 'The capture job: /epcis/capture/{captureID}' } },
    access: { roles: HOLDERS, owner: 'any', describe: 'captured as the caller (its custody events act on lots it holds), on a request signed with its key' },
    handle: ({ ctx, party, body, headers }) => {
      captureHeaders(headers);
      return captureEpcisJob(ctx, party, body, (e) => toProblem(e).problem);
    },
  }),
  route<Record<string, never>, { perPage?: string | undefined; nextPageToken?: string | undefined }>({
    id: 'epcisCaptureJobs', method: 'GET', url: `${EPCIS_BASE}/capture`, tag: 'epcis-rest', records: false,
    summary: "EPCIS 2.0 REST binding: the caller's capture jobs, oldest first (perPage, nextPageToken, Link rel=next)",
    query: pageQuery, response: z.array(captureJob), headers: pagedHeaders, requestHeaders: QUERY_HEADERS, problems: [406],
    access: { roles: HOLDERS, owner: 'any', describe: "only the caller's own capture jobs" },
    handle: async ({ ctx, party, query, headers }) => {
      negotiate(headers);
      const page = await listCaptureJobs(ctx, party, { perPage: perPageOf(query), nextPageToken: query.nextPageToken });
      return new Answer(page.jobs, page.nextPageToken === undefined ? {} : { link: nextLink(`${EPCIS_BASE}/capture`, query, page.nextPageToken) });
    },
  }),
  route<{ captureID: string }>({
    id: 'epcisCaptureJob', method: 'GET', url: `${EPCIS_BASE}/capture/:captureID`, tag: 'epcis-rest', records: false,
    summary: 'EPCIS 2.0 REST binding: a capture job (running false; success, or the errors of a refused document)',
    params: captureIdParam, response: captureJob, headers: versionHeaders, requestHeaders: QUERY_HEADERS, problems: [406],
    access: { roles: HOLDERS, owner: async (c, p, r) => (await epcisCaptureJobsRepo.get(c.store.db, r.params.captureID))?.actor === own(p), describe: "the party that captured" },
    handle: ({ ctx, party, params, headers }) => {
      negotiate(headers);
      return getCaptureJob(ctx, party, params.captureID);
    },
  }),
];
