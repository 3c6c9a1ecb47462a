/**
 * Issue 18, items 8 and 7, attacked through the public interfaces: the real CLI (in-process
 * `main`, one store per test) and the HTTP API (signed requests, as a client would send them).
 *
 * Item 8: roles come from a trust list signed with the operator's root key, not from a party's own
 * fields; a party never decides its own application; the verifier checks every decision and
 * countersignature against the list in force. Item 7: witnesses are pinned by the verifier.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as app from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { journalRepo } from '../../src/store/index.js';
import {
  cosignNote,
  countersignCredential,
  formatNote,
  generateKeyPair,
  importPrivateKey,
  parseNote,
} from '../../src/trust/index.js';
import { harness, type Harness } from '../http/support.js';
import { emptyPostgresDatabase, freshStore, STORES, type TestStore } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PARTIES = join(ROOT, 'examples/scenario/parties.json');
const TRUST_LIST = join(ROOT, 'examples/scenario/trust-list.json');
const EXPORTER = 'ganzhou-hengyuan-magnetics';
const IMPORTER = 'chakan-drive-systems';
const magnet = JSON.parse(readFileSync(join(ROOT, 'examples/items/ndfeb-45sh-dy-magnet.json'), 'utf8')) as unknown;
const today = new Date().toISOString().slice(0, 10);
const later = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
const endUse = { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] };

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lodestone-adv-trustlist-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A CLI over one store: PGlite in its own data directory, or a fresh PostgreSQL database. */
async function cliOn(
  kind: 'pglite' | 'postgres',
  name: string,
): Promise<{
  run: (...args: string[]) => Promise<{ code: number; out: string; err: string }>;
  open: () => Promise<app.AppContext>;
  dir: string;
  drop: () => Promise<void>;
}> {
  const dir = join(work, `${name}-${kind}`);
  const db = kind === 'postgres' ? await emptyPostgresDatabase() : undefined;
  if (kind === 'pglite') await seedPgliteDataDir(join(dir, 'data'));
  // The CLI and openApp read DATABASE_URL: point it at this test's own store (never the server the suite was given).
  const onThisStore = async <T>(fn: () => Promise<T>): Promise<T> => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db?.databaseUrl ?? '';
    try {
      return await fn();
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  };
  const run = (...args: string[]) =>
    onThisStore(async () => {
      let out = '';
      let err = '';
      const sink = (f: (s: string) => void) =>
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            f(chunk.toString());
            cb();
          },
        });
      const code = await main(
        ['node', 'lodestone', '--data-dir', join(dir, 'data'), '--keys-dir', join(dir, 'keys'), ...args],
        { out: sink((s) => (out += s)), err: sink((s) => (err += s)) },
      );
      return { code, out, err };
    });
  const open = () => onThisStore(() => app.openApp({ dataDir: join(dir, 'data'), keysDir: join(dir, 'keys') }));
  return {
    run,
    open,
    dir,
    drop: async () => {
      await db?.drop();
    },
  };
}

function writeJson(path: string, v: unknown): string {
  writeFileSync(path, JSON.stringify(v));
  return path;
}

function application(authority: string, certificateId?: string): Record<string, unknown> {
  return {
    authority,
    applicant: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    destination: 'IN',
    endUse,
    licenceType: 'single',
    lines: [{ ref: 'L1', item: magnet, quantityGrams: 1_000_000, value: { currency: 'USD', minor: 8_000_000 } }],
    ...(certificateId === undefined ? {} : { certificateId }),
    validFrom: today,
    validUntil: later,
  };
}

