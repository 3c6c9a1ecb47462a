import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/index.js';
import {
  bizStepIri,
  bizStepTerm,
  canonicalGs1Uri,
  documentEvents,
  EPCIS_JSON_SCHEMA,
  epcMatches,
  eventHashId,
  gs1CheckDigit,
  massToGrams,
  parseEpc,
  preHashString,
  validateEpcis,
} from '../../src/epcis/index.js';
import { expectThrowsCode } from '../support/errors.js';
import { epcisSchemaModule, SCHEMA_JSON, SCHEMA_MODULE } from '../../scripts/generate-epcis-schema.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/epcis/', import.meta.url));
const VECTORS = join(FIXTURES, 'event-hash-vectors');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}
const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8')) as unknown;

describe('EPCIS 2.0 JSON Schema', () => {
  it('the schema constant is the committed official JSON file', () => {
    expect(EPCIS_JSON_SCHEMA).toEqual(
      readJson(fileURLToPath(new URL('../../src/epcis/schema/EPCIS-JSON-Schema.json', import.meta.url))),
    );
  });

  it('the schema module is byte for byte what npm run generate:epcis-schema writes (not reformatted)', () => {
    expect(readFileSync(SCHEMA_MODULE, 'utf8')).toBe(epcisSchemaModule(readFileSync(SCHEMA_JSON, 'utf8')));
  });

  const examples = walk(join(FIXTURES, 'examples-json')).filter((f) => f.endsWith('.jsonld'));
  it('has all 47 official JSON examples as fixtures', () => {
    expect(examples).toHaveLength(47);
  });
  it.each(examples.map((f) => [f.slice(FIXTURES.length)]))('accepts the official example %s', (f) => {
    expect(validateEpcis(readJson(join(FIXTURES, f)))).toEqual([]);
  });

  it('names the path and the schema message of a violation', () => {
    const doc = readJson(join(FIXTURES, 'examples-json/Example_9.6.1-ObjectEvent.jsonld')) as {
      epcisBody: { eventList: Record<string, unknown>[] };
    };
    const ev = doc.epcisBody.eventList[0]!;
    ev.action = 'SHIP';
    const errors = validateEpcis(doc);
    expect(errors[0]).toMatchObject({ path: '/epcisBody/eventList/0/action' });
    expect(errors[0]!.message).toMatch(/allowed values/);
    delete ev.eventTime;
    ev.action = 'OBSERVE';
    expect(validateEpcis(doc).some((e) => /eventTime/.test(e.message))).toBe(true);
    expect(validateEpcis({ type: 'EPCISDocument' }).length).toBeGreaterThan(0);
    expect(validateEpcis('not an object').length).toBeGreaterThan(0);
  });
});

