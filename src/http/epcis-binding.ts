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

const LINK_DOC = 'Link: <URL of the next page>; rel="next" while there are more results (RFC 8288)';

const QUERY_HEADERS: Readonly<Record<string, string>> = {
  'gs1-epcis-min': 'The lowest EPCIS version the client accepts (406 if above 2.0.0)',
  'gs1-epcis-max': 'The highest EPCIS version the client accepts (406 if below 2.0.0)',
  'gs1-cbv-min': 'The lowest CBV version the client accepts (406 if above 2.0.0)',
  'gs1-cbv-max': 'The highest CBV version the client accepts (406 if below 2.0.0)',
  'gs1-epc-format':
    'No_Preference or Never_Translates; Always_GS1_Digital_Link / Always_EPC_URN are 406 (EPCs are kept as captured)',
};

const CAPTURE_HEADERS: Readonly<Record<string, string>> = {
  'gs1-epcis-version': 'The EPCIS version of the document sent (406 unless 2.x)',
  'gs1-cbv-version': 'The CBV version of the document sent (406 unless 2.x)',
  'gs1-capture-error-behaviour':
    'rollback (the default: all or nothing); proceed is 501 (a document is captured whole)',
};

// ---------------------------------------------------------------------------------------------
// Headers

type Headers = Readonly<Record<string, string | undefined>>;
const VERSION = /^\d{1,4}(\.\d{1,4}){0,3}$/;

function version(headers: Headers, name: string): number[] | undefined {
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
const notAcceptable = (field: string, why: string) =>
  new LodestoneError('NOT_ACCEPTABLE', `${field}: ${why}`, { field });
const RANGES = [
  ['gs1-epcis-min', 'gs1-epcis-max', 'EPCIS'],
  ['gs1-cbv-min', 'gs1-cbv-max', 'CBV'],
] as const;

/** The client's acceptable range must contain 2.0.0 (GS1 OpenAPI: 406 NotAcceptableException otherwise). */
function negotiate(headers: Headers): void {
  for (const [min, max, what] of RANGES) {
    const lo = version(headers, min);
    const hi = version(headers, max);
    const only = `this server answers in ${what} 2.0.0 only`;
    if (lo !== undefined && compare(lo, TWO) > 0) throw notAcceptable(min, `${only}, below it`);
    if (hi !== undefined && compare(hi, TWO) < 0) throw notAcceptable(max, `${only}, above it`);
  }
  const format = headers['gs1-epc-format']?.trim();
  if (format === undefined || format === 'No_Preference' || format === 'Never_Translates') return;
  if (format === 'Always_GS1_Digital_Link' || format === 'Always_EPC_URN') {
    throw notAcceptable('gs1-epc-format', `${format} is not offered: EPCs are returned as captured (Never_Translates)`);
  }
  const formats = 'No_Preference, Always_GS1_Digital_Link, Always_EPC_URN, Never_Translates';
  throw new ValidationError('gs1-epc-format', `must be one of ${formats}, got ${JSON.stringify(format)}`);
}

function captureHeaders(headers: Headers): void {
  for (const [name, what] of [
    ['gs1-epcis-version', 'EPCIS'],
    ['gs1-cbv-version', 'CBV'],
  ] as const) {
    const v = version(headers, name);
    if (v !== undefined && v[0] !== 2) {
      throw notAcceptable(name, `this server captures ${what} 2.x documents, not ${headers[name] ?? ''}`);
    }
  }
  const behaviour = headers['gs1-capture-error-behaviour']?.trim();
  if (behaviour === undefined || behaviour === 'rollback') return;
  if (behaviour === 'proceed') {
    const why = 'proceed is not implemented: Lodestone captures a document all or nothing (rollback)';
    const field = 'gs1-capture-error-behaviour';
    throw new LodestoneError('NOT_IMPLEMENTED', `${field}: ${why}`, { field });
  }
  const got = JSON.stringify(behaviour);
  throw new ValidationError('gs1-capture-error-behaviour', `must be rollback or proceed, got ${got}`);
}

// ---------------------------------------------------------------------------------------------
// Query parameters

const value = z.union([z.string().max(4000), z.array(z.string().max(4000)).min(1).max(100)]);
const single = z.string().max(200);
type Value = z.infer<typeof value>;
const perPage = z.string().regex(/^\d{1,7}$/, `must be a whole number from 1 to ${EPCIS_MAX_PER_PAGE}`);
const pageToken = z.string().min(1).max(400);

/** The query parameters of EPCIS 2.0 §8.2.7.1 (SimpleEventQuery) and the binding's paging this server answers. */
const SUPPORTED = [
  'eventType',
  'GE_eventTime',
  'LT_eventTime',
  'EQ_bizStep',
  'EQ_bizLocation',
  'MATCH_epc',
  'MATCH_anyEPC',
  'perPage',
  'nextPageToken',
] as const;
const LISTS = ['eventType', 'EQ_bizStep', 'EQ_bizLocation', 'MATCH_epc', 'MATCH_anyEPC'] as const;

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

/** The supported parameters are typed; any other name gets through to `toEpcisQuery`, which names it (400 / 501). */
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
      perPage: perPage.optional(),
      nextPageToken: pageToken.optional(),
    })
    .catchall(value) as unknown as z.ZodType<EventsQuery>;

