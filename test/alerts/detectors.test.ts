import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Licence, Party, Restriction } from '../../src/domain/index.js';
import {
  detectAnnualNeed,
  detectCircularTrade,
  detectLateReports,
  detectMassBalanceGaps,
  detectNewScreeningHits,
  detectQuickReshipment,
  detectSectorMismatch,
  detectOverReceipts,
  detectUnderDeclaredValues,
  detectTransshipment,
  parseRedFlags,
  relatedByOwnership,
  type MonitorFacts,
  type RedFlagSet,
  type ShipmentFact,
} from '../../src/monitor/index.js';

const FILE = new URL('../../rules/monitoring/red-flags.yaml', import.meta.url);
const TEXT = readFileSync(FILE, 'utf8');
const SET: RedFlagSet = parseRedFlags(TEXT, 'rules/monitoring/red-flags.yaml', '0'.repeat(64));
const R = SET.rules;

const party = (id: string, country: string, extra: Partial<Party> = {}): Party => ({
  id,
  name: id.toUpperCase(),
  country,
  ...extra,
});
const restriction = (over: Partial<Restriction> = {}): Restriction => ({
  licenceId: 'LIC-1',
  authority: 'cn-mofcom',
  endUser: 'importer',
  prohibitedDestinations: ['US'],
  useOnlyIn: 'IN',
  extendsToProducts: true,
  licensedGrams: 100_000,
  massSharePpm: 1_000_000,
  chain: ['licence LIC-1'],
  clauses: [],
  ...over,
});
const licence = (over: Partial<Licence> = {}): Licence => ({
  id: 'LIC-1',
  applicationId: 'app-1',
  authority: 'cn-mofcom',
  holder: 'exporter',
  importer: 'importer',
  consignee: 'importer',
  endUser: 'importer',
  destination: 'IN',
  endUse: { description: 'EV motors', purposes: ['civil-automotive'] },
  type: 'single',
  validFrom: '2026-01-01',
  validUntil: '2026-12-31',
  lines: [],
  prohibitedReexportDestinations: ['US'],
  useOnlyIn: 'IN',
  extendsToIncorporatingProducts: true,
  reportingDuties: [{ kind: 'post-shipment-report', withinDays: 30, to: 'cn-mofcom' }],
  conditions: [],
  ...over,
});

const parties = (...ps: Party[]) => new Map(ps.map((p, i) => [p.id, { party: p, seq: i + 1 }]));
const BASE_PARTIES = parties(
  party('exporter', 'CN', { sector: 'magnet-manufacturing' }),
  party('importer', 'IN', { sector: 'automotive' }),
  party('trader', 'AE', { sector: 'distribution' }),
  party('buyer', 'IN', { sector: 'automotive' }),
);

function facts(over: Partial<MonitorFacts> = {}): MonitorFacts {
  return {
    asOf: '2026-06-30',
    licences: [{ licence: licence(), status: 'active', decidedSeq: 10 }],
    balances: [],
    shipments: [],
    attempts: [],
    transformations: [],
    reports: [],
    parties: BASE_PARTIES,
    ...over,
  };
}

const shipment = (over: Partial<ShipmentFact> = {}): ShipmentFact => ({
  id: 'S1',
  seq: 20,
  fromLot: 'L0',
  fromHolder: 'exporter',
  to: 'importer',
  destination: 'IN',
  grams: 100_000,
  shippedOn: '2026-03-01',
  licenceId: 'LIC-1',
  restrictions: [restriction()],
  ...over,
});

