/**
 * The EPCIS 2.0 REST binding (issue 20, point 4), checked with what GS1 publishes rather than with
 * Lodestone's own code: every response body is validated against the official EPCIS 2.0 JSON Schema
 * (the committed copy of GS1's file, compiled here with ajv) and against the component schemas of GS1's
 * own OpenAPI document of the binding (test/fixtures/epcis/rest-binding/openapi.json), and the headers
 * its operations define are checked against their schemas. Through the real server (Fastify inject),
 * authenticated and signed like any client, on both stores.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, registerParty, signRequest, type AppContext } from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import { lotsRepo, openStore, shipmentsRepo, type Store } from '../../src/store/index.js';
import { emptyPostgresDatabase, freshStore, STORES, type TestStore } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PARTIES = join(ROOT, 'examples/scenario/parties.json');
const EXPORTER = 'ganzhou-hengyuan-magnetics';
const IMPORTER = 'chakan-drive-systems';
const OTHER = 'deccan-mobility';

// ── The official schemas ──────────────────────────────────────────────────────────────────────
type Json = Record<string, unknown>;
const OPENAPI = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/epcis/rest-binding/openapi.json'), 'utf8')) as Json;
const EPCIS_SCHEMA = JSON.parse(readFileSync(join(ROOT, 'src/epcis/schema/EPCIS-JSON-Schema.json'), 'utf8')) as Json;
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
const addFormats =
  (formats as unknown as { default?: (a: Ajv) => Ajv }).default ?? (formats as unknown as (a: Ajv) => Ajv);
addFormats(ajv);
ajv.addSchema(OPENAPI, 'gs1-epcis-openapi.json');
const epcisSchema = ajv.compile(EPCIS_SCHEMA);
const gs1 = (name: string): ValidateFunction => {
  const v = ajv.getSchema(`gs1-epcis-openapi.json#/components/schemas/${name}`);
  if (v === undefined) throw new Error(`the GS1 OpenAPI document has no schema ${name}`);
  return v;
};
const valid = (v: ValidateFunction, data: unknown): string => (v(data) ? '' : ajv.errorsText(v.errors));
/**
 * GS1's `CaptureJob` as published cannot be met: its `oneOf` of `{properties: {errors}}` and
 * `{properties: {errorFile}}` has no `required`, so every object matches both branches (GS1's own
 * example fails it; asserted below). Validated here as it is meant: its properties, and exactly one
 * of `errors` / `errorFile`.
 */
const CAPTURE_JOB = 'gs1-epcis-openapi.json#/components/schemas/CaptureJob';
const captureJob = ajv.compile({
  allOf: [
    { $ref: `${CAPTURE_JOB}/allOf/0` },
    {
      oneOf: [
        { required: ['errors'], $ref: `${CAPTURE_JOB}/allOf/1/oneOf/0` },
        { required: ['errorFile'], $ref: `${CAPTURE_JOB}/allOf/1/oneOf/1` },
      ],
    },
  ],
});

/** The GS1 OpenAPI operation's response for a status, with its $refs resolved. */
function gs1Response(path: string, method: string, status: string): { headers: Record<string, Json> } {
  const deref = (x: Json): Json => {
    const ref = x.$ref;
    if (typeof ref !== 'string') return x;
    let cur: unknown = OPENAPI;
    for (const k of ref.slice(2).split('/')) cur = (cur as Json)[k];
    return deref(cur as Json);
  };
  const op = ((OPENAPI.paths as Json)[path] as Json)[method] as Json;
  const resp = deref((op.responses as Json)[status] as Json);
  return {
    headers: Object.fromEntries(Object.entries((resp.headers ?? {}) as Json).map(([k, h]) => [k, deref(h as Json)])),
  };
}

