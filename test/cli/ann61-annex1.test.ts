/**
 * MOFCOM Announcement No. 61 [2025] through the CLI (issue 19 points 6 and 7), cases written from
 * ../shared/regulations.md §1.3, each naming its citation:
 * - Annex 1 as listed: Part 1 (content items) = metallic Sm, Dy, Gd, Tb, Lu, Sc, Y; Sm-Co, Tb-Fe, Dy-Fe,
 *   Tb-Dy-Fe alloys; Dy oxide, Tb oxide [single, udn.com]. Part 2 = rare-earth permanent-magnet materials
 *   and rare-earth targets [multi]. Art. 1(3): Chinese-origin Annex 1 items re-exported; Art. 1(1): foreign
 *   Part 2 items with Chinese-origin Part 1 content ≥ 0.1 % of value. Inferred readings are printed.
 * - Policies apply to whom the source says: Ann. 61's licensing policy is stated for overseas export
 *   operators under Ann. 61, so it governs an Indian exporter's re-export application to MOFCOM and not a
 *   Chinese exporter's Ann. 18 application.
 * The dates are explicit (2026-12-01: after 2026-11-10, under the default reading of the unverified fact
 * ann70-after-2026-11-10; 2026-06-01: inside Ann. 70's suspension).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHORITY, CliStore, endUse, example, EXPORTER, inAYear, today } from '../adversarial/certs.support.js';

const s = new CliStore();

interface Classified {
  controlled: boolean;
  codes: string[];
  findings: { id: string; outcome: string; entries?: { ref: string }[] }[];
  inferences?: { id: string }[];
  assumptions?: { fact: string }[];
}
const classify = async (item: unknown, ...args: string[]) =>
  JSON.parse(await s.ok('classify', s.file(item), '--json', ...args)) as Classified;
const text = (item: unknown, ...args: string[]) => s.ok('classify', s.file(item), ...args);
const outcome = (c: Classified, id: string) => c.findings.find((f) => f.id === id)?.outcome;

const plainN42 = example('items/ndfeb-plain-magnet.json') as Record<string, unknown>;
const hoMagnet = example('items/ho-ndfeb-magnet.json') as Record<string, unknown>;
const dyOxide = example('items/dy-oxide.json') as Record<string, unknown>;
const dyMagnet = example('items/ndfeb-dy-magnet.json') as Record<string, unknown>;
const AFTER = ['--as-of', '2026-12-01'];
const FROM_IN_TO_US = ['--from', 'IN', '--to', 'US'];

/** A foreign (JP) Dy-free NdFeB magnet worth USD 100 with one Chinese-origin component worth `minor` cents. */
const japaneseMagnetWith = (component: Record<string, unknown>, minor: number) => ({
  description: 'NdFeB magnet made in Japan with one Chinese-origin input',
  form: 'magnet',
  magnetFamily: 'NdFeB',
  hsCode: '8505.11',
  composition: { Nd: 250000, Pr: 60000, Fe: 680000, B: 10000 },
  origin: 'JP',
  massGrams: 1000,
  value: { currency: 'USD', minor: 10000 },
  components: [{ item: component, massGrams: 10, value: { currency: 'USD', minor } }],
});

beforeAll(async () => {
  await s.setup();
}, 300_000);
afterAll(async () => {
  await s.dispose();
});