describe('red-flag set (YAML)', () => {
  it('the shipped set loads: every rule, the hub countries, the sector table', () => {
    expect(Object.keys(R).sort()).toEqual([
      'annual-need-exceeded',
      'certificate-revoked',
      'circular-trade',
      'mass-balance-gap',
      'over-receipt',
      'post-shipment-report-late',
      'quick-reshipment',
      'screening-hit-after-approval',
      'sector-end-use-mismatch',
      'transshipment',
      'value-under-declared',
    ]);
    expect(R.transshipment?.hubCountries).toEqual(['AE', 'SG', 'HK', 'TR', 'MY', 'KZ', 'AM', 'GE', 'KG']);
    expect(R['sector-end-use-mismatch']?.plausiblePurposes.automotive).toContain('civil-automotive');
    expect(SET.version).toMatch(/^\d{4}\.\d+\.\d+$/);
  });

  it.each([
    [
      'an unknown rule id',
      TEXT.replace('- id: circular-trade', '- id: circular-trades'),
      /red-flags\.yaml:\d+: rules\[circular-trades\]\.id: must be one of "mass-balance-gap"/,
    ],
    [
      'a bad hub country',
      TEXT.replace('hub_countries: [AE, SG', 'hub_countries: [AE, XX'),
      /red-flags\.yaml:\d+: rules\[transshipment\]\.hub_countries\.1: must be an ISO 3166-1 alpha-2 country code/,
    ],
    [
      'a negative threshold',
      TEXT.replace('within_days: 14', 'within_days: -3'),
      /rules\[quick-reshipment\]\.thresholds\.within_days: /,
    ],
    [
      'a fractional gram threshold',
      TEXT.replace('min_gap_grams: 1000', 'min_gap_grams: 10.5'),
      /rules\[mass-balance-gap\]\.thresholds\.min_gap_grams: must be a whole number of grams/,
    ],
    [
      'an unknown field',
      TEXT.replace('      grace_days: 0', '      grace_days: 0\n      grace_weeks: 1'),
      /red-flags\.yaml:\d+: rules\[post-shipment-report-late\]\.thresholds\.grace_weeks: unknown field/,
    ],
    [
      'a missing severity',
      TEXT.replace('    severity: warning\n    title: Re-shipment', '    title: Re-shipment'),
      /rules\[quick-reshipment\]\.severity: (is required|must be one of)/,
    ],
    [
      'an unknown source',
      TEXT.replace('source: lodestone, clause: "gap', 'source: nowhere, clause: "gap'),
      /rules\[mass-balance-gap\]\.citations\.1\.source: unknown source "nowhere"/,
    ],
    [
      'an unknown purpose',
      TEXT.replace('defence: [military]', 'defence: [warfare]'),
      /plausible_purposes\.defence\.0: must be one of/,
    ],
    [
      'a duplicate rule',
      `${TEXT}\n  - id: screening-hit-after-approval\n    severity: high\n    title: x\n    rationale: x\n    citations: [{ source: lodestone, clause: x }]\n`,
      /rules\[screening-hit-after-approval\]\.id: rule "screening-hit-after-approval" is listed twice/,
    ],
    ['broken YAML', 'id: [unclosed', /red-flags\.yaml:\d+: not valid YAML/],
  ])('%s is refused, naming the file, line and field', (_what, text, message) => {
    expect(() => parseRedFlags(text, 'rules/monitoring/red-flags.yaml', '0'.repeat(64))).toThrow(message);
  });
});

