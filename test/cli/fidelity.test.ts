/**
 * Regulatory fidelity through the CLI (issue 19, points 2, 3, 4, 5, 6 and 8), each case named with
 * the citation it checks (../shared/regulations.md §1). The real program in-process on an embedded
 * store (test/adversarial/certs.support.ts), as of the real date.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CliStore,
  endUse,
  example,
  EXPORTER,
  IMPORTER,
  AUTHORITY,
  today,
  inAYear,
} from '../adversarial/certs.support.js';

const s = new CliStore();
const dyMagnet = example('items/ndfeb-dy-magnet.json') as Record<string, unknown>;

const parties = [
  { id: 'jp-defence-works', name: 'Kanto Defence Works KK', country: 'JP', sector: 'defence' },
  { id: 'jp-motor-works', name: 'Kansai Motor Works KK', country: 'JP', sector: 'automotive' },
  { id: 'in-defence-systems', name: 'Nilgiri Defence Systems Ltd', country: 'IN', sector: 'defence' },
  { id: 'in-listed-buyer', name: 'Vindhya Listed Traders Pvt Ltd', country: 'IN', sector: 'distribution' },
  { id: 'in-concern-buyer', name: 'Satpura Concern Trading Pvt Ltd', country: 'IN', sector: 'distribution' },
  { id: 'in-foreign-listed', name: 'Aravalli Foreign Listed Pvt Ltd', country: 'IN', sector: 'distribution' },
];

interface Check {
  allowed: boolean;
  refusals: { rule: string; message: string }[];
  checks: string[];
  classification: { domestic?: boolean; controlled: boolean; codes: string[] };
}
interface Classified {
  controlled: boolean;
  domestic?: boolean;
  modelled: boolean;
  codes: string[];
  summary: string;
  findings: { id: string; outcome: string; reason: string; citation: { title: string; clause: string } }[];
  notModelled: { id: string; concerns: string; reason: string; citation: { clause: string } }[];
}
interface Applied {
  id: string;
  assessment: {
    recommendation: string;
    reasons: string[];
    policy: { findings: { id: string; outcome: string; reason: string; facts: string[] }[] };
  };
}

const classify = async (item: unknown, ...args: string[]) =>
  JSON.parse(await s.ok('classify', s.file(item), '--json', ...args)) as Classified;
/** `check --json`: exit 0 when ALLOWED, 7 when REFUSED (the answer in JSON either way). */
const check = async (lot: string, to: string, destination: string): Promise<Check> => {
  const r = await s.run('check', lot, '--to', to, '--destination', destination, '--json');
  const answer = JSON.parse(r.out) as Check;
  expect(r.code, r.err).toBe(answer.allowed ? 0 : 7);
  return answer;
};
const apply = async (endUser: string, purposes = ['civil-industrial']) =>
  JSON.parse(
    await s.ok(
      'apply',
      s.file({
        authority: AUTHORITY,
        applicant: EXPORTER,
        importer: endUser,
        endUser,
        destination: 'IN',
        endUse: { ...endUse, purposes },
        licenceType: 'single',
        lines: [{ ref: 'L1', item: dyMagnet, quantityGrams: 10_000, value: { currency: 'USD', minor: 80_000 } }],
        validFrom: today(),
        validUntil: inAYear(),
      }),
      '--json',
    ),
  ) as Applied;
let lists = 0;

beforeAll(async () => {
  await s.setup();
  await s.ok('parties', 'register', s.file(parties));
  // Chinese-origin Dy NdFeB magnets held in India (bought before; no licence of their own).
  await s.ok(
    'lots',
    'create',
    s.file({ id: 'IN-STOCK', holder: IMPORTER, location: 'IN', item: dyMagnet, massGrams: 500_000 }),
    '--as',
    IMPORTER,
  );
}, 300_000);
afterAll(async () => {
  await s.dispose();
});