/** Each header GS1 defines for the operation's response that we send fits its schema; `required` ones are sent. */
function checkHeaders(
  res: LightMyRequestResponse,
  path: string,
  method: string,
  status: string,
  required: readonly string[],
): void {
  const defined = gs1Response(path, method, status).headers;
  for (const name of required)
    expect(Object.keys(defined), `GS1 defines ${name} on ${method} ${path} ${status}`).toContain(name);
  for (const [name, h] of Object.entries(defined)) {
    const got = res.headers[name.toLowerCase()];
    if (required.includes(name)) expect(got, `${name} on ${method} ${path}`).toBeDefined();
    if (got === undefined) continue;
    expect(h.schema, name).toBeDefined();
    if (name === 'Link') {
      // GS1's `Link` schema says `format: uri`, which its own example (`<https://…>; rel="next"`) fails:
      // a Link header is RFC 8288 `<URI-reference>; rel="next"`, checked as such.
      expect(
        ajv.validate(
          { type: 'string', format: 'uri' },
          (h.schema as { example?: unknown }).example ??
            ((OPENAPI.components as Json).schemas as Record<string, Json>).Link?.example,
        ),
      ).toBe(false);
      const target = /^<([^<>\s]+)>; rel="next"$/.exec(String(got))?.[1];
      expect(target, String(got)).toBeDefined();
      expect(ajv.validate({ type: 'string', format: 'uri-reference' }, target)).toBe(true);
      continue;
    }
    const v = ajv.compile(JSON.parse(JSON.stringify(h.schema).replaceAll('"#/', '"gs1-epcis-openapi.json#/')) as Json);
    expect(valid(v, String(got)), `${name}: ${String(got)}`).toBe('');
  }
}

// ── Documents ──────────────────────────────────────────────────────────────────────────────────
const magnet = JSON.parse(readFileSync(join(ROOT, 'examples/items/ndfeb-plain-magnet.json'), 'utf8')) as unknown;
const doc = (...events: unknown[]) => ({
  '@context': [
    'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
    { lodestone: 'urn:lodestone:epcis:', ex: 'https://example.org/epcis/' },
  ],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: new Date().toISOString(),
  epcisBody: { eventList: events },
});
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
/** An event about identifiers Lodestone does not track (kept, mapped onto nothing). */
const observed = (epc: string, at: string, bizStep = 'inspecting') => ({
  type: 'ObjectEvent',
  eventTime: at,
  eventTimeZoneOffset: '+00:00',
  epcList: [epc],
  action: 'OBSERVE',
  bizStep,
  'ex:note': `seen ${epc}`,
});

/** Custody: commission 500 kg, ship 100 kg to the importer, the importer receives it, destroy 50 kg. */
function custodyDocs(tag: string) {
  const lgtin = `urn:epc:class:lgtin:4012345.012345.${tag}`;
  const kg = (n: number) => [{ epcClass: lgtin, quantity: n, uom: 'KGM' }];
  return {
    commissionAndShip: doc(
      {
        type: 'ObjectEvent',
        eventTime: ago(120),
        eventTimeZoneOffset: '+00:00',
        quantityList: kg(500),
        action: 'ADD',
        bizStep: 'commissioning',
        ilmd: { 'lodestone:item': magnet },
      },
      {
        type: 'ObjectEvent',
        eventTime: ago(90),
        eventTimeZoneOffset: '+00:00',
        quantityList: kg(100),
        action: 'OBSERVE',
        bizStep: 'shipping',
        destinationList: [{ type: 'owning_party', destination: `urn:lodestone:party:${IMPORTER}` }],
      },
    ),
    receive: doc({
      type: 'ObjectEvent',
      eventTime: ago(60),
      eventTimeZoneOffset: '+05:30',
      quantityList: kg(100),
      action: 'OBSERVE',
      bizStep: 'receiving',
    }),
    shipTo: (destination: string) => ({
      type: 'ObjectEvent',
      eventTime: ago(5),
      eventTimeZoneOffset: '+00:00',
      quantityList: kg(10),
      action: 'OBSERVE',
      bizStep: 'shipping',
      destinationList: [{ type: 'owning_party', destination }],
    }),
    destroy: doc({
      type: 'ObjectEvent',
      eventTime: ago(30),
      eventTimeZoneOffset: '+00:00',
      quantityList: kg(50),
      action: 'DELETE',
      bizStep: 'destroying',
    }),
  };
}

/** The custody state a capture made: lots and shipments without journal positions and times. */
async function custodyState(store: Store) {
  const lots = (await lotsRepo.list(store.db)).map((l) => ({
    id: l.id,
    holder: l.holder,
    location: l.location,
    item: l.item,
    mass: l.mass_grams,
    restrictions: l.restrictions,
  }));
  const shipments = (await shipmentsRepo.list(store.db)).map((s) => ({
    id: s.id,
    from: s.from_lot,
    fromHolder: s.from_holder,
    to: s.to_party,
    grams: s.grams,
    status: s.status,
    shippedOn: s.shipped_on,
  }));
  return {
    lots: lots.sort((a, b) => a.id.localeCompare(b.id)),
    shipments: shipments.sort((a, b) => a.id.localeCompare(b.id)),
  };
}

