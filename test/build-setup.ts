import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the console bundle is built from: its sources and the modules it bundles. */
const CONSOLE_INPUTS = ['console', 'src/verify', 'src/trust', 'src/domain', 'src/rules', 'package-lock.json'];
/** Beside the bundle: the hash of CONSOLE_INPUTS it was built from. */
const STAMP = 'dist/console/.inputs-sha256';

/** Every file under a file or folder (none if absent), sorted. */
function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((f) => files(join(path, f)));
}

/** SHA-256 over the inputs' paths and contents (not their modification times, which checkouts change). */
function inputsHash(root: string): string {
  const h = createHash('sha256');
  for (const file of CONSOLE_INPUTS.flatMap((p) => files(join(root, p)))) {
    h.update(`${relative(root, file)}\0`);
    h.update(readFileSync(file));
    h.update('\0');
  }
  return h.digest('hex');
}

function run(root: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`build step failed (${code ?? signal}): node ${args.join(' ')}`));
    });
  });
}

/**
 * End-to-end tests run the real `lodestone` command, so compile src/ to dist/ (incremental);
 * the browser tests need the web console in dist/console, rebuilt only when the hash of its inputs
 * differs from the one recorded beside the last build. The two builds run at the same time.
 */
export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const steps = [run(root, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'])];
  const hash = inputsHash(root);
  const stamp = join(root, STAMP);
  const built = existsSync(join(root, 'dist/console/index.html')) && existsSync(stamp);
  if (!built || readFileSync(stamp, 'utf8').trim() !== hash) {
    steps.push(
      run(root, [
        'node_modules/vite/bin/vite.js',
        'build',
        '--config',
        'console/vite.config.ts',
        '--logLevel',
        'warn',
      ]).then(() => {
        writeFileSync(stamp, `${hash}\n`);
      }),
    );
  }
  const results = await Promise.allSettled(steps);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
