/** `lodestone keys rotate / revoke / list` (issue 18, item 9) on the embedded store, in-process. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { generateKeyPair } from '../../src/trust/index.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'lodestone-keys-cli-'));
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
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    const code = await main(['node', 'lodestone', '--data-dir', dir, ...args], {
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
    });
    return { code, out, err };
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
}

const keyId = (party: string) =>
  (JSON.parse(readFileSync(join(dir, 'keys', `${party}.key.json`), 'utf8')) as { keyId: string }).keyId;

describe('lodestone keys', () => {
  it('rotates (fresh key, then a given PEM), lists the windows, revokes with a reason; bad input and refusals have their exit statuses', async () => {
    const party = join(dir, 'party.json');
    writeFileSync(
      party,
      JSON.stringify({
        id: 'mumbai-magnet-traders',
        name: 'Mumbai Magnet Traders Pvt Ltd',
        country: 'IN',
        sector: 'distribution',
      }),
    );
    expect((await run('parties', 'register', party)).code).toBe(0);
    const k0 = keyId('mumbai-magnet-traders');
    const r1 = await run('keys', 'rotate', 'mumbai-magnet-traders');
    expect(r1.code, r1.err).toBe(0);
    const k1 = keyId('mumbai-magnet-traders');
    expect(r1.out).toContain(`rotated mumbai-magnet-traders's key ${k0} → ${k1}`);
    const pem = join(dir, 'next.pem');
    const next = generateKeyPair();
    writeFileSync(pem, next.privateKeyPem);
    expect((await run('keys', 'rotate', 'mumbai-magnet-traders', pem)).code).toBe(0);
    expect(keyId('mumbai-magnet-traders')).toBe(next.keyId);
    expect((await run('keys', 'rotate', 'mumbai-magnet-traders', pem)).code).toBe(2); // the key in force is not a new key
    expect((await run('keys', 'rotate', 'nobody-here')).code).toBe(3);
    const rv = await run(
      'keys',
      'revoke',
      'mumbai-magnet-traders',
      k0,
      '--reason',
      'old laptop',
      '--compromised-at',
      '2026-01-01T00:00:00Z',
    );
    expect(rv.code, rv.err).toBe(0);
    expect((await run('keys', 'revoke', 'mumbai-magnet-traders', k0, '--reason', 'again')).code).toBe(4);
    expect((await run('keys', 'revoke', 'mumbai-magnet-traders', 'not-a-key', '--reason', 'x')).code).toBe(2);
    expect((await run('keys', 'revoke', 'mumbai-magnet-traders', k1)).code).toBe(2); // --reason is required
    const list = await run('keys', 'list', 'mumbai-magnet-traders', '--json');
    expect(JSON.parse(list.out)).toMatchObject([
      {
        keyId: k0,
        inForce: false,
        replacedBy: k1,
        revocationReason: 'old laptop',
        compromisedAt: '2026-01-01T00:00:00.000Z',
      },
      { keyId: k1, inForce: false, replacedBy: next.keyId, revokedSeq: null },
      { keyId: next.keyId, inForce: true },
    ]);
    const last = await run('keys', 'revoke', 'mumbai-magnet-traders', next.keyId, '--reason', 'stolen');
    expect(last.out).toMatch(/has no key in force now and can sign nothing/);
    expect((await run('rebuild')).code).toBe(0);
  }, 120_000);
});