/** Every value of a pipeDelimited list parameter (GS1 OpenAPI `style: pipeDelimited`), repeated parameters included. */
const pipeList = (v: Value | undefined): string[] | undefined =>
  v === undefined ? undefined : (typeof v === 'string' ? [v] : v).flatMap((x) => x.split('|')).filter((x) => x !== '');

function toEpcisQuery(q: EventsQuery, allowed: readonly string[]): EpcisQuery {
  const supported = `supported: ${allowed.join(', ')}`;
  for (const name of Object.keys(q)) {
    if (allowed.includes(name)) continue;
    if (name === 'eventType') {
      throw new ValidationError('query.eventType', 'the event type is given by the path (/eventTypes/{eventType})');
    }
    if (NOT_IMPLEMENTED.has(name) || PARAMETER_FAMILY.test(name)) {
      const why = `this EPCIS query parameter is not implemented (${supported})`;
      throw new LodestoneError('NOT_IMPLEMENTED', `query.${name}: ${why}`, { field: `query.${name}` });
    }
    throw new ValidationError(`query.${name}`, `is not an EPCIS 2.0 query parameter (${supported})`);
  }
  const out: Record<string, unknown> = {};
  for (const name of LISTS) {
    const l = pipeList(q[name]);
    if (l?.length === 0) throw new ValidationError(`query.${name}`, 'must name at least one value');
    if (l !== undefined) out[name] = l;
  }
  const types: readonly string[] = EPCIS_EVENT_TYPES;
  if ((out.eventType as string[] | undefined)?.some((t) => !types.includes(t))) {
    const why = `must be one of ${types.join(', ')} (the event types Lodestone captures)`;
    throw new ValidationError('query.eventType', why);
  }
  for (const name of ['GE_eventTime', 'LT_eventTime'] as const) if (q[name] !== undefined) out[name] = q[name];
  return out;
}

const pageOf = (q: { perPage?: string | undefined; nextPageToken?: string | undefined }) => ({
  perPage: q.perPage === undefined ? undefined : Number(q.perPage),
  nextPageToken: q.nextPageToken,
});

/** `<path?query&nextPageToken=…>; rel="next"`: the request's query with the next page's token (RFC 8288, relative). */
function nextLink(path: string, q: EventsQuery, token: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === 'nextPageToken' || v === undefined) continue;
    for (const x of typeof v === 'string' ? [v] : v) params.append(k, x);
  }
  params.append('nextPageToken', token);
  return `<${path}?${params.toString()}>; rel="next"`;
}

/** A page's answer: the body, and a Link to the next page when there is one. */
const paged = (body: unknown, path: string, q: EventsQuery, token: string | undefined): Answer =>
  new Answer(body, token === undefined ? {} : { link: nextLink(path, q, token) });

// ---------------------------------------------------------------------------------------------
// Response shapes (for the OpenAPI document; the GS1 ones are the reference)

const obj = z.looseObject({});
const resultsBody = z.object({ eventList: z.array(obj) });
const queryDocument = z
  .looseObject({
    '@context': z.array(z.union([z.string(), obj])),
    type: z.literal('EPCISQueryDocument'),
    schemaVersion: z.literal('2.0'),
    creationDate: z.string(),
    epcisBody: z.object({ queryResults: z.object({ queryName: z.literal('SimpleEventQuery'), resultsBody }) }),
  })
  .describe('GS1 EPCIS 2.0 EPCISQueryDocument (EPCIS 2.0 JSON Schema; GS1 OpenAPI `epcisQueryDocument`)');
