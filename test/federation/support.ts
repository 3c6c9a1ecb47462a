/**
 * A NATS JetStream server owned by a test: `nats-server -js` on a free loopback port with a
 * temporary store directory, which the test can stop and start again (same port, same store).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyncReport } from '../../src/federation/index.js';

export function natsServerBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (spawnSync(p, ['--version']).status === 0) return p;
  }
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  throw new Error(
    'nats-server is not installed: apt-get install -y nats-server (Debian package) to run the federation tests',
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => {
        if (typeof a === 'object' && a !== null) resolve(a.port);
        else reject(new Error('no port'));
      });
    });
  });
}

async function waitForPort(port: number, up: boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const c = tcpConnect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => {
        resolve(false);
      });
    });
    if (open === up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server on port ${port} did not ${up ? 'start' : 'stop'}`);
}

export interface TestNats {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startNats(): Promise<TestNats> {
  const bin = natsServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await waitForPort(port, true);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
    await waitForPort(port, false);
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sync rounds on the nodes, in turn, until none publishes, receives nor imports anything. */
export async function converge(nodes: readonly { sync(): Promise<SyncReport> }[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const reports = [];
    for (const n of nodes) reports.push(await n.sync());
    const moved = reports.some(
      (r) =>
        r.published > 0 || Object.values(r.received).some((n) => n > 0) || Object.values(r.imported).some((n) => n > 0),
    );
    if (!moved) return;
  }
  throw new Error('the nodes did not converge in 20 rounds');
}