describe('point 2 — a domestic sale is not an export (Ann. 61 [2025] Art. 1(3): export "to any country other than China")', () => {
  it('classify: from India to India is not an export; to China is outside Art. 1(3); to Germany it is controlled', async () => {
    const domestic = await classify(dyMagnet, '--from', 'IN', '--to', 'IN');
    expect(domestic).toMatchObject({ domestic: true, controlled: false, codes: [], findings: [] });
    expect(domestic.summary).toMatch(/^Not an export as of \d{4}-\d{2}-\d{2}: the item stays in IN/);
    expect(await s.ok('classify', s.file(dyMagnet), '--from', 'IN', '--to', 'IN')).toMatch(
      /NOT AN EXPORT: a transfer within IN/,
    );

    const toChina = await classify(dyMagnet, '--from', 'IN', '--to', 'CN');
    expect(toChina.controlled).toBe(false);
    const art13 = toChina.findings.find((f) => f.id === 'cn-ann61-reexport');
    expect(art13).toMatchObject({ outcome: 'excluded', citation: { clause: 'Announcement No. 61 [2025], Art. 1(3)' } });
    expect(art13?.reason).toMatch(/covers exports to anywhere but CN; this goes to CN/);

    const toGermany = await classify(dyMagnet, '--from', 'IN', '--to', 'DE');
    expect(toGermany).toMatchObject({ controlled: true, codes: ['ANN61-A1P2'] });
    expect(toGermany.findings.find((f) => f.outcome === 'applies')?.citation.clause).toBe(
      'Announcement No. 61 [2025], Art. 1(3)',
    );
  });

  it('check and ship: Chinese-origin stock in India sold in India is allowed; the same lot leaving India needs a licence', async () => {
    const sale = await check('IN-STOCK', 'deccan-mobility', 'IN');
    expect(sale.allowed).toBe(true);
    expect(sale.classification).toMatchObject({ domestic: true, controlled: false });
    expect(sale.checks.some((c) => c.startsWith('domestic transfer within IN, not an export'))).toBe(true);

    const abroad = await check('IN-STOCK', 'deccan-mobility', 'DE');
    expect(abroad.allowed).toBe(false);
    expect(abroad.refusals.map((r) => r.rule)).toEqual(['LICENCE_REQUIRED']);
    expect(abroad.refusals[0]?.message).toMatch(
      /controlled under ANN61-A1P2 when exported from IN to DE \(Announcement No\. 61 \[2025\], Art\. 1\(3\); assuming ann70-after-2026-11-10 = lapsed\)/,
    );

    const shipped = await s.run(
      'ship',
      s.file({ id: 'DOM-1', fromLot: 'IN-STOCK', to: 'deccan-mobility', destination: 'IN', grams: 100_000 }),
      '--as',
      IMPORTER,
    );
    expect(shipped.err).toBe('');
    expect(shipped.code).toBe(0);
    expect(shipped.out).toMatch(/shipment DOM-1 dispatched[^]*✓ domestic transfer within IN, not an export/);
  });
});

describe('point 4 — Ann. 1 [2026] binds onward transfers: no Chinese-origin dual-use items to Japanese military end users', () => {
  it('check refuses the transfer to a Japanese defence party from India, not to a Japanese carmaker', async () => {
    const military = await check('IN-STOCK', 'jp-defence-works', 'JP');
    expect(military.allowed).toBe(false);
    const onward = military.refusals.find((r) => r.rule === 'ONWARD_TRANSFER_PROHIBITED');
    expect(onward?.message).toMatch(
      /MOFCOM Announcement No\. 1 \[2026\][^]*consignee Kanto Defence Works KK is in the defence sector[^]*China \(CN\) origin[^]*1C905\.a when exported from CN/,
    );
    const civil = await check('IN-STOCK', 'jp-motor-works', 'JP');
    expect(civil.refusals.map((r) => r.rule)).not.toContain('ONWARD_TRANSFER_PROHIBITED');
  });

  it('dispatch refuses it (exit 7) and writes nothing', async () => {
    const before = await s.journal();
    const r = await s.run(
      'ship',
      s.file({ id: 'JP-1', fromLot: 'IN-STOCK', to: 'jp-defence-works', destination: 'JP', grams: 1_000 }),
      '--as',
      IMPORTER,
    );
    expect(r.code).toBe(7);
    expect(r.err).toMatch(/ONWARD_TRANSFER_PROHIBITED/);
    expect(await s.journal()).toBe(before);
  });
});