const captureResult = z.looseObject({ events: z.array(obj), captured: z.number().int(), duplicates: z.number().int() });
const captureJob = z
  .looseObject({
    captureID: z.string(),
    createdAt: z.string(),
    finishedAt: z.string(),
    running: z.boolean(),
    success: z.boolean(),
    captureErrorBehaviour: z.literal('rollback'),
    errors: z.array(obj),
    'lodestone:result': captureResult.optional(),
  })
  .describe('GS1 OpenAPI `CaptureJob`; `lodestone:result`: what a successful capture did, per event');
const eventTypeCollection = z
  .object({ '@context': z.array(z.string()), type: z.literal('Collection'), member: z.array(z.string()) })
  .describe('GS1 OpenAPI `EventTypeCollection`');

const versionHeaders = { fixed: VERSION_HEADERS, describe: VERSION_DOCS };
const pagedHeaders = { fixed: VERSION_HEADERS, describe: { ...VERSION_DOCS, Link: LINK_DOC } };
const captureLocation = (job: unknown) => {
  const id = (job as { captureID: string }).captureID;
  return { location: `${EPCIS_BASE}/capture/${encodeURIComponent(id)}` };
};
const own = (p: { partyId: string | null }) => p.partyId ?? '';
const OWN_EVENTS = "only the events the caller's party captured are returned, filtered before paging";

const eventTypeParam = z.object({ eventType: z.enum(EPCIS_EVENT_TYPES) }).strict();
const captureIdParam = z.object({ captureID: z.string().min(1).max(200) }).strict();
const pageQuery = z.object({ perPage: perPage.optional(), nextPageToken: pageToken.optional() }).strict();
type PageQuery = z.infer<typeof pageQuery>;
type EventType = (typeof EPCIS_EVENT_TYPES)[number];