describe('Ann. 61 Annex 1 as listed (regulations.md §1.3)', () => {
  it('Part 2 is every rare-earth permanent-magnet material: a Chinese-origin Dy-free N42 re-exported from India is caught by Art. 1(3), though Ann. 18 does not list it', async () => {
    const reexport = await classify(plainN42, ...AFTER, ...FROM_IN_TO_US);
    expect(reexport).toMatchObject({ controlled: true, codes: ['ANN61-A1P2'] });
    expect(outcome(reexport, 'cn-ann61-reexport')).toBe('applies');
    expect(reexport.findings.find((f) => f.id === 'cn-ann61-reexport')?.entries?.map((e) => e.ref)).toEqual([
      'ANN61-A1P2:magnet',
    ]);
    // The reading is an inference and says so, with the other reading.
    expect(reexport.inferences?.map((i) => i.id)).toEqual(['ann61-part2-all-magnets-and-targets']);
    const out = await text(plainN42, ...AFTER, ...FROM_IN_TO_US);
    expect(out).toMatch(
      /^INFERENCE ann61-part2-all-magnets-and-targets \(ANN61-A1P2:magnet; cn-mofcom-rare-earths 2026\.12\.4\): .*other reading: only the magnets and targets of the Part 1 elements/m,
    );
    // Exported from China the same magnet is no Ann. 18 item (NdFeB only with Tb or Dy: 1C904.a, 1C905.a).
    expect(await classify(plainN42, ...AFTER, '--from', 'CN', '--to', 'US')).toMatchObject({ controlled: false });
    // Inside Ann. 70's suspension (2025-11-07 – 2026-11-10) Art. 1(3) is suspended.
    const during = await classify(plainN42, '--as-of', '2026-06-01', ...FROM_IN_TO_US);
    expect(outcome(during, 'cn-ann61-reexport')).toBe('suspended');
    expect(during.controlled).toBe(false);
    // Under the other reading of the unverified fact it stays suspended after 2026-11-10.
    const extended = await classify(
      plainN42,
      ...AFTER,
      ...FROM_IN_TO_US,
      '--assume',
      'ann70-after-2026-11-10=extended',
    );
    expect(extended.controlled).toBe(false);
  });

  it('a holmium magnet is a Part 2 item (a rare-earth permanent-magnet material) although holmium is not in Part 1', async () => {
    const c = await classify(hoMagnet, ...AFTER, ...FROM_IN_TO_US);
    expect(c).toMatchObject({ controlled: true, codes: ['ANN61-A1P2'] });
    expect(outcome(c, 'cn-ann61-reexport')).toBe('applies');
  });

  it('rare-earth targets are Part 2 items whatever the rare earth: a Chinese-origin lanthanum target re-exported from India', async () => {
    const laTarget = {
      description: 'Lanthanum sputtering target, 99.9 %',
      form: 'target',
      hsCode: '2805.30',
      composition: { La: 999000, Fe: 1000 },
      origin: 'CN',
      massGrams: 2000,
    };
    expect(await classify(laTarget, ...AFTER, ...FROM_IN_TO_US)).toMatchObject({
      controlled: true,
      codes: ['ANN61-A1P2'],
    });
    // Lanthanum is in no Ann. 18 entry: from China it is not controlled.
    expect(await classify(laTarget, ...AFTER, '--from', 'CN', '--to', 'US')).toMatchObject({ controlled: false });
  });

  it('Part 1 names Dy and Tb oxide: Dy2O3 is an Annex 1 item; a Chinese Nd-Pr oxide with 1 % Dy is not (Ann. 18 "oxide and its mixtures" still catches it leaving China)', async () => {
    const oxide = await classify(dyOxide, ...AFTER, ...FROM_IN_TO_US);
    expect(oxide).toMatchObject({ controlled: true, codes: ['ANN61-A1P1'] });
    expect(oxide.inferences?.map((i) => i.id)).toEqual(['ann61-part1-named-items']);
    const mixed = {
      description: 'Praseodymium-neodymium oxide with 1 % dysprosium',
      form: 'oxide',
      hsCode: '2846.90',
      composition: { Nd: 640000, Pr: 200000, Dy: 10000, O: 150000 },
      origin: 'CN',
      massGrams: 25000,
    };
    const reexport = await classify(mixed, ...AFTER, ...FROM_IN_TO_US);
    expect(reexport.controlled).toBe(false);
    expect(outcome(reexport, 'cn-ann61-reexport')).toBeUndefined();
    expect(await classify(mixed, ...AFTER, '--from', 'CN', '--to', 'US')).toMatchObject({
      controlled: true,
      codes: ['1C905.b'],
    });
  });

  it('Part 1 names Tb-Fe and Dy-Fe alloys, not every alloy with Dy: an NdFeB strip-cast alloy with 2 % Dy is no Annex 1 item', async () => {
    const dyFe = {
      description: 'Dysprosium-iron master alloy Dy80Fe20',
      form: 'alloy',
      hsCode: '2805.30',
      composition: { Dy: 800000, Fe: 200000 },
      origin: 'CN',
      massGrams: 5000,
    };
    expect(await classify(dyFe, ...AFTER, ...FROM_IN_TO_US)).toMatchObject({ controlled: true, codes: ['ANN61-A1P1'] });
    const terfenol = {
      ...dyFe,
      description: 'Terfenol-D Tb0.3Dy0.7Fe2',
      composition: { Tb: 160000, Dy: 400000, Fe: 440000 },
    };
    const t = await classify(terfenol, ...AFTER, ...FROM_IN_TO_US);
    expect(
      t.findings
        .find((f) => f.id === 'cn-ann61-reexport')
        ?.entries?.map((e) => e.ref)
        .sort(),
    ).toEqual(['ANN61-A1P1:dy-fe-alloy', 'ANN61-A1P1:tb-fe-alloy']);
    const stripCast = {
      ...dyFe,
      description: 'NdFeB strip-cast alloy flakes with 2 % Dy',
      composition: { Nd: 290000, Dy: 20000, Fe: 680000, B: 10000 },
    };
    expect(await classify(stripCast, ...AFTER, ...FROM_IN_TO_US)).toMatchObject({ controlled: false });
  });

  it('Art. 1(1): a Japanese Dy-free magnet is caught by ≥ 0.1 % of value of Chinese Part 1 content (Dy-Fe alloy), not by Chinese Nd-Pr metal (not in Part 1)', async () => {
    const dyFe = {
      description: 'Dy-Fe alloy (China)',
      form: 'alloy',
      hsCode: '2805.30',
      composition: { Dy: 800000, Fe: 200000 },
      origin: 'CN',
    };
    const withDyFe = await classify(japaneseMagnetWith(dyFe, 10), ...AFTER, '--from', 'JP', '--to', 'US');
    expect(withDyFe).toMatchObject({ controlled: true, codes: ['ANN61-A1P2'] });
    expect(outcome(withDyFe, 'cn-ann61-de-minimis')).toBe('applies');
    // 9 cents of USD 100 is 0.09 %: below the threshold.
    const below = await classify(japaneseMagnetWith(dyFe, 9), ...AFTER, '--from', 'JP', '--to', 'US');
    expect(outcome(below, 'cn-ann61-de-minimis')).toBe('below-threshold');
    const ndPr = {
      description: 'Nd-Pr metal (China)',
      form: 'metal',
      hsCode: '2805.30',
      composition: { Nd: 750000, Pr: 250000 },
      origin: 'CN',
    };
    const withNdPr = await classify(japaneseMagnetWith(ndPr, 5000), ...AFTER, '--from', 'JP', '--to', 'US');
    expect(withNdPr.controlled).toBe(false);
  });
});