describe.each(STORES)('EPCIS 2.0 REST binding (%s)', (kind) => {
  let ts: TestStore;
  let ctx: AppContext;
  let app: FastifyInstance;
  let work: string;
  const keys = new Map<string, string>();

  async function start(store: Store) {
    ctx = createApp(store, { keysDir: join(work, 'keys') });
    app = await createServer(ctx, { rateLimit: false });
  }
  async function call(
    party: string,
    method: 'GET' | 'POST',
    url: string,
    o: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const payload = o.body === undefined ? '' : JSON.stringify(o.body);
    const headers: Record<string, string> = { authorization: `Bearer ${keys.get(party) ?? ''}` };
    if (payload !== '') headers['content-type'] = 'application/json';
    if (method === 'POST') {
      headers['idempotency-key'] = randomUUID();
      headers['lodestone-signature'] = signRequest(ctx.keystore.signer(party), {
        method,
        path: url,
        body: payload,
        now: new Date(),
      });
    }
    return app.inject({ method, url, headers: { ...headers, ...o.headers }, ...(payload === '' ? {} : { payload }) });
  }
  async function capture(party: string, body: unknown, headers?: Record<string, string>) {
    const res = await call(party, 'POST', '/epcis/capture', { body, ...(headers === undefined ? {} : { headers }) });
    return res;
  }
  /** Follows Link rel="next" from `url`; every page validated; the events of every page in order. */
  async function walk(party: string, url: string): Promise<{ ids: string[]; pages: number[] }> {
    const ids: string[] = [];
    const pages: number[] = [];
    let next: string | undefined = url;
    while (next !== undefined) {
      const res = await call(party, 'GET', next);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<Json>();
      expect(valid(epcisSchema, body)).toBe('');
      expect(valid(gs1('epcisQueryDocument'), body)).toBe('');
      const events = ((body.epcisBody as Json).queryResults as { resultsBody: { eventList: { eventID: string }[] } })
        .resultsBody.eventList;
      pages.push(events.length);
      ids.push(...events.map((e) => e.eventID));
      const link = res.headers.link;
      next = typeof link === 'string' ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
      if (typeof link === 'string') expect(next, link).toBeDefined();
      expect(pages.length).toBeLessThan(50);
    }
    return { ids, pages };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lodestone-epcis-binding-'));
    ts = await freshStore(kind);
    await start(ts.store);
    for (const p of JSON.parse(readFileSync(PARTIES, 'utf8')) as { id: string }[]) await registerParty(ctx, p);
    for (const [party, role] of [
      [EXPORTER, 'exporter'],
      [IMPORTER, 'importer'],
      [OTHER, 'importer'],
    ] as const)
      keys.set(party, (await issueCredential(ctx, { partyId: party, role })).key);
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await ts.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  const mine = Array.from({ length: 11 }, (_, i) =>
    observed(
      `urn:epc:id:sgtin:4012345.011111.${i}`,
      ago(2000 - 10 * Math.floor(i / 2)),
      i % 3 === 0 ? 'shipping' : 'inspecting',
    ),
  );
  const theirs = Array.from({ length: 5 }, (_, i) =>
    observed(`urn:epc:id:sgtin:4012345.011111.9${i}`, ago(1995 - 10 * i), 'shipping'),
  );

  it('the GS1 CaptureJob schema as published rejects its own example; as meant, it accepts it', () => {
    const example = ((OPENAPI.components as Json).schemas as Record<string, Json>).CaptureJob?.example;
    expect(gs1('CaptureJob')(example)).toBe(false);
    expect(valid(captureJob, example)).toBe('');
    expect(captureJob({ ...(example as Json), errors: undefined })).toBe(false);
  });

  it('POST /epcis/capture: 202, Location of a capture job reporting success; version headers; GS1 shapes', async () => {
    const res = await capture(EXPORTER, doc(...mine.slice(0, 6)));
    expect(res.statusCode, res.body).toBe(202);
    checkHeaders(res, '/capture', 'post', '202', ['GS1-EPCIS-Version', 'GS1-CBV-Version', 'Location']);
    expect(res.headers['gs1-epcis-version']).toBe('2.0.0');
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/epcis\/capture\/[0-9a-f-]{36}$/);
    const job = await call(EXPORTER, 'GET', location);
    expect(job.statusCode, job.body).toBe(200);
    checkHeaders(job, '/capture/{captureID}', 'get', '200', ['GS1-EPCIS-Version']);
    expect(valid(captureJob, job.json())).toBe('');
    expect(job.json()).toMatchObject({
      captureID: location.split('/').pop(),
      running: false,
      success: true,
      captureErrorBehaviour: 'rollback',
      errors: [],
      'lodestone:result': { captured: 6, duplicates: 0 },
    });
    // an EPCISQueryDocument is captured too (GS1: "should support both")
    const asQueryDoc = {
      ...doc(),
      type: 'EPCISQueryDocument',
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: mine.slice(6) } } },
    };
    expect(valid(epcisSchema, asQueryDoc)).toBe('');
    const second = await capture(EXPORTER, asQueryDoc);
    expect(second.statusCode, second.body).toBe(202);
    expect((await call(EXPORTER, 'GET', String(second.headers.location))).json()).toMatchObject({
      success: true,
      'lodestone:result': { captured: 5 },
    });
    expect((await capture(OTHER, doc(...theirs))).statusCode).toBe(202);

    const jobs = await call(EXPORTER, 'GET', '/epcis/capture?perPage=1');
    expect(jobs.statusCode, jobs.body).toBe(200);
    checkHeaders(jobs, '/capture', 'get', '200', ['GS1-EPCIS-Version', 'Link']);
    const first = jobs.json<unknown[]>();
    expect(first).toHaveLength(1);
    for (const j of first) expect(valid(captureJob, j)).toBe('');
    const rest = await call(EXPORTER, 'GET', /^<([^>]+)>/.exec(String(jobs.headers.link))?.[1] ?? '');
    expect(rest.json<unknown[]>()).toHaveLength(1);
    expect(rest.headers.link).toBeUndefined();
    // another party's job is not found, and says nothing about it
    const foreign = await call(OTHER, 'GET', location);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('GET /epcis/events: an EPCISQueryDocument valid by EPCIS JSON Schema and GS1 OpenAPI; eventTypes', async () => {
    const res = await call(EXPORTER, 'GET', '/epcis/events');
    expect(res.statusCode, res.body).toBe(200);
    checkHeaders(res, '/events', 'get', '200', ['GS1-EPCIS-Version', 'GS1-CBV-Version']);
    expect(res.headers['gs1-cbv-version']).toBe('2.0.0');
    const body = res.json<Json>();
    expect(valid(epcisSchema, body)).toBe('');
    expect(valid(gs1('epcisQueryDocument'), body)).toBe('');
    expect(body['@context']).toEqual([
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { lodestone: 'urn:lodestone:epcis:', ex: 'https://example.org/epcis/' },
    ]);
    const events = ((body.epcisBody as Json).queryResults as { resultsBody: { eventList: Json[] } }).resultsBody
      .eventList;
    expect(events).toHaveLength(11);
    for (const e of events) {
      expect(e.eventID).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
      expect(Date.parse(String(e.recordTime))).not.toBeNaN();
      expect(e['ex:note']).toMatch(/^seen urn:epc:id:sgtin:4012345\.011111\.\d+$/);
    }
    expect(events.map((e) => e.eventTime)).toEqual([...events.map((e) => String(e.eventTime))].sort());

    const types = await call(EXPORTER, 'GET', '/epcis/eventTypes');
    expect(types.statusCode).toBe(200);
    checkHeaders(types, '/eventTypes', 'get', '200', ['GS1-EPCIS-Version']);
    expect(valid(gs1('EventTypeCollection'), types.json())).toBe('');
    expect(types.json<{ member: string[] }>().member).toEqual([
      'ObjectEvent',
      'AggregationEvent',
      'TransactionEvent',
      'TransformationEvent',
      'AssociationEvent',
    ]);

    const ofType = await call(EXPORTER, 'GET', '/epcis/eventTypes/ObjectEvent/events?EQ_bizStep=shipping');
    expect(ofType.statusCode, ofType.body).toBe(200);
    checkHeaders(ofType, '/eventTypes/{eventType}/events', 'get', '200', ['GS1-EPCIS-Version', 'GS1-CBV-Version']);
    expect(
      ((ofType.json<Json>().epcisBody as Json).queryResults as { resultsBody: { eventList: unknown[] } }).resultsBody
        .eventList,
    ).toHaveLength(4);
    const none = await call(EXPORTER, 'GET', '/epcis/eventTypes/TransformationEvent/events');
    expect(
      ((none.json<Json>().epcisBody as Json).queryResults as { resultsBody: { eventList: unknown[] } }).resultsBody
        .eventList,
    ).toEqual([]);
  });

  it('paging: Link rel="next" walks every event once, filtered before paging; no other party\'s event', async () => {
    const all = await walk(EXPORTER, '/epcis/events');
    expect(all.ids).toHaveLength(11);
    for (const [perPage, pages] of [
      [1, 11],
      [3, 4],
      [4, 3],
      [11, 1],
      [1000, 1],
    ] as const) {
      const w = await walk(EXPORTER, `/epcis/events?perPage=${perPage}`);
      expect(w.ids, `perPage=${perPage}`).toEqual(all.ids);
      expect(new Set(w.ids).size).toBe(11);
      expect(w.pages).toHaveLength(pages);
    }
    // filters: in SQL (EQ_bizStep, pipe-delimited eventType) and read on through the events (MATCH_epc)
    const shipping = await walk(
      EXPORTER,
      '/epcis/events?perPage=2&EQ_bizStep=shipping&eventType=ObjectEvent|TransformationEvent',
    );
    expect(shipping.ids).toHaveLength(4);
    expect(shipping.pages).toEqual([2, 2]);
    const matched = await walk(
      EXPORTER,
      '/epcis/events?perPage=2&MATCH_epc=urn:epc:id:sgtin:4012345.011111.1|urn:epc:id:sgtin:4012345.011111.4' +
        '&MATCH_epc=urn:epc:id:sgtin:4012345.011111.7',
    );
    expect(matched.ids).toHaveLength(3);
    expect(matched.pages).toEqual([2, 1]);
    // the other party sees its own five, and none of these; these events interleave in time with its own
    const theirs = await walk(OTHER, '/epcis/events?perPage=2');
    expect(theirs.ids).toHaveLength(5);
    expect(theirs.ids.filter((id) => all.ids.includes(id))).toEqual([]);
    const theirMatch = await walk(OTHER, '/epcis/events?MATCH_epc=urn:epc:idpat:sgtin:4012345.011111.*');
    expect(theirMatch.ids.sort()).toEqual([...theirs.ids].sort());
    // a token is bound to its query
    const first = await call(EXPORTER, 'GET', '/epcis/events?perPage=2');
    const token = /nextPageToken=([^&>]+)/.exec(String(first.headers.link))?.[1] ?? '';
    const other = await call(EXPORTER, 'GET', `/epcis/events?perPage=2&EQ_bizStep=shipping&nextPageToken=${token}`);
    expect(other.statusCode).toBe(400);
    expect(other.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'nextPageToken' });
    expect(other.headers['gs1-epcis-version']).toBe('2.0.0');
    const theirToken = await call(OTHER, 'GET', `/epcis/events?perPage=2&nextPageToken=${token}`);
    expect(theirToken.json()).toMatchObject({ status: 400, field: 'nextPageToken' });
  });

  it('an unsupported parameter, a bad value or version is a problem naming it, never silently ignored', async () => {
    const cases: [string, Record<string, string>, number, string, string][] = [
      ['/epcis/events?EQ_disposition=in_transit', {}, 501, 'NOT_IMPLEMENTED', 'query.EQ_disposition'],
      ['/epcis/events?EQ_INNER_ILMD_ex:lot=1', {}, 501, 'NOT_IMPLEMENTED', 'query.EQ_INNER_ILMD_ex:lot'],
      ['/epcis/events?orderBy=eventTime', {}, 501, 'NOT_IMPLEMENTED', 'query.orderBy'],
      ['/epcis/events?limit=3', {}, 400, 'INVALID_INPUT', 'query.limit'],
      ['/epcis/events?perPage=0', {}, 400, 'INVALID_INPUT', 'perPage'],
      ['/epcis/events?perPage=1001', {}, 400, 'INVALID_INPUT', 'perPage'],
      ['/epcis/events?perPage=ten', {}, 400, 'INVALID_INPUT', 'query.perPage'],
      ['/epcis/events?nextPageToken=not-a-token', {}, 400, 'INVALID_INPUT', 'nextPageToken'],
      ['/epcis/events?GE_eventTime=yesterday', {}, 400, 'INVALID_INPUT', 'GE_eventTime'],
      ['/epcis/events?eventType=Shipment', {}, 400, 'INVALID_INPUT', 'query.eventType'],
      ['/epcis/eventTypes/ObjectEvent/events?eventType=ObjectEvent', {}, 400, 'INVALID_INPUT', 'query.eventType'],
      ['/epcis/eventTypes/Shipment/events', {}, 400, 'INVALID_INPUT', 'params.eventType'],
      ['/epcis/events', { 'GS1-EPCIS-Min': '2.1' }, 406, 'NOT_ACCEPTABLE', 'gs1-epcis-min'],
      ['/epcis/events', { 'GS1-EPCIS-Max': '1.2.0' }, 406, 'NOT_ACCEPTABLE', 'gs1-epcis-max'],
      ['/epcis/events', { 'GS1-CBV-Max': '1.2' }, 406, 'NOT_ACCEPTABLE', 'gs1-cbv-max'],
      ['/epcis/events', { 'GS1-EPCIS-Min': 'two' }, 400, 'INVALID_INPUT', 'gs1-epcis-min'],
      ['/epcis/events', { 'GS1-EPC-Format': 'Always_EPC_URN' }, 406, 'NOT_ACCEPTABLE', 'gs1-epc-format'],
    ];
    for (const [url, headers, status, code, field] of cases) {
      const res = await call(EXPORTER, 'GET', url, { headers });
      expect(res.statusCode, `${url} ${JSON.stringify(headers)}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = res.json<{ code: string; field: string; detail: string }>();
      expect(p, url).toMatchObject({ code, field });
      expect(p.detail).toContain(field.replace(/^(query|params)\./, ''));
      expect(res.headers['gs1-epcis-version']).toBe('2.0.0');
    }
    // the negotiated range that contains 2.0.0 is answered
    expect(
      (
        await call(EXPORTER, 'GET', '/epcis/events?perPage=1', {
          headers: { 'GS1-EPCIS-Min': '1.2', 'GS1-EPCIS-Max': '2.0.0', 'GS1-EPC-Format': 'No_Preference' },
        })
      ).statusCode,
    ).toBe(200);
    // no credential: 401 problem, with the version headers
    const anon = await app.inject({ method: 'GET', url: '/epcis/events' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['gs1-epcis-version']).toBe('2.0.0');
  });

  it('capture = `lodestone epcis capture` on custody; refused: a failed job, nothing written; restart', async () => {
    const docs = custodyDocs(`B${kind === 'pglite' ? 'L' : 'P'}`);
    const before = await custodyState(ctx.store);
    const locations: string[] = [];
    for (const [party, d] of [
      [EXPORTER, docs.commissionAndShip],
      [IMPORTER, docs.receive],
      [EXPORTER, docs.destroy],
    ] as const) {
      const res = await capture(party, d, {
        'GS1-EPCIS-Version': '2.0.0',
        'GS1-CBV-Version': '2.0',
        'GS1-Capture-Error-Behaviour': 'rollback',
      });
      expect(res.statusCode, res.body).toBe(202);
      const job = (await call(party, 'GET', String(res.headers.location))).json<Json>();
      expect(job, JSON.stringify(job)).toMatchObject({ success: true, errors: [] });
      locations.push(String(res.headers.location));
    }
    const viaHttp = await custodyState(ctx.store);
    expect(viaHttp.lots.length).toBeGreaterThan(before.lots.length);
    expect(viaHttp.shipments.length).toBe(before.shipments.length + 1);

    // the same documents through the CLI, on a store of its own
    let drop: (() => Promise<void>) | undefined;
    const storeArgs: string[] = [];
    if (kind === 'postgres') {
      const db = await emptyPostgresDatabase();
      process.env.DATABASE_URL = db.databaseUrl;
      drop = db.drop;
      storeArgs.push('--keys-dir', join(work, 'cli-keys'));
    } else {
      process.env.DATABASE_URL = '';
      storeArgs.push('--data-dir', join(work, 'cli-store'));
      await seedPgliteDataDir(join(work, 'cli-store'));
    }
    try {
      const cli = async (...args: string[]) => {
        let err = '';
        const sink = (f: (s: string) => void) =>
          new Writable({
            write(chunk: Buffer, _e, cb) {
              f(chunk.toString());
              cb();
            },
          });
        const code = await main(['node', 'lodestone', ...storeArgs, ...args], {
          out: sink(() => undefined),
          err: sink((s) => (err += s)),
        });
        expect(code, `${args.join(' ')}: ${err}`).toBe(0);
      };
      await cli('parties', 'register', PARTIES);
      for (const [i, [party, d]] of (
        [
          [EXPORTER, docs.commissionAndShip],
          [IMPORTER, docs.receive],
          [EXPORTER, docs.destroy],
        ] as const
      ).entries()) {
        const file = join(work, `custody-${i}.json`);
        writeFileSync(file, JSON.stringify(d));
        await cli('epcis', 'capture', file, '--as', party);
      }
      const store = await openStore(
        kind === 'postgres' ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: join(work, 'cli-store') },
      );
      try {
        const viaCli = await custodyState(store);
        const added = (s: typeof viaHttp) => ({
          lots: s.lots.filter((l) => !before.lots.some((b) => b.id === l.id)),
          shipments: s.shipments.filter((x) => !before.shipments.some((b) => b.id === x.id)),
        });
        expect(added(viaHttp)).toEqual(viaCli);
        expect(viaCli.lots.map((l) => [l.holder, l.mass])).toEqual(
          expect.arrayContaining([
            [EXPORTER, 350_000],
            [IMPORTER, 100_000],
          ]),
        );
      } finally {
        await store.close();
      }
    } finally {
      Reflect.deleteProperty(process.env, 'DATABASE_URL');
      await drop?.();
    }

    // refused (the exporter ships from its lot to a party that is not registered): a failed job, nothing written
    const stateBefore = await custodyState(ctx.store);
    const refused = await capture(EXPORTER, doc(docs.shipTo('urn:lodestone:party:nobody')));
    expect(refused.statusCode, refused.body).toBe(202);
    const failed = await call(EXPORTER, 'GET', String(refused.headers.location));
    expect(valid(captureJob, failed.json())).toBe('');
    expect(failed.json()).toMatchObject({
      running: false,
      success: false,
      captureErrorBehaviour: 'rollback',
      errors: [{ status: 422, code: 'REFUSED', refusals: [{ rule: 'UNKNOWN_RECEIVER' }] }],
    });
    expect(failed.json<Json>()['lodestone:result']).toBeUndefined();
    expect(await custodyState(ctx.store)).toEqual(stateBefore);
    // bad input is not a job: 400 naming the schema path, nothing written
    const invalid = await capture(
      EXPORTER,
      doc({ ...observed('urn:epc:id:sgtin:4012345.011111.77', ago(1)), action: 'MAKE' }),
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'document/epcisBody/eventList/0/action' });
    expect(invalid.headers.location).toBeUndefined();
    const proceed = await capture(EXPORTER, doc(observed('urn:epc:id:sgtin:4012345.011111.78', ago(1))), {
      'GS1-Capture-Error-Behaviour': 'proceed',
    });
    expect(proceed.statusCode).toBe(501);
    expect(proceed.json()).toMatchObject({ code: 'NOT_IMPLEMENTED', field: 'gs1-capture-error-behaviour' });
    const epcis12 = await capture(EXPORTER, doc(observed('urn:epc:id:sgtin:4012345.011111.79', ago(1))), {
      'GS1-EPCIS-Version': '1.2',
    });
    expect(epcis12.statusCode).toBe(406);
    expect(
      (
        await call(
          EXPORTER,
          'GET',
          '/epcis/events?MATCH_epc=urn:epc:id:sgtin:4012345.011111.78|urn:epc:id:sgtin:4012345.011111.79',
        )
      ).json<Json>(),
    ).toMatchObject({ epcisBody: { queryResults: { resultsBody: { eventList: [] } } } });

    // after a restart the jobs are still there
    await app.close();
    await start(await ts.reopen());
    for (const l of [...locations, String(refused.headers.location)]) {
      const job = await call(
        l === String(refused.headers.location) ? EXPORTER : l === locations[1] ? IMPORTER : EXPORTER,
        'GET',
        l,
      );
      expect(job.statusCode, l).toBe(200);
      expect(job.json<{ success: boolean }>().success).toBe(l !== String(refused.headers.location));
    }
  }, 240_000);
});