function certificate(): Record<string, unknown> {
  return {
    exporter: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    items: [
      {
        controlCode: '1C905.a',
        hsCode: '8505111000',
        description: '45SH NdFeB',
        quantityGrams: 1_000_000,
        value: { currency: 'USD', minor: 8_000_000 },
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
    validity: { from: today, until: later },
  };
}

/** A party of the same country and sector as the real authority, but on no trust list. */
const ROGUE_AUTHORITY = {
  id: 'cn-export-bureau',
  name: 'Export Control Bureau (self-declared)',
  country: 'CN',
  sector: 'government',
};
/** A party registered in India with sector "government", on no trust list. */
const ROGUE_GOVERNMENT = {
  id: 'in-customs-desk',
  name: 'Customs Desk, Nhava Sheva',
  country: 'IN',
  sector: 'government',
};

describe("item 8: roles come from a trust list, not from a party's own fields (CLI)", () => {
  it('a self-named authority, or one the list does not name, is refused at submission; a "government"-sector party not on the list cannot countersign', async () => {
    const { run, dir, drop } = await cliOn('pglite', 'cli');
    try {
      expect((await run('parties', 'register', PARTIES)).code).toBe(0);
      expect(
        (await run('parties', 'register', writeJson(join(work, 'rogues.json'), [ROGUE_AUTHORITY, ROGUE_GOVERNMENT])))
          .code,
      ).toBe(0);
      await run('trust-list', 'set', TRUST_LIST);
      const cert = await run(
        'certificates',
        'issue',
        writeJson(join(work, 'cert.json'), certificate()),
        '--as',
        IMPORTER,
      );
      expect(cert.code, cert.err).toBe(0);
      const certId = /issued (urn:uuid:[0-9a-f-]+)/.exec(cert.out)?.[1] ?? '';
      const journal = async () =>
        (await run('journal', '--limit', '100000', '--json')).out.split('\n').filter(Boolean).length;
      const before = await journal();

      // The applicant names itself as the licensing authority.
      const self = await run('apply', writeJson(join(work, 'self.json'), application(EXPORTER, certId)));
      expect(self.code, `self-named authority accepted: ${self.out}`).toBe(7);
      expect(self.err).toMatch(/^lodestone: refused \((SELF_DECISION|TRUST_LIST_AUTHORITY)\): .*\n$/);
      // A CN "government" party the trust list does not name.
      const rogue = await run('apply', writeJson(join(work, 'rogue.json'), application(ROGUE_AUTHORITY.id, certId)));
      expect(rogue.code, `unlisted authority accepted: ${rogue.out}`).toBe(7);
      expect(rogue.err).toMatch(
        /^lodestone: refused \(TRUST_LIST_AUTHORITY\): "cn-export-bureau" is not listed as licensing authority for exports from CN in trust list version 1\n$/,
      );
      // An Indian "government"-sector party not on the list countersigns.
      const cs = await run('certificates', 'countersign', certId, '--as', ROGUE_GOVERNMENT.id);
      expect(cs.code, `unlisted countersigner accepted: ${cs.out}`).toBe(7);
      expect(cs.err).toMatch(
        /^lodestone: refused \(TRUST_LIST_COUNTERSIGNER\): "in-customs-desk" is not listed as countersigner of end-user certificates for IN/,
      );
      expect(await journal()).toBe(before);
      // The listed government may.
      expect((await run('certificates', 'countersign', certId, '--as', 'in-dgft')).code).toBe(0);
      expect(readFileSync(join(dir, 'keys', 'operator-root.key.json'), 'utf8')).toMatch(/"partyId": "operator-root"/);
    } finally {
      await drop();
    }
  }, 180_000);

  it('a bundle whose decision was made by a party the trust list in force does not name fails verify', async () => {
    const { run, open, dir, drop } = await cliOn('pglite', 'bundle');
    try {
      const demo = await run('demo', '--out', join(dir, 'out'));
      expect(demo.code, demo.err).toBe(0);
      const licenceId = /audit bundle for (\S+) written/.exec(demo.out)?.[1] ?? '';
      const bundle = JSON.parse(readFileSync(join(dir, 'out', 'audit-bundle.json'), 'utf8')) as {
        entries: { record: string }[];
      };
      const submitted = bundle.entries
        .map((e) => JSON.parse(e.record) as { payload: { type: string; body: { id?: string } } })
        .find((r) => r.payload.type === 'application.submitted');
      // The operator takes cn-mofcom off the list (version 2) ...
      await run(
        'trust-list',
        'set',
        writeJson(join(work, 'v2.json'), { entries: [{ party: 'in-dgft', role: 'countersigner', country: 'IN' }] }),
      );
      // ... and a node that skips the check (a dishonest operator holding the authority's key) records a decision by it anyway.
      const ctx = await open();
      try {
        await ctx.store.transaction(async (tx) => {
          await app.commit(tx, ctx, 'application.decided', 'cn-mofcom', {
            applicationId: submitted?.payload.body.id ?? '',
            decision: 'info-requested',
            reasons: ['decided after the trust list dropped cn-mofcom'],
          });
        });
      } finally {
        await ctx.close();
      }
      expect((await run('audit', 'export', '--licence', licenceId, '--out', join(dir, 'forged.json'))).code).toBe(0);
      const unpinned = await run('verify', join(dir, 'forged.json'));
      expect(unpinned.code, `verified: ${unpinned.out}`).toBe(6);
      expect(unpinned.err).toMatch(
        /^lodestone: entry \d+ \(leaf \d+, application\.decided by cn-mofcom\): cn-mofcom is not listed as licensing authority for exports from CN in the trust list in force \(version 2\)\n$/,
      );
      const root = (await run('trust-list', 'root-key')).out.trim();
      const v = await run('verify', join(dir, 'forged.json'), '--trust-root', root);
      expect(v.code, `verified: ${v.out}`).toBe(6);
      expect(v.err).toBe(unpinned.err);
      // A bundle whose trust list was re-signed by another root does not pass a pinned verifier.
      expect(
        (await run('verify', join(dir, 'out', 'audit-bundle.json'), '--trust-root', generateKeyPair().publicKey)).err,
      ).toMatch(/names root key .*, not the trust root/);
      // The honest bundle (before the forged decision) still verifies with the root pinned.
      expect((await run('verify', join(dir, 'out', 'audit-bundle.json'), '--trust-root', root)).code).toBe(0);
    } finally {
      await drop();
    }
  }, 240_000);
});

describe.each(STORES)('item 8: roles come from a trust list (HTTP, %s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  beforeAll(async () => {
    ts = await freshStore(kind);
    h = await harness(ts.store);
    await app.registerParty(h.ctx, ROGUE_GOVERNMENT);
  }, 180_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });
  afterEach(() => undefined);

  it('an applicant holding a licensing-authority credential cannot approve its own application', async () => {
    const asAuthority = await h.credential(EXPORTER, 'licensing-authority');
    const asExporter = await h.credential(EXPORTER, 'exporter');
    const before = await journalRepo.count(h.ctx.store.db);
    const submitted = await h.call(asExporter, 'POST', '/v1/applications', { body: application(EXPORTER) });
    expect(submitted.statusCode, `self-named authority accepted: ${submitted.body}`).toBe(422);
    expect(submitted.json()).toMatchObject({
      code: 'REFUSED',
      type: 'urn:lodestone:problem:refused',
      refusals: [{ rule: 'SELF_DECISION' }],
    });
    expect(await journalRepo.count(h.ctx.store.db)).toBe(before);
    // Had it been recorded, its decision would be refused too: the applicant never decides its own application.
    const id = submitted.json<{ id?: string }>().id ?? 'app-none';
    const decided = await h.call(asAuthority, 'POST', `/v1/applications/${id}/decision`, {
      body: { decision: 'approve', conditions: { prohibitedReexportDestinations: ['US'] } },
    });
    expect([403, 404, 422]).toContain(decided.statusCode);
    // A listed authority whom the operator later drops from the list may no longer decide.
    const legit = await h.call(asExporter, 'POST', '/v1/applications', { body: application('cn-mofcom') });
    expect(legit.statusCode, legit.body).toBe(201);
    const publish = (app as unknown as { publishTrustList: (ctx: app.AppContext, input: unknown) => Promise<unknown> })
      .publishTrustList;
    await publish(h.ctx, { entries: [{ party: 'in-dgft', role: 'countersigner', country: 'IN' }] });
    const dropped = await h.call(
      await h.credential('cn-mofcom', 'licensing-authority'),
      'POST',
      `/v1/applications/${legit.json<{ id: string }>().id}/decision`,
      { body: { decision: 'deny', reasons: ['no'] } },
    );
    expect(dropped.statusCode, dropped.body).toBe(422);
    expect(dropped.json()).toMatchObject({ code: 'REFUSED', refusals: [{ rule: 'TRUST_LIST_AUTHORITY' }] });
    // Restore the demo list for the next test.
    await publish(h.ctx, JSON.parse(readFileSync(TRUST_LIST, 'utf8')));
  });

  it('a "government"-sector party not on the list cannot countersign, with the server\'s key or its own signature', async () => {
    const gov = await h.credential(ROGUE_GOVERNMENT.id, 'importing-government');
    const cert = await app.issueCertificate(h.ctx, IMPORTER, certificate());
    const before = await journalRepo.count(h.ctx.store.db);
    const viaKeystore = await h.call(gov, 'POST', `/v1/certificates/${encodeURIComponent(cert.id)}/countersign`);
    expect(viaKeystore.statusCode, `unlisted countersigner accepted: ${viaKeystore.body}`).toBe(422);
    expect(viaKeystore.json()).toMatchObject({ code: 'REFUSED', refusals: [{ rule: 'TRUST_LIST_COUNTERSIGNER' }] });
    const own = (await countersignCredential(cert.jws, h.ctx.keystore.signer(ROGUE_GOVERNMENT.id))).signatures.at(-1);
    const viaOwn = await h.call(gov, 'POST', `/v1/certificates/${encodeURIComponent(cert.id)}/countersign`, {
      body: { signature: own },
    });
    expect(viaOwn.statusCode, `unlisted countersigner accepted: ${viaOwn.body}`).toBe(422);
    expect(viaOwn.json()).toMatchObject({ code: 'REFUSED', refusals: [{ rule: 'TRUST_LIST_COUNTERSIGNER' }] });
    expect(await journalRepo.count(h.ctx.store.db)).toBe(before);
    const listed = await h.call(
      await h.credential('in-dgft', 'importing-government'),
      'POST',
      `/v1/certificates/${encodeURIComponent(cert.id)}/countersign`,
    );
    expect(listed.statusCode, listed.body).toBe(201);
  });
});