describe('detectors (pure)', () => {
  const mb = R['mass-balance-gap']!;
  it('mass balance: a holder gap or a receipt shortfall at or past a threshold is raised; below both, nothing', () => {
    const over = facts({
      balances: [
        {
          licenceId: 'LIC-1',
          licensedGrams: 2_000_000,
          holders: [
            { holder: 'importer', gap: 1_500, seqs: [21, 22] },
            { holder: 'exporter', gap: 0, seqs: [20] },
          ],
        },
      ],
    });
    const f = detectMassBalanceGaps(over, mb);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      rule: 'mass-balance-gap',
      severity: 'high',
      licenceId: 'LIC-1',
      parties: ['importer'],
      evidence: { seqs: [21, 22] },
      thresholds: { min_gap_grams: 1000, min_gap_ppm: 1000 },
    });
    expect(f[0]!.explanation).toContain('1,500 g');
    // More out than in: the gap is said as its size and its direction, not as a negative mass.
    const out = detectMassBalanceGaps(
      facts({
        balances: [
          { licenceId: 'LIC-1', licensedGrams: 2_000_000, holders: [{ holder: 'importer', gap: -1_500, seqs: [21] }] },
        ],
      }),
      mb,
    );
    expect(out[0]!.explanation).toMatch(
      /show a mass-balance gap of 1\.5 kg \(1,500 g\) of licensed material .*: more went out or is on hand than went in$/,
    );
    expect(out[0]!.key).toBe('mass-balance-gap|LIC-1|holder|importer|-1500');
    const under = facts({
      balances: [
        { licenceId: 'LIC-1', licensedGrams: 2_000_000, holders: [{ holder: 'importer', gap: 999, seqs: [21] }] },
      ],
    });
    expect(detectMassBalanceGaps(under, mb)).toEqual([]);
    // 999 g of a 900 kg licence is over 1000 ppm: raised on the share
    expect(
      detectMassBalanceGaps(
        facts({
          balances: [
            { licenceId: 'LIC-1', licensedGrams: 900_000, holders: [{ holder: 'importer', gap: 999, seqs: [21] }] },
          ],
        }),
        mb,
      ),
    ).toHaveLength(1);
    const short = facts({
      balances: [{ licenceId: 'LIC-1', licensedGrams: 2_000_000, holders: [] }],
      shipments: [shipment({ received: { seq: 30, on: '2026-03-05', grams: 97_000, lotId: 'L1' } })],
    });
    expect(detectMassBalanceGaps(short, mb)).toMatchObject([
      {
        parties: ['exporter', 'importer'],
        evidence: { seqs: [20, 30], records: ['shipment S1', 'lot L1'] },
        key: 'mass-balance-gap|LIC-1|shipment|S1',
      },
    ]);
    const whole = facts({
      balances: [{ licenceId: 'LIC-1', licensedGrams: 2_000_000, holders: [] }],
      shipments: [shipment({ received: { seq: 30, on: '2026-03-05', grams: 100_000, lotId: 'L1' } })],
    });
    expect(detectMassBalanceGaps(whole, mb)).toEqual([]);
  });

  it('mass balance (property): a finding exactly when |gap| reaches either threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5_000_000, max: 5_000_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (gap, licensed) => {
          const f = detectMassBalanceGaps(
            facts({
              balances: [{ licenceId: 'LIC-1', licensedGrams: licensed, holders: [{ holder: 'h', gap, seqs: [1] }] }],
            }),
            mb,
          );
          const abs = Math.abs(gap);
          const expected =
            gap !== 0 &&
            (abs >= mb.minGapGrams || Number((BigInt(abs) * 1_000_000n) / BigInt(licensed)) >= mb.minGapPpm);
          expect(f.length).toBe(expected ? 1 : 0);
        },
      ),
    );
  });

  const ts = R.transshipment!;
  it('transshipment: restricted material to a hub country, or to a consignee there, is raised; the licensed export and domestic moves are not', () => {
    const onward = shipment({
      id: 'S2',
      fromLot: 'L1',
      fromHolder: 'importer',
      to: 'trader',
      destination: 'AE',
      licenceId: undefined,
    });
    const f = detectTransshipment(facts({ shipments: [onward] }), ts);
    expect(f).toMatchObject([
      {
        rule: 'transshipment',
        severity: 'critical',
        licenceId: 'LIC-1',
        parties: ['importer', 'trader'],
        key: 'transshipment|LIC-1|shipment|S2',
      },
    ]);
    expect(f[0]!.explanation).toMatch(/destination United Arab Emirates \(AE\) is a transshipment hub/);
    // consignee in a hub, declared destination elsewhere
    expect(detectTransshipment(facts({ shipments: [{ ...onward, destination: 'IN' }] }), ts)[0]!.explanation).toMatch(
      /consignee TRADER is in United Arab Emirates \(AE\)/,
    );
    // attempts (refused) count too
    expect(
      detectTransshipment(
        facts({
          attempts: [
            {
              id: 'S3',
              fromLot: 'L1',
              fromHolder: 'importer',
              to: 'trader',
              destination: 'AE',
              grams: 1,
              on: '2026-03-02',
              restrictions: [restriction()],
              refusals: ['REEXPORT_WITHOUT_CONSENT'],
            },
          ],
        }),
        ts,
      )[0],
    ).toMatchObject({ key: 'transshipment|LIC-1|attempt|S3', evidence: { seqs: [] } });
    expect(detectTransshipment(facts({ shipments: [shipment()] }), ts)).toEqual([]);
    expect(detectTransshipment(facts({ shipments: [{ ...onward, to: 'buyer', destination: 'IN' }] }), ts)).toEqual([]);
    expect(
      detectTransshipment(
        facts({ shipments: [{ ...onward, restrictions: [restriction({ prohibitedDestinations: [] })] }] }),
        ts,
      ),
    ).toEqual([]);
  });

  const an = R['annual-need-exceeded']!;
  it('annual need: received licensed grams within the window beyond the declared need are raised', () => {
    const lic = licence({ endUse: { description: 'x', purposes: ['civil-automotive'], annualNeedGrams: 150_000 } });
    const r1 = shipment({ id: 'S1', received: { seq: 21, on: '2026-02-01', grams: 100_000, lotId: 'L1' } });
    const r2 = shipment({ id: 'S2', seq: 22, received: { seq: 23, on: '2026-06-01', grams: 100_000, lotId: 'L2' } });
    const f = detectAnnualNeed(
      facts({ licences: [{ licence: lic, status: 'active', decidedSeq: 10 }], shipments: [r1, r2] }),
      an,
    );
    expect(f).toMatchObject([
      {
        rule: 'annual-need-exceeded',
        parties: ['importer'],
        evidence: { seqs: [20, 21, 22, 23] },
        thresholds: { annual_need_grams: 150_000, window_days: 365 },
      },
    ]);
    // the first receipt is out of the window a year later
    expect(
      detectAnnualNeed(
        facts({
          asOf: '2027-03-01',
          licences: [{ licence: lic, status: 'active', decidedSeq: 10 }],
          shipments: [r1, r2],
        }),
        an,
      ),
    ).toEqual([]);
    expect(
      detectAnnualNeed(
        facts({
          licences: [
            {
              licence: licence({
                endUse: { description: 'x', purposes: ['civil-automotive'], annualNeedGrams: 200_000 },
              }),
              status: 'active',
              decidedSeq: 10,
            },
          ],
          shipments: [r1, r2],
        }),
        an,
      ),
    ).toEqual([]);
    expect(detectAnnualNeed(facts({ shipments: [r1, r2] }), an)).toEqual([]); // no declared need
  });

  const sm = R['sector-end-use-mismatch']!;
  it('sector: a distributor or defence firm declaring civil-automotive use is raised; an automotive end user is not', () => {
    expect(detectSectorMismatch(facts(), sm)).toEqual([]);
    const f = detectSectorMismatch(
      facts({ licences: [{ licence: licence({ endUser: 'trader' }), status: 'active', decidedSeq: 10 }] }),
      sm,
    );
    expect(f).toMatchObject([
      {
        rule: 'sector-end-use-mismatch',
        parties: ['trader'],
        evidence: { seqs: [3, 10] },
        thresholds: { sector: 'distribution', plausible_purposes: [] },
      },
    ]);
    const defence = parties(party('importer', 'IN', { sector: 'defence' }));
    expect(detectSectorMismatch(facts({ parties: defence }), sm)[0]!.explanation).toMatch(
      /defence sector, which does not fit the declared end use civil-automotive/,
    );
  });

  const lr = R['post-shipment-report-late']!;
  it('post-shipment report: missing after the due date, late when filed after it, nothing when on time or not yet due', () => {
    const s = shipment();
    expect(detectLateReports(facts({ asOf: '2026-03-31', shipments: [s] }), lr)).toEqual([]); // due 2026-03-31
    expect(detectLateReports(facts({ asOf: '2026-04-01', shipments: [s] }), lr)).toMatchObject([
      { key: 'post-shipment-report-late|S1|missing', thresholds: { due: '2026-03-31', within_days: 30 } },
    ]);
    expect(
      detectLateReports(
        facts({
          asOf: '2026-06-01',
          shipments: [s],
          reports: [{ id: 'rpt-1', seq: 40, shipmentId: 'S1', kind: 'post-shipment', filedOn: '2026-03-20' }],
        }),
        lr,
      ),
    ).toEqual([]);
    expect(
      detectLateReports(
        facts({
          asOf: '2026-06-01',
          shipments: [s],
          reports: [{ id: 'rpt-1', seq: 40, shipmentId: 'S1', kind: 'post-shipment', filedOn: '2026-04-10' }],
        }),
        lr,
      ),
    ).toMatchObject([{ key: 'post-shipment-report-late|S1|late', evidence: { seqs: [20, 40] } }]);
    expect(
      detectLateReports(
        facts({
          asOf: '2027-01-01',
          licences: [{ licence: licence({ reportingDuties: [] }), status: 'active', decidedSeq: 10 }],
          shipments: [s],
        }),
        lr,
      ),
    ).toEqual([]);
  });

  it("post-shipment report: the deadline counts from the later of the declared date and the record's server day (issue 18, item 1)", () => {
    const backdated = shipment({ shippedOn: '2026-02-26', recordedOn: '2026-03-01' });
    expect(detectLateReports(facts({ asOf: '2026-03-31', shipments: [backdated] }), lr)).toEqual([]); // due 2026-03-31, not 2026-03-28
    expect(detectLateReports(facts({ asOf: '2026-04-01', shipments: [backdated] }), lr)).toMatchObject([
      { thresholds: { due: '2026-03-31' } },
    ]);
  });

  it('over-receipt: a refused receipt of more than was shipped is raised once per licence it carried', () => {
    const rule = R['over-receipt']!;
    const attempt = {
      shipmentId: 'S1',
      shipmentSeq: 20,
      receiver: 'importer',
      shippedGrams: 1000,
      claimedGrams: 1_000_000,
      restrictions: [restriction()],
    };
    expect(detectOverReceipts([attempt], rule)).toMatchObject([
      {
        rule: 'over-receipt',
        licenceId: 'LIC-1',
        parties: ['importer'],
        key: 'over-receipt|S1|1000000',
        evidence: { seqs: [20] },
        explanation: expect.stringContaining('999 kg (999,000 g) more than was shipped') as unknown,
      },
    ]);
    expect(detectOverReceipts([{ ...attempt, claimedGrams: 1000 }], rule)).toEqual([]);
    expect(detectOverReceipts([{ ...attempt, restrictions: [] }], rule)).toEqual([]);
  });

  it("value under-declared: below the lot's value per gram by more than the tolerance, exactly", () => {
    const rule = R['value-under-declared']!;
    expect(rule.tolerancePpm).toBe(100_000);
    const fact = {
      shipmentId: 'S1',
      seq: 20,
      shipper: 'exporter',
      to: 'importer',
      grams: 1000,
      currency: 'USD',
      declaredMinor: 90_000,
      computedMinor: 100_000,
      licenceIds: ['LIC-1'],
    };
    expect(detectUnderDeclaredValues([fact], rule)).toEqual([]); // exactly 10 % below: within the tolerance
    expect(detectUnderDeclaredValues([{ ...fact, declaredMinor: 89_999 }], rule)).toMatchObject([
      {
        rule: 'value-under-declared',
        licenceId: 'LIC-1',
        key: 'value-under-declared|S1',
        thresholds: { declared_minor: 89_999, computed_minor: 100_000 },
      },
    ]);
    expect(detectUnderDeclaredValues([{ ...fact, declaredMinor: 120_000 }], rule)).toEqual([]);
  });

  const qr = R['quick-reshipment']!;
  it('quick re-shipment: a received lot shipped on within N days is raised; later, or never received, is not', () => {
    const inbound = shipment({ received: { seq: 21, on: '2026-03-05', grams: 100_000, lotId: 'L1' } });
    const onward = (on: string) =>
      shipment({
        id: 'S2',
        seq: 30,
        fromLot: 'L1',
        fromHolder: 'importer',
        to: 'buyer',
        shippedOn: on,
        licenceId: undefined,
      });
    expect(detectQuickReshipment(facts({ shipments: [inbound, onward('2026-03-10')] }), qr)).toMatchObject([
      { parties: ['importer', 'buyer'], evidence: { seqs: [20, 21, 30] }, key: 'quick-reshipment|S2' },
    ]);
    expect(detectQuickReshipment(facts({ shipments: [inbound, onward('2026-03-19')] }), qr)).toHaveLength(1); // 14 days
    expect(detectQuickReshipment(facts({ shipments: [inbound, onward('2026-03-20')] }), qr)).toEqual([]);
    expect(detectQuickReshipment(facts({ shipments: [shipment()] }), qr)).toEqual([]);
  });

  const ct = R['circular-trade']!;
  it('circular trade: material back to a party it passed through, or to one related by ownership, within N days', () => {
    const s1 = shipment({ received: { seq: 21, on: '2026-03-05', grams: 100_000, lotId: 'L1' } });
    const s2 = shipment({
      id: 'S2',
      seq: 22,
      fromLot: 'L1',
      fromHolder: 'importer',
      to: 'buyer',
      shippedOn: '2026-03-10',
      licenceId: undefined,
      received: { seq: 23, on: '2026-03-11', grams: 100_000, lotId: 'L2' },
    });
    const back = (to: string, on = '2026-04-01') =>
      shipment({ id: 'S3', seq: 24, fromLot: 'L3', fromHolder: 'buyer', to, shippedOn: on, licenceId: undefined });
    const t = { id: 'T1', seq: 25, holder: 'buyer', on: '2026-03-12', inputs: ['L2'], outputs: ['L3'] };
    expect(
      detectCircularTrade(facts({ shipments: [s1, s2, back('importer')], transformations: [t] }), ct),
    ).toMatchObject([
      { parties: ['importer', 'buyer'], key: 'circular-trade|S3|importer', evidence: { seqs: [22, 24] } },
    ]);
    expect(
      detectCircularTrade(facts({ shipments: [s1, s2, back('importer', '2026-12-01')], transformations: [t] }), ct),
    ).toEqual([]); // past 180 days
    expect(detectCircularTrade(facts({ shipments: [s1, s2, back('exporter2')], transformations: [t] }), ct)).toEqual(
      [],
    );
    const related = parties(
      ...[...BASE_PARTIES.values()].map((x) => x.party),
      party('sister', 'IN', { owners: [{ partyId: 'importer', name: 'IMPORTER', sharePpm: 300_000 }] }),
    );
    expect(
      detectCircularTrade(
        facts({ parties: related, shipments: [s1, s2, back('sister')], transformations: [t] }),
        ct,
      )[0]!.explanation,
    ).toMatch(/IMPORTER owns 30 % of SISTER/);
    expect(detectCircularTrade(facts({ parties: related, shipments: [s1, s2, back('sister')] }), ct)).toEqual([]); // no link L2 → L3 without the transformation
  });

  it('relatedByOwnership: direct either way, or a common owner, at the threshold', () => {
    const a = party('a', 'IN');
    const b = party('b', 'IN', { owners: [{ partyId: 'a', name: 'A', sharePpm: 250_000 }] });
    const c = party('c', 'IN', { owners: [{ name: 'Holdco', sharePpm: 500_000 }] });
    const d = party('d', 'AE', { owners: [{ name: 'HOLDCO', sharePpm: 260_000 }] });
    expect(relatedByOwnership(a, b, 250_000)).toMatch(/A owns 25 % of B/);
    expect(relatedByOwnership(b, a, 250_000)).toMatch(/A owns 25 % of B/);
    expect(relatedByOwnership(a, b, 250_001)).toBeUndefined();
    expect(relatedByOwnership(c, d, 250_000)).toMatch(/Holdco owns 50 % of C and 26 % of D/);
    expect(relatedByOwnership(a, c, 1)).toBeUndefined();
  });

  it('new screening hits: only hits that the decision-time screening did not have', () => {
    const lic = { licence: licence(), status: 'active' as const, decidedSeq: 10 };
    const hit = (entryId: string) => ({
      list: 'cn-control-list',
      entryId,
      name: 'X',
      score: 0.95,
      explanation: 'tokens match',
    });
    const now = [{ partyId: 'importer', roles: ['importer'], hits: [hit('E1'), hit('E2')] }];
    const f = detectNewScreeningHits(
      lic,
      [{ partyId: 'importer', hits: [hit('E1')] }],
      now,
      { snapshots: [{ list: 'cn-control-list', sha256: 'a'.repeat(64), seq: 50 }] },
      R['screening-hit-after-approval']!,
    );
    expect(f).toMatchObject([
      {
        rule: 'screening-hit-after-approval',
        severity: 'critical',
        parties: ['importer'],
        evidence: { seqs: [10, 50] },
        key: 'screening-hit-after-approval|LIC-1|importer|cn-control-list|E2',
      },
    ]);
    expect(
      detectNewScreeningHits(
        lic,
        [{ partyId: 'importer', hits: [hit('E1'), hit('E2')] }],
        now,
        { snapshots: [] },
        R['screening-hit-after-approval']!,
      ),
    ).toEqual([]);
  });
});
