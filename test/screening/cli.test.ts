/**
 * The screening commands on a fresh commander program (main.ts wires the same function in; until
 * then this is how they are tested in-process), against a fresh store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, registerParty, type AppContext } from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { registerScreeningCommands } from '../../src/cli/screening.js';
import { LodestoneError } from '../../src/domain/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const fixture = (f: string): string => new URL(`../fixtures/screening/${f}`, import.meta.url).pathname;

function sink(): { stream: Writable; text: () => string } {
  let buf = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        buf += chunk.toString();
        cb();
      },
    }),
    text: () => buf,
  };
}

describe.each(STORES.slice(0, 1))('lists and screen commands (%s)', (kind) => {
  const current = useFreshStore(kind);
  let dir: string;
  let ctx: AppContext;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-screen-cli-'));
    ctx = createApp(current().store, { keysDir: join(dir, 'keys') });
    await registerParty(ctx, { id: 'compliance-desk', name: 'Compliance Desk', country: 'IN' });
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = sink();
    const err = sink();
    const program = new Command('lodestone')
      .exitOverride()
      .configureOutput({ writeOut: (s) => out.stream.write(s), writeErr: (s) => err.stream.write(s) });
    registerScreeningCommands(program, { io: { out: out.stream, err: err.stream }, withApp: (fn) => fn(ctx) });
    let code = 0;
    try {
      await program.parseAsync(['node', 'lodestone', ...args]);
    } catch (e) {
      if (e instanceof CommanderError) code = 2;
      else if (e instanceof LodestoneError) {
        err.stream.write(`lodestone: ${e.message}\n`);
        code = e.code === 'INVALID_INPUT' ? 2 : 1;
      } else throw e;
    }
    return { code, out: out.text(), err: err.text() };
  }

  it('imports lists (reporting skipped rows by line), lists them, and screens with one JSON line per query', async () => {
    const imp = await run(
      'lists',
      'import',
      fixture('plain.csv'),
      '--format',
      'csv',
      '--list',
      'cn-control',
      '--actor',
      'compliance-desk',
    );
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/cn-control: imported 4 entries, 3 rows skipped/);
    expect(imp.err.split('\n').filter((l) => l !== '')).toEqual([
      expect.stringMatching(/plain\.csv: line 5: name is empty \(row skipped\)/),
      expect.stringMatching(/line 6: type must be/),
      expect.stringMatching(/line 7: expected 6 columns/),
    ]);
    expect(
      (
        await run(
          'lists',
          'import',
          fixture('plain.csv'),
          '--format',
          'csv',
          '--list',
          'cn-control',
          '--actor',
          'compliance-desk',
        )
      ).out,
    ).toMatch(/unchanged/);
    expect(
      (
        await run(
          'lists',
          'import',
          fixture('sdn.csv'),
          '--format',
          'sdn-csv',
          '--list',
          'ofac-sdn',
          '--alt',
          fixture('alt.csv'),
          '--add',
          fixture('add.csv'),
          '--actor',
          'compliance-desk',
        )
      ).code,
    ).toBe(0);
    const ls = await run('lists', 'list', '--json');
    expect((JSON.parse(ls.out) as { list: string }[]).map((s) => s.list)).toEqual(['cn-control', 'ofac-sdn']);

    const names = join(dir, 'names.txt');
    writeFileSync(names, 'National Bank of Cuba\n\nJane Q. Nobody\n');
    const s = await run('screen', 'Baotou Steel', '--names', names, '--json');
    expect(s.code).toBe(0);
    const lines = s.out
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            query: string;
            hits: { list: string; entryId: string; name: string; score: number; explanation: string }[];
          },
      );
    expect(lines.map((l) => l.query)).toEqual(['Baotou Steel', 'National Bank of Cuba', 'Jane Q. Nobody']);
    expect(lines[0]?.hits[0]).toMatchObject({ list: 'cn-control', entryId: 'SYN-001' });
    expect(Object.keys(lines[1]?.hits[0] ?? {})).toEqual(['list', 'entryId', 'name', 'score', 'explanation']);
    expect(lines[2]?.hits).toEqual([]);
  });

  it('screens against a list file directly', async () => {
    const s = await run(
      'screen',
      'Аймен аль-Завахири',
      '--list',
      fixture('un-consolidated.xml'),
      '--format',
      'un-xml',
      '--json',
    );
    expect(s.code).toBe(0);
    expect((JSON.parse(s.out) as { hits: { entryId: string }[] }).hits[0]?.entryId).toBe('QDi.006');
  });

  it('bad input: one line naming the field, exit 2', async () => {
    for (const args of [
      ['screen', '!!!'],
      ['screen', 'x'.repeat(10_240)],
      ['screen', 'Baotou', '--threshold', 'high'],
      ['screen', 'Baotou', '--country', 'XX'],
      ['screen', 'Baotou', '--list', fixture('plain.csv'), '--format', 'pdf'],
      ['lists', 'import', fixture('plain.csv'), '--format', 'sdn-csv', '--list', 'x1', '--actor', 'compliance-desk'],
      ['lists', 'import', join(dir, 'nope.csv'), '--format', 'csv', '--list', 'x1', '--actor', 'compliance-desk'],
    ]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^lodestone: (query|--threshold|--country|--format|sdn\.csv|file): /);
    }
  });
});

/**
 * The same commands through the real entry point, `main(argv, io)`, on an embedded store in a
 * temporary data directory: row-level import progress on a terminal (and none when stderr is not
 * one), and the bad inputs, each a one-line error naming the field, exit 2, with the
 * snapshot in force unchanged.
 */
