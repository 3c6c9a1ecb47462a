import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { buildProgram, main } from '../../src/cli/main.js';
import { emptyPostgresDatabase } from '../support/stores.js';
import { STORES } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/lodestone.js');
const ITEMS = join(ROOT, 'examples/items');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the real `lodestone` command in a child process. */
function lodestone(args: string[], opts: { cwd: string; env?: Record<string, string> }): Run {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: '',
    LODESTONE_DATA_DIR: '',
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === '') Reflect.deleteProperty(env, k);
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs the CLI in-process (same code path as the command, minus process start-up): for the many quick cases. */
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

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lodestone-cli-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const json = (r: Run) =>
  JSON.parse(r.out) as {
    controlled: boolean;
    codes: string[];
    findings: { id: string; outcome: string; citation: { title: string; clause: string } }[];
  };

describe("lodestone classify (the issue's cases)", () => {
  const cases: [string, string[], boolean, string[], RegExp][] = [
    ['smco-magnet', [], true, ['1C902.a'], /Announcement No\. 18 \[2025\]/],
    ['ndfeb-dy-magnet', [], true, ['1C905.a'], /Announcement No\. 18 \[2025\]/],
    ['ndfeb-plain-magnet', [], false, [], /^$/],
    ['dy-oxide', [], true, ['1C905.b'], /Announcement No\. 18 \[2025\]/],
    ['tb-metal', [], true, ['1C904.a'], /Announcement No\. 18 \[2025\]/],
    ['ho-ndfeb-magnet', ['--as-of', '2025-10-20'], false, [], /Announcement No\. 57 \[2025\]/],
    ['ho-ndfeb-magnet', ['--as-of', '2026-06-01'], false, [], /Announcement No\. 57 \[2025\]/],
    ['ho-ndfeb-magnet', ['--as-of', '2026-11-24'], true, ['1C909.a'], /Announcement No\. 57 \[2025\]/],
    ['rotor-assembly', [], false, [], /FAQ on Dual-Use Items \(IV\)/],
    ['foreign-magnet-cn-dy-0.05-pct', ['--as-of', '2025-11-20'], false, [], /Announcement No\. 61 \[2025\]/],
    ['foreign-magnet-cn-dy-0.05-pct', ['--as-of', '2026-12-01'], false, [], /Announcement No\. 61 \[2025\]/],
    ['foreign-magnet-cn-dy-0.5-pct', ['--as-of', '2025-11-20'], false, [], /Announcement No\. 61 \[2025\]/],
    ['foreign-magnet-cn-dy-0.5-pct', ['--as-of', '2026-01-15'], false, [], /Announcement No\. 61 \[2025\]/],
    ['foreign-magnet-cn-dy-0.5-pct', ['--as-of', '2026-12-01'], true, ['ANN61-A1P2'], /Announcement No\. 61 \[2025\]/],
  ];
  it.each(cases)('%s %j', async (name, extra, controlled, codes, citation) => {
    const r = await cli(['classify', join(ITEMS, `${name}.json`), '--json', ...extra]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const c = json(r);
    expect(c.controlled).toBe(controlled);
    expect(c.codes).toEqual(codes);
    expect(c.findings.map((f) => `${f.citation.title} ${f.citation.clause}`).join('\n')).toMatch(citation);
  });

  it('prints a readable explanation with the citation (the real command)', () => {
    const r = lodestone(['classify', join(ITEMS, 'ndfeb-dy-magnet.json'), '--as-of', '2026-11-24'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.out).toContain('CONTROLLED: 1C905.a');
    expect(r.out).toContain('contains Dy at 40,000 ppm (4 %)');
    expect(r.out).toContain('MOFCOM & GAC Announcement No. 18 [2025]');
  });
});

describe('bad input on the command line', () => {
  const dataDir = () => join(work, 'bad-input-store');
  let journalBefore = '';
  beforeAll(async () => {
    await seedPgliteDataDir(dataDir()); // the migrated store, copied: the first open is not this file's subject
    const setup = lodestone(
      ['--data-dir', dataDir(), 'parties', 'register', join(ROOT, 'examples/scenario/parties.json')],
      { cwd: work },
    );
    expect(setup.code).toBe(0);
    journalBefore = lodestone(['--data-dir', dataDir(), 'journal', '--json', '--limit', '1000'], { cwd: work }).out;
    expect(journalBefore.trim().split('\n')).toHaveLength(8);
  });
  const bad = (name: string, content: unknown) => {
    const p = join(work, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };
  const magnet = {
    form: 'magnet',
    magnetFamily: 'NdFeB',
    hsCode: '850511',
    composition: { Nd: 300000, Dy: 40000 },
    origin: 'CN',
  };

  it.each([
    [
      'over.json',
      { ...magnet, composition: { Nd: 900000, Dy: 200000 } },
      [],
      /over\.json: item\.composition: sums to 1100000 ppm, past 1000000 ppm/,
    ],
    [
      'elem.json',
      { ...magnet, composition: { Nd: 1, Qq: 1 } },
      [],
      /elem\.json: item\.composition\.Qq: unknown element symbol "Qq"/,
    ],
    [
      'neg.json',
      { ...magnet, massGrams: -5 },
      [],
      /neg\.json: item\.massGrams: must be a non-negative whole number of grams/,
    ],
    [
      'frac.json',
      { ...magnet, massGrams: 0.5 },
      [],
      /frac\.json: item\.massGrams: must be a non-negative whole number of grams/,
    ],
    ['form.json', { ...magnet, form: 'ingot' }, [], /form\.json: item\.form: must be one of "metal"/],
    ['syntax.json', '{"form": ', [], /syntax\.json: is not valid JSON/],
    [
      'nul.json',
      { ...magnet, description: 'rotor\u0000magnet' },
      [],
      /nul\.json: description: must not contain the character U\+0000/,
    ],
    ['ok.json', magnet, ['--as-of', '2026-02-30'], /--as-of: must be a date as YYYY-MM-DD, got "2026-02-30"/],
    ['ok.json', magnet, ['--from', 'XX'], /--from: must be an ISO 3166-1 alpha-2 country code/],
  ])('%s %j → exit 2, one line naming the field', async (name, content, extra, message) => {
    const p = bad(name, content);
    const r = await cli([
      '--data-dir',
      dataDir(),
      'classify',
      p,
      '--record',
      '--actor',
      'ganzhou-hengyuan-magnetics',
      ...extra,
    ]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it('… and none of them wrote anything to the store', () => {
    expect(lodestone(['--data-dir', dataDir(), 'journal', '--json', '--limit', '1000'], { cwd: work }).out).toBe(
      journalBefore,
    );
  });

  it('a rule pack with an unknown field stops every command with the file, line and field', async () => {
    const rulesDir = join(work, 'bad-rules');
    rmSync(rulesDir, { recursive: true, force: true });
    spawnSync('cp', ['-r', join(ROOT, 'rules'), rulesDir]);
    const file = join(rulesDir, 'cn-mofcom-rare-earths.yaml');
    spawnSync('sed', ['-i', '0,/effective_from: "2025-04-04"/s//efective_from: "2025-04-04"/', file]);
    const r = await cli(['--rules-dir', rulesDir, 'classify', join(ITEMS, 'tb-metal.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^lodestone: rules\/cn-mofcom-rare-earths\.yaml:\d+: rules\.0\.(efective_from: unknown field|effective_from: is required)\n$/,
    );
  });

  it('unknown options and commands exit non-zero with usage help', async () => {
    expect((await cli(['classify', '--bogus'])).code).toBe(2);
    expect(lodestone(['frobnicate'], { cwd: work }).code).toBe(2);
  });
});

describe('every command has --help', () => {
  const names: string[][] = [];
  const walk = (cmd: ReturnType<typeof buildProgram>, path: string[]) => {
    for (const c of cmd.commands) {
      names.push([...path, c.name()]);
      walk(c, [...path, c.name()]);
    }
  };
  walk(buildProgram(), []);
  it('lodestone --help (the real command)', () => {
    const r = lodestone(['--help'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: lodestone /);
  });
  it.each(names.map((n) => [n.join(' '), n] as const))('%s --help', async (_label, path) => {
    const r = await cli([...path, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: lodestone /);
  });
});

describe.each(STORES)('demo and rebuild through the CLI on %s', (kind) => {
  let env: Record<string, string> = {};
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (kind === 'postgres') {
      const db = await emptyPostgresDatabase();
      env = { DATABASE_URL: db.databaseUrl, LODESTONE_KEYS_DIR: join(work, 'pg-keys') };
      drop = db.drop;
    } else {
      env = { LODESTONE_DATA_DIR: join(work, 'demo-store') };
      await seedPgliteDataDir(join(work, 'demo-store'));
    }
  });
  afterAll(async () => {
    await drop?.();
  });

  it('demo plays the scenario: approvals, shipments, motors, refusals, report.md; a second run works', () => {
    const out = join(work, `out-${kind}`);
    const first = lodestone(['demo', '--out', out], { cwd: work, env });
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /APPROVED {2}Decision \(cn-mofcom\)\n {2}licence LIC-CN-\d{4}-[0-9A-F]{6}: 2,000 kg ceiling/,
    );
    expect(first.out).toMatch(/REFUSED {2}Shipment 3 \(past the balance\)[^]*QUANTITY_CEILING/);
    expect(first.out).toMatch(/ACCEPTED {2}Domestic sale of 500 motors/);
    expect(first.out).toMatch(
      /REFUSED {2}Export of 100 motors to the US buyer[^]*PROHIBITED_DESTINATION: United States \(US\) is a prohibited destination: lot MOT-[0-9A-F]{4} ← transformation T-[0-9A-F]{4} ← lot IN-MAG-[0-9A-F]{4}-1 ← shipment SH-[0-9A-F]{4}-1 ← licence LIC-CN-[^ ]+ ← certificate urn:uuid:[0-9a-f-]{36}, clause "no re-export to US"/,
    );
    expect(first.out).toMatch(
      /REFUSED {2}Export of 100 motors to the UAE trader owned by the US buyer[^]*PROHIBITED_VIA_OWNER: Gulf Horizon General Trading FZE is controlled from a prohibited destination \(Gulf Horizon General Trading FZE is 60 % owned by Lakeshore EV Drivetrains Inc\. \(US\)\)/,
    );
    expect(first.out).toMatch(/DENIED {2}Decision \(cn-mofcom\)[^]*listed on cn-control-list/);
    expect(first.out).toMatch(/2 t of 2 t shipped; holders' books balance; lost between shipment and receipt: 6 kg/);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/^# Lodestone — licence and custody report/);
    expect(report).toContain('| L1 | Sintered NdFeB magnets 45SH');
    expect(report).toContain('100 %');
    expect(report).toContain('## Refusals');
    const second = lodestone(['demo'], { cwd: work, env });
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/REFUSED {2}Export of 100 motors to the US buyer/);
  }, 180_000);

  it('rebuild replays the journal, quietly when piped', () => {
    const r = lodestone(['rebuild'], { cwd: work, env });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^rebuilt the projections from \d+ journal entries/);
    expect(r.err).toBe('');
    const parties = lodestone(['parties', 'list', '--json'], { cwd: work, env });
    expect((JSON.parse(parties.out) as unknown[]).length).toBe(8);
  });
});

describe('licensing and custody through the CLI (in-process)', () => {
  it('check explains a refusal; ship refuses with exit 7 and writes nothing; apply rejects bad input naming the field', async () => {
    // Reuse the store the spawned demo above made (when PGlite is among the stores); else play the demo here.
    const demoStore = join(work, 'demo-store');
    const dataDir = existsSync(demoStore) ? demoStore : join(work, 'custody-store');
    if (dataDir !== demoStore) expect((await cli(['--data-dir', dataDir, 'demo'])).code).toBe(0);
    const lots = JSON.parse(
      (await cli(['--data-dir', dataDir, 'lots', 'list', '--json', '--holder', 'chakan-drive-systems'])).out,
    ) as { id: string }[];
    const motors = lots.find((l) => l.id.startsWith('MOT-'))!.id;
    const check = await cli(['--data-dir', dataDir, 'check', motors, '--to', 'lakeshore-ev', '--destination', 'US']);
    expect(check.code, 'REFUSED exits 7').toBe(7);
    expect(check.out).toMatch(
      new RegExp(
        `^REFUSED: ${motors} → lakeshore-ev \\(US\\)\n  ✗ PROHIBITED_DESTINATION: .*clause "no re-export to US"`,
      ),
    );
    const ok = await cli(['--data-dir', dataDir, 'check', motors, '--to', 'deccan-mobility', '--destination', 'IN']);
    expect(ok.out).toMatch(/^ALLOWED/);
    expect(ok.code).toBe(0);
    const before = (await cli(['--data-dir', dataDir, 'journal', '--json', '--limit', '1000'])).out;
    const shipment = join(work, 'ship-us.json');
    writeFileSync(
      shipment,
      JSON.stringify({
        id: 'CLI-US-1',
        fromLot: motors,
        to: 'lakeshore-ev',
        destination: 'US',
        grams: 45_000,
        units: 1,
      }),
    );
    const refused = await cli(['--data-dir', dataDir, 'ship', shipment, '--as', 'chakan-drive-systems']);
    expect(refused.code).toBe(7);
    expect(refused.err).toMatch(
      /^lodestone: refused \(PROHIBITED_DESTINATION\): United States \(US\) is a prohibited destination/,
    );
    const bad = join(work, 'bad-application.json');
    writeFileSync(
      bad,
      JSON.stringify({
        authority: 'cn-mofcom',
        applicant: 'ganzhou-hengyuan-magnetics',
        importer: 'chakan-drive-systems',
        endUser: 'chakan-drive-systems',
        destination: 'IN',
        endUse: { description: 'x', purposes: ['civil-automotive'] },
        licenceType: 'single',
        lines: [],
        validFrom: '2026-11-24',
        validUntil: '2027-11-23',
      }),
    );
    const applied = await cli(['--data-dir', dataDir, 'apply', bad]);
    expect(applied.code).toBe(2);
    expect(applied.err).toBe('lodestone: application.lines: must list at least one item\n');
    expect((await cli(['--data-dir', dataDir, 'journal', '--json', '--limit', '1000'])).out).toBe(before);
  });
});
