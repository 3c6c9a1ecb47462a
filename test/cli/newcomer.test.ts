/**
 * Issue 23 part A, "a newcomer's first hour": each fix checked through the built `lodestone` command,
 * run as a user runs it (a child process, the embedded store in a temporary directory).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';
import { BIN, ROOT, spawnLodestone, oneLine, type Run } from './spawned.support.js';

const lodestone = (args: string[], o: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> =>
  spawnLodestone(args, { cwd: work, ...o });

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lodestone-newcomer-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const file = (name: string, content: unknown): string => {
  const path = join(work, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

describe('bad input to store-backed commands: one line, documented status, and the process exits at once (A1, A2, A3)', () => {
  it('apply with a malformed validFrom names the field, exit 2 (A1)', async () => {
    const dir = join(work, 'a1');
    await seedPgliteDataDir(dir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
    for (const validFrom of ['07/12/2026', '2026-12-07T10:00:00Z']) {
      const app = file('bad-date-application.json', {
        authority: 'cn-mofcom',
        applicant: 'ganzhou-hengyuan-magnetics',
        importer: 'chakan-drive-systems',
        endUser: 'chakan-drive-systems',
        destination: 'IN',
        endUse: { description: 'x', purposes: ['civil-automotive'] },
        licenceType: 'single',
        lines: [
          {
            ref: 'L1',
            item: JSON.parse(readFileSync(join(ROOT, 'examples/items/ndfeb-45sh-dy-magnet.json'), 'utf8')) as unknown,
            quantityGrams: 1000,
            value: { currency: 'USD', minor: 100 },
          },
        ],
        validFrom,
        validUntil: '2027-11-23',
      });
      const r = await lodestone(['--data-dir', dir, 'apply', app]);
      expect(r.code, r.err).toBe(2);
      expect(oneLine(r)).toMatch(/validFrom/);
      expect(r.err).not.toMatch(/RangeError|Invalid time value/);
    }
  }, 900_000);
});

describe('a data dir that cannot be used: one line, exit 5, no spin (A5)', () => {
  it.each([
    ['under a regular file', () => join(file('plain-file', 'x'), 'store')],
    ["under /proc (Node's recursive mkdir spins there)", () => '/proc/nope/x'],
  ])(
    '%s',
    async (_what, dir) => {
      const started = Date.now();
      const r = await lodestone(['--data-dir', dir(), 'parties', 'list'], { timeoutMs: 60_000 });
      expect(r.code, r.err).toBe(5);
      expect(oneLine(r)).toMatch(/^lodestone: cannot use data dir \S+: /);
      expect(Date.now() - started).toBeLessThan(60_000);
    },
    120_000,
  );

  it.skipIf(process.getuid?.() === 0)(
    'not writable (a read-only directory; root may write anywhere, so skipped as root)',
    async () => {
      const ro = join(work, 'read-only');
      mkdirSync(ro, { mode: 0o555 });
      const r = await lodestone(['--data-dir', join(ro, 'store'), 'parties', 'list']);
      expect(r.code).toBe(5);
      expect(oneLine(r)).toMatch(/permission denied/);
    },
  );
});

describe('every option of every command says what it does (A4)', () => {
  it('no option without help text', () => {
    const missing: string[] = [];
    const walk = (c: Command, path: string): void => {
      for (const o of c.options) if (o.description === '') missing.push(`${path} ${o.flags}`);
      for (const s of c.commands) walk(s, `${path} ${s.name()}`);
    };
    walk(buildProgram(), 'lodestone');
    expect(missing).toEqual([]);
  });
});

describe('on the demo store (A4, A7, A10)', () => {
  let dir: string;
  let demo: Run;
  let licence: string;
  let motors: string;
  beforeAll(async () => {
    dir = join(work, 'demo');
    await seedPgliteDataDir(dir);
    demo = await lodestone(['--data-dir', dir, 'demo'], { timeoutMs: 900_000 });
    expect(demo.code, demo.err).toBe(0);
    licence = /Licence (LIC-\S+):/.exec(demo.out)?.[1] ?? '';
    motors = /lot (MOT-[0-9A-F]+)/.exec(demo.out)?.[1] ?? '';
    expect(licence).not.toBe('');
    expect(motors).not.toBe('');
  }, 900_000);

  it('check exits 7 when the answer is REFUSED and 0 when ALLOWED, with --json too (A4)', async () => {
    const refused = await lodestone([
      '--data-dir',
      dir,
      'check',
      motors,
      '--to',
      'lakeshore-ev',
      '--destination',
      'US',
    ]);
    expect(refused.code).toBe(7);
    expect(refused.out).toMatch(/^REFUSED: /);
    const json = await lodestone([
      '--data-dir',
      dir,
      'check',
      motors,
      '--to',
      'lakeshore-ev',
      '--destination',
      'US',
      '--json',
    ]);
    expect(json.code).toBe(7);
    expect((JSON.parse(json.out) as { allowed: boolean }).allowed).toBe(false);
    const allowed = await lodestone([
      '--data-dir',
      dir,
      'check',
      motors,
      '--to',
      'deccan-mobility',
      '--destination',
      'IN',
    ]);
    expect(allowed.code, allowed.err).toBe(0);
    expect(allowed.out).toMatch(/^ALLOWED: /);
    const help = await lodestone(['check', '--help']);
    expect(help.out).toMatch(/--to <party>\s+\S/);
    expect(help.out).toMatch(/--grams <n>\s+\S/);
    expect(help.out).toMatch(/7 when REFUSED/);
  }, 900_000);

  it('wording and facts (A10)', async () => {
    // Counts agree in number.
    expect(demo.out).toMatch(/\b1 new alert raised\b/);
    expect(demo.out).not.toMatch(/\b1 new alerts\b/);
    // A refusal past the ceiling gives masses as people read them, not grams.
    expect(demo.out).toMatch(
      /QUANTITY_CEILING: licence \S+ line L1: 100 kg would bring shipments to 2\.1 t, past the ceiling of 2 t \(0 g left\)/,
    );
    // The licence shows the shortfall the report records, and its alerts.
    const l = await lodestone(['--data-dir', dir, 'licence', licence]);
    expect(l.code, l.err).toBe(0);
    expect(l.out).toMatch(/mass balance chakan-drive-systems: .*6 kg short at receipt/);
    expect(l.out).toMatch(/between holders: 0 g in transit, 6 kg short at receipt/);
    expect(l.out).toMatch(/\d+ alerts \(\d+ open\):\n {4}alert-\S+ (CRITICAL|HIGH|WARNING|INFO) \S+ \(open\): /);
    expect(l.out).toMatch(/mass-balance-gap/);
    expect(l.out).not.toMatch(/\bgap 0 g\b/);
    // Lots list gives the restriction's share by mass and by value.
    const lots = await lodestone(['--data-dir', dir, 'lots', 'list', '--holder', 'chakan-drive-systems']);
    expect(lots.out).toMatch(new RegExp(`${motors} .*${licence} \\(2\\.6666 % by mass, 8 % by value\\)`));
    // A witness asked twice keeps one cosignature.
    const w1 = await lodestone(['--data-dir', dir, 'witness', '--as', 'in-dgft', '--state', join(work, 'w.json')]);
    expect(w1.code, w1.err).toBe(0);
    const w2 = await lodestone(['--data-dir', dir, 'witness', '--as', 'in-dgft', '--state', join(work, 'w.json')]);
    expect(w2.code, w2.err).toBe(0);
    expect(w2.out).toMatch(/had already cosigned .*: nothing added/);
    expect(w2.out.match(/^— in-dgft /gm)).toHaveLength(1);
    const cp = await lodestone(['--data-dir', dir, 'log', 'checkpoint']);
    expect(cp.out.match(/^— in-dgft /gm)).toHaveLength(1);
    // Where a verifier gets the log key to pin.
    const vh = await lodestone(['verify', '--help']);
    expect(vh.out).toMatch(/lodestone\s+log\s+key/);
  }, 1_800_000);

  it('apply says when the certificate is not yet countersigned (A10)', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const until = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
    const cert = file('cert.json', {
      exporter: 'ganzhou-hengyuan-magnetics',
      importer: 'chakan-drive-systems',
      endUser: 'chakan-drive-systems',
      items: [
        {
          controlCode: '1C905.a',
          hsCode: '8505111000',
          description: '45SH NdFeB',
          quantityGrams: 100_000,
          value: { currency: 'USD', minor: 800_000 },
        },
      ],
      endUse: { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] },
      undertakings: {
        noWmdUse: true,
        noMilitaryUse: true,
        noReexportWithoutConsent: true,
        consentAuthority: 'cn-mofcom',
        prohibitedDestinations: ['US'],
        useOnlyIn: 'IN',
        extendsToIncorporatingProducts: true,
        postShipmentVerificationConsent: true,
        noticeOfChanges: true,
      },
      validity: { from: today, until },
    });
    const issued = await lodestone(['--data-dir', dir, 'certificates', 'issue', cert, '--as', 'chakan-drive-systems']);
    expect(issued.code, issued.err).toBe(0);
    const certId = /(urn:uuid:[0-9a-f-]+)/.exec(issued.out)?.[1] ?? '';
    expect(certId).not.toBe('');
    const app = file('app.json', {
      authority: 'cn-mofcom',
      applicant: 'ganzhou-hengyuan-magnetics',
      importer: 'chakan-drive-systems',
      endUser: 'chakan-drive-systems',
      destination: 'IN',
      endUse: { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] },
      licenceType: 'single',
      lines: [
        {
          ref: 'L1',
          item: JSON.parse(readFileSync(join(ROOT, 'examples/items/ndfeb-45sh-dy-magnet.json'), 'utf8')) as unknown,
          quantityGrams: 100_000,
          value: { currency: 'USD', minor: 800_000 },
        },
      ],
      certificateId: certId,
      validFrom: today,
      validUntil: until,
    });
    const applied = await lodestone(['--data-dir', dir, 'apply', app]);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain(
      `End-user certificate ${certId} is valid as signed by the end user but not yet countersigned by the importing government`,
    );
  }, 900_000);

  it('while serve holds the store, credentials are issued through it and other commands say what to do (A7)', async () => {
    let url = '';
    let server: ReturnType<typeof spawn> | undefined;
    const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    const localKey = await lodestone(['--data-dir', dir, 'log', 'key']);
    expect(localKey.code, localKey.err).toBe(0);
    const localCheckpoint = await lodestone(['--data-dir', dir, 'log', 'checkpoint']);
    try {
      server = spawn(process.execPath, [BIN, '--data-dir', dir, 'serve', '--port', '0'], {
        cwd: work,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const ready = new Promise<void>((resolve, reject) => {
        let seen = '';
        server?.stdout?.on('data', (b: Buffer) => {
          seen += b.toString();
          const m =
            /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(seen) ??
            /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
          if (m?.[1] !== undefined) {
            url = m[1];
            resolve();
          }
        });
        server?.on('exit', (c) => {
          reject(new Error(`serve exited with ${String(c)}: ${seen}`));
        });
      });
      await ready;
      const issued = await lodestone([
        '--data-dir',
        dir,
        'credentials',
        'issue',
        '--party',
        'chakan-drive-systems',
        '--role',
        'importer',
      ]);
      expect(issued.code, issued.err).toBe(0);
      const key = /API key \(shown once, store it now\): (lsk_\S+)/.exec(issued.out)?.[1] ?? '';
      // The key works at once on the running server.
      const res = await fetch(`${url}/v1/export-check?lot=${motors}&to=lakeshore-ev&destination=US`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { allowed: boolean }).allowed).toBe(false);
      // A refusal from the serving process keeps its exit status.
      const nobody = await lodestone([
        '--data-dir',
        dir,
        'credentials',
        'issue',
        '--party',
        'nobody',
        '--role',
        'exporter',
      ]);
      expect(nobody.code).toBe(3);
      oneLine(nobody);
      // The log key and checkpoint a verifier pins are read through the serving process too.
      const servedKey = await lodestone(['--data-dir', dir, 'log', 'key']);
      expect(servedKey.code, servedKey.err).toBe(0);
      expect(servedKey.out).toBe(localKey.out);
      const servedCheckpoint = await lodestone(['--data-dir', dir, 'log', 'checkpoint']);
      expect(servedCheckpoint.code, servedCheckpoint.err).toBe(0);
      expect(servedCheckpoint.out.split('\n')[0]).toBe(localCheckpoint.out.split('\n')[0]);
      // Any other command: what to do, in the one line.
      const busy = await lodestone(['--data-dir', dir, 'parties', 'list']);
      expect(busy.code).toBe(5);
      expect(oneLine(busy)).toMatch(
        /data dir is in use by process \d+: .*lodestone serve.*HTTP API.*lodestone credentials`, `log key` and `log checkpoint` still work.*kill -TERM \d+/,
      );
    } finally {
      server?.kill('SIGTERM');
      if (server !== undefined && server.exitCode === null) await new Promise((resolve) => server?.on('exit', resolve));
    }
    // The store is free again once serve has stopped.
    expect((await lodestone(['--data-dir', dir, 'credentials', 'list'])).out).toMatch(
      /importer\tchakan-drive-systems\tlive/,
    );
  }, 900_000);
});