describe('CBV 2.0 §8.9 event hash ID', () => {
  const docs = readdirSync(VECTORS).filter((f) => f.endsWith('.jsonld'));
  it('has the 22 JSON-LD vectors with .hashes', () => {
    expect(docs).toHaveLength(22);
  });
  it.each(docs.map((d) => [d]))('reproduces %s', (name) => {
    const doc = readJson(join(VECTORS, name));
    const { events, context } = documentEvents(doc);
    const expected = readFileSync(join(VECTORS, name.replace(/\.jsonld$/, '.hashes')), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(events.map((e) => eventHashId(e, context))).toEqual(expected);
  });

  it('does not depend on key order, identifier syntax, bare term vs IRI, or time zone', () => {
    const a = {
      type: 'ObjectEvent',
      eventTime: '2025-03-01T10:00:00+01:00',
      eventTimeZoneOffset: '+01:00',
      epcList: ['urn:epc:id:sgtin:4012345.011111.9876'],
      action: 'OBSERVE',
      bizStep: 'shipping',
    };
    const b = {
      bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping',
      action: 'OBSERVE',
      epcList: ['https://example.com/01/04012345111118/21/9876?x=1'],
      eventTimeZoneOffset: '+01:00',
      eventTime: '2025-03-01T09:00:00.000Z',
      type: 'ObjectEvent',
    };
    expect(eventHashId(a)).toBe(eventHashId(b));
    expect(eventHashId({ ...a, recordTime: '2025-03-02T00:00:00Z', eventID: 'urn:uuid:1' })).toBe(eventHashId(a));
    expect(eventHashId({ ...a, action: 'ADD' })).not.toBe(eventHashId(a));
    expect(preHashString(a)).toBe(
      'eventType=ObjectEventeventTime=2025-03-01T09:00:00.000ZeventTimeZoneOffset=+01:00epcListepc=https://id.gs1.org/01/04012345111118/21/9876action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shipping',
    );
  });

  it('is independent of the order of list elements (property)', () => {
    const epcs = fc.uniqueArray(
      fc.integer({ min: 1, max: 99999 }).map((n) => `urn:epc:id:sgtin:4012345.011111.${n}`),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(epcs, fc.context(), (list, c) => {
        const shuffled = [...list].reverse();
        c.log(JSON.stringify(shuffled));
        const e = (l: string[]) => ({
          type: 'ObjectEvent',
          eventTime: '2025-01-01T00:00:00Z',
          eventTimeZoneOffset: '+00:00',
          epcList: l,
          action: 'OBSERVE',
        });
        return eventHashId(e(list)) === eventHashId(e(shuffled));
      }),
    );
  });
});

describe('GS1 identifiers', () => {
  it('computes GS1 check digits', () => {
    expect(gs1CheckDigit('0401234511111')).toBe('8');
    expect(gs1CheckDigit('1061414107346')).toBe('4');
  });

  it('parses SGTIN, LGTIN and SSCC as EPC URNs and as Digital Link URIs to one canonical form', () => {
    expect(parseEpc('urn:epc:id:sgtin:4012345.011111.9876')).toEqual({
      kind: 'sgtin',
      gtin: '04012345111118',
      serial: '9876',
      uri: 'https://id.gs1.org/01/04012345111118/21/9876',
    });
    expect(parseEpc('https://id.gs1.org/01/04012345111118/21/9876')).toEqual(
      parseEpc('urn:epc:id:sgtin:4012345.011111.9876'),
    );
    expect(parseEpc('urn:epc:class:lgtin:4012345.012345.LOT-7')).toEqual({
      kind: 'lgtin',
      gtin: '04012345123456',
      lot: 'LOT-7',
      uri: 'https://id.gs1.org/01/04012345123456/10/LOT-7',
    });
    expect(parseEpc('https://id.gs1.org/01/04012345123456/10/LOT-7')?.kind).toBe('lgtin');
    expect(parseEpc('https://brand.example.com/gtin/4012345123456/lot/LOT-7?linkType=all')).toMatchObject({
      kind: 'lgtin',
      uri: 'https://id.gs1.org/01/04012345123456/10/LOT-7',
    });
    expect(parseEpc('urn:epc:id:sscc:4012345.0000000111')).toEqual({
      kind: 'sscc',
      sscc: '040123450000001112',
      uri: 'https://id.gs1.org/00/040123450000001112',
    });
    expect(parseEpc('urn:epc:idpat:sgtin:4012345.012345.*')).toMatchObject({ kind: 'gtin', gtin: '04012345123456' });
    expect(parseEpc('urn:epc:id:sgln:4012345.00011.0')).toBeUndefined();
    expect(canonicalGs1Uri('urn:epc:id:sgln:4012345.00011.0')).toBe('https://id.gs1.org/414/4012345000115');
    expect(parseEpc('urn:epc:id:sgtin:4012345.011111')).toBeUndefined();
    expect(parseEpc('urn:epc:id:sgtin:401234.011111.1')).toBeUndefined(); // 6 + 6 digits ≠ 13
    expect(parseEpc('not a uri')).toBeUndefined();
  });

  it('matches class-level patterns against instances and lots (MATCH_epc wildcard)', () => {
    expect(epcMatches('urn:epc:id:sgtin:4012345.012345.1', 'urn:epc:idpat:sgtin:4012345.012345.*')).toBe(true);
    expect(epcMatches('https://id.gs1.org/01/04012345123456/10/L1', 'https://id.gs1.org/01/04012345123456')).toBe(true);
    expect(epcMatches('urn:epc:id:sgtin:4012345.012345.1', 'https://id.gs1.org/01/04012345123456/21/1')).toBe(true);
    expect(epcMatches('urn:epc:id:sgtin:4012345.012345.1', 'urn:epc:idpat:sgtin:4012345.099999.*')).toBe(false);
  });

  it('reads bizStep as a bare term, a CBV IRI or a CBV 1.x URN', () => {
    expect(bizStepTerm('shipping')).toBe('shipping');
    expect(bizStepTerm('https://ref.gs1.org/cbv/BizStep-shipping')).toBe('shipping');
    expect(bizStepTerm('urn:epcglobal:cbv:bizstep:receiving')).toBe('receiving');
    expect(bizStepTerm('https://example.com/steps/x')).toBe('https://example.com/steps/x');
    expect(bizStepIri('receiving')).toBe('https://ref.gs1.org/cbv/BizStep-receiving');
  });
});

describe('quantities in whole grams', () => {
  it('converts KGM, GRM and TNE exactly, from numbers and decimal strings', () => {
    expect(massToGrams(1200, 'KGM', 'q')).toBe(1_200_000);
    expect(massToGrams(0.001, 'KGM', 'q')).toBe(1);
    expect(massToGrams('12.345', 'KGM', 'q')).toBe(12_345);
    expect(massToGrams(1.1, 'KGM', 'q')).toBe(1100); // no float error: 1.1 * 1000 = 1100.0000000000002 in floating point
    expect(massToGrams(0.3, 'TNE', 'q')).toBe(300_000);
    expect(massToGrams('1e3', 'GRM', 'q')).toBe(1000);
    expect(massToGrams(4.35, 'KGM', 'q')).toBe(4350);
  });

  it('refuses sub-gram precision, negatives, non-mass units and overflow, naming the field', () => {
    expect(
      expectThrowsCode(() => massToGrams(0.0005, 'KGM', 'events[0].quantityList[0]'), ValidationError, 'INVALID_INPUT')
        .message,
    ).toMatch(/events\[0\]\.quantityList\[0\]\.quantity: .*not a whole number of grams/);
    expectThrowsCode(() => massToGrams(-1, 'KGM', 'q'), ValidationError, 'INVALID_INPUT');
    expect(expectThrowsCode(() => massToGrams(1, 'LTR', 'q'), ValidationError, 'INVALID_INPUT').field).toBe('q.uom');
    expectThrowsCode(() => massToGrams(1e20, 'KGM', 'q'), ValidationError, 'INVALID_INPUT');
    expectThrowsCode(() => massToGrams('abc', 'KGM', 'q'), ValidationError, 'INVALID_INPUT');
  });

  it('every kilogram amount with up to three decimals converts exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (g) => {
        const kg = Number(`${Math.floor(g / 1000)}.${String(g % 1000).padStart(3, '0')}`);
        return massToGrams(kg, 'KGM', 'q') === g;
      }),
    );
  });
});
