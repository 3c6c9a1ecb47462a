import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, registerParty, type AppContext } from '../../src/app/index.js';
import { registerCertificateCommands } from '../../src/cli/certificates.js';
import { publishDemoTrustList } from '../support/scenario.js';
import { LodestoneError } from '../../src/domain/index.js';
import { certificateSubject } from '../support/certificates.js';
import { STORES, useFreshStore } from '../support/stores.js';

const PARTIES = [
  {
    id: 'ganzhou-hengyuan-magnetics',
    name: 'Ganzhou Hengyuan Magnetics Co., Ltd.',
    country: 'CN',
    sector: 'magnet-manufacturing',
  },
  { id: 'cn-mofcom', name: 'Ministry of Commerce of the PRC', country: 'CN', sector: 'government' },
  { id: 'chakan-drive-systems', name: 'Chakan Drive Systems Private Limited', country: 'IN', sector: 'automotive' },
  { id: 'in-dgft', name: 'Directorate General of Foreign Trade, India', country: 'IN', sector: 'government' },
];

describe.each(STORES.slice(0, 1))('lodestone certificates … on %s', (kind) => {
  const current = useFreshStore(kind);
  let dir: string;
  let ctx: AppContext;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-cert-cli-'));
    ctx = createApp(current().store, { keysDir: join(dir, 'keys'), clock: () => new Date('2026-05-01T09:00:00.000Z') });
    for (const p of PARTIES) await registerParty(ctx, p);
    await publishDemoTrustList(ctx);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]): Promise<{ ok: boolean; out: string; error?: string }> {
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const program = new Command('lodestone')
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    registerCertificateCommands(program, { io: { out: sink, err: sink }, withApp: (fn) => fn(ctx) });
    try {
      await program.parseAsync(['node', 'lodestone', ...args]);
      return { ok: true, out };
    } catch (e) {
      if (e instanceof LodestoneError || e instanceof CommanderError) return { ok: false, out, error: e.message };
      throw e;
    }
  }

  it('issue, countersign, show, verify (id and file), revoke', async () => {
    const file = join(dir, 'certificate.json');
    writeFileSync(file, JSON.stringify(certificateSubject));
    const jwsFile = join(dir, 'certificate.jws');
    const issued = await run('certificates', 'issue', file, '--as', 'chakan-drive-systems', '--out', jwsFile);
    expect(issued.out).toMatch(/^issued urn:uuid:\S+, signed by chakan-drive-systems, journal entry \d+/);
    const id = /issued (urn:uuid:\S+),/.exec(issued.out)?.[1] ?? '';
    expect((JSON.parse(readFileSync(jwsFile, 'utf8')) as { signatures: unknown[] }).signatures).toHaveLength(1);

    expect((await run('certificates', 'countersign', id, '--as', 'in-dgft')).out).toMatch(
      /countersigned .* as in-dgft/,
    );
    const shown = await run('certificates', 'show', id);
    expect(shown.out).toContain('countersigned by in-dgft');
    expect(shown.out).toContain('prohibited destinations: US; use only in IN');
    const json = JSON.parse((await run('certificates', 'show', id, '--json')).out) as {
      credential: { issuer: string };
      jws: { signatures: unknown[] };
    };
    expect(json.credential.issuer).toBe('urn:lodestone:party:chakan-drive-systems');
    expect(json.jws.signatures).toHaveLength(2);

    const ok = await run('certificates', 'verify', id, '--as-of', '2026-06-01');
    expect(ok.ok).toBe(true);
    expect(ok.out).toMatch(
      /VALID as of 2026-06-01\n {2}signatures verified: end-user chakan-drive-systems .*, countersigner in-dgft/,
    );
    expect((await run('certificates', 'verify', jwsFile, '--as-of', '2026-06-01')).ok).toBe(true); // the file has only the first signature: still the recorded payload

    const expired = await run('certificates', 'verify', id, '--as-of', '2027-06-01');
    expect(expired.ok).toBe(false);
    expect(expired.error).toMatch(/refused \(certificate\.expired\)/);

    const tampered = JSON.parse(readFileSync(jwsFile, 'utf8')) as { payload: string };
    tampered.payload = Buffer.from(
      Buffer.from(tampered.payload, 'base64url').toString().replace('2000000', '9000000'),
    ).toString('base64url');
    writeFileSync(jwsFile, JSON.stringify(tampered));
    expect((await run('certificates', 'verify', jwsFile)).error).toMatch(
      /\(certificate\.signature\): forged or tampered/,
    );

    expect(
      (await run('certificates', 'revoke', id, '--as', 'chakan-drive-systems', '--reason', 'order cancelled')).out,
    ).toMatch(/^revoked .*: order cancelled/);
    expect((await run('certificates', 'verify', id, '--as-of', '2026-06-01')).error).toMatch(
      /\(certificate\.revoked\)/,
    );
  });

  it('names the file and field of bad input', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...certificateSubject, items: [] }));
    const r = await run('certificates', 'issue', file, '--as', 'chakan-drive-systems');
    expect(r.error).toBe(`${file}: certificate.items: must list at least one item`);
    expect(
      (await run('certificates', 'revoke', 'urn:uuid:00000000-0000-4000-8000-000000000000', '--as', 'in-dgft')).ok,
    ).toBe(false);
  });
});