describe('points 2 and 4 at EPCIS-mapped shipments (the same checks as dispatch)', () => {
  const doc = (...events: unknown[]) => ({
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { lodestone: 'urn:lodestone:epcis:' },
    ],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-01-01T00:00:00Z',
    epcisBody: { eventList: events },
  });
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
  const ship = (to: string, kg: number, hoursAgo: number) => ({
    type: 'ObjectEvent',
    eventTime: at(hoursAgo),
    eventTimeZoneOffset: '+00:00',
    action: 'OBSERVE',
    bizStep: 'shipping',
    quantityList: [{ epcClass: 'https://id.gs1.org/01/04012345123456/10/FID1', quantity: kg, uom: 'KGM' }],
    destinationList: [{ type: 'owning_party', destination: `urn:lodestone:party:${to}` }],
  });

  it('a domestic shipment in India is mapped; a shipment to a Japanese defence party is refused (Ann. 1 [2026]), exit 7', async () => {
    const commissioning = {
      type: 'ObjectEvent',
      eventTime: at(3),
      eventTimeZoneOffset: '+00:00',
      action: 'ADD',
      bizStep: 'commissioning',
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.FID1', quantity: 100, uom: 'KGM' }],
      ilmd: { 'lodestone:item': dyMagnet, 'lodestone:location': 'IN' },
    };
    expect((await s.run('epcis', 'capture', s.file(doc(commissioning)), '--as', IMPORTER)).code).toBe(0);
    const domestic = await s.run('epcis', 'capture', s.file(doc(ship('deccan-mobility', 10, 2))), '--as', IMPORTER);
    expect(domestic.err).toBe('');
    expect(domestic.out).toMatch(
      /MAPPED +ObjectEvent shipping → dispatchShipment: shipment SH-\S+ to deccan-mobility \(IN\)/,
    );
    const before = await s.journal();
    const military = await s.run('epcis', 'capture', s.file(doc(ship('jp-defence-works', 10, 1))), '--as', IMPORTER);
    expect(military.code).toBe(7);
    expect(military.err).toMatch(/ONWARD_TRANSFER_PROHIBITED/);
    expect(military.err).toMatch(/Announcement No\. 1 \[2026\]/);
    expect(await s.journal()).toBe(before);
  });
});

describe('point 5 — exclusions follow the product (MOFCOM FAQ (IV): rare-earth phosphors and calcined catalyst powders)', () => {
  const phosphor = (form: string, category?: string) => ({
    description: 'Y2O3:Eu red phosphor',
    form,
    ...(category ? { category } : {}),
    hsCode: '320650',
    composition: { Y: 700000, O: 250000, Eu: 50000 },
    origin: 'CN',
  });
  it.each([['oxide'], ['compound']])('a phosphor declared as %s is excluded from 1C908', async (form) => {
    const c = await classify(phosphor(form, 'phosphor'), '--as-of', '2026-06-01');
    expect(c.controlled).toBe(false);
    expect(c.findings.find((f) => f.id === 'cn-ann18')).toMatchObject({ outcome: 'excluded' });
    expect(c.findings.find((f) => f.id === 'cn-ann18')?.reason).toMatch(
      /rare-earth phosphors and calcined catalyst powders/,
    );
  });
  it('a calcined catalyst powder declared as an oxide is excluded; plain yttrium oxide is not', async () => {
    const catalyst = await classify(
      { ...phosphor('oxide', 'catalyst'), description: 'calcined catalyst powder' },
      '--as-of',
      '2026-06-01',
    );
    expect(catalyst.controlled).toBe(false);
    const oxide = await classify(phosphor('oxide'), '--as-of', '2026-06-01');
    expect(oxide).toMatchObject({ controlled: true, codes: ['1C908.b'] });
  });
});

