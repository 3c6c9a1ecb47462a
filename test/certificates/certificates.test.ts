import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AppError,
  checkCertificate,
  RefusedError,
  countersignCertificate,
  createApp,
  issueCertificate,
  rebuild,
  registerParty,
  revokeCertificate,
  verifyCertificateJws,
  verifyStoredCertificate,
  type AppContext,
  type CertificateCheck,
} from '../../src/app/index.js';
import { ValidationError } from '../../src/domain/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import {
  canonicalJson,
  decodeStatusList,
  getStatusBit,
  toBase64url,
  verifyCertificate,
} from '../../src/trust/index.js';
import { certificateSubject as subject } from '../support/certificates.js';
import { expectRejectsCode } from '../support/errors.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { publishDemoTrustList } from '../support/scenario.js';

const PARTIES = [
  {
    id: 'ganzhou-hengyuan-magnetics',
    name: 'Ganzhou Hengyuan Magnetics Co., Ltd.',
    country: 'CN',
    sector: 'magnet-manufacturing',
  },
  { id: 'cn-mofcom', name: 'Ministry of Commerce of the PRC', country: 'CN', sector: 'government' },
  { id: 'chakan-drive-systems', name: 'Chakan Drive Systems Private Limited', country: 'IN', sector: 'automotive' },
  { id: 'in-dgft', name: 'Directorate General of Foreign Trade, India', country: 'IN', sector: 'government' },
  { id: 'pune-motor-works', name: 'Pune Motor Works', country: 'IN', sector: 'automotive' },
  { id: 'us-dod-buyer', name: 'US Buyer Inc.', country: 'US', sector: 'defence' },
];
const check: CertificateCheck = {
  asOf: '2026-06-01',
  exporter: subject.exporter,
  importer: subject.importer,
  endUser: subject.endUser,
};

