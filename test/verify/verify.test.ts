import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commit,
  createApp,
  exportAuditBundle,
  publishTrustList,
  runDemo,
  trustRootKey,
  witnessCheckpoint,
  type AppContext,
} from '../../src/app/index.js';
import {
  cosignNote,
  formatNote,
  generateKeyPair,
  importPrivateKey,
  leafHash,
  parseNote,
  parseCanonicalJson,
  rootFromLeafHashes,
  signCheckpoint,
  type SignedRecord,
} from '../../src/trust/index.js';
import { formatSummary, verifyBundle, VerifyError, type AuditBundle } from '../../src/verify/index.js';
import { recheckRules } from '../../src/verify/rules-check.js';
import { logRepo } from '../../src/store/index.js';
import { freshStore, type TestStore } from '../support/stores.js';

let dir: string;
let ts: TestStore;
let ctx: AppContext;
let bundle: AuditBundle;
let text: string;
let licence: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lodestone-verify-'));
  ts = await freshStore('pglite');
  let t = Date.parse('2026-11-24T09:00:00.000Z');
  ctx = createApp(ts.store, { keysDir: join(dir, 'keys'), clock: () => new Date((t += 1000)) });
  const demo = await runDemo(ctx);
  licence = demo.report.licences[0]!.licence.id;
  await witnessCheckpoint(ctx, 'in-dgft', join(dir, 'in-dgft.witness.json'));
  bundle = await exportAuditBundle(ctx, licence);
  text = JSON.stringify(bundle);
}, 120_000);
afterAll(async () => {
  await ts.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function failure(t: string, opts = {}): string {
  try {
    verifyBundle(t, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return `${(e as VerifyError).code}: ${(e as Error).message}`;
  }
  return 'ok';
}
const edit = (f: (b: AuditBundle) => unknown): string =>
  JSON.stringify(f(structuredClone<AuditBundle>(bundle)) ?? null);
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

describe('offline verification of the demo licence bundle', () => {
  it('verifies: signatures, proofs, the checkpoint and its cosignature, the balance replayed', () => {
    const s = verifyBundle(text, {
      logKey: bundle.log.publicKey,
      trustRoot: trustRootKey(ctx).publicKey,
      witnesses: [{ name: 'in-dgft', publicKey: ctx.keystore.get('in-dgft').publicKey }],
    });
    expect(s.licence).toBe(licence);
    expect(s.cosigners).toEqual(['in-dgft']);
    expect(s.unverifiedCosigners).toEqual([]);
    expect(s.trustList).toMatchObject({ rootPinned: true, versions: 1, decisions: 1, countersignatures: 1 });
    expect(s.entries).toBe(bundle.entries.length);
    expect(s.recordTypes['application.decided']).toBeGreaterThanOrEqual(1);
    expect(s.recordTypes['shipment.dispatched']).toBeGreaterThanOrEqual(1);
    expect(s.lines[0]!.drawnGrams).toBeGreaterThan(0);
    expect(s.lines[0]!.remainingGrams).toBe(s.lines[0]!.ceilingGrams - s.lines[0]!.drawnGrams);
    expect(s.massBalance.shipped).toBeGreaterThan(0);
    expect(s.rules).toEqual({ applications: 1, approvals: 1, denials: 0 });
  });

  describe("re-checks applications and decisions against the bundle's rule packs", () => {
    // recheckRules reads payloads only; here records are edited after their signatures were checked,
    // as a party whose software recorded a wrong assessment would have signed them.
    /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/restrict-plus-operands -- deep edits of parsed JSON */
    const records = () => bundle.entries.map((e) => parseCanonicalJson(e.record) as SignedRecord);
    const body = (rs: SignedRecord[], type: string) =>
      rs.find((r) => r.payload.type === type)!.payload.body as Record<string, any>;

    it('the demo bundle holds up', () => {
      expect(recheckRules(records())).toEqual({ applications: 1, approvals: 1, denials: 0 });
    });
    it('an assessment that left out a control code', () => {
      const rs = structuredClone(records());
      body(rs, 'application.submitted').assessment.lines[0].classification.codes = [];
      expect(() => recheckRules(rs)).toThrow(
        /line L1 re-classifies as \[1C905\.a\] .* but the assessment recorded \[\]/,
      );
    });
    it('a recommendation the policy does not give', () => {
      const rs = structuredClone(records());
      body(rs, 'application.submitted').assessment.recommendation = 'deny';
      expect(() => recheckRules(rs)).toThrow(/the rules recommend "approvable", but the assessment recorded "deny"/);
    });
    it('an approval of what the rules say to deny (an end user on a list)', () => {
      const rs = structuredClone(records());
      const a = body(rs, 'application.submitted').assessment;
      a.screening[1].hits = [{ list: 'cn-control-list', name: 'X', score: 1, effect: 'deny' }]; // a hit on a list whose effect is deny (issue 19, point 3)
      a.recommendation = 'deny';
      expect(() => recheckRules(rs)).toThrow(/approves application app-[0-9a-f]+, which the rules say to deny/);
    });
    it('a licence naming codes the items do not have', () => {
      const rs = structuredClone(records());
      body(rs, 'application.decided').licence.lines[0].controlCodes = ['1C905.a', '1C999'];
      expect(() => recheckRules(rs)).toThrow(/names control codes \[1C999\]/);
    });
    it('a pack whose text does not match its hash', () => {
      const rs = structuredClone(records());
      body(rs, 'rulepack.loaded').yaml += '\n# edited';
      expect(() => recheckRules(rs)).toThrow(/does not hash to its recorded SHA-256/);
    });
    /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/restrict-plus-operands */
  });

  it('reports its progress rising to 1 when every check passed, and stops short of 1 on a tampered bundle', () => {
    const seen: [number, string][] = [];
    const s = verifyBundle(text, { onProgress: (f, step) => seen.push([f, step]) });
    expect(s).toEqual(verifyBundle(text));
    const fractions = seen.map(([f]) => f);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(new Set(fractions).size).toBe(fractions.length);
    expect(seen[0]).toEqual([0, 'parse']);
    expect(seen.at(-1)).toEqual([1, 'done']);
    expect(seen.map(([, step]) => step)).toEqual(expect.arrayContaining(['inclusion', 'signatures', 'replay']));
    const tampered: number[] = [];
    expect(() => verifyBundle(text.replace('1200000', '1300000'), { onProgress: (f) => tampered.push(f) })).toThrow(
      VerifyError,
    );
    expect(Math.max(...tampered)).toBeLessThan(1);
  });

  it('a flipped byte anywhere fails with a precise message and never throws anything else', () => {
    const bytes = Buffer.from(text);
    const step = Math.max(1, Math.floor(bytes.length / 400));
    let failures = 0;
    for (let i = 0; i < bytes.length; i += step) {
      const b = Buffer.from(bytes);
      b[i]! ^= 0x01;
      const r = failure(b.toString('latin1'), { logKey: bundle.log.publicKey });
      if (r !== 'ok') failures++;
      else throw new Error(`flipping byte ${i} (${JSON.stringify(text.slice(i - 20, i + 20))}) still verifies`);
    }
    expect(failures).toBeGreaterThan(100);
  });

  it('names a record removed, reordered, or proved to another size', () => {
    expect(
      failure(
        edit((b) => {
          (b.entries as unknown[]).splice(3, 1);
          return b;
        }),
      ),
    ).toMatch(/INCLUSION: leaf \d+ is listed in leafIndexes but its entry is missing/);
    expect(
      failure(
        edit((b) => {
          (b.entries as unknown[]).splice(3, 1);
          (b.leafIndexes as unknown[]).splice(3, 1);
          return b;
        }),
      ),
    ).not.toBe('ok');
    expect(
      failure(
        edit((b) => {
          const e = b.entries as unknown[];
          [e[2], e[3]] = [e[3], e[2]];
          return b;
        }),
      ),
    ).toMatch(/INCLUSION: entry 2 .*leafIndexes lists leaf/);
    expect(
      failure(
        edit((b) => {
          const e = b.entries as unknown[];
          const l = b.leafIndexes as unknown[];
          [e[2], e[3]] = [e[3], e[2]];
          [l[2], l[3]] = [l[3], l[2]];
          return b;
        }),
      ),
    ).toMatch(/out of log order/);
    expect(
      failure(
        edit((b) => {
          const e = b.entries[5] as Mutable<AuditBundle['entries'][number]>;
          e.proof = e.proof.slice(1);
          return b;
        }),
      ),
    ).toMatch(/INCLUSION: entry 5 .*too short|another root/);
  });

  it('refuses a proof made for another tree size', async () => {
    const size = Number(bundle.checkpoint.split('\n')[1]);
    const e = bundle.entries[4]!;
    const other = (await logRepo.inclusionProof(ts.store.db, e.leafIndex, size - 3)).map((p) =>
      Buffer.from(p).toString('base64'),
    );
    expect(other).not.toEqual(e.proof);
    expect(
      failure(
        edit((b) => {
          (b.entries[4] as Mutable<AuditBundle['entries'][number]>).proof = other;
          return b;
        }),
      ),
    ).toMatch(/INCLUSION: entry 4 \(leaf \d+\): .*(another root|too short|too long).*another tree size/);
  });

  it('refuses a checkpoint signed by an unknown key, a fork, and trailing garbage', () => {
    const other = generateKeyPair();
    expect(failure(text, { logKey: other.publicKey })).toMatch(
      /CHECKPOINT: checkpoint: note is not signed by lodestone\.localhost\/log/,
    );
    const size = Number(bundle.checkpoint.split('\n')[1]);
    const forged = signCheckpoint(
      { origin: bundle.log.name, size, root: rootFromLeafHashes([leafHash('fork')]) },
      bundle.log.name,
      importPrivateKey(other.privateKeyPem),
      other.publicKey,
    );
    expect(
      failure(
        edit((b) => ({ ...b, checkpoint: forged })),
        { logKey: bundle.log.publicKey },
      ),
    ).toMatch(/CHECKPOINT: checkpoint: note is not signed by lodestone\.localhost\/log/);
    const key = ctx.keystore.get('lodestone-log');
    const fork = signCheckpoint(
      { origin: bundle.log.name, size, root: rootFromLeafHashes([leafHash('fork')]) },
      bundle.log.name,
      importPrivateKey(key.privateKeyPem),
      key.publicKey,
    );
    expect(failure(edit((b) => ({ ...b, otherCheckpoints: [fork] })))).toMatch(
      /CHECKPOINT: fork: two checkpoints of size \d+ signed by lodestone\.localhost\/log with different roots/,
    );
    expect(failure(`${text} {}`)).toMatch(/MALFORMED: bundle is not one JSON document/);
    expect(failure(`${text}garbage`)).toMatch(/MALFORMED: bundle is not one JSON document/);
    expect(failure('')).toMatch(/MALFORMED/);
    expect(failure('[]')).toMatch(/MALFORMED: bundle must be a JSON object/);
    expect(failure(edit((b) => ({ ...b, entries: 'x' })))).toMatch(/MALFORMED: entries must be an array/);
  });

  it('refuses a changed record even with a recomputed proof-free shape: signature and leaf both bind it', () => {
    expect(
      failure(
        edit((b) => {
          const e = b.entries[1] as Mutable<AuditBundle['entries'][number]>;
          e.record = e.record.replace('"v":1', '"v":2');
          return b;
        }),
      ),
    ).toMatch(/INCLUSION: entry 1/);
  });
});

describe('completeness: subject chains walked from the heads the checkpoint commits', () => {
  type Proof = { subject: string; head: { seq: number; leafHash: string } | null; proof: unknown };
  const subjects = (b: AuditBundle) => b.subjects as Proof[];

  it('says what was proved: every covered subject, its head and its entries', () => {
    const s = verifyBundle(text, { logKey: bundle.log.publicKey });
    expect(s.completeness.proved).toBe(true);
    expect(s.completeness.subjects.map((x) => x.subject.split(':')[0])).toEqual(
      expect.arrayContaining(['licence', 'application', 'certificate', 'alert']),
    );
    const l = s.completeness.subjects.find((x) => x.subject === `licence:${licence}`)!;
    expect(l.head).toBe(
      Math.max(
        ...bundle.entries
          .filter((e) => e.record.includes(licence) && !e.record.includes('"party.registered"'))
          .map((e) => e.leafIndex + 1),
      ),
    );
  });

  it('refuses a missing proof, a head moved back, and a chain entry passed off as withheld', () => {
    expect(
      failure(edit((b) => ({ ...b, subjects: subjects(b).filter((p) => !p.subject.startsWith('licence:')) }))),
    ).toMatch(/^INCOMPLETE: no proof of the head of licence:/);
    expect(
      failure(
        edit((b) => ({
          ...b,
          subjects: subjects(b).map((p) =>
            p.subject.startsWith('licence:') && p.head ? { ...p, head: { ...p.head, seq: p.head.seq - 1 } } : p,
          ),
        })),
      ),
    ).toMatch(/^INCOMPLETE: licence:.*not the one the checkpoint commits/);
    const last = bundle.entries.at(-1)!;
    const hidden = edit((b) => {
      const entries = b.entries.filter((e) => e.leafIndex !== last.leafIndex);
      return {
        ...b,
        entries,
        leafIndexes: entries.map((e) => e.leafIndex),
        withheld: [
          ...(b.withheld ?? []),
          {
            leafIndex: last.leafIndex,
            leafHash: Buffer.from(leafHash(last.record)).toString('hex'),
            proof: last.proof,
          },
        ],
      };
    });
    expect(failure(hidden)).toMatch(/^INCOMPLETE: .*is on its chain but withheld/);
    expect(
      failure(edit((b) => ({ ...b, withheld: [{ leafIndex: 0, leafHash: 'ab'.repeat(32), proof: [] }] }))),
    ).toMatch(/^INCOMPLETE: withheld\[0\] \(leaf 0\): listed twice/);
  });

  it('a checkpoint without the subject map (a log from before subject links) proves no completeness, and says so', () => {
    const { size, root } = verifyBundle(text).checkpoint;
    const key = ctx.keystore.ensure('lodestone-log');
    const legacy = signCheckpoint(
      { origin: bundle.log.name, size, root },
      bundle.log.name,
      ctx.keystore.signer('lodestone-log').privateKey,
      key.publicKey,
    );
    const s = verifyBundle(
      edit((b) => ({ ...b, checkpoint: legacy, witnesses: [] })),
      { logKey: key.publicKey },
    );
    expect(s.completeness.proved).toBe(false);
    expect(formatSummary(s)).toMatch(/complete {4}NOT proved/);
  });
});

describe('witnesses are pinned (item 7)', () => {
  const dgft = () => ({ name: 'in-dgft', publicKey: ctx.keystore.get('in-dgft').publicKey });
  /** The bundle with a cosignature labelled "in-dgft" made with a key nobody pinned (and that key offered in `witnesses`). */
  const forged = (): string => {
    const k = generateKeyPair();
    const note = parseNote(bundle.checkpoint);
    const log = note.signatures.filter((x) => x.name === bundle.log.name);
    const cosig = cosignNote(note.text, 'in-dgft', importPrivateKey(k.privateKeyPem), k.publicKey, 1_790_000_000);
    return edit((b) => ({
      ...b,
      checkpoint: formatNote({ text: note.text, signatures: [...log, cosig] }),
      witnesses: [{ name: 'in-dgft', publicKey: k.publicKey }],
    }));
  };

  it('without pinned witnesses nothing counts as a witness; cosignatures are reported unverified', () => {
    const s = verifyBundle(text);
    expect(s.cosigners).toEqual([]);
    expect(s.unverifiedCosigners).toEqual(['in-dgft']);
  });
  it('a cosignature made with another key labelled "in-dgft" is not a witness, and fails a quorum', () => {
    const s = verifyBundle(forged());
    expect(s.cosigners).toEqual([]);
    expect(s.unverifiedCosigners).toEqual(['in-dgft']);
    expect(failure(forged(), { witnesses: [dgft()] })).toMatch(
      /^WITNESS: witness quorum not met: 0 of the 1 required .*not verified by a pinned key: in-dgft/,
    );
    expect(failure(forged(), { witnesses: [dgft()], witnessQuorum: 0 })).toBe('ok');
  });
  it('2 of 3 pinned: met by two, not by one; a quorum beyond the pins is refused', () => {
    const other = generateKeyPair();
    const note = parseNote(bundle.checkpoint);
    const cosig = cosignNote(
      note.text,
      'eu-witness',
      importPrivateKey(other.privateKeyPem),
      other.publicKey,
      1_790_000_000,
    );
    const two = edit((b) => ({
      ...b,
      checkpoint: formatNote({ text: note.text, signatures: [...note.signatures, cosig] }),
    }));
    const pins = [
      dgft(),
      { name: 'eu-witness', publicKey: other.publicKey },
      { name: 'third', publicKey: generateKeyPair().publicKey },
    ];
    expect(verifyBundle(two, { witnesses: pins, witnessQuorum: 2 }).cosigners).toEqual(['in-dgft', 'eu-witness']);
    expect(failure(text, { witnesses: pins, witnessQuorum: 2 })).toMatch(
      /^WITNESS: witness quorum not met: 1 of the 2/,
    );
    expect(failure(text, { witnesses: pins, witnessQuorum: 4 })).toMatch(
      /^WITNESS: a quorum of 4 cannot be met by the 3 pinned/,
    );
  });
});

describe('roles from the trust list (item 8)', () => {
  const root = () => trustRootKey(ctx).publicKey;
  it('pinned root: the versions verify; another root fails; without a pin the summary says it came from the bundle', () => {
    expect(verifyBundle(text, { trustRoot: root() }).trustList.rootPinned).toBe(true);
    expect(verifyBundle(text).trustList).toMatchObject({ rootPinned: false, rootKey: root() });
    expect(failure(text, { trustRoot: generateKeyPair().publicKey })).toMatch(
      /^TRUST_LIST: entry \d+ .*trustlist\.published.* names root key .*, not the trust root/,
    );
  });
  it('a bundle without its trust list, or with a version removed, fails', () => {
    const without = edit((b) => {
      const keep = b.entries
        .map((e, i) => [e, b.leafIndexes[i]] as const)
        .filter(([e]) => !e.record.includes('"type":"trustlist.published"'));
      return { ...b, entries: keep.map(([e]) => e), leafIndexes: keep.map(([, l]) => l) };
    });
    // The trust list is a subject the bundle covers: leaving its versions out is caught as incomplete before the roles are checked.
    expect(failure(without)).toMatch(
      /^INCOMPLETE: trustlist:roles: entry \d+ \(leaf \d+\) is on its chain but missing from the bundle/,
    );
  });
  it('a decision by a party the list in force does not name fails, even if an earlier version named it', async () => {
    const t = await freshStore('pglite');
    try {
      let now = Date.parse('2026-11-24T09:00:00.000Z');
      const c2 = createApp(t.store, { keysDir: join(dir, 'keys2'), clock: () => new Date((now += 1000)) });
      const demo = await runDemo(c2);
      const lic = demo.report.licences[0]!.licence;
      // The operator drops cn-mofcom from the list; a dishonest node records a decision by it anyway (commit bypasses the use case's check).
      await publishTrustList(c2, { entries: [{ party: 'in-dgft', role: 'countersigner', country: 'IN' }] });
      await c2.store.transaction(async (tx) => {
        await commit(tx, c2, 'application.decided', 'cn-mofcom', {
          applicationId: lic.applicationId,
          decision: 'info-requested',
          reasons: ['after the list changed'],
        });
      });
      const b = JSON.stringify(await exportAuditBundle(c2, lic.id));
      const versionOneDropped = (() => {
        const parsed = JSON.parse(b) as AuditBundle;
        const i = parsed.entries.findIndex((e) => e.record.includes('"type":"trustlist.published"'));
        return JSON.stringify({
          ...parsed,
          entries: parsed.entries.filter((_, j) => j !== i),
          leafIndexes: parsed.leafIndexes.filter((_, j) => j !== i),
        });
      })();
      expect(failure(versionOneDropped, { trustRoot: trustRootKey(c2).publicKey })).toMatch(
        /^INCOMPLETE: trustlist:roles: entry \d+ \(leaf \d+\) is on its chain but missing from the bundle/,
      );
      expect(failure(b, { trustRoot: trustRootKey(c2).publicKey })).toMatch(
        /^TRUST_LIST: .*application\.decided by cn-mofcom.*not listed as licensing authority for exports from CN in the trust list in force \(version 2\)/,
      );
    } finally {
      await t.dispose();
    }
  }, 120_000);
});
