import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, signerFromPem, signRequest } from '../../src/trust/index.js';
import { journalRepo } from '../../src/store/index.js';
import { verifyBundle } from '../../src/verify/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { clock, example, harness, TODAY, type Harness } from './support.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const AUTHORITY = 'cn-mofcom';
const IMPORTER = 'chakan-drive-systems';
const GOVERNMENT = 'in-dgft';
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const motor = example('items/traction-motor.json');
const endUse = {
  description: 'Rotor magnets for 150 kW traction motors of electric passenger cars, made and sold in India',
  purposes: ['civil-automotive'],
  endProduct: 'EV traction motors',
};

describe.each(STORES)('the demo scenario over HTTP (%s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  beforeAll(async () => {
    ts = await freshStore(kind);
    h = await harness(ts.store);
  }, 120_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });

  it('certificate, application, decision, shipments, transformation, refused re-export with its explanation, audit bundle that verifies', async () => {
    const exporter = await h.credential(EXPORTER, 'exporter');
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const importer = await h.credential(IMPORTER, 'importer');
    const government = await h.credential(GOVERNMENT, 'importing-government');
    const admin = await h.credential(null, 'operator-admin');
    const ok = (r: { statusCode: number; body: string }, status = 201) => {
      expect(r.statusCode, r.body).toBe(status);
      return JSON.parse(r.body) as Record<string, unknown>;
    };

    // An auditor registers over the API with a key only it holds; the operator admin submits it, signed by that key.
    const auditorKey = generateKeyPair();
    const auditorParty = { id: 'kpmg-audit-in', name: 'Audit Partners India', country: 'IN', sector: 'other' };
    const regBody = JSON.stringify({ party: auditorParty, publicKey: auditorKey.publicKey });
    const reg = await h.call(admin, 'POST', '/v1/parties', {
      raw: regBody,
      signature: signRequest(signerFromPem(auditorKey.privateKeyPem), {
        method: 'POST',
        path: '/v1/parties',
        body: regBody,
        now: clock(),
      }),
    });
    expect(ok(reg)).toMatchObject({ keyId: auditorKey.keyId });
    h.useSigner('kpmg-audit-in', signerFromPem(auditorKey.privateKeyPem));
    const auditor = await h.credential('kpmg-audit-in', 'auditor');

    const cert = ok(
      await h.call(importer, 'POST', '/v1/certificates', {
        body: {
          exporter: EXPORTER,
          importer: IMPORTER,
          endUser: IMPORTER,
          items: [
            {
              controlCode: '1C905.a',
              hsCode: '8505111000',
              description: 'Sintered NdFeB magnets 45SH containing Dy',
              quantityGrams: 2_000_000,
              value: { currency: 'USD', minor: 16_000_000 },
            },
          ],
          endUse,
          undertakings: {
            noWmdUse: true,
            noMilitaryUse: true,
            noReexportWithoutConsent: true,
            consentAuthority: AUTHORITY,
            prohibitedDestinations: ['US'],
            useOnlyIn: 'IN',
            extendsToIncorporatingProducts: true,
            postShipmentVerificationConsent: true,
            noticeOfChanges: true,
          },
          validity: { from: TODAY, until: '2027-11-23' },
        },
      }),
    );
    const certId = cert.id as string;
    ok(await h.call(government, 'POST', `/v1/certificates/${encodeURIComponent(certId)}/countersign`));
    expect(
      ok(await h.call(exporter, 'GET', `/v1/certificates/${encodeURIComponent(certId)}/verification`), 200),
    ).toMatchObject({ ok: true });

    ok(
      await h.call(exporter, 'POST', '/v1/lots', {
        body: {
          id: 'MAG-1',
          holder: EXPORTER,
          location: 'CN',
          item: magnet,
          massGrams: 2_500_000,
          value: { currency: 'USD', minor: 20_000_000 },
        },
      }),
    );
    const app = ok(
      await h.call(exporter, 'POST', '/v1/applications', {
        body: {
          authority: AUTHORITY,
          applicant: EXPORTER,
          importer: IMPORTER,
          endUser: IMPORTER,
          destination: 'IN',
          endUse,
          licenceType: 'single',
          lines: [{ ref: 'L1', item: magnet, quantityGrams: 2_000_000, value: { currency: 'USD', minor: 16_000_000 } }],
          certificateId: certId,
          validFrom: TODAY,
          validUntil: '2027-11-23',
        },
      }),
    );
    const pending = ok(await h.call(authority, 'GET', `/v1/authorities/${AUTHORITY}/applications`), 200) as unknown as {
      id: string;
    }[];
    expect(pending.map((a) => a.id)).toContain(app.id);
    const decision = ok(
      await h.call(authority, 'POST', `/v1/applications/${app.id as string}/decision`, {
        body: {
          decision: 'approve',
          conditions: {
            prohibitedReexportDestinations: ['US'],
            useOnlyIn: 'IN',
            conditions: ['No military or defence use.'],
          },
        },
      }),
    );
    const licenceId = (decision.licence as { id: string }).id;

    for (const [n, grams] of [
      [1, 1_200_000],
      [2, 800_000],
    ] as const) {
      ok(
        await h.call(exporter, 'POST', '/v1/shipments', {
          body: {
            id: `SH-${n}`,
            fromLot: 'MAG-1',
            to: IMPORTER,
            destination: 'IN',
            grams,
            value: { currency: 'USD', minor: grams * 8 },
            licenceId,
            lineRef: 'L1',
          },
        }),
      );
      ok(
        await h.call(importer, 'POST', `/v1/shipments/SH-${n}/receipt`, {
          body: { lotId: `IN-MAG-${n}`, receivedGrams: grams },
        }),
      );
    }
    const over = await h.call(exporter, 'POST', '/v1/shipments', {
      body: {
        id: 'SH-3',
        fromLot: 'MAG-1',
        to: IMPORTER,
        destination: 'IN',
        grams: 100_000,
        value: { currency: 'USD', minor: 800_000 },
        licenceId,
        lineRef: 'L1',
      },
    });
    expect(over.statusCode).toBe(422);

    ok(
      await h.call(importer, 'POST', '/v1/transformations', {
        body: {
          id: 'T-1',
          inputs: [{ lotId: 'IN-MAG-1', grams: 1_200_000 }],
          otherInputsGrams: 43_800_000,
          outputs: [
            {
              lotId: 'MOT-1',
              item: motor,
              massGrams: 45_000_000,
              units: 1000,
              value: { currency: 'USD', minor: 120_000_000 },
              embodies: [{ lotId: 'IN-MAG-1', grams: 1_200_000 }],
            },
          ],
        },
      }),
    );

    // The refused re-export: the check explains it, and the shipment is refused with the same rules and writes nothing.
    const check = ok(
      await h.call(importer, 'GET', '/v1/export-check?lot=MOT-1&to=lakeshore-ev&destination=US'),
      200,
    ) as { allowed: boolean; refusals: { rule: string; message: string }[] };
    expect(check.allowed).toBe(false);
    expect(check.refusals.map((r) => r.message).join('\n')).toMatch(/US/);
    const before = await journalRepo.count(h.ctx.store.db);
    const refused = await h.call(importer, 'POST', '/v1/shipments', {
      body: {
        id: 'SH-M2',
        fromLot: 'MOT-1',
        to: 'lakeshore-ev',
        destination: 'US',
        grams: 4_500_000,
        units: 100,
        value: { currency: 'USD', minor: 12_000_000 },
      },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    const p = refused.json<{ code: string; refusals: { rule: string }[]; detail: string }>();
    expect(p.code).toBe('REFUSED');
    expect(p.refusals.map((r) => r.rule)).toEqual(check.refusals.map((r) => r.rule));
    expect(await journalRepo.count(h.ctx.store.db)).toBe(before);
    ok(
      await h.call(importer, 'POST', '/v1/shipments', {
        body: {
          id: 'SH-M1',
          fromLot: 'MOT-1',
          to: 'deccan-mobility',
          destination: 'IN',
          grams: 22_500_000,
          units: 500,
          value: { currency: 'USD', minor: 60_000_000 },
        },
      }),
    );

    const licence = ok(await h.call(authority, 'GET', `/v1/licences/${licenceId}`), 200) as {
      balance: { shippedGrams: number }[];
    };
    expect(licence.balance[0]?.shippedGrams).toBe(2_000_000);
    const mb = ok(await h.call(authority, 'GET', `/v1/licences/${licenceId}/mass-balance`), 200) as {
      holders: { gap: number }[];
    };
    expect(mb.holders.every((x) => x.gap === 0)).toBe(true);

    // The auditor sees nothing until the authority grants it the bundle; then the bundle verifies offline.
    expect((await h.call(auditor, 'GET', `/v1/licences/${licenceId}/audit-bundle`)).statusCode).toBe(404);
    ok(
      await h.call(authority, 'POST', `/v1/licences/${licenceId}/auditor-grants`, {
        body: { auditor: 'kpmg-audit-in' },
      }),
    );
    const bundle = await h.call(auditor, 'GET', `/v1/licences/${licenceId}/audit-bundle`);
    expect(bundle.statusCode, bundle.body).toBe(200);
    const summary = verifyBundle(bundle.body);
    expect(summary).toMatchObject({ licence: licenceId });
  }, 120_000);
});
