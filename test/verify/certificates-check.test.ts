/**
 * The verifier's certificate re-check (src/verify/certificates-check.ts) on the demo licence's
 * bundle: it holds up as made; records edited after their signatures were checked — as an operator
 * whose software recorded them wrongly would have signed them — are caught.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call -- deep edits of parsed JSON */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, exportAuditBundle, runDemo, type AppContext } from '../../src/app/index.js';
import { parseCanonicalJson, type SignedRecord } from '../../src/trust/index.js';
import { verifyBundle, VerifyError, type AuditBundle } from '../../src/verify/index.js';
import { recheckCertificates } from '../../src/verify/certificates-check.js';
import { freshStore, type TestStore } from '../support/stores.js';

let dir: string;
let ts: TestStore;
let ctx: AppContext;
let bundle: AuditBundle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lodestone-verify-certs-'));
  ts = await freshStore('pglite');
  let t = Date.parse('2026-11-24T09:00:00.000Z');
  ctx = createApp(ts.store, { keysDir: join(dir, 'keys'), clock: () => new Date((t += 1000)) });
  const demo = await runDemo(ctx);
  bundle = await exportAuditBundle(ctx, demo.report.licences[0]!.licence.id);
}, 120_000);
afterAll(async () => {
  await ts.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const records = () => bundle.entries.map((e) => parseCanonicalJson(e.record) as SignedRecord);
const leaves = () => bundle.entries.map((e) => e.leafIndex);
const of = (rs: SignedRecord[], type: string) => rs.filter((r) => r.payload.type === type);
const approval = (rs: SignedRecord[]) =>
  of(rs, 'application.decided').find((r) => (r.payload.body as any).decision === 'approved')!.payload.body as Record<
    string,
    any
  >;
function failure(rs: SignedRecord[], ls = leaves()): string {
  try {
    recheckCertificates(rs, ls, bundle.licence);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return (e as Error).message;
  }
  return 'ok';
}

describe('the verifier re-checks certificates: claims, undertakings, revocations', () => {
  it('the demo bundle holds up, and `verify` reports it', () => {
    expect(recheckCertificates(records(), leaves(), bundle.licence)).toEqual({
      certificates: 1,
      claims: 1,
      revocations: 0,
      restrictions: 2,
    });
    expect(verifyBundle(JSON.stringify(bundle)).certificates.claims).toBe(1);
  });

  it("the suspended spares licence's bundle verifies too: its certificate's revocation is in it, and no shipment under it comes after", async () => {
    const suspended = await ts.store.db
      .selectFrom('licences')
      .select('id')
      .where('status', '=', 'suspended')
      .executeTakeFirstOrThrow();
    const spares = verifyBundle(JSON.stringify(await exportAuditBundle(ctx, suspended.id)));
    expect(spares.certificates).toMatchObject({ certificates: 1, claims: 1, revocations: 1, restrictions: 1 });
    expect(spares.shipments).toBe(1);
  });

  it('an approval on a certificate that records no claim, or claims other than its lines, or past the certificate', () => {
    let rs = records();
    delete approval(rs).claim;
    expect(failure(rs)).toMatch(/relies on certificate urn:uuid:.* but its approval records no claim on it/);
    rs = records();
    approval(rs).claim.lines[0].grams = 1_000_000;
    expect(failure(rs)).toMatch(
      /the claim on 1C905.a 8505111000 is 1 t \(1,000,000 g\); licence .* lines come to 2 t \(2,000,000 g\)/,
    );
    rs = records();
    approval(rs).claim.lines[0].ceilingGrams = 9_000_000;
    expect(failure(rs)).toMatch(
      /states a ceiling of 9 t \(9,000,000 g\) .* the certificate covers 2 t \(2,000,000 g\)/,
    );
    rs = records();
    approval(rs).claim.lines[0].claimedBeforeGrams = 1;
    expect(failure(rs)).toMatch(
      /claims 2 t \(2,000,000 g\) of 1C905.a 8505111000 with 1 g claimed already: past the 2 t \(2,000,000 g\)/,
    );
  });

  it('a second approval whose claim forgets the first one is caught', () => {
    const rs = records();
    const i = rs.findIndex(
      (r) => r.payload.type === 'application.decided' && (r.payload.body as any).decision === 'approved',
    );
    const copy = structuredClone(rs[i]!);
    const b = copy.payload.body as Record<string, any>;
    b.licence.id = 'LIC-CN-2026-DOUBLE';
    b.claim.lines[0].grams = 2_000_000;
    b.claim.lines[0].claimedBeforeGrams = 0;
    const ls = leaves();
    rs.splice(i + 1, 0, copy);
    ls.splice(i + 1, 0, ls[i]! + 0.5);
    expect(failure(rs, ls)).toMatch(
      /says 0 g was claimed before it, but the approvals earlier in the bundle claimed 2 t \(2,000,000 g\)/,
    );
  });

  it("an approval that drops the end user's undertakings, and a licensed restriction that leaves them out", () => {
    let rs = records();
    approval(rs).licence.prohibitedReexportDestinations = [];
    expect(failure(rs)).toMatch(/drops the end user's undertaking "no re-export to US"/);
    rs = records();
    approval(rs).licence.useOnlyIn = undefined;
    expect(failure(rs)).toMatch(/drops the end user's undertaking "use only in IN"/);
    rs = records();
    const shipment = of(rs, 'shipment.dispatched').find(
      (r) => (r.payload.body as any).shipment.licenceId === bundle.licence,
    )!;
    const made = (shipment.payload.body as any).restrictions.at(-1);
    made.prohibitedDestinations = [];
    expect(failure(rs)).toMatch(
      /restriction prohibits nothing; the licence's conditions and the certificate's undertakings prohibit US/,
    );
  });

  it('a shipment under the licence recorded after its certificate was revoked, or one carrying its material without the revocation', () => {
    const rs = records();
    const ls = leaves();
    const issued = of(rs, 'certificate.issued')[0]!;
    const certificateId = JSON.parse(
      Buffer.from(String((issued.payload.body as any).jws.payload), 'base64url').toString('utf8'),
    ).id as string;
    const i = rs.findIndex(
      (r) => r.payload.type === 'shipment.dispatched' && (r.payload.body as any).shipment.licenceId === bundle.licence,
    );
    const revocation = structuredClone(issued);
    (revocation as any).payload = {
      ...revocation.payload,
      type: 'certificate.revoked',
      body: { certificateId, reason: 'forged order' },
    };
    rs.splice(i, 0, revocation);
    ls.splice(i, 0, ls[i]! - 0.5);
    expect(failure(rs, ls)).toMatch(
      /shipment SH-.* under licence .* is recorded after certificate urn:uuid:.*, which it relies on, was revoked/,
    );
    // A later shipment (not under the licence) carrying its material must carry the revocation.
    const later = rs
      .slice(i + 1)
      .findIndex(
        (r) => r.payload.type === 'shipment.dispatched' && (r.payload.body as any).shipment.licenceId === undefined,
      );
    const cut = rs
      .slice(0, i + 1)
      .filter(
        (r) =>
          !(r.payload.type === 'shipment.dispatched' && (r.payload.body as any).shipment.licenceId === bundle.licence),
      );
    expect(later).toBeGreaterThanOrEqual(0);
    const rest = rs
      .slice(i + 1)
      .filter(
        (r) =>
          !(r.payload.type === 'shipment.dispatched' && (r.payload.body as any).shipment.licenceId === bundle.licence),
      );
    const all = [...cut, ...rest];
    expect(
      failure(
        all,
        all.map((_, k) => k),
      ),
    ).toMatch(
      /carries material of certificate urn:uuid:.*, revoked at journal entry \d+, without the revocation in its restriction/,
    );
  });

  it("a revocation seen in a peer's status list stops the licence as one recorded here does, and only for the certificate's own bit", () => {
    const rs = records();
    const ls = leaves();
    const issued = of(rs, 'certificate.issued')[0]!;
    const credential = JSON.parse(
      Buffer.from(String((issued.payload.body as any).jws.payload), 'base64url').toString('utf8'),
    );
    const { statusListCredential, statusListIndex } = credential.credentialStatus as Record<string, string>;
    const i = rs.findIndex(
      (r) => r.payload.type === 'shipment.dispatched' && (r.payload.body as any).shipment.licenceId === bundle.licence,
    );
    const seen = (statusIndex: number) => {
      const r = structuredClone(issued);
      (r as any).payload = {
        ...r.payload,
        type: 'federation.status-revoked',
        actor: 'lodestone-log',
        body: {
          node: 'in',
          origin: 'in.lodestone.example/log',
          certificateId: credential.id,
          issuer: 'its-end-user',
          statusListUrl: statusListCredential,
          statusIndex,
          statusList: 'a.b.c',
          fetchedAt: r.payload.at,
          licences: [bundle.licence],
        },
      };
      const out = [...rs];
      out.splice(i, 0, r);
      const leafIndexes = [...ls];
      leafIndexes.splice(i, 0, ls[i]! - 0.5);
      return failure(out, leafIndexes);
    };
    expect(seen(Number(statusListIndex))).toMatch(
      /shipment SH-.* under licence .* is recorded after certificate urn:uuid:.*, which it relies on, was revoked \(journal entry .*: bit \d+ set in in's status list\)/,
    );
    expect(seen(Number(statusListIndex) + 1)).toMatch(
      /revokes certificate urn:uuid:.* by bit \d+ of .*, but the certificate's status entry is bit \d+ of /,
    );
  });
});
