/**
 * The caseload lists over HTTP, on both stores: search, filters, sorting and server-side
 * pagination (X-Total-Count, Link), decided applications still findable, party names and ownership
 * facts beside an application, bad query parameters refused with the parameter named, and the CSV
 * exports (`?format=csv` and `Accept: text/csv`) including the mass balance.
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { submitApplication } from '../../src/app/index.js';
import { openApiDocument, SERVED_ROUTES } from '../../src/http/index.js';
import { toCsv } from '../../src/http/listing.js';
import { kgText } from '../../src/http/lists.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { applicationBody, AUTHORITY, buildFixture, EXPORTER, IMPORTER } from './fixture.js';
import { harness } from './support.js';

describe('CSV and exact kilograms (pure)', () => {
  it('writes RFC 4180 CSV with quoting, and neutralises cells a spreadsheet would run as formulas', () => {
    const csv = toCsv(
      [
        { a: 'plain', b: 'with, comma and "quotes"' },
        { a: '=HYPERLINK("x")', b: '-5' },
      ],
      [
        { header: 'a', value: (r) => r.a },
        { header: 'b', value: (r) => r.b },
      ],
    );
    expect(csv.split('\r\n')[0]).toBe('a,b');
    expect(parse(csv, { columns: true })).toEqual([
      { a: 'plain', b: 'with, comma and "quotes"' },
      { a: `'=HYPERLINK("x")`, b: "'-5" },
    ]);
  });
  it('prints grams as exact kilograms', () => {
    expect([0, 1, 999, 1000, 1_250_500, 2_000_000, -1500].map(kgText)).toEqual([
      '0',
      '0.001',
      '0.999',
      '1',
      '1250.5',
      '2000',
      '-1.5',
    ]);
  });
});

describe.each(STORES)('caseload lists over HTTP (%s)', (kind) => {
  const fresh = useFreshStore(kind);

  it('applications: pending by default, decided ones findable, names, ownership and certificate facts, search, sort and pages', async () => {
    const h = await harness(fresh().store);
    const fx = await buildFixture(h.ctx);
    // Two more pending applications (not approvable past the certificate, but they wait in the queue).
    const second = await submitApplication(h.ctx, applicationBody(fx.certificateId));
    const third = await submitApplication(h.ctx, applicationBody());
    const auth = await h.credential(AUTHORITY, 'licensing-authority');
    const base = `/v1/authorities/${AUTHORITY}/applications`;

    const pending = await h.call(auth, 'GET', base);
    expect(pending.statusCode).toBe(200);
    expect(pending.json<{ id: string }[]>().map((a) => a.id)).toEqual([second.id, third.id]);
    expect(pending.headers['x-total-count']).toBe('2');

    const decided = await h.call(auth, 'GET', `${base}?status=decided`);
    const [approved] = decided.json<
      {
        id: string;
        status: string;
        parties: Record<string, { name: string; ownership: string[] }>;
        certificate: { id: string; countersignedBy: string; countersignedByName: string; undertakings: unknown };
      }[]
    >();
    expect(approved?.id).toBe(fx.applicationId);
    expect(approved?.status).toBe('approved');
    expect(approved?.parties[EXPORTER]?.name).toBe('Ganzhou Hengyuan Magnetics Co., Ltd.');
    expect(approved?.certificate.id).toBe(fx.certificateId);
    expect(approved?.certificate.countersignedBy).toBe('in-dgft');
    expect(approved?.certificate.undertakings).toMatchObject({ prohibitedDestinations: ['US'] });

    // Search: every word must occur; the certificate id finds the two applications relying on it.
    const all = await h.call(auth, 'GET', `${base}?status=all&q=${encodeURIComponent(fx.certificateId)}`);
    expect(all.json<{ id: string }[]>().map((a) => a.id)).toEqual([fx.applicationId, second.id]);
    expect((await h.call(auth, 'GET', `${base}?status=all&q=chakan+nosuchword`)).json()).toEqual([]);

    // Sorting and pages: newest first, one per page, with links to the neighbours.
    const page1 = await h.call(auth, 'GET', `${base}?status=all&sort=submitted&order=desc&limit=1`);
    expect(page1.json<{ id: string }[]>().map((a) => a.id)).toEqual([third.id]);
    expect(page1.headers['x-total-count']).toBe('3');
    expect(page1.headers.link).toContain('rel="next"');
    expect(page1.headers.link).not.toContain('rel="prev"');
    const next = /<([^>]+)>; rel="next"/.exec(String(page1.headers.link))?.[1] ?? '';
    const page2 = await h.call(auth, 'GET', next);
    expect(page2.json<{ id: string }[]>().map((a) => a.id)).toEqual([second.id]);
    expect(page2.headers.link).toContain('rel="prev"');

    // Bad parameters: 400 naming the parameter.
    for (const [q, field] of [
      ['sort=colour', 'query.sort'],
      ['limit=0', 'query.limit'],
      ['limit=ten', 'query.limit'],
      ['offset=-1', 'query.offset'],
      ['status=lost', 'query.status'],
      ['format=xml', 'query.format'],
      ['colour=red', 'query.colour'],
    ] as const) {
      const bad = await h.call(auth, 'GET', `${base}?${q}`);
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json<{ field: string }>().field, q).toBe(field);
    }
    await h.app.close();
  });

  it('licences with utilisation, certificates, alerts and lots: filters, and CSV by ?format=csv or Accept', async () => {
    const h = await harness(fresh().store);
    const fx = await buildFixture(h.ctx);
    const auth = await h.credential(AUTHORITY, 'licensing-authority');
    const importer = await h.credential(IMPORTER, 'importer');

    const licences = await h.call(auth, 'GET', '/v1/console/licences');
    const [lic] =
      licences.json<
        { id: string; names: { holder: string }; utilisation: { grantedGrams: number; shippedGrams: number } }[]
      >();
    expect(lic?.id).toBe(fx.licenceId);
    expect(lic?.names.holder).toBe('Ganzhou Hengyuan Magnetics Co., Ltd.');
    // 1,500 kg shipped, and the fixture's alert shipment of 1 g.
    expect(lic?.utilisation).toMatchObject({ grantedGrams: 2_000_000, shippedGrams: 1_500_001 });
    expect((await h.call(auth, 'GET', '/v1/console/licences?status=revoked')).json()).toEqual([]);

    const csv = await h.call(auth, 'GET', '/v1/console/licences?format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="licences.csv"');
    const rows = parse<Record<string, string>>(csv.body, { columns: true });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      licence: fx.licenceId,
      'granted (kg)': '2000',
      'shipped (kg)': '1500.001',
      'remaining (kg)': '499.999',
    });
    const byAccept = await h.call(auth, 'GET', '/v1/console/licences', { headers: { accept: 'text/csv' } });
    expect(byAccept.headers['content-type']).toMatch(/^text\/csv/);
    expect(byAccept.body).toBe(csv.body);

    const alerts = await h.call(auth, 'GET', '/v1/console/alerts?format=csv&status=open');
    const alertRows = parse<Record<string, string>>(alerts.body, { columns: true });
    expect(alertRows.map((r) => r.alert)).toContain(fx.alertId);
    expect(alertRows.every((r) => r.status === 'open' && r.licence === fx.licenceId)).toBe(true);
    expect((await h.call(auth, 'GET', '/v1/console/alerts?severity=loud')).json<{ field: string }>().field).toBe(
      'query.severity',
    );

    const certs = await h.call(importer, 'GET', '/v1/console/certificates?countersigned=yes');
    expect(certs.json<{ id: string; names: { countersignedBy: string } }[]>().map((c) => c.id)).toEqual([
      fx.certificateId,
    ]);
    expect((await h.call(importer, 'GET', '/v1/console/certificates?countersigned=no')).json()).toEqual([]);

    const lots = await h.call(importer, 'GET', `/v1/lots?licence=${fx.licenceId}&sort=mass&order=desc`);
    expect(lots.json<{ id: string }[]>().map((l) => l.id)).toEqual([fx.lots.motors, fx.lots.imported]);
    expect((await h.call(importer, 'GET', '/v1/lots?q=MOT-1')).json<{ id: string }[]>().map((l) => l.id)).toEqual([
      fx.lots.motors,
    ]);

    const mb = await h.call(auth, 'GET', `/v1/licences/${fx.licenceId}/mass-balance?format=csv`);
    expect(mb.headers['content-type']).toMatch(/^text\/csv/);
    const mbRows = parse<Record<string, string>>(mb.body, { columns: true });
    expect(mbRows.find((r) => r.level === 'holder' && r.holder === IMPORTER)).toMatchObject({
      'received (kg)': '1500',
      'transformed out (kg)': '1200',
    });
    expect((await h.call(auth, 'GET', `/v1/licences/${fx.licenceId}/mass-balance`)).json()).toMatchObject({
      licenceId: fx.licenceId,
    });
    await h.app.close();
  });
});

describe('OpenAPI document of the lists', () => {
  it('documents the list parameters, the paging headers and the CSV rendering', () => {
    const doc = openApiDocument(SERVED_ROUTES) as {
      paths: Record<string, Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>>;
    };
    for (const path of [
      '/v1/authorities/{id}/applications',
      '/v1/console/licences',
      '/v1/console/certificates',
      '/v1/console/alerts',
      '/v1/lots',
    ]) {
      const op = doc.paths[path]?.get;
      const names = op?.parameters.map((p) => p.name) ?? [];
      expect(names, path).toEqual(expect.arrayContaining(['q', 'sort', 'order', 'limit', 'offset', 'format']));
      const ok = op?.responses['200'] as { headers: Record<string, unknown>; content: Record<string, unknown> };
      expect(Object.keys(ok.content), path).toEqual(['application/json', 'text/csv']);
      expect(Object.keys(ok.headers), path).toEqual(['X-Total-Count', 'Link']);
    }
    const mb = doc.paths['/v1/licences/{id}/mass-balance']?.get?.responses['200'] as { content: object };
    expect(Object.keys(mb.content)).toContain('text/csv');
  });
});
