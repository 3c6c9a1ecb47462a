import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Newest modification time under a file or folder (0 if absent). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, f) => Math.max(m, newest(join(path, f))), s.mtimeMs);
}

/**
 * End-to-end tests run the real `lodestone` command, so compile src/ to dist/ once (incremental);
 * the browser tests need the web console in dist/console, rebuilt only when its sources (or the
 * modules it bundles: src/verify, src/trust, src/domain, src/rules) changed since the last build.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  const built = newest(join(root, 'dist/console/index.html'));
  const sources = Math.max(
    ...['console', 'src/verify', 'src/trust', 'src/domain', 'src/rules', 'package-lock.json'].map((p) =>
      newest(join(root, p)),
    ),
  );
  if (built === 0 || sources > built) {
    execFileSync(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'],
      { cwd: root, stdio: 'inherit' },
    );
  }
}
