/**
 * The built `lodestone` command run as a user runs it: a child process (embedded store, no
 * DATABASE_URL or LODESTONE_DATA_DIR from the test's environment), for tests about the process itself.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/lodestone.js');

export interface Run {
  code: number | null;
  out: string;
  err: string;
  /** Milliseconds from the last output (stdout or stderr) to the process's exit. */
  lingered: number;
}

/** Runs the real command in `cwd`; resolves when the process has exited. */
export function spawnLodestone(args: string[], o: { cwd: string; timeoutMs?: number }): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.DATABASE_URL;
  delete env.LODESTONE_DATA_DIR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: o.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let last = Date.now();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 400_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      last = Date.now();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      last = Date.now();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, lingered: Date.now() - last });
    });
  });
}

/** One line on stderr, starting "lodestone: ", no stack trace. */
export function oneLine(r: Run): string {
  expect(r.err).toMatch(/^lodestone: [^\n]+\n$/);
  expect(r.err).not.toMatch(/\n\s+at /);
  return r.err;
}
