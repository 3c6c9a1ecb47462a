import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  captureEpcis,
  countersignCertificate,
  createApp,
  decideApplication,
  EpcisCaptureRefusedError,
  exportEpcis,
  importList,
  issueCertificate,
  linkLotToEpc,
  listLots,
  queryEpcis,
  rebuild,
  registerParty,
  runDemo,
  submitApplication,
  type AppContext,
} from '../../src/app/index.js';
import { ValidationError } from '../../src/domain/index.js';
import { EpcisSchemaError, validateEpcis } from '../../src/epcis/index.js';
import { dumpProjections, epcisRepo, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import {
  EXAMPLES_ROOT,
  EXPORTER,
  IMPORTER,
  magnet,
  motor,
  publishDemoTrustList,
  readExample,
  TODAY,
} from '../support/scenario.js';

const read = readExample;
const EXAMPLES = fileURLToPath(new URL('../fixtures/epcis/examples-json/', import.meta.url));

const MAG = 'urn:epc:class:lgtin:4012345.012345.MAG1'; // GTIN 04012345123456, lot MAG1
const MAG_DL = 'https://id.gs1.org/01/04012345123456/10/MAG1';
const MOTORS = 'urn:epc:class:lgtin:4012345.054321.MOT1';
const STEEL = 'urn:epc:idpat:sgtin:4099999.011111.*';

const doc = (...events: Record<string, unknown>[]) => ({
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { lodestone: 'urn:lodestone:epcis:' }],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: `${TODAY}T08:59:00Z`,
  epcisBody: { eventList: events },
});
const at = (hhmm: string, day = TODAY) => ({ eventTime: `${day}T${hhmm}:00+00:00`, eventTimeZoneOffset: '+00:00' });
const party = (id: string) => `urn:lodestone:party:${id}`;
const kg = (epcClass: string, quantity: number) => ({ epcClass, quantity, uom: 'KGM' });

const commissioning = (time = '08:00', quantity = 4000) => ({
  type: 'ObjectEvent',
  ...at(time),
  quantityList: [kg(MAG, quantity)],
  action: 'ADD',
  bizStep: 'commissioning',
  readPoint: { id: 'urn:epc:id:sgln:4012345.00011.0' },
  bizLocation: { id: 'urn:epc:id:sgln:4012345.00011.0' },
  ilmd: {
    'lodestone:item': magnet,
    'lodestone:location': 'CN',
    'lodestone:value': { currency: 'USD', minor: quantity * 8000 },
  },
});
const shipping = (licence: string | undefined, over: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  ...at('08:30'),
  quantityList: [kg(MAG_DL, 1200)],
  action: 'OBSERVE',
  bizStep: 'shipping',
  disposition: 'in_transit',
  sourceList: [{ type: 'owning_party', source: party(EXPORTER) }],
  destinationList: [{ type: 'owning_party', destination: party(IMPORTER) }],
  ...(licence === undefined
    ? {}
    : { bizTransactionList: [{ type: 'cert', bizTransaction: `urn:lodestone:licence:${licence}:L1` }] }),
  ...over,
});
const receiving = (over: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  ...at('08:50'),
  quantityList: [kg(MAG, 1200)],
  action: 'OBSERVE',
  bizStep: 'https://ref.gs1.org/cbv/BizStep-receiving',
  disposition: 'in_progress',
  sourceList: [{ type: 'owning_party', source: party(EXPORTER) }],
  destinationList: [{ type: 'owning_party', destination: party(IMPORTER) }],
  ...over,
});
const transformation = (outKg = 45000, otherKg = 43800) => ({
  type: 'TransformationEvent',
  ...at('08:55'),
  inputQuantityList: [kg(MAG, 1200), ...(otherKg > 0 ? [kg(STEEL, otherKg)] : [])],
  outputQuantityList: [kg(MOTORS, outKg)],
  bizStep: 'assembling',
  ilmd: { 'lodestone:item': motor },
});

