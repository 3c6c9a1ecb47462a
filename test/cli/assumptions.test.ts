/**
 * Issue 19, points 1, 7 and 9 through the CLI: answers that depend on an unverified fact (whether the
 * suspension by MOFCOM & GAC Announcement No. 70 [2025] ended on 2026-11-10) say so and can be
 * evaluated under the other reading; inferred readings are marked; `impact` lists what changes between
 * the readings and between pack versions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { emptyPostgresDatabase, STORES } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/lodestone.js');
const ITEMS = join(ROOT, 'examples/items');
const SCENARIO = join(ROOT, 'examples/scenario');
const EXTENDED_PACK = join(ROOT, 'examples/rules/ann70-extended-2027');
const FACT = 'ann70-after-2026-11-10';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        f(chunk.toString());
        cb();
      },
    });
  const code = await main(['node', 'lodestone', ...args], {
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
  });
  return { code, out, err };
}

interface AssumptionJson {
  fact: string;
  reading: string;
  chosen: string;
  alternatives: { reading: string }[];
  pack: string;
  packVersion: string;
  affects: string[];
}
interface ClassificationJson {
  controlled: boolean;
  codes: string[];
  assumptions: AssumptionJson[];
  inferences: { id: string; entries: string[]; alternative: string }[];
  findings: { id: string; outcome: string; citation: { clause: string } }[];
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lodestone-assume-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const item = (name: string) => join(ITEMS, `${name}.json`);
const classifyJson = async (args: string[]): Promise<ClassificationJson> => {
  const r = await cli(['classify', ...args, '--json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as ClassificationJson;
};

describe('classify after 2026-11-10 names the Ann. 70 assumption (MOFCOM & GAC Announcement No. 70 [2025])', () => {
  it('a Ho-bearing NdFeB magnet from China on 2026-11-24: controlled under Ann. 57 1C909.a assuming the suspension lapsed', async () => {
    const c = await classifyJson([item('ho-ndfeb-magnet'), '--as-of', '2026-11-24']);
    expect(c.codes).toEqual(['1C909.a']);
    expect(c.assumptions).toHaveLength(1);
    expect(c.assumptions[0]).toMatchObject({
      fact: FACT,
      reading: 'lapsed',
      chosen: 'default',
      pack: 'cn-mofcom-rare-earths',
      affects: ['cn-ann57'],
    });
    expect(c.assumptions[0]?.alternatives.map((a) => a.reading)).toEqual(['extended']);
    expect(c.assumptions[0]?.packVersion).toMatch(/^\d{4}\.\d{1,2}\.\d+$/);
  });

  it('--assume ann70-after-2026-11-10=extended flips it: Announcement No. 57 stays suspended', async () => {
    const c = await classifyJson([item('ho-ndfeb-magnet'), '--as-of', '2026-11-24', '--assume', `${FACT}=extended`]);
    expect(c.controlled).toBe(false);
    expect(c.findings.find((f) => f.id === 'cn-ann57')?.outcome).toBe('suspended');
    expect(c.assumptions[0]).toMatchObject({ fact: FACT, reading: 'extended', chosen: 'assumed' });
  });

  it('Ann. 61 Art. 1(1) (0.1 % de minimis) on 2026-12-01 depends on it too, and flips', async () => {
    const lapsed = await classifyJson([item('foreign-magnet-cn-dy-0.5-pct'), '--as-of', '2026-12-01']);
    expect(lapsed.codes).toEqual(['ANN61-A1P2']);
    expect(lapsed.assumptions.map((a) => [a.fact, a.reading, a.affects])).toEqual([
      [FACT, 'lapsed', ['cn-ann61-de-minimis']],
    ]);
    const extended = await classifyJson([
      item('foreign-magnet-cn-dy-0.5-pct'),
      '--as-of',
      '2026-12-01',
      '--assume',
      `${FACT}=extended`,
    ]);
    expect(extended.codes).toEqual([]);
  });

  it('as of 2026-06-01 (within the suspension, Ann. 70) there is no assumption, and --assume changes nothing', async () => {
    const c = await classifyJson([item('ho-ndfeb-magnet'), '--as-of', '2026-06-01']);
    expect(c.controlled).toBe(false);
    expect(c.assumptions).toEqual([]);
    const e = await classifyJson([item('ho-ndfeb-magnet'), '--as-of', '2026-06-01', '--assume', `${FACT}=extended`]);
    expect(e).toEqual(c);
  });

  it('an answer that does not turn on the suspension carries none: Ann. 18 Dy magnet exported from China, 2026-11-24', async () => {
    const c = await classifyJson([item('ndfeb-dy-magnet'), '--as-of', '2026-11-24']);
    expect(c.codes).toEqual(['1C905.a']);
    expect(c.assumptions).toEqual([]);
  });

  it('an unknown fact or reading is a one-line error naming --assume (exit 2)', async () => {
    const a = await cli(['classify', item('ho-ndfeb-magnet'), '--assume', 'ann70=extended']);
    expect(a.code).toBe(2);
    expect(a.err).toBe(`lodestone: --assume: unknown fact "ann70" (the rule packs declare ${FACT})\n`);
    const b = await cli(['classify', item('ho-ndfeb-magnet'), '--assume', `${FACT}=maybe`]);
    expect(b.code).toBe(2);
    expect(b.err).toBe(`lodestone: --assume: fact "${FACT}" has no reading "maybe" (readings: lapsed, extended)\n`);
    const c = await cli(['classify', item('ho-ndfeb-magnet'), '--assume', 'extended']);
    expect(c.code).toBe(2);
    expect(c.err).toBe('lodestone: --assume: must be FACT=READING, got "extended"\n');
  });

  it('the real command prints a prominent ASSUMPTION line naming the fact, the reading, the pack version and the other reading', () => {
    const r = spawnSync(process.execPath, [BIN, 'classify', item('ho-ndfeb-magnet'), '--as-of', '2026-11-24'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '' },
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[2]).toBe('CONTROLLED: 1C909.a');
    expect(lines[3]).toMatch(
      new RegExp(
        `^ASSUMPTION ${FACT} = lapsed \\(pack default\\) \\(pack cn-mofcom-rare-earths \\d{4}\\.\\d+\\.\\d+\\): the suspension ended on 2026-11-10: .*; other reading: extended \\(.*\\) — affects cn-ann57$`,
      ),
    );
    expect(lines[4]).toBe(`  (evaluate under another reading with --assume ${FACT}=extended)`);
  });
});

describe('inferences are marked with their other reading (Announcement No. 18 [2025], Annex)', () => {
  const write = (name: string, body: unknown) => {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify(body));
    return path;
  };

  it('NdFeB containing Dy: any amount is an inference — a trace of Dy is controlled, and the output says so', async () => {
    const trace = write('ndfeb-trace-dy', {
      form: 'magnet',
      magnetFamily: 'NdFeB',
      hsCode: '850511',
      origin: 'CN',
      composition: { Nd: 300000, Fe: 689950, B: 10000, Dy: 50 },
    });
    const c = await classifyJson([trace, '--as-of', '2026-06-01']);
    expect(c.codes).toEqual(['1C905.a']);
    expect(c.inferences.map((i) => [i.id, i.entries])).toEqual([['ndfeb-dy-tb-any-amount', ['1C905.a:magnet']]]);
    expect(c.inferences[0]?.alternative).toMatch(/deliberately added/);
    const text = await cli(['classify', trace, '--as-of', '2026-06-01']);
    expect(text.out).toMatch(
      /^INFERENCE ndfeb-dy-tb-any-amount \(1C905\.a:magnet; cn-mofcom-rare-earths [\d.]+\): .*; other reading: only magnets with Tb, Dy or Ho deliberately added/m,
    );
  });

  it('the same any-content reading makes a Mg-Y alloy (1C908.a) and yttria-stabilised zirconia (1C908.b) controlled, marked as inference', async () => {
    const mgY = write('mg-y-alloy', {
      form: 'alloy',
      hsCode: '810490',
      origin: 'CN',
      description: 'WE43-type magnesium alloy (4 % Y)',
      composition: { Mg: 930000, Y: 40000, Nd: 22000, Zr: 8000 },
    });
    const ysz = write('ysz', {
      form: 'oxide',
      hsCode: '282560',
      origin: 'CN',
      description: 'yttria-stabilised zirconia powder (8 mol % Y2O3)',
      composition: { Zr: 680000, Y: 100000, O: 220000 },
    });
    const a = await classifyJson([mgY, '--as-of', '2026-06-01']);
    expect(a.codes).toEqual(['1C908.a']);
    expect(a.inferences.map((i) => [i.id, i.entries])).toEqual([['mixtures-any-content', ['1C908.a:alloy']]]);
    const b = await classifyJson([ysz, '--as-of', '2026-06-01']);
    expect(b.codes).toEqual(['1C908.b']);
    expect(b.inferences.map((i) => [i.id, i.entries])).toEqual([['mixtures-any-content', ['1C908.b:oxide']]]);
    expect((await cli(['classify', ysz, '--as-of', '2026-06-01'])).out).toMatch(
      /^INFERENCE mixtures-any-content \(1C908\.b:oxide;.*other reading: only the named alloys/m,
    );
  });

  it('rules list shows the unverified fact with its readings and the inferences', async () => {
    const r = await cli(['rules', 'list']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `UNVERIFIED FACT ${FACT}: .*\\(default reading: lapsed; affects cn-ann57, cn-ann62, cn-ann61-reexport`,
      ),
    );
    expect(r.out).toMatch(/^ {4}\* lapsed: /m);
    expect(r.out).toMatch(/^ {6}extended: /m);
    expect(r.out).toMatch(/INFERENCE ndfeb-dy-tb-any-amount: /);
  });
});

// The workflow below uses today's date (apply, check and decide are judged on the server's day).
const today = new Date().toISOString().slice(0, 10);
const inHalfAYear = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);

describe.each(STORES)('check, apply, decide and impact on %s (Ann. 70; Ann. 57; Ann. 61 Art. 1(3))', (kind) => {
  let base: string[] = [];
  let drop: (() => Promise<void>) | undefined;
  const savedUrl = process.env.DATABASE_URL;
  const run = (args: string[]) => cli([...base, ...args]);
  let lapsedApplication = '';

  beforeAll(async () => {
    if (kind === 'postgres') {
      const db = await emptyPostgresDatabase();
      process.env.DATABASE_URL = db.databaseUrl;
      drop = db.drop;
      base = ['--keys-dir', join(work, `keys-${kind}`)];
    } else {
      Reflect.deleteProperty(process.env, 'DATABASE_URL');
      base = ['--data-dir', join(work, `store-${kind}`)];
      await seedPgliteDataDir(join(work, `store-${kind}`));
    }
    expect((await run(['parties', 'register', join(SCENARIO, 'parties.json')])).code).toBe(0);
    expect((await run(['trust-list', 'set', join(SCENARIO, 'trust-list.json')])).code).toBe(0);
    const lot = join(work, 'lot.json');
    writeFileSync(
      lot,
      JSON.stringify({
        id: 'IN-STOCK-DY-1',
        holder: 'deccan-mobility',
        location: 'IN',
        massGrams: 50_000,
        item: {
          form: 'magnet',
          magnetFamily: 'NdFeB',
          hsCode: '850511',
          origin: 'CN',
          description: 'Chinese NdFeB 45SH magnets (4 % Dy) in stock in India',
          composition: { Nd: 270000, Pr: 40000, Dy: 40000, Fe: 640000, B: 10000 },
        },
      }),
    );
    expect((await run(['lots', 'create', lot, '--as', 'deccan-mobility'])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    if (savedUrl === undefined) Reflect.deleteProperty(process.env, 'DATABASE_URL');
    else process.env.DATABASE_URL = savedUrl;
    await drop?.();
  });

  const application = () => {
    const path = join(work, `application-${kind}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        authority: 'cn-mofcom',
        applicant: 'ganzhou-hengyuan-magnetics',
        importer: 'chakan-drive-systems',
        endUser: 'chakan-drive-systems',
        destination: 'IN',
        endUse: { description: 'traction motors for electric two-wheelers', purposes: ['civil-automotive'] },
        licenceType: 'single',
        lines: [
          {
            ref: 'L1',
            item: JSON.parse(readFileSync(item('ho-ndfeb-magnet'), 'utf8')) as unknown,
            quantityGrams: 100_000,
            value: { currency: 'USD', minor: 1_000_000 },
          },
        ],
        validFrom: today,
        validUntil: inHalfAYear,
      }),
    );
    return path;
  };

  it.runIf(today > '2026-11-10')(
    'check: re-export from India of Chinese Dy magnets needs a licence under Ann. 61 Art. 1(3) assuming the suspension lapsed; --assume extended allows it',
    async () => {
      const lapsed = await run(['check', 'IN-STOCK-DY-1', '--to', 'gulf-horizon-trading', '--destination', 'AE']);
      expect(lapsed.code).toBe(7); // check exits 7 when REFUSED
      expect(lapsed.out).toMatch(
        /^REFUSED: IN-STOCK-DY-1 → gulf-horizon-trading \(AE\)\nASSUMPTION ann70-after-2026-11-10 = lapsed .* — affects cn-ann61-reexport\n/,
      );
      expect(lapsed.out).toMatch(
        /✗ LICENCE_REQUIRED: .* controlled under ANN61-A1P2 when exported from IN to AE \(Announcement No\. 61 \[2025\], Art\. 1\(3\); assuming ann70-after-2026-11-10 = lapsed\)/,
      );
      const json = JSON.parse(
        (await run(['check', 'IN-STOCK-DY-1', '--to', 'gulf-horizon-trading', '--destination', 'AE', '--json'])).out,
      ) as { allowed: boolean; assumptions: AssumptionJson[] };
      expect(json.assumptions.map((a) => [a.fact, a.reading])).toEqual([[FACT, 'lapsed']]);
      const extended = await run([
        'check',
        'IN-STOCK-DY-1',
        '--to',
        'gulf-horizon-trading',
        '--destination',
        'AE',
        '--assume',
        `${FACT}=extended`,
      ]);
      expect(extended.code).toBe(0);
      expect(extended.out).toMatch(
        /^ALLOWED: IN-STOCK-DY-1 → gulf-horizon-trading \(AE\)\nASSUMPTION ann70-after-2026-11-10 = extended \(assumed by you\)/,
      );
      const bad = await run([
        'check',
        'IN-STOCK-DY-1',
        '--to',
        'gulf-horizon-trading',
        '--destination',
        'AE',
        '--assume',
        `${FACT}=lapsed`,
        '--assume',
        `${FACT}=extended`,
      ]);
      expect(bad.code).toBe(2);
      expect(bad.err).toBe(`lodestone: --assume: fact "${FACT}" is assumed twice (lapsed and extended)\n`);
    },
  );

  it.runIf(today > '2026-11-10')(
    'apply: a Ho magnet line (Ann. 57) is controlled assuming lapsed, not under --assume extended; the decision records the assumption in the journal',
    async () => {
      const journalBefore = (await run(['journal', '--json', '--limit', '10000'])).out;
      const refused = await run(['apply', application(), '--assume', 'ann70-after-2026-11-10=gone']);
      expect(refused.code).toBe(2);
      expect(refused.err).toBe(
        `lodestone: --assume: fact "${FACT}" has no reading "gone" (readings: lapsed, extended)\n`,
      );
      expect((await run(['journal', '--json', '--limit', '10000'])).out).toBe(journalBefore);

      const lapsed = await run(['apply', application()]);
      expect(lapsed.code).toBe(0);
      expect(lapsed.out).toMatch(
        /^application app-[0-9a-f]{8} \(journal entry \d+\): recommendation CASE-BY-CASE\nASSUMPTION ann70-after-2026-11-10 = lapsed .*affects cn-ann57\n/,
      );
      lapsedApplication = /application (app-[0-9a-f]{8})/.exec(lapsed.out)?.[1] ?? '';
      const extended = JSON.parse(
        (await run(['apply', application(), '--assume', `${FACT}=extended`, '--json'])).out,
      ) as {
        assessment: {
          recommendation: string;
          codes: string[];
          assumptions: AssumptionJson[];
          readings: Record<string, string>;
        };
      };
      expect(extended.assessment.codes).toEqual([]);
      expect(extended.assessment.recommendation).toBe('approvable');
      expect(extended.assessment.assumptions.map((a) => [a.fact, a.reading, a.chosen])).toEqual([
        [FACT, 'extended', 'assumed'],
      ]);
      expect(extended.assessment.readings).toEqual({ [FACT]: 'extended' });

      const denied = await run([
        'decide',
        lapsedApplication,
        '--as',
        'cn-mofcom',
        '--deny',
        'no end-user certificate attached',
      ]);
      expect(denied.code).toBe(0);
      expect(denied.out).toMatch(
        new RegExp(`^application ${lapsedApplication}: denied \\(journal entry \\d+\\)\nASSUMPTION ${FACT} = lapsed`),
      );
      const last = (await run(['journal', '--json', '--limit', '10000'])).out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { payload: { type: string; body: { assumptions?: AssumptionJson[] } } })
        .at(-1);
      expect(last?.payload.type).toBe('application.decided');
      expect(last?.payload.body.assumptions?.map((a) => [a.fact, a.reading, a.affects])).toEqual([
        [FACT, 'lapsed', ['cn-ann57']],
      ]);
    },
  );

  it.runIf(today > '2026-11-10')(
    'impact between the readings and between pack versions lists the changed lot, licence line and classification with the rule (Ann. 57; Ann. 61 Art. 1(3))',
    async () => {
      const approvable = JSON.parse((await run(['apply', application(), '--json'])).out) as { id: string };
      const cond = join(work, 'conditions.json');
      writeFileSync(cond, JSON.stringify({ prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' }));
      const approved = await run(['decide', approvable.id, '--as', 'cn-mofcom', '--approve', cond]);
      expect(approved.code).toBe(0);
      const licence = /licence (LIC-CN-\d{4}-[0-9A-F]{6})/.exec(approved.out)?.[1] ?? '';
      const recorded = await run([
        'classify',
        item('ho-ndfeb-magnet'),
        '--record',
        '--actor',
        'ganzhou-hengyuan-magnetics',
        '--json',
      ]);
      const cls = (JSON.parse(recorded.out) as { id: string }).id;

      interface Change {
        kind: string;
        ref: string;
        before: { codes: string[] };
        after: { codes: string[] };
        rules: string[];
      }
      interface Report {
        packsAfter: string[];
        readingsAfter: Record<string, string>;
        changes: Change[];
      }
      const expected = [
        ['classification', cls, ['1C909.a'], [], ['cn-ann57: applies → suspended (Announcement No. 57 [2025], Annex)']],
        [
          'lot',
          'IN-STOCK-DY-1',
          ['ANN61-A1P2'],
          [],
          ['cn-ann61-reexport: applies → suspended (Announcement No. 61 [2025], Art. 1(3))'],
        ],
        [
          'licence',
          `${licence} line L1`,
          ['1C909.a'],
          [],
          ['cn-ann57: applies → suspended (Announcement No. 57 [2025], Annex)'],
        ],
      ];
      const shape = (r: Report) => r.changes.map((c) => [c.kind, c.ref, c.before.codes, c.after.codes, c.rules]);

      const readings = JSON.parse((await run(['impact', '--assume', `${FACT}=extended`, '--json'])).out) as Report;
      expect(readings.readingsAfter).toEqual({ [FACT]: 'extended' });
      expect(shape(readings)).toEqual(expected);
      const text = await run(['impact', '--assume', `${FACT}=extended`]);
      expect(text.out).toMatch(
        new RegExp(
          `^3 of \\d+ items change between ${today} \\(cn-mofcom-rare-earths@[\\d.]+\\) and ${today} \\(cn-mofcom-rare-earths@[\\d.]+, assuming ${FACT} = extended\\)`,
        ),
      );
      expect(text.out).toContain(
        `  licence ${licence} line L1: Sintered NdFeB magnets N45H with holmium in place of dysprosium (from CN): 1C909.a → not controlled\n      cn-ann57: applies → suspended`,
      );

      const version = JSON.parse((await run(['impact', '--new-rules', EXTENDED_PACK, '--json'])).out) as Report;
      expect(version.packsAfter).toEqual(['cn-mofcom-rare-earths@2026.12.5']);
      expect(shape(version)).toEqual(expected);
      // Under the new version the old fact is gone: naming it is an error, the new one is accepted.
      const old = await run(['impact', '--new-rules', EXTENDED_PACK, '--assume', `${FACT}=extended`]);
      expect(old.code).toBe(2);
      expect(old.err).toBe(
        `lodestone: --assume: unknown fact "${FACT}" (the rule packs declare ann70-after-2027-11-10)\n`,
      );
      const later = JSON.parse(
        (await run(['impact', '--new-rules', EXTENDED_PACK, '--as-of', '2027-11-11', '--json'])).out,
      ) as Report;
      expect(later.changes).toEqual([]);
    },
  );
});