describe('point 3 — lists have legal effects of their own (Dual-use Regulations Arts. 26, 28–29; Ann. 61 [2025] 50 % rule)', () => {
  const csv = (rows: [string, string][]) => {
    const p = join(s.dir, `list-${lists++}.csv`);
    writeFileSync(
      p,
      `name,aliases,country,type,list,id\n${rows.map(([n, id]) => `${n},,IN,entity,x,${id}`).join('\n')}\n`,
    );
    return p;
  };
  beforeAll(async () => {
    await s.ok(
      'lists',
      'import',
      csv([['Vindhya Listed Traders Pvt Ltd', 'CL-1']]),
      '--format',
      'csv',
      '--list',
      'cn-control-list',
      '--actor',
      AUTHORITY,
      '--authority',
      'MOFCOM',
      '--effect',
      'deny',
      '--country',
      'CN',
    );
    await s.ok(
      'lists',
      'import',
      csv([['Satpura Concern Trading Pvt Ltd', 'CC-1']]),
      '--format',
      'csv',
      '--list',
      'cn-concern-list',
      '--actor',
      AUTHORITY,
      '--authority',
      'MOFCOM',
      '--effect',
      'review',
      '--country',
      'CN',
    );
    await s.ok(
      'lists',
      'import',
      csv([['Aravalli Foreign Listed Pvt Ltd', 'SDN-1']]),
      '--format',
      'csv',
      '--list',
      'us-sdn',
      '--actor',
      AUTHORITY,
      '--authority',
      'US Treasury OFAC',
    );
  }, 300_000);

  it('lists list shows each list with its authority and effect; a list imported without one is information', async () => {
    const out = await s.ok('lists', 'list');
    expect(out).toMatch(/cn-control-list .* effect deny \(MOFCOM\)/);
    expect(out).toMatch(/cn-concern-list .* effect review \(MOFCOM\)/);
    expect(out).toMatch(/us-sdn .* effect information \(US Treasury OFAC\)/);
  });

  it('rejects an unknown effect naming the option, and writes nothing', async () => {
    const before = await s.journal();
    const r = await s.run(
      'lists',
      'import',
      csv([['Someone', 'X-1']]),
      '--format',
      'csv',
      '--list',
      'x-list',
      '--actor',
      AUTHORITY,
      '--effect',
      'ban',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^lodestone: --effect: must be one of deny, review, information/);
    expect(await s.journal()).toBe(before);
  });

  it('Control List (Arts. 28–29): deny, and decide cannot approve', async () => {
    const a = await apply('in-listed-buyer');
    expect(a.assessment.recommendation).toBe('deny');
    expect(a.assessment.policy.findings.find((f) => f.id === 'cn-deny-control-list-parties')).toMatchObject({
      outcome: 'applies',
    });
    const d = await s.decide(a.id, { prohibitedReexportDestinations: ['US'] });
    expect(d.code).not.toBe(0);
    expect(d.err).toMatch(/cannot be approved: Deny: importers and end users on China's export-control Control List/);
  });

  it('Concern List (Art. 26): case-by-case review, not a denial', async () => {
    const a = await apply('in-concern-buyer');
    expect(a.assessment.recommendation).toBe('case-by-case');
    expect(a.assessment.policy.findings.find((f) => f.id === 'cn-concern-list-review')).toMatchObject({
      outcome: 'applies',
    });
    expect(a.assessment.reasons.some((r) => r.startsWith('Deny'))).toBe(false);
    const d = await s.run(
      'decide',
      a.id,
      '--as',
      AUTHORITY,
      '--request-info',
      'risk assessment and compliance undertaking (Art. 26)',
    );
    expect(d.code).toBe(0);
  });

  it('a foreign list: information for the officer, no Chinese legal consequence', async () => {
    const a = await apply('in-foreign-listed');
    expect(a.assessment.recommendation).not.toBe('deny');
    expect(a.assessment.policy.findings.filter((f) => f.outcome === 'applies')).toEqual([]);
    expect(
      a.assessment.reasons.some((r) =>
        /^Information for the officer .*Aravalli Foreign Listed Pvt Ltd listed on us-sdn .*issued by US Treasury OFAC/.test(
          r,
        ),
      ),
    ).toBe(true);
  });
});

describe("point 6 — Ann. 61 [2025] licensing policies govern Ann. 61 exports, not Chinese exporters' Ann. 18 applications", () => {
  it("a Chinese exporter's Ann. 18 application to an Indian defence end user is not denied under Ann. 61", async () => {
    const a = await apply('in-defence-systems');
    const ann61 = a.assessment.policy.findings.find((f) => f.id === 'cn-ann61-military-end-user');
    expect(ann61).toMatchObject({ outcome: 'not-applicable' });
    expect(ann61?.reason).toMatch(
      /governs only exports under cn-ann61-reexport, cn-ann61-de-minimis, cn-ann61-direct-product; this one is under cn-ann18/,
    );
    expect(a.assessment.recommendation).not.toBe('deny');
  });
});

describe('point 8 — what is not modelled is said (Ann. 61 humanitarian exemption, Ann. 62 scope, 2023 technology catalogue, Ann. 56)', () => {
  const ids = [
    'ann61-humanitarian-exemption',
    'ann62-deemed-export-and-catch-all',
    'tech-catalogue-2023',
    'ann56-equipment',
  ];
  it('rules list names them, in text and JSON', async () => {
    const text = await s.ok('rules', 'list');
    expect(text).toMatch(/NOT MODELLED/);
    for (const id of ids) expect(text).toContain(id);
    const packs = JSON.parse(await s.ok('rules', 'list', '--json')) as {
      notModelled: { id: string; reason: string }[];
    }[];
    expect(packs[0]?.notModelled.map((n) => n.id)).toEqual(ids);
  });

  it('classify of equipment says NOT MODELLED (Ann. 56), never NOT CONTROLLED', async () => {
    const kiln = {
      description: 'hydrogen decrepitation furnace',
      form: 'equipment',
      hsCode: '851410',
      composition: {},
      origin: 'CN',
    };
    const c = await classify(kiln);
    expect(c).toMatchObject({ controlled: false, modelled: false });
    expect(c.notModelled.map((n) => n.id)).toEqual(['ann62-deemed-export-and-catch-all', 'ann56-equipment']);
    const text = await s.ok('classify', s.file(kiln));
    expect(text).toMatch(/NOT MODELLED: the packs cannot answer/);
    expect(text).not.toMatch(/NOT CONTROLLED/);
  });

  it('classify of magnet technology while Ann. 62 is suspended says NOT MODELLED (2023 catalogue), and once in force CONTROLLED with the catalogue noted', async () => {
    const tech = {
      description: 'NdFeB sintering process specification',
      form: 'technology',
      category: 'magnet-manufacturing',
      hsCode: '490600',
      composition: {},
      origin: 'CN',
    };
    const suspended = await classify(tech, '--as-of', '2026-06-01');
    expect(suspended).toMatchObject({ controlled: false, modelled: false });
    expect(suspended.summary).toMatch(
      /^Not modelled as of 2026-06-01: .*Catalogue of Technologies Prohibited or Restricted from Export/,
    );
    const inForce = await classify(tech, '--as-of', '2025-10-20');
    expect(inForce).toMatchObject({ controlled: true, codes: ['1E902.a'] });
    expect(inForce.notModelled.map((n) => n.id)).toContain('tech-catalogue-2023');
  });

  it('an Ann. 61 re-export names the humanitarian exemption it does not model', async () => {
    const c = await classify(dyMagnet, '--from', 'IN', '--to', 'DE');
    expect(c.notModelled.find((n) => n.id === 'ann61-humanitarian-exemption')).toMatchObject({ concerns: 'rule' });
    expect(c.modelled).toBe(true);
  });
});
