/**
 * The screening commands on a fresh commander program (main.ts wires the same function in; until
 * then this is how they are tested in-process), against a fresh store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, registerParty, type AppContext } from '../../src/app/index.js';
import { registerScreeningCommands } from '../../src/cli/screening.js';
import { LodestoneError } from '../../src/domain/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

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
    const program = new Command('lodestone').exitOverride().configureOutput({ writeOut: (s) => out.stream.write(s), writeErr: (s) => err.stream.write(s) });
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
    const imp = await run('lists', 'import', fixture('plain.csv'), '--format', 'csv', '--list', 'cn-control', '--actor', 'compliance-desk');
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/cn-control: imported 4 entries, 3 rows skipped/);
    expect(imp.err.split('\n').filter((l) => l !== '')).toEqual([
      expect.stringMatching(/plain\.csv: line 5: name is empty \(row skipped\)/),
      expect.stringMatching(/line 6: type must be/),
      expect.stringMatching(/line 7: expected 6 columns/),
    ]);
    expect((await run('lists', 'import', fixture('plain.csv'), '--format', 'csv', '--list', 'cn-control', '--actor', 'compliance-desk')).out).toMatch(/unchanged/);
    expect((await run('lists', 'import', fixture('sdn.csv'), '--format', 'sdn-csv', '--list', 'ofac-sdn', '--alt', fixture('alt.csv'), '--add', fixture('add.csv'), '--actor', 'compliance-desk')).code).toBe(0);
    const ls = await run('lists', 'list', '--json');
    expect((JSON.parse(ls.out) as { list: string }[]).map((s) => s.list)).toEqual(['cn-control', 'ofac-sdn']);

    const names = join(dir, 'names.txt');
    writeFileSync(names, 'National Bank of Cuba\n\nJane Q. Nobody\n');
    const s = await run('screen', 'Baotou Steel', '--names', names, '--json');
    expect(s.code).toBe(0);
    const lines = s.out.trim().split('\n').map((l) => JSON.parse(l) as { query: string; hits: { list: string; entryId: string; name: string; score: number; explanation: string }[] });
    expect(lines.map((l) => l.query)).toEqual(['Baotou Steel', 'National Bank of Cuba', 'Jane Q. Nobody']);
    expect(lines[0]?.hits[0]).toMatchObject({ list: 'cn-control', entryId: 'SYN-001' });
    expect(Object.keys(lines[1]?.hits[0] ?? {})).toEqual(['list', 'entryId', 'name', 'score', 'explanation']);
    expect(lines[2]?.hits).toEqual([]);
  });

  it('screens against a list file directly', async () => {
    const s = await run('screen', 'Аймен аль-Завахири', '--list', fixture('un-consolidated.xml'), '--format', 'un-xml', '--json');
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