describe('item 7: witnesses are pinned', () => {
  it('a forged "in-dgft" cosignature is not reported as a witness and fails a quorum', async () => {
    const { run, dir, drop } = await cliOn('pglite', 'witness');
    try {
      expect((await run('demo', '--out', join(dir, 'out'))).code).toBe(0);
      const file = join(dir, 'out', 'audit-bundle.json');
      const bundle = JSON.parse(readFileSync(file, 'utf8')) as { checkpoint: string; witnesses: unknown[] };
      // Anyone makes a key, labels its cosignature "in-dgft", and ships the key in the bundle.
      const k = generateKeyPair();
      const note = parseNote(bundle.checkpoint);
      const forged = cosignNote(
        note.text,
        'in-dgft',
        importPrivateKey(k.privateKeyPem),
        k.publicKey,
        Math.floor(Date.now() / 1000),
      );
      const forgedFile = writeJson(join(dir, 'forged.json'), {
        ...bundle,
        checkpoint: formatNote({ text: note.text, signatures: [...note.signatures, forged] }),
        witnesses: [{ name: 'in-dgft', publicKey: k.publicKey }],
      });
      const plain = await run('verify', forgedFile);
      expect(plain.out, 'the forged cosignature is reported as a witness').not.toMatch(/cosigned by in-dgft/);
      expect(plain.out).toMatch(/unverified {2}cosignatures naming in-dgft/);
      const dgft = (JSON.parse(readFileSync(join(dir, 'keys', 'in-dgft.key.json'), 'utf8')) as { publicKey: string })
        .publicKey;
      const pinned = await run('verify', forgedFile, '--witness', `in-dgft=${dgft}`, '--witness-quorum', '1');
      expect(pinned.code, pinned.out).toBe(6);
      expect(pinned.err).toMatch(
        /^lodestone: witness quorum not met: 0 of the 1 required pinned witness\(es\) cosigned the checkpoint \(none\); cosignatures not verified by a pinned key: in-dgft\n$/,
      );
      // The real witness, pinned, counts.
      expect((await run('witness', '--as', 'in-dgft', '--state', join(dir, 'dgft.state.json'))).code).toBe(0);
      const licenceId = (JSON.parse(readFileSync(file, 'utf8')) as { licence: string }).licence;
      expect((await run('audit', 'export', '--licence', licenceId, '--out', join(dir, 'b.json'))).code).toBe(0);
      const real = await run(
        'verify',
        join(dir, 'b.json'),
        '--witness',
        `in-dgft=${dgft}`,
        '--witness',
        `eu-witness=${generateKeyPair().publicKey}`,
        '--witness-quorum',
        '1',
      );
      expect(real.code, real.err).toBe(0);
      expect(real.out).toMatch(/cosigned by in-dgft \(pinned by --witness; quorum 1 of 2\)/);
    } finally {
      await drop();
    }
  }, 180_000);
});