describe('lodestone lists import / screen through main(argv, io)', () => {
  let dir: string;

  function stream(tty: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
    const s = sink();
    if (tty) Object.assign(s.stream, { isTTY: true });
    return s;
  }

  async function cli(
    args: string[],
    opts: { tty?: boolean } = {},
  ): Promise<{ code: number; out: string; err: string }> {
    const out = stream(false);
    const err = stream(opts.tty ?? false);
    const code = await main(['node', 'lodestone', '--data-dir', join(dir, 'store'), ...args], {
      out: out.stream,
      err: err.stream,
    });
    return { code, out: out.text(), err: err.text() };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-screen-main-'));
    await seedPgliteDataDir(join(dir, 'store'));
    writeFileSync(
      join(dir, 'parties.json'),
      JSON.stringify([{ id: 'compliance-desk', name: 'Compliance Desk', country: 'IN' }]),
    );
    expect((await cli(['parties', 'register', join(dir, 'parties.json')])).code).toBe(0);
  }, 120_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows row-level progress while importing on a terminal, and none when stderr is not a terminal', async () => {
    const rows = ['name,aliases,country,type,list,id'];
    for (let i = 0; i < 2500; i++) rows.push(`Synthetic Trading ${i} Co. Ltd.,,CN,entity,Synthetic,SYN-${i}`);
    writeFileSync(join(dir, 'big.csv'), `${rows.join('\n')}\n`);
    const tty = await cli(
      ['lists', 'import', join(dir, 'big.csv'), '--format', 'csv', '--list', 'big', '--actor', 'compliance-desk'],
      { tty: true },
    );
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(/big: imported 2,500 entries/);
    const updates = tty.err.split('\r').filter((l) => l !== '');
    expect(updates[0]).toMatch(/^big: rows parsed: 1,000\/2,500 \(40 %\)/);
    expect(updates.at(-1)).toBe('big: rows parsed: 2,500/2,500 (100 %)\x1b[K\n');

    rows.push('Another Synthetic Co.,,CN,entity,Synthetic,SYN-X');
    writeFileSync(join(dir, 'big.csv'), `${rows.join('\n')}\n`);
    const piped = await cli([
      'lists',
      'import',
      join(dir, 'big.csv'),
      '--format',
      'csv',
      '--list',
      'big',
      '--actor',
      'compliance-desk',
    ]);
    expect(piped.code).toBe(0);
    expect(piped.out).toMatch(/vs previous: \+1 −0 ~0/);
    expect(piped.err).toBe('');
  });

  it('bad input: one line naming the field, exit 2, and the snapshot in force stays', async () => {
    expect(
      (
        await cli([
          'lists',
          'import',
          fixture('plain.csv'),
          '--format',
          'csv',
          '--list',
          'cn-control',
          '--actor',
          'compliance-desk',
        ])
      ).code,
    ).toBe(0);
    const before = (await cli(['lists', 'list', '--json'])).out;
    expect((JSON.parse(before) as { list: string }[]).map((s) => s.list)).toContain('cn-control');
    writeFileSync(join(dir, 'empty.csv'), '');
    writeFileSync(join(dir, 'binary.csv'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x01]));
    writeFileSync(join(dir, 'punct.csv'), '.,;!?\n');
    const imp = (file: string, ...more: string[]) => [
      'lists',
      'import',
      file,
      '--list',
      'cn-control',
      '--actor',
      'compliance-desk',
      ...more,
    ];
    const cases: [string[], RegExp][] = [
      [imp(join(dir, 'empty.csv'), '--format', 'csv'), /^lodestone: file: is empty$/],
      [imp(join(dir, 'binary.csv'), '--format', 'csv'), /^lodestone: file: .*binary file/],
      [imp(join(dir, 'punct.csv'), '--format', 'csv'), /^lodestone: file: is not the plain list CSV/],
      [
        imp(fixture('plain.csv'), '--format', 'pdf'),
        /^lodestone: --format: must be one of sdn-csv, un-xml, ftm-json, csv/,
      ],
      [imp(fixture('plain.csv'), '--format', 'sdn-csv'), /^lodestone: sdn\.csv: is not an OFAC SDN CSV/],
      [
        ['screen', '!!! ... ???', '--list', fixture('plain.csv'), '--format', 'csv'],
        /^lodestone: query: has no letters or digits/,
      ],
      [
        ['screen', 'x'.repeat(10_240), '--list', fixture('plain.csv'), '--format', 'csv'],
        /^lodestone: query: is 10240 characters long; at most 1000$/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ').slice(0, 120)).toBe(2);
      expect(r.err.trim().split('\n'), args.join(' ').slice(0, 120)).toHaveLength(1);
      expect(r.err.trim(), args.join(' ').slice(0, 120)).toMatch(message);
    }
    expect((await cli(['lists', 'list', '--json'])).out).toBe(before);
    const s = await cli(['screen', 'BAOTOU STEEL GROUP', '包头钢铁', '--json']);
    expect(s.code).toBe(0);
    const lines = s.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { query: string; hits: { list: string; entryId: string; score: number }[] });
    expect(lines.map((l) => l.hits[0]?.entryId)).toEqual(['SYN-001', 'SYN-001']);
  });
});