describe.each(STORES)('end-user certificates on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let now = Date.parse('2026-05-01T09:00:00.000Z');

  beforeEach(async () => {
    now = Date.parse('2026-05-01T09:00:00.000Z');
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date((now += 1000)) });
    for (const p of PARTIES) await registerParty(ctx, p);
    await publishDemoTrustList(ctx);
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  async function journalCount() {
    return journalRepo.count(current().store.db);
  }
  async function snapshot() {
    return { journal: await journalCount(), projections: await dumpProjections(current().store.db) };
  }
  const tx = () => current().store.db;

  it('issues a signed credential, countersigns it without changing the payload, and rebuild reproduces it', async () => {
    const issued = await issueCertificate(ctx, 'chakan-drive-systems', subject);
    expect(issued.id).toMatch(/^urn:uuid:/);
    expect(issued.credential.issuer).toBe('urn:lodestone:party:chakan-drive-systems');
    expect(issued.credential.credentialStatus).toMatchObject({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '0',
    });
    expect(issued.subject.items[0]?.hsCode).toBe('850511');
    expect(issued.jws.signatures).toHaveLength(1);

    const cs = await countersignCertificate(ctx, 'in-dgft', issued.id);
    expect(cs.jws.payload).toBe(issued.jws.payload);
    expect(cs.jws.signatures[0]).toEqual(issued.jws.signatures[0]);
    expect(cs.countersignedBy).toBe('in-dgft');

    const report = await verifyStoredCertificate(ctx, issued.id, '2026-06-01');
    expect(report.refusals).toEqual([]);
    expect(report.certificate?.signers.map((s) => [s.role, s.partyId])).toEqual([
      ['end-user', 'chakan-drive-systems'],
      ['countersigner', 'in-dgft'],
    ]);
    const ok = await checkCertificate(tx(), issued.id, {
      ...check,
      items: [{ controlCode: '1C905.a', hsCode: '8505.11', quantityGrams: 1_500_000 }],
    });
    expect(ok.id).toBe(issued.id);

    const second = await issueCertificate(ctx, 'chakan-drive-systems', {
      ...subject,
      validity: { from: '2026-05-01', until: '2026-08-31' },
    });
    expect(second.statusIndex).toBe(1);
    await revokeCertificate(ctx, 'chakan-drive-systems', second.id, 'order cancelled');

    const rows = await journalRepo.read(tx());
    expect(rows.slice(-4).map((r) => r.type)).toEqual([
      'certificate.issued',
      'certificate.countersigned',
      'certificate.issued',
      'certificate.revoked',
    ]);
    const before = await dumpProjections(tx());
    expect(before.certificates).toHaveLength(2);
    await rebuild(ctx);
    expect(await dumpProjections(tx())).toEqual(before);
  });

  it('refuses bad input before writing anything', async () => {
    const before = await snapshot();
    await expect(issueCertificate(ctx, 'chakan-drive-systems', { ...subject, items: [] })).rejects.toThrow(
      /certificate\.items: must list at least one item/,
    );
    await expect(
      issueCertificate(ctx, 'chakan-drive-systems', {
        ...subject,
        validity: { from: '2025-01-01', until: '2025-12-31' },
      }),
    ).rejects.toThrow(ValidationError);
    const e = await expectRejectsCode(issueCertificate(ctx, 'pune-motor-works', subject), AppError, 'FORBIDDEN');
    expect(e.message).toMatch(/issued by its end user/);
    await expectRejectsCode(
      issueCertificate(ctx, 'chakan-drive-systems', { ...subject, importer: 'nobody-here' }),
      AppError,
      'NOT_FOUND',
    );
    await expect(revokeCertificate(ctx, 'chakan-drive-systems', 'not-an-id', 'x')).rejects.toThrow(/certificateId/);
    await expectRejectsCode(
      countersignCertificate(ctx, 'in-dgft', 'urn:uuid:00000000-0000-4000-8000-000000000000'),
      AppError,
      'NOT_FOUND',
    );
    expect(await snapshot()).toEqual(before);
  });

  it("only the countersigner the trust list names for the importer's country countersigns, once; only the issuer or that government revokes, once", async () => {
    const c = await issueCertificate(ctx, 'chakan-drive-systems', subject);
    const before = await snapshot();
    expect(
      (await expectRejectsCode(countersignCertificate(ctx, 'cn-mofcom', c.id), RefusedError, 'REFUSED')).message,
    ).toMatch(/TRUST_LIST_COUNTERSIGNER.*"cn-mofcom" is not listed as countersigner of end-user certificates for IN/);
    expect(
      (await expectRejectsCode(countersignCertificate(ctx, 'pune-motor-works', c.id), RefusedError, 'REFUSED')).message,
    ).toMatch(/TRUST_LIST_COUNTERSIGNER.*"pune-motor-works" is not listed/);
    expect(
      (await expectRejectsCode(revokeCertificate(ctx, 'in-dgft', c.id, 'no'), AppError, 'FORBIDDEN')).message,
    ).toMatch(/only the issuer \("chakan-drive-systems"\) may revoke/);
    await expect(revokeCertificate(ctx, 'chakan-drive-systems', c.id, '   ')).rejects.toThrow(
      /reason: must not be empty/,
    );
    expect(await snapshot()).toEqual(before);

    await countersignCertificate(ctx, 'in-dgft', c.id);
    await expectRejectsCode(countersignCertificate(ctx, 'in-dgft', c.id), AppError, 'ALREADY_EXISTS');
    await expectRejectsCode(revokeCertificate(ctx, 'pune-motor-works', c.id, 'no'), AppError, 'FORBIDDEN');
    const revoked = await revokeCertificate(ctx, 'in-dgft', c.id, 'end user listed');
    expect(revoked.status).toBe('revoked');
    expect(revoked.revokedBy).toBe('in-dgft');
    const after = await snapshot();
    await expectRejectsCode(revokeCertificate(ctx, 'chakan-drive-systems', c.id, 'again'), AppError, 'ALREADY_EXISTS');
    expect(await snapshot()).toEqual(after);
  });

  it('checkCertificate refuses, naming the rule: revoked, expired, not yet valid, other parties, other items, more than covered', async () => {
    const c = await issueCertificate(ctx, 'chakan-drive-systems', subject);
    const refused = async (p: Promise<unknown>, rule: string, message: RegExp) => {
      const e = await expectRejectsCode(p, AppError, 'CERTIFICATE_REFUSED');
      expect(e.message).toContain(`(${rule})`);
      expect(e.message).toMatch(message);
    };
    const before = await snapshot();
    await refused(
      checkCertificate(tx(), c.id, { ...check, asOf: '2027-01-01' }),
      'certificate.expired',
      /valid until 2026-12-31, checked as of 2027-01-01/,
    );
    await refused(
      checkCertificate(tx(), c.id, { ...check, asOf: '2025-12-31' }),
      'certificate.not-yet-valid',
      /valid from 2026-01-01/,
    );
    await refused(
      checkCertificate(tx(), c.id, { ...check, exporter: 'cn-mofcom' }),
      'certificate.parties',
      /names exporter "ganzhou-hengyuan-magnetics", not "cn-mofcom"/,
    );
    await refused(
      checkCertificate(tx(), c.id, { ...check, importer: 'pune-motor-works' }),
      'certificate.parties',
      /importer/,
    );
    await refused(
      checkCertificate(tx(), c.id, { ...check, endUser: 'us-dod-buyer' }),
      'certificate.parties',
      /end user/,
    );
    await refused(
      checkCertificate(tx(), c.id, { ...check, items: [{ hsCode: '850519', quantityGrams: 1 }] }),
      'certificate.items',
      /HS 850519\) is not covered/,
    );
    await refused(
      checkCertificate(tx(), c.id, { ...check, items: [{ controlCode: '1C902', hsCode: '850511', quantityGrams: 1 }] }),
      'certificate.items',
      /not covered/,
    );
    await refused(
      checkCertificate(tx(), c.id, {
        ...check,
        items: [
          { hsCode: '850511', quantityGrams: 1_500_000 },
          { hsCode: '8505.11', quantityGrams: 600_000 },
        ],
      }),
      'certificate.items',
      /2.1 t \(2,100,000 g\) of 1C905\.a \(HS 850511\) asked for, but it covers 2 t \(2,000,000 g\)/,
    );
    await expectRejectsCode(
      checkCertificate(tx(), 'urn:uuid:00000000-0000-4000-8000-000000000000', check),
      AppError,
      'NOT_FOUND',
    );
    expect(await snapshot()).toEqual(before);

    await revokeCertificate(ctx, 'chakan-drive-systems', c.id, 'diversion suspected');
    await refused(
      checkCertificate(tx(), c.id, check),
      'certificate.revoked',
      /revoked by "chakan-drive-systems" at journal entry \d+: diversion suspected/,
    );
    const report = await verifyStoredCertificate(ctx, c.id, '2027-02-01');
    expect(report.ok).toBe(false);
    expect(report.refusals.map((r) => r.rule)).toEqual(['certificate.revoked', 'certificate.expired']);
    await expectRejectsCode(countersignCertificate(ctx, 'in-dgft', c.id), AppError, 'CERTIFICATE_REFUSED');
  });

  it('the revocation bit is set in the encoded status list', async () => {
    const { certificateStatusList } = await import('../../src/app/index.js');
    const a = await issueCertificate(ctx, 'chakan-drive-systems', subject);
    const b = await issueCertificate(ctx, 'chakan-drive-systems', subject);
    await revokeCertificate(ctx, 'chakan-drive-systems', b.id, 'superseded');
    const list = decodeStatusList((await certificateStatusList(tx(), 'chakan-drive-systems')).encodedList);
    expect(getStatusBit(list, a.statusIndex)).toBe(false);
    expect(getStatusBit(list, b.statusIndex)).toBe(true);
  });

  it('refuses a forged or tampered stored certificate, and a tampered or foreign file', async () => {
    const c = await issueCertificate(ctx, 'chakan-drive-systems', subject);
    const db = current().store.db;
    // Tamper with the stored JWS: the payload now claims 20 t.
    const forged = {
      ...c.credential,
      credentialSubject: {
        ...c.credential.credentialSubject,
        items: [{ ...subject.items[0], hsCode: '850511', quantityGrams: 20_000_000 }],
      },
    };
    const payload = toBase64url(new TextEncoder().encode(canonicalJson(forged)));
    await sql`update certificates set jws = jsonb_set(jws, '{payload}', to_jsonb(${payload}::text)) where id = ${c.id}`.execute(
      db,
    );
    const e = await expectRejectsCode(checkCertificate(db, c.id, check), AppError, 'CERTIFICATE_REFUSED');
    expect(e.message).toMatch(
      /\(certificate\.signature\): forged or tampered: signatures\[0\]: signature by ed25519:\S+ does not verify/,
    );

    // The file form: a tampered copy, a copy signed by someone else, and the genuine one.
    const tampered = await verifyCertificateJws(ctx, { ...c.jws, payload });
    expect(tampered.refusals.map((r) => r.rule)).toEqual(['certificate.signature']);
    const genuine = await verifyCertificateJws(ctx, JSON.parse(JSON.stringify(c.jws)) as unknown, '2026-06-01');
    expect(genuine.refusals.map((r) => r.rule)).toEqual(['certificate.signature']); // the file verifies, but the stored copy was tampered with
    await rebuild(ctx); // the journal still holds the genuine JWS
    expect((await verifyCertificateJws(ctx, c.jws, '2026-06-01')).ok).toBe(true);
    expect((await checkCertificate(db, c.id, check)).id).toBe(c.id);

    // The projection edited behind the system's back disagrees with what was signed.
    await sql`update certificates set subject = jsonb_set(subject, '{endUser}', '"pune-motor-works"') where id = ${c.id}`.execute(
      db,
    );
    const mismatch = await expectRejectsCode(checkCertificate(db, c.id, check), AppError, 'CERTIFICATE_REFUSED');
    expect(mismatch.message).toMatch(
      /\(certificate\.record\): the stored record disagrees with the signed credential \(subject\)/,
    );
    await expect(verifyCertificate(c.jws, () => undefined)).rejects.toThrow(/no public key known/);
  });
});
