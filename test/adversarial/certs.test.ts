/**
 * Issue 18, items 2–4, attacked through the public interfaces: the real CLI (in-process `main`,
 * same exit statuses) and the HTTP API with signed requests, on both stores for the API.
 *
 * - item 2: after `certificates revoke`, a shipment under the licence built on it is refused
 *   (CERTIFICATE_REVOKED, exit 7 / 422) and writes nothing; the licence shows as suspended; the
 *   authority is alerted; material already shipped carries the revocation; a rebuild reproduces it.
 * - item 3: a certificate's quantity is a ceiling across all its licences; a second licence past the
 *   remainder is refused (CERTIFICATE_OVERCLAIMED, naming the remainder); the ledger shows who claims what.
 * - item 4: an approval that leaves out the end user's "no re-export to US" still yields restrictions
 *   that refuse the US; an approval that contradicts an undertaking is refused (UNDERTAKING_REMOVED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLot,
  countersignCertificate,
  dispatchShipment,
  issueCertificate,
  receiveShipment,
  submitApplication,
} from '../../src/app/index.js';
import {
  applicationBody,
  AUTHORITY,
  certificateBody,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
  magnet,
} from '../http/fixture.js';
import { harness, type Harness } from '../http/support.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { CliStore } from './certs.support.js';

const value = (g: number) => ({ currency: 'USD', minor: g * 8 });

describe('item 2: revocation stops material (CLI)', () => {
  const s = new CliStore();
  beforeAll(async () => {
    await s.setup();
  }, 120_000);
  afterAll(async () => {
    await s.dispose();
  });

  it('item 2: revoking the certificate suspends its licence, refuses the next shipment naming the revocation, alerts the authority, marks shipped material; rebuild reproduces it', async () => {
    const cert = await s.issue(2_000_000);
    const licence = await s.approve(await s.apply(cert, 1_000_000), {
      prohibitedReexportDestinations: ['US'],
      useOnlyIn: 'IN',
    });
    await s.lot('MAG-R', 1_000_000);
    expect((await s.ship('SH-R1', 'MAG-R', 300_000, licence)).code).toBe(0);
    await s.receive('SH-R1', 'IN-R1', 300_000);
    expect((await s.ship('SH-R2', 'MAG-R', 100_000, licence)).code).toBe(0); // in transit when the certificate is revoked

    const revoked = await s.run(
      'certificates',
      'revoke',
      cert,
      '--as',
      GOVERNMENT,
      '--reason',
      'end user taken over by a listed party',
    );
    expect(revoked.code).toBe(0);

    const before = await s.journal();
    const refused = await s.ship('SH-R3', 'MAG-R', 100_000, licence);
    expect(refused.code).toBe(7);
    expect(refused.err).toMatch(
      new RegExp(
        `refused \\(CERTIFICATE_REVOKED\\): licence ${licence} is suspended since journal entry \\d+: certificate ${cert} revoked by ${GOVERNMENT}: end user taken over by a listed party`,
      ),
    );
    expect(await s.journal()).toBe(before);
    expect(revoked.out).toContain(`suspended licence ${licence}`);

    const shown = await s.ok('licence', licence);
    expect(shown).toContain(`${licence} (suspended)`);
    expect(shown).toMatch(/SUSPENDED since journal entry \d+: certificate .* revoked by in-dgft/);

    const alerts = (await s.ok('alerts', '--licence', licence, '--json'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; raisedBy: string; trigger: string });
    expect(alerts).toContainEqual(
      expect.objectContaining({ rule: 'certificate-revoked', raisedBy: AUTHORITY, trigger: 'revocation' }),
    );

    // Material already shipped carries the revocation: the received lot, and the lot received from the shipment in transit.
    await s.receive('SH-R2', 'IN-R2', 100_000);
    const lots = JSON.parse(await s.ok('lots', 'list', '--json', '--holder', IMPORTER)) as {
      id: string;
      restrictions: { certificateId?: string; certificateRevoked?: { seq: number; reason: string } }[];
    }[];
    for (const id of ['IN-R1', 'IN-R2']) {
      const lot = lots.find((l) => l.id === id);
      expect(lot?.restrictions[0]).toMatchObject({
        certificateId: cert,
        certificateRevoked: { reason: 'end user taken over by a listed party' },
      });
    }
    const checked = await s.run('check', 'IN-R1', '--to', 'deccan-mobility', '--destination', 'JP');
    expect(checked.code, 'check answers REFUSED with exit 7').toBe(7);
    const check = checked.out;
    expect(check).toMatch(/CERTIFICATE_REVOKED: the end-user certificate .* was revoked/);

    expect((await s.run('rebuild')).code).toBe(0);
    expect(await s.ok('licence', licence)).toContain(`${licence} (suspended)`);
    const again = await s.ship('SH-R4', 'MAG-R', 1_000, licence);
    expect(again.code).toBe(7);
    expect(again.err).toContain('CERTIFICATE_REVOKED');
  }, 240_000);
});

describe('item 3: no double claim (CLI)', () => {
  const s = new CliStore();
  beforeAll(async () => {
    await s.setup();
  }, 120_000);
  afterAll(async () => {
    await s.dispose();
  });

  it("item 3: no double claim — a second licence past the certificate's remainder is refused naming the remainder; the ledger shows who claims what", async () => {
    const cert = await s.issue(2_000_000);
    const first = await s.approve(await s.apply(cert, 1_500_000), { prohibitedReexportDestinations: ['US'] });
    const second = await s.apply(cert, 2_000_000);
    const before = await s.journal();
    const refused = await s.decide(second, { prohibitedReexportDestinations: ['US'] });
    expect(refused.code).toBe(7);
    expect(refused.err).toMatch(
      new RegExp(
        `refused \\(CERTIFICATE_OVERCLAIMED\\): certificate ${cert} covers 2 t \\(2,000,000 g\\) of 1C905.a \\(HS 8505111000\\) across all its licences; 1.5 t \\(1,500,000 g\\) is claimed already \\(${first} 1.5 t \\(1,500,000 g\\)\\), 500 kg \\(500,000 g\\) remains, and this approval claims 2 t \\(2,000,000 g\\)`,
      ),
    );
    expect(await s.journal()).toBe(before);
    // Lowering the ceiling to the remainder is allowed; then nothing remains.
    const third = await s.approve(second, {
      prohibitedReexportDestinations: ['US'],
      ceilings: { L1: { grams: 500_000 } },
    });
    const fourth = await s.apply(cert, 1_000);
    expect((await s.decide(fourth, { prohibitedReexportDestinations: ['US'] })).code).toBe(7);
    const shown = await s.ok('certificates', 'show', cert);
    expect(shown).toContain(
      'claimed of 1C905.a (HS 8505111000): 2 t (2,000,000 g) of 2 t (2,000,000 g), 0 g remaining',
    );
    expect(shown).toContain(`${first} (active): 1.5 t (1,500,000 g)`);
    expect(shown).toContain(`${third} (active): 500 kg (500,000 g)`);
  }, 240_000);
});

describe("item 4: the end user's undertakings travel (CLI)", () => {
  const s = new CliStore();
  beforeAll(async () => {
    await s.setup();
  }, 120_000);
  afterAll(async () => {
    await s.dispose();
  });

  it('item 4: an approval that leaves out "no re-export to US" still refuses the US downstream; one that contradicts an undertaking is refused', async () => {
    const cert = await s.issue(2_000_000);
    // The authority names no conditions at all: the certificate's undertakings are joined in.
    const licence = await s.approve(await s.apply(cert, 1_000_000), { prohibitedReexportDestinations: [] });
    expect(await s.ok('licence', licence)).toContain('no re-export to US; use only in IN');
    await s.lot('MAG-U', 1_000_000);
    expect((await s.ship('SH-U1', 'MAG-U', 500_000, licence)).code).toBe(0);
    await s.receive('SH-U1', 'IN-U1', 500_000);
    const checked = await s.run('check', 'IN-U1', '--to', 'lakeshore-ev', '--destination', 'US');
    expect(checked.code, 'check answers REFUSED with exit 7').toBe(7);
    const check = checked.out;
    expect(check).toMatch(/PROHIBITED_DESTINATION: United States \(US\) is a prohibited destination/);
    const lots = JSON.parse(await s.ok('lots', 'list', '--json', '--holder', IMPORTER)) as {
      id: string;
      restrictions: { prohibitedDestinations: string[]; useOnlyIn?: string; clauses: string[] }[];
    }[];
    const r = lots.find((l) => l.id === 'IN-U1')?.restrictions[0];
    expect(r).toMatchObject({ prohibitedDestinations: ['US'], useOnlyIn: 'IN' });
    expect(r?.clauses).toEqual(
      expect.arrayContaining([
        'no re-export to US',
        `no military use (certificate ${cert})`,
        `no use in weapons of mass destruction (certificate ${cert})`,
      ]),
    );

    const other = await s.apply(cert, 100_000);
    const before = await s.journal();
    const moved = await s.decide(other, { prohibitedReexportDestinations: ['US'], useOnlyIn: 'AE' });
    expect(moved.code).toBe(7);
    expect(moved.err).toMatch(
      /refused \(UNDERTAKING_REMOVED\): conditions.useOnlyIn: the end user undertook to use the items only in IN; the approval says AE/,
    );
    const released = await s.decide(other, {
      prohibitedReexportDestinations: ['US'],
      extendsToIncorporatingProducts: false,
    });
    expect(released.code).toBe(7);
    expect(released.err).toMatch(/UNDERTAKING_REMOVED\): conditions.extendsToIncorporatingProducts/);
    expect(await s.journal()).toBe(before);
  }, 240_000);
});

describe.each(STORES)('items 2–4 over the HTTP API on %s', (kind) => {
  const current = useFreshStore(kind);
  let h: Harness;
  let certificateId: string;
  let licenceId: string;

  /** The scenario's certificate (2 t, "no re-export to US", "use only in IN") and a licence on all of it, approved over the API with these conditions. */
  async function setup(
    conditions: Record<string, unknown> = { prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' },
  ): Promise<{ prohibitedReexportDestinations: string[]; useOnlyIn?: string }> {
    h = await harness(current().store);
    const cert = await issueCertificate(h.ctx, IMPORTER, certificateBody());
    await countersignCertificate(h.ctx, GOVERNMENT, cert.id);
    certificateId = cert.id;
    await createLot(h.ctx, EXPORTER, {
      id: 'MAG-1',
      holder: EXPORTER,
      location: 'CN',
      item: magnet,
      massGrams: 2_500_000,
      value: value(2_500_000),
    });
    const app = await submitApplication(h.ctx, applicationBody(cert.id));
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const decided = await h.call(authority, 'POST', `/v1/applications/${app.id}/decision`, {
      body: { decision: 'approve', conditions },
    });
    expect(decided.statusCode).toBe(201);
    const licence = decided.json<{
      licence: { id: string; prohibitedReexportDestinations: string[]; useOnlyIn?: string };
    }>().licence;
    licenceId = licence.id;
    return licence;
  }

  it("item 2 (HTTP): revoke → the shipment is 422 CERTIFICATE_REVOKED and writes nothing; GET licence says suspended; the authority's scan raises the alert", async () => {
    await setup();
    const exporter = await h.credential(EXPORTER, 'exporter');
    const shipped = await h.call(exporter, 'POST', '/v1/shipments', {
      body: {
        id: 'SH-1',
        fromLot: 'MAG-1',
        to: IMPORTER,
        destination: 'IN',
        grams: 500_000,
        value: value(500_000),
        licenceId,
        lineRef: 'L1',
      },
    });
    expect(shipped.statusCode).toBe(201);
    const government = await h.credential(GOVERNMENT, 'importing-government');
    const revoked = await h.call(government, 'POST', `/v1/certificates/${certificateId}/revoke`, {
      body: { reason: 'change of control' },
    });
    expect(revoked.statusCode).toBe(201);
    const count = async () =>
      Number(
        (
          await h.ctx.store.db
            .selectFrom('journal')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const refused = await h.call(exporter, 'POST', '/v1/shipments', {
      body: {
        id: 'SH-2',
        fromLot: 'MAG-1',
        to: IMPORTER,
        destination: 'IN',
        grams: 100_000,
        value: value(100_000),
        licenceId,
        lineRef: 'L1',
      },
    });
    expect(refused.statusCode).toBe(422);
    const problem = refused.json<{ code: string; refusals: { rule: string; message: string }[] }>();
    expect(problem.code).toBe('REFUSED');
    expect(problem.refusals[0]).toMatchObject({ rule: 'CERTIFICATE_REVOKED' });
    expect(problem.refusals[0]?.message).toContain(
      `certificate ${certificateId} revoked by ${GOVERNMENT}: change of control`,
    );
    expect(await count()).toBe(before);
    expect(revoked.json()).toMatchObject({ status: 'revoked', suspendedLicences: [licenceId] });
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const shown = await h.call(authority, 'GET', `/v1/licences/${licenceId}`);
    expect(shown.json()).toMatchObject({
      status: 'suspended',
      suspension: { reason: `certificate ${certificateId} revoked by ${GOVERNMENT}: change of control`, certificateId },
    });
    // Revoked over the government's own signed request, the node cannot sign for the authority: the alert waits for its scan.
    const scan = await h.call(authority, 'POST', '/v1/alerts/scan', { body: { licenceId } });
    expect(scan.statusCode).toBe(201);
    const alerts = (await h.call(authority, 'GET', `/v1/licences/${licenceId}/alerts`)).json<
      { rule: string; raisedBy: string }[]
    >();
    expect(alerts).toContainEqual(expect.objectContaining({ rule: 'certificate-revoked', raisedBy: AUTHORITY }));
  });

  it('item 3 (HTTP): a second approval on the same certificate past its remainder is 422 CERTIFICATE_OVERCLAIMED; GET certificate shows the claims', async () => {
    await setup();
    const second = await submitApplication(h.ctx, applicationBody(certificateId));
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const refused = await h.call(authority, 'POST', `/v1/applications/${second.id}/decision`, {
      body: { decision: 'approve', conditions: { prohibitedReexportDestinations: ['US'] } },
    });
    expect(refused.statusCode).toBe(422);
    const problem = refused.json<{ refusals: { rule: string; message: string }[] }>();
    expect(problem.refusals[0]?.rule).toBe('CERTIFICATE_OVERCLAIMED');
    expect(problem.refusals[0]?.message).toContain('0 g remains');
    const importer = await h.credential(IMPORTER, 'importer');
    const cert = (await h.call(importer, 'GET', `/v1/certificates/${certificateId}`)).json<{
      claims: {
        ceilingGrams: number;
        claimedGrams: number;
        remainingGrams: number;
        claims: { licenceId: string; grams: number }[];
      }[];
    }>();
    expect(cert.claims).toEqual([
      expect.objectContaining({
        ceilingGrams: 2_000_000,
        claimedGrams: 2_000_000,
        remainingGrams: 0,
        claims: [expect.objectContaining({ licenceId, grams: 2_000_000 })],
      }),
    ]);
  });

  it('item 4 (HTTP): the material of a licence approved without the certificate\'s "no re-export to US" is refused for the US at export-check', async () => {
    // The approval leaves out the end user's undertakings: the shipment's restriction must carry them anyway.
    const licence = await setup({ prohibitedReexportDestinations: [] });
    await dispatchShipment(h.ctx, EXPORTER, {
      id: 'SH-1',
      fromLot: 'MAG-1',
      to: IMPORTER,
      destination: 'IN',
      grams: 500_000,
      value: value(500_000),
      licenceId,
      lineRef: 'L1',
    });
    await receiveShipment(h.ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 500_000 });
    const importer = await h.credential(IMPORTER, 'importer');
    const check = await h.call(importer, 'GET', '/v1/export-check?lot=IN-1&to=lakeshore-ev&destination=US');
    expect(check.statusCode).toBe(200);
    const r = check.json<{ allowed: boolean; refusals: { rule: string }[] }>();
    expect(r.allowed).toBe(false);
    expect(r.refusals.map((x) => x.rule)).toContain('PROHIBITED_DESTINATION');
    expect(licence).toMatchObject({ prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' });
    const second = await submitApplication(h.ctx, {
      ...applicationBody(certificateId),
      lines: [{ ref: 'L1', item: magnet, quantityGrams: 1_000, value: value(1_000) }],
    });
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const refused = await h.call(authority, 'POST', `/v1/applications/${second.id}/decision`, {
      body: { decision: 'approve', conditions: { prohibitedReexportDestinations: ['US'], useOnlyIn: 'AE' } },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ refusals: { rule: string }[] }>().refusals[0]?.rule).toBe('UNDERTAKING_REMOVED');
  });
});