export const EPCIS_BINDING_ROUTES: readonly AnyRoute[] = [
  route<Record<string, never>, EventsQuery>({
    id: 'epcisEvents',
    method: 'GET',
    url: `${EPCIS_BASE}/events`,
    tag: 'epcis-rest',
    records: false,
    summary:
      "EPCIS 2.0 REST binding: the caller's events as an EPCISQueryDocument (SimpleEventQuery parameters eventType, " +
      'GE_/LT_eventTime, EQ_bizStep, EQ_bizLocation, MATCH_epc, MATCH_anyEPC; pipe-delimited lists; ' +
      'perPage default 30, at most 1000; nextPageToken). Another EPCIS parameter is 501 naming it',
    query: eventsQuery(true),
    response: queryDocument,
    headers: pagedHeaders,
    requestHeaders: QUERY_HEADERS,
    problems: [406, 501],
    access: { roles: HOLDERS, owner: 'any', describe: OWN_EVENTS },
    handle: async ({ ctx, party, query, headers }) => {
      negotiate(headers);
      const page = await epcisEventsPage(ctx, party, toEpcisQuery(query, SUPPORTED), pageOf(query));
      return paged(page.document, `${EPCIS_BASE}/events`, query, page.nextPageToken);
    },
  }),
  route<{ eventType: EventType }, EventsQuery>({
    id: 'epcisEventsOfType',
    method: 'GET',
    url: `${EPCIS_BASE}/eventTypes/:eventType/events`,
    tag: 'epcis-rest',
    records: false,
    summary:
      "EPCIS 2.0 REST binding: the caller's events of one type as an EPCISQueryDocument " +
      '(the parameters and paging of /epcis/events)',
    params: eventTypeParam,
    query: eventsQuery(false),
    response: queryDocument,
    headers: pagedHeaders,
    requestHeaders: QUERY_HEADERS,
    problems: [406, 501],
    access: { roles: HOLDERS, owner: 'any', describe: OWN_EVENTS },
    handle: async ({ ctx, party, params, query, headers }) => {
      negotiate(headers);
      const q = {
        ...toEpcisQuery(
          query,
          SUPPORTED.filter((s) => s !== 'eventType'),
        ),
        eventType: [params.eventType],
      };
      const page = await epcisEventsPage(ctx, party, q, pageOf(query));
      return paged(page.document, `${EPCIS_BASE}/eventTypes/${params.eventType}/events`, query, page.nextPageToken);
    },
  }),
  route<Record<string, never>, PageQuery>({
    id: 'epcisEventTypes',
    method: 'GET',
    url: `${EPCIS_BASE}/eventTypes`,
    tag: 'epcis-rest',
    records: false,
    summary: 'EPCIS 2.0 REST binding: the event types this repository captures and queries (EventTypeCollection)',
    query: pageQuery,
    response: eventTypeCollection,
    headers: pagedHeaders,
    requestHeaders: QUERY_HEADERS,
    problems: [406],
    access: { roles: HOLDERS, owner: 'any', describe: 'the same list for every caller' },
    handle: ({ query, headers }) => {
      negotiate(headers);
      if (query.nextPageToken !== undefined) {
        throw new ValidationError('nextPageToken', 'the event types fit in one page: there is no next page');
      }
      return epcisEventTypes();
    },
  }),
  route<Record<string, never>, Record<string, never>, Record<string, unknown>>({
    id: 'epcisCapture',
    method: 'POST',
    url: `${EPCIS_BASE}/capture`,
    tag: 'epcis-rest',
    status: 202,
    records: true,
    bodyLimit: EPCIS_BODY_LIMIT,
    summary:
      'EPCIS 2.0 REST binding: capture an EPCISDocument or EPCISQueryDocument (up to 50 MB) as a capture job, ' +
      "processed at once with `lodestone epcis capture`'s use case: 202 with the Location of the job, whose " +
      'success or errors (a refused document: nothing captured) GET /epcis/capture/{captureID} reports. ' +
      'A document failing the EPCIS 2.0 JSON Schema is 400, no job',
    body: z
      .looseObject({ type: z.enum(['EPCISDocument', 'EPCISQueryDocument']) })
      .describe('an EPCIS 2.0 EPCISDocument or EPCISQueryDocument; validated in full against the EPCIS JSON Schema'),
    response: captureJob,
    requestHeaders: CAPTURE_HEADERS,
    problems: [406, 501],
    headers: {
      fixed: VERSION_HEADERS,
      of: captureLocation,
      describe: { ...VERSION_DOCS, Location: 'The capture job: /epcis/capture/{captureID}' },
    },
    access: { roles: HOLDERS, owner: 'any', describe: 'captured as the caller (its custody events act on its lots)' },
    handle: ({ ctx, party, body, headers }) => {
      captureHeaders(headers);
      return captureEpcisJob(ctx, party, body, (e) => toProblem(e).problem);
    },
  }),
  route<Record<string, never>, PageQuery>({
    id: 'epcisCaptureJobs',
    method: 'GET',
    url: `${EPCIS_BASE}/capture`,
    tag: 'epcis-rest',
    records: false,
    summary: "EPCIS 2.0 REST binding: the caller's capture jobs, oldest first (perPage, nextPageToken, Link rel=next)",
    query: pageQuery,
    response: z.array(captureJob),
    headers: pagedHeaders,
    requestHeaders: QUERY_HEADERS,
    problems: [406],
    access: { roles: HOLDERS, owner: 'any', describe: "only the caller's own capture jobs" },
    handle: async ({ ctx, party, query, headers }) => {
      negotiate(headers);
      const page = await listCaptureJobs(ctx, party, pageOf(query));
      return paged(page.jobs, `${EPCIS_BASE}/capture`, query, page.nextPageToken);
    },
  }),
  route<{ captureID: string }>({
    id: 'epcisCaptureJob',
    method: 'GET',
    url: `${EPCIS_BASE}/capture/:captureID`,
    tag: 'epcis-rest',
    records: false,
    summary: 'EPCIS 2.0 REST binding: a capture job (running false; success, or the errors of a refused document)',
    params: captureIdParam,
    response: captureJob,
    headers: versionHeaders,
    requestHeaders: QUERY_HEADERS,
    problems: [406],
    access: {
      roles: HOLDERS,
      owner: async (c, p, r) => (await epcisCaptureJobsRepo.get(c.store.db, r.params.captureID))?.actor === own(p),
      describe: 'the party that captured',
    },
    handle: ({ ctx, party, params, headers }) => {
      negotiate(headers);
      return getCaptureJob(ctx, party, params.captureID);
    },
  }),
];