async function setup(ctx: AppContext) {
  for (const p of read('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
  await publishDemoTrustList(ctx);
  await importList(ctx, {
    path: new URL('scenario/demo-control-list.csv', EXAMPLES_ROOT).pathname,
    format: 'csv',
    list: 'cn-control-list',
    actor: 'cn-mofcom',
    authority: 'MOFCOM (demonstration)',
    effect: 'deny',
    country: 'CN',
  });
  const endUse = { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] };
  const cert = await issueCertificate(ctx, IMPORTER, {
    exporter: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    items: [
      {
        controlCode: '1C905.a',
        hsCode: '8505111000',
        description: '45SH NdFeB',
        quantityGrams: 2_000_000,
        value: { currency: 'USD', minor: 16_000_000 },
      },
    ],
    endUse,
    undertakings: {
      noWmdUse: true,
      noMilitaryUse: true,
      noReexportWithoutConsent: true,
      consentAuthority: 'cn-mofcom',
      prohibitedDestinations: ['US'],
      useOnlyIn: 'IN',
      extendsToIncorporatingProducts: true,
      postShipmentVerificationConsent: true,
      noticeOfChanges: true,
    },
    validity: { from: TODAY, until: '2027-11-23' },
  });
  await countersignCertificate(ctx, 'in-dgft', cert.id);
  const app = await submitApplication(ctx, {
    authority: 'cn-mofcom',
    applicant: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    destination: 'IN',
    endUse,
    licenceType: 'single',
    lines: [{ ref: 'L1', item: magnet, quantityGrams: 2_000_000, value: { currency: 'USD', minor: 16_000_000 } }],
    certificateId: cert.id,
    validFrom: TODAY,
    validUntil: '2027-11-23',
  });
  const decided = await decideApplication(ctx, 'cn-mofcom', app.id, {
    decision: 'approve',
    conditions: { prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' },
  });
  return decided.licence!.id;
}

async function refused(p: Promise<unknown>): Promise<{ index: number; rules: string[] }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EpcisCaptureRefusedError) return { index: e.eventIndex, rules: e.refusals.map((r) => r.rule) };
    throw e;
  }
  throw new Error('expected the capture to be refused');
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

