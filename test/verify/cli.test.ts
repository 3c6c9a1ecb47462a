import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../../src/cli/main.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

let dir: string;
let licenceId = '';
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        f(chunk.toString());
        cb();
      },
    });
  const code = await main(['node', 'lodestone', '--data-dir', join(dir, 'data'), ...args], {
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lodestone-audit-cli-'));
  await seedPgliteDataDir(join(dir, 'data'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('lodestone demo --out / witness / audit export / verify', () => {
  it("the demo's bundle verifies, and the same bundle with one byte changed does not", async () => {
    const demo = await run('demo', '--out', join(dir, 'out'));
    expect(demo.code, demo.err).toBe(EXIT.ok);
    expect(demo.out).toMatch(/audit bundle for .* written to/);
    licenceId = /audit bundle for (\S+) written/.exec(demo.out)![1]!;
    const file = join(dir, 'out', 'audit-bundle.json');
    const ok = await run('verify', file);
    expect(ok.code, ok.err).toBe(EXIT.ok);
    expect(ok.out).toMatch(/^OK {2}audit bundle for licence /);
    expect(ok.out.split('\n').length).toBeLessThan(40);

    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('"record"') + 40;
    const changed = `${text.slice(0, at)}${text[at] === 'a' ? 'b' : 'a'}${text.slice(at + 1)}`;
    writeFileSync(join(dir, 'changed.json'), changed);
    const bad = await run('verify', join(dir, 'changed.json'));
    expect(bad.code).toBe(6);
    expect(bad.err).toMatch(/^lodestone: /);
    expect(bad.out).toBe('');
  });

  it('witness cosigns, the checkpoint shows it, and export carries it to the verifier', async () => {
    const state = join(dir, 'in-dgft.witness.json');
    const w = await run('witness', '--as', 'in-dgft', '--state', state);
    expect(w.code, w.err).toBe(EXIT.ok);
    expect(w.out).toMatch(/first checkpoint seen/);
    const again = await run('witness', '--as', 'in-dgft', '--state', state);
    expect(again.out).toMatch(/in-dgft had already cosigned \S+ size \d+: nothing added/); // idempotent: no second cosignature
    const cp = await run('log', 'checkpoint');
    // The subject map's root follows the log's root as an extension line (cosigned with the rest of the note).
    expect(cp.out).toMatch(
      /^lodestone\.localhost\/log\n\d+\n[A-Za-z0-9+/]{43}=\nlodestone-subjects\/v1 0 [A-Za-z0-9+/]{43}=\n\n— lodestone\.localhost\/log .*\n— in-dgft /,
    );
    expect((await run('log', 'check')).out).toMatch(/log consistent/);
    // A forked state: the witness remembers another root for the current size, and refuses.
    const s = JSON.parse(readFileSync(state, 'utf8')) as { root: string };
    writeFileSync(state, JSON.stringify({ ...s, root: Buffer.alloc(32).toString('base64') }));
    const fork = await run('witness', '--as', 'in-dgft', '--state', state);
    expect(fork.code).toBe(EXIT.refused);
    expect(fork.err).toMatch(/fork: size \d+ has root/);

    writeFileSync(state, JSON.stringify(s));
    // A checkpoint file: the log's own is cosigned; one with a forged root (even if signed by the log key) is refused.
    writeFileSync(
      join(dir, 'cp.txt'),
      cp.out.split('\n\n')[0]! + '\n\n' + cp.out.split('\n\n')[1]!.split('\n')[0]! + '\n',
    );
    const fromFile = await run('witness', '--as', 'in-dgft', '--state', state, '--checkpoint', join(dir, 'cp.txt'));
    expect(fromFile.code, fromFile.err).toBe(EXIT.ok);
    const lines = cp.out.split('\n');
    // (lines: origin, size, root, the subject map extension, blank, the log's signature)
    writeFileSync(
      join(dir, 'bad.txt'),
      `${lines[0]}\n${lines[1]}\n${Buffer.alloc(32, 7).toString('base64')}\n${lines[3]}\n\n${lines[5]}\n`,
    );
    const bad = await run('witness', '--as', 'in-dgft', '--state', state, '--checkpoint', join(dir, 'bad.txt'));
    expect(bad.code).toBe(EXIT.refused);
    expect(bad.err).toMatch(
      /not a checkpoint of lodestone\.localhost\/log: note signature by lodestone\.localhost\/log does not verify/,
    );
    const exported = await run('audit', 'export', '--licence', licenceId, '--out', join(dir, 'b.json'));
    expect(exported.code, exported.err).toBe(EXIT.ok);
    const v = await run('verify', join(dir, 'b.json'));
    expect(v.code, v.err).toBe(EXIT.ok);
    // Not pinned: reported, never as a witness.
    expect(v.out).toMatch(/cosigned by \(no pinned witness\)/);
    expect(v.out).toMatch(/unverified {2}cosignatures naming in-dgft/);
    const dgft = (
      JSON.parse(readFileSync(join(dir, 'data', 'keys', 'in-dgft.key.json'), 'utf8')) as { publicKey: string }
    ).publicKey;
    const root = (await run('trust-list', 'root-key')).out.trim();
    const pinned = await run('verify', join(dir, 'b.json'), '--witness', `in-dgft=${dgft}`, '--trust-root', root);
    expect(pinned.code, pinned.err).toBe(EXIT.ok);
    expect(pinned.out).toMatch(/cosigned by in-dgft \(pinned by --witness; quorum 1 of 1\)/);
    expect(pinned.out).toMatch(
      /trust list {2}1 version\(s\), root pinned by --trust-root; 1 decision\(s\) and 1 countersignature\(s\)/,
    );
    const badPin = await run('verify', join(dir, 'b.json'), '--witness', 'in-dgft');
    expect(badPin.code).toBe(EXIT.badInput);
    expect(badPin.err).toMatch(/--witness: must be NAME=KEY/);
  });
});