describe('Ann. 61 licensing policy applies to whom its source says (regulations.md §1.3 "Who: overseas designated export operators")', () => {
  const application = (applicant: string, purposes: string[]) =>
    s.file({
      authority: AUTHORITY,
      applicant,
      importer: 'de-drive-systems',
      endUser: 'de-drive-systems',
      destination: 'DE',
      endUse: { ...endUse, purposes },
      licenceType: 'single',
      lines: [{ ref: 'L1', item: dyMagnet, quantityGrams: 10_000, value: { currency: 'USD', minor: 80_000 } }],
      validFrom: today(),
      validUntil: inAYear(),
    });
  interface Applied {
    assessment: { recommendation: string; reasons: string[]; policy: { findings: { id: string; outcome: string }[] } };
  }
  const policyOutcome = (a: Applied, id: string) => a.assessment.policy.findings.find((f) => f.id === id)?.outcome;

  beforeAll(async () => {
    await s.ok(
      'parties',
      'register',
      s.file([
        { id: 'in-magnet-exporter', name: 'Deccan Magnet Exports Pvt Ltd', country: 'IN', sector: 'distribution' },
        { id: 'de-drive-systems', name: 'Rheinland Antriebe GmbH', country: 'DE', sector: 'automotive' },
      ]),
    );
    // MOFCOM licenses Ann. 61 re-exports from India too: the trust list says so.
    const trust = example('scenario/trust-list.json') as { entries: unknown[] };
    await s.ok(
      'trust-list',
      'set',
      s.file({
        entries: [
          ...trust.entries,
          { party: AUTHORITY, role: 'licensing-authority', country: 'IN', note: 'Ann. 61 [2025]: overseas exporters' },
        ],
      }),
    );
  });

  it('an Indian exporter re-exporting Chinese-origin magnets for a military end use is denied under Ann. 61; a Chinese exporter under Ann. 18 is not governed by that policy', async () => {
    const overseas = JSON.parse(
      await s.ok('apply', application('in-magnet-exporter', ['military']), '--json'),
    ) as Applied;
    expect(policyOutcome(overseas, 'cn-ann61-military-end-use')).toBe('applies');
    expect(overseas.assessment.recommendation).toBe('deny');
    expect(overseas.assessment.reasons.join('\n')).toMatch(
      /Deny: military end uses .*Announcement No\. 61 \[2025\], licensing policy/,
    );

    const chinese = JSON.parse(await s.ok('apply', application(EXPORTER, ['military']), '--json')) as Applied;
    expect(policyOutcome(chinese, 'cn-ann61-military-end-use')).toBe('not-applicable');
    expect(chinese.assessment.recommendation).not.toBe('deny');
  });
});