describe.each(STORES)('EPCIS capture, query and export on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let now: Date;

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => new Date((now = new Date(now.getTime() + 1000))) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it("issue 18: an event mapped onto custody declares its date within the tolerance before the server's day; a receipt of more than was shipped is OVER_RECEIPT", async () => {
    const licence = await setup(ctx);
    const db = current().store.db;
    const count = await journalRepo.count(db);
    // Four days before the server's day (2026-11-24): a custody claim too old to take at its word.
    expect(
      await refused(captureEpcis(ctx, EXPORTER, doc({ ...commissioning(), ...at('08:00', '2026-11-20') }))),
    ).toEqual({ index: 0, rules: ['DATE_TOO_OLD'] });
    expect(await journalRepo.count(db)).toBe(count);
    // Evidence only (no custody meaning) may be as old as it is.
    const old = await captureEpcis(
      ctx,
      EXPORTER,
      doc({
        type: 'ObjectEvent',
        ...at('07:00', '2025-01-02'),
        epcList: ['urn:epc:id:sgtin:4012345.012345.99'],
        action: 'OBSERVE',
        bizStep: 'inspecting',
      }),
    );
    expect(old.events.map((e) => e.status)).toEqual(['untracked']);
    // Three days before is within the tolerance.
    await captureEpcis(ctx, EXPORTER, doc({ ...commissioning(), ...at('08:00', '2026-11-21') }));
    // Within the tolerance but before the licence's window (valid from 2026-11-24): the declared date cannot lie outside it.
    expect(
      (await refused(captureEpcis(ctx, EXPORTER, doc(shipping(licence, at('08:30', '2026-11-23')))))).rules,
    ).toEqual(['LICENCE_NOT_YET_VALID']);
    const shipped = await captureEpcis(ctx, EXPORTER, doc(shipping(licence)));
    expect(shipped.events.map((e) => [e.status, e.use])).toEqual([['mapped', 'dispatchShipment']]);
    const before = await journalRepo.count(db);
    expect(await refused(captureEpcis(ctx, IMPORTER, doc(receiving({ quantityList: [kg(MAG, 1300)] }))))).toEqual({
      index: 0,
      rules: ['OVER_RECEIPT'],
    });
    expect(await journalRepo.count(db)).toBe(before); // the flag was raised inside the refused document's transaction, and went with it
    expect((await captureEpcis(ctx, IMPORTER, doc(receiving()))).events.map((e) => e.use)).toEqual(['receiveShipment']);
  });

  it('maps custody events onto the custody use cases with all their checks; refuses contradictions whole; duplicates; query; export; rebuild', async () => {
    const licence = await setup(ctx);
    // bad input first: schema path, sub-gram mass, unknown actor
    const bad = doc({ ...commissioning(), action: 'CREATE' });
    const e = await captureEpcis(ctx, EXPORTER, bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EpcisSchemaError);
    expect((e as EpcisSchemaError).message).toMatch(
      /^document\/epcisBody\/eventList\/0\/action: must be equal to one of the allowed values/,
    );
    const sub = await captureEpcis(ctx, EXPORTER, doc(commissioning('08:00', 1.0005))).catch((x: unknown) => x);
    expect(sub).toBeInstanceOf(ValidationError);
    expect((sub as ValidationError).field).toBe('events[0].quantityList[0].quantity');
    await expect(captureEpcis(ctx, 'nobody', doc(commissioning()))).rejects.toThrow(/no party "nobody"/);

    // refusals, then the chain
    const first = await captureEpcis(ctx, EXPORTER, doc(commissioning()));
    expect(first.events.map((e) => [e.status, e.use])).toEqual([['mapped', 'createLot']]);
    expect(first.events[0]!.ids).toEqual([`04012345123456-MAG1-${EXPORTER}`]);
    const db = current().store.db;
    const count = await journalRepo.count(db);
    const before = await dumpProjections(db);

    // a licence forbids: wrong consignee; past the ceiling
    expect(
      await refused(
        captureEpcis(
          ctx,
          EXPORTER,
          doc(
            shipping(licence, { destinationList: [{ type: 'owning_party', destination: party('deccan-mobility') }] }),
          ),
        ),
      ),
    ).toEqual({ index: 0, rules: ['WRONG_CONSIGNEE'] });
    expect(
      (await refused(captureEpcis(ctx, EXPORTER, doc(shipping(licence, { quantityList: [kg(MAG, 2500)] }))))).rules,
    ).toContain('QUANTITY_CEILING');
    // without a licence, a controlled item needs one
    expect((await refused(captureEpcis(ctx, EXPORTER, doc(shipping(undefined))))).rules).toEqual(['LICENCE_REQUIRED']);
    // before the lot existed; in the future
    expect((await refused(captureEpcis(ctx, EXPORTER, doc(shipping(licence, at('07:00')))))).rules).toEqual([
      'EVENT_BEFORE_INPUTS',
    ]);
    expect(
      (await refused(captureEpcis(ctx, EXPORTER, doc(shipping(licence, at('08:00', '2026-12-24')))))).rules,
    ).toEqual(['EVENT_IN_FUTURE']);
    // receiving what was never shipped to the receiver
    expect(await refused(captureEpcis(ctx, IMPORTER, doc(receiving())))).toEqual({
      index: 0,
      rules: ['NOT_SHIPPED_TO_RECEIVER'],
    });
    // atomic: the first (valid) event of a refused document is not kept either
    const mixed = doc(
      {
        type: 'ObjectEvent',
        ...at('07:00'),
        epcList: ['urn:epc:id:sgtin:4012345.012345.99'],
        action: 'OBSERVE',
        bizStep: 'inspecting',
      },
      shipping(licence, { destinationList: [{ type: 'owning_party', destination: party('lakeshore-ev') }] }),
    );
    expect((await refused(captureEpcis(ctx, EXPORTER, mixed))).index).toBe(1);
    expect(await journalRepo.count(db)).toBe(count);
    expect(await dumpProjections(db)).toEqual(before);

    // the chain: shipping under the licence, receiving, a transformation whose outputs would outweigh the inputs (refused), then a real one
    const a = await captureEpcis(ctx, EXPORTER, doc(shipping(licence)));
    expect(a.events.map((e) => [e.status, e.use])).toEqual([['mapped', 'dispatchShipment']]);
    const r = await captureEpcis(ctx, IMPORTER, doc(receiving()));
    expect(r.events.map((e) => [e.status, e.use, e.ids])).toEqual([
      ['mapped', 'receiveShipment', [`04012345123456-MAG1-${IMPORTER}`]],
    ]);
    expect((await refused(captureEpcis(ctx, IMPORTER, doc(transformation(2000, 0))))).rules).toEqual(['MASS_CREATED']);
    const b = await captureEpcis(ctx, IMPORTER, doc(transformation()));
    expect(b.events.map((e) => [e.status, e.use])).toEqual([['mapped', 'transformLots']]);
    const motors = (await listLots(ctx, { licenceId: licence })).find((l) => l.id === b.events[0]!.ids![1]);
    expect(motors).toMatchObject({ holder: IMPORTER, massGrams: 45_000_000 });
    expect(motors!.restrictions[0]).toMatchObject({
      licenceId: licence,
      licensedGrams: 1_200_000,
      prohibitedDestinations: ['US'],
    });
    // an onward shipment the licence's undertakings forbid (motors to the US)
    const toUs = shipping(undefined, {
      ...at('08:58'),
      quantityList: [kg(MOTORS, 4500)],
      sourceList: [],
      destinationList: [{ type: 'owning_party', destination: party('lakeshore-ev') }],
    });
    expect((await refused(captureEpcis(ctx, IMPORTER, doc(toUs)))).rules).toContain('PROHIBITED_DESTINATION');
    // retracting a custody event is refused
    const declared = {
      ...receiving(),
      errorDeclaration: { declarationTime: `${TODAY}T08:59:00Z`, reason: 'incorrect_data' },
    };
    expect((await refused(captureEpcis(ctx, IMPORTER, doc(declared)))).rules).toEqual(['CUSTODY_EVENT_RETRACTION']);

    // re-capture: duplicates, nothing recorded
    const count2 = await journalRepo.count(db);
    const again = await captureEpcis(ctx, EXPORTER, doc(commissioning(), shipping(licence)));
    expect(again).toMatchObject({ captured: 0, duplicates: 2 });
    expect(await journalRepo.count(db)).toBe(count2);
    // the same event twice in one document (URN and Digital Link): the second is a duplicate
    const twice = await captureEpcis(
      ctx,
      EXPORTER,
      doc(
        {
          type: 'ObjectEvent',
          ...at('07:00'),
          epcList: ['urn:epc:id:sgtin:4012345.012345.77'],
          action: 'OBSERVE',
          bizStep: 'inspecting',
        },
        {
          type: 'ObjectEvent',
          ...at('07:00'),
          epcList: ['https://id.gs1.org/01/04012345123456/21/77'],
          action: 'OBSERVE',
          bizStep: 'inspecting',
        },
      ),
    );
    expect(twice.events.map((e) => e.status)).toEqual(['untracked', 'duplicate']);

    // query
    expect((await queryEpcis(ctx, { EQ_bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping' })).events).toHaveLength(1);
    expect((await queryEpcis(ctx, { eventType: 'TransformationEvent' })).events).toHaveLength(1);
    expect(
      (await queryEpcis(ctx, { MATCH_epc: 'urn:epc:idpat:sgtin:4012345.012345.*' })).events.map((e) => e.bizStep),
    ).toEqual(['inspecting', 'commissioning', 'shipping', 'receiving']);
    expect((await queryEpcis(ctx, { MATCH_epc: MAG_DL })).events).toHaveLength(3); // not the transformation: its input is in inputQuantityList
    expect((await queryEpcis(ctx, { MATCH_anyEPC: MAG_DL })).events).toHaveLength(4);
    expect(
      (await queryEpcis(ctx, { GE_eventTime: `${TODAY}T08:30:00Z`, LT_eventTime: `${TODAY}T08:55:00Z` })).events.map(
        (e) => e.bizStep,
      ),
    ).toEqual(['shipping', 'receiving']);
    expect(
      (await queryEpcis(ctx, { EQ_bizLocation: 'https://id.gs1.org/414/4012345000115' })).events.map((e) => e.bizStep),
    ).toEqual(['commissioning']);
    await expect(queryEpcis(ctx, { GE_eventTime: 'yesterday' })).rejects.toThrow(/GE_eventTime/);

    // export: the licence's chain as a schema-valid EPCIS document
    const exported = await exportEpcis(ctx, licence);
    expect(validateEpcis(exported)).toEqual([]);
    const evs = (exported as { epcisBody: { eventList: { type: string; bizStep: string }[] } }).epcisBody.eventList;
    expect(evs.map((e) => `${e.type}:${e.bizStep}`)).toEqual([
      'ObjectEvent:commissioning',
      'ObjectEvent:shipping',
      'ObjectEvent:receiving',
      'TransformationEvent:commissioning',
    ]);
    expect(JSON.stringify(evs[1])).toContain(MAG_DL);
    expect((evs as unknown as { eventTime: string }[]).map((e) => e.eventTime)).toEqual([
      `${TODAY}T08:00:00+00:00`,
      `${TODAY}T08:30:00+00:00`,
      `${TODAY}T08:50:00+00:00`,
      `${TODAY}T08:55:00+00:00`,
    ]);

    // The document's @context is a column of the projection (migration 0026): the query interface
    // reads it there, not from the signed records, and rebuild refills it from the journal.
    const contexts = await db.selectFrom('epcis_events').select(['seq', 'context']).execute();
    expect(contexts.length).toBeGreaterThan(0);
    for (const c of contexts) expect(c.context).toEqual(doc()['@context']);
    const records = await epcisRepo.recordsOf(
      db,
      contexts.map((c) => c.seq),
    );
    expect(records.map((r) => r.context)).toEqual(contexts.map(() => doc()['@context']));
    expect(records.every((r) => r.recorded_at instanceof Date)).toBe(true);

    // rebuild reproduces the EPCIS projections
    const dump = await dumpProjections(db);
    await rebuild(ctx);
    expect(await dumpProjections(db)).toEqual(dump);
  });

  it('one document whose later events use the lots and links its earlier events made (held in memory until its end, found through them), and rebuild reproduces its projections', async () => {
    const licence = await setup(ctx);
    const db = current().store.db;
    const before = await dumpProjections(db);
    // commissioning links the EPC to a new lot; shipping (same document) finds the lot through that link,
    // a repeat of the commissioning event is a duplicate, and an observation of the EPC is evidence.
    const observe = {
      type: 'ObjectEvent',
      ...at('08:40'),
      quantityList: [kg(MAG, 1)],
      action: 'OBSERVE',
      bizStep: 'inspecting',
    };
    const together = await captureEpcis(
      ctx,
      EXPORTER,
      doc(commissioning(), shipping(licence), commissioning(), observe),
    );
    expect(together.events.map((e) => [e.status, e.use])).toEqual([
      ['mapped', 'createLot'],
      ['mapped', 'dispatchShipment'],
      ['duplicate', undefined],
      ['evidence', undefined],
    ]);
    const oneDocument = await dumpProjections(db);
    expect(oneDocument.epcis_events).toHaveLength(before.epcis_events.length + 3);
    expect(oneDocument.epcis_lot_links.length).toBeGreaterThan(before.epcis_lot_links.length);
    expect(oneDocument.shipments).toHaveLength(before.shipments.length + 1);
    await rebuild(ctx);
    expect(await dumpProjections(db)).toEqual(oneDocument);
  });

  it.runIf(kind === STORES[0])(
    'accepts every official EPCIS 2.0 JSON example (kept as evidence, untracked) and honours error declarations',
    async () => {
      await registerParty(ctx, { id: 'acme', name: 'ACME', country: 'US' });
      const files = walk(EXAMPLES)
        .filter((f) => f.endsWith('.jsonld'))
        .sort();
      expect(files).toHaveLength(47);
      const statuses: Record<string, number> = {};
      for (const f of files) {
        const r = await captureEpcis(ctx, 'acme', JSON.parse(readFileSync(f, 'utf8')));
        for (const ev of r.events) statuses[ev.status] = (statuses[ev.status] ?? 0) + 1;
      }
      // nothing here is tracked by Lodestone (no lot is linked to these identifiers)
      expect(Object.keys(statuses).sort()).toEqual(['duplicate', 'retraction', 'untracked']);
      // Example 9.6.1 with an error declaration retracts the plain Example 9.6.1 shipping event
      const shipped = await queryEpcis(ctx, {
        MATCH_epc: 'urn:epc:id:sgtin:0614141.107346.2017',
        EQ_bizStep: 'shipping',
      });
      expect(shipped.events.find((x) => x.kind === 'event')?.retracted).toBe(true);
      expect(shipped.events.some((x) => x.kind === 'error-declaration')).toBe(true);
    },
  );

  it.runIf(kind === STORES[0])(
    'exports the demo scenario custody chain as a schema-valid EPCIS 2.0 document',
    async () => {
      const demo = await runDemo(ctx);
      const licenceId = demo.report.licences[0]!.licence.id;
      const exported = await exportEpcis(ctx, licenceId);
      expect(validateEpcis(exported)).toEqual([]);
      const evs = (exported as { epcisBody: { eventList: { bizStep: string; eventID: string }[] } }).epcisBody
        .eventList;
      const steps = evs.map((e) => e.bizStep);
      expect(steps[0]).toBe('commissioning');
      expect(steps.filter((s) => s === 'shipping').length).toBeGreaterThanOrEqual(3); // two under the licence, the domestic motor sale
      expect(steps.filter((s) => s === 'receiving').length).toBeGreaterThanOrEqual(2);
      expect(evs.every((e) => e.eventID.startsWith('ni:///sha-256;'))).toBe(true);

      // a lot made outside EPCIS (the demo's motors) linked to an LGTIN: EPCIS events about it are mapped
      const motorsLot = (await listLots(ctx, { holder: IMPORTER })).find((l) => l.id.startsWith('MOT-'))!;
      await linkLotToEpc(ctx, IMPORTER, { lotId: motorsLot.id, epc: MOTORS });
      const sale = shipping(undefined, {
        ...at('08:58'),
        quantityList: [kg(MOTORS, 450)],
        sourceList: [],
        destinationList: [{ type: 'owning_party', destination: party('deccan-mobility') }],
      });
      const sold = await captureEpcis(ctx, IMPORTER, doc(sale));
      expect(sold.events.map((e) => [e.status, e.use])).toEqual([['mapped', 'dispatchShipment']]);
      const toUs = shipping(undefined, {
        ...at('08:58'),
        quantityList: [kg(MOTORS, 45)],
        sourceList: [],
        destinationList: [{ type: 'owning_party', destination: party('lakeshore-ev') }],
      });
      expect((await refused(captureEpcis(ctx, IMPORTER, doc(toUs)))).rules).toContain('PROHIBITED_DESTINATION');
      const scrapped = await captureEpcis(
        ctx,
        IMPORTER,
        doc({
          type: 'ObjectEvent',
          ...at('08:59'),
          quantityList: [kg(MOTORS, 45)],
          action: 'DELETE',
          bizStep: 'destroying',
        }),
      );
      expect(scrapped.events.map((e) => [e.status, e.use, e.ids])).toEqual([['mapped', 'consumeLot', [motorsLot.id]]]);
      expect((await listLots(ctx, { holder: IMPORTER })).find((l) => l.id === motorsLot.id)!.massGrams).toBe(
        motorsLot.massGrams - 450_000 - 45_000,
      );
    },
  );
});
