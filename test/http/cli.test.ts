import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'lodestone-cred-cli-'));
beforeAll(() => seedPgliteDataDir(dir)); // the migrated store, copied: not this file's subject
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

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
  const code = await main(['node', 'lodestone', '--data-dir', dir, ...args], {
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
  });
  return { code, out, err };
}

describe('lodestone credentials (embedded store)', () => {
  it('issues a key shown once, lists without keys, rotates and revokes; a bad role or unknown party is bad input', async () => {
    const issued = await run('credentials', 'issue', '--role', 'operator-admin', '--label', 'ops');
    expect(issued.code, issued.err).toBe(0);
    const key = /API key \(shown once, store it now\): (lsk_[A-Za-z0-9_-]{43})/.exec(issued.out)?.[1];
    const id = /credential (cred_[A-Za-z0-9_-]+)/.exec(issued.out)?.[1];
    expect(key).toBeDefined();
    expect(id).toBeDefined();
    const bad = await run('credentials', 'issue', '--role', 'king');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/role: must be one of/);
    expect((await run('credentials', 'issue', '--party', 'nobody', '--role', 'exporter')).code).toBe(3);
    const rotated = await run('credentials', 'rotate', id ?? '');
    expect(rotated.code).toBe(0);
    expect(rotated.out).not.toContain(key);
    expect((await run('credentials', 'revoke', id ?? '')).code).toBe(0);
    const list = await run('credentials', 'list');
    expect(list.out).toMatch(/operator-admin\t-\trevoked/);
    expect(list.out).not.toMatch(/lsk_/);
    expect((await run('credentials', 'revoke', id ?? '')).code).toBe(3);
  }, 120_000);
});
