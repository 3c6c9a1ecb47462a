/**
 * The README's commands, run as written, so they stay true.
 *
 * Convention: a fenced block right after an HTML comment that starts `<!-- readme-test` is run.
 * - ```console blocks: every `$ command` line runs (bash, in a fresh view of the clone); the lines after
 *   it, up to the next `$` line, are its expected output, line by line, with `…` standing for any text.
 *   The command must exit 0.
 * - ```sh blocks marked `run after \`npm run demo\``: the whole block runs in one `bash -e -o pipefail` on
 *   a store the demo has filled (`npm run demo`, as the README's first block says); it must exit 0, and
 *   a comment line `# …` that follows a command and contains `…` is a pattern its output must match.
 * `PORT` is set to a free port for blocks that serve.
 *
 * `npx lodestone` costs npm ~1 s of CPU before it starts the command (and, the first time in each new
 * directory, it links the package into npx's cache and runs its `prepare` script, `npm run build`, unless
 * scripts are off: the console blocks turn them off, see below). The console blocks run it for real, so
 * the README's `npx lodestone` is checked as a user in a fresh clone runs it; the sh blocks on the demo
 * store run `npx lodestone …` as `node bin/lodestone.js …` (what npx resolves it to: package.json's
 * bin), through a shell function, and every other command as written.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Block {
  readonly line: number;
  readonly lang: string;
  readonly marker: string;
  readonly body: string;
}

/** The marked blocks of a Markdown text. */
export function markedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- readme-test(.*?)-->$/.exec(lines[i] ?? '');
    if (marker === null) continue;
    const fence = /^```(\w+)$/.exec(lines[i + 1] ?? '');
    if (fence === null) throw new Error(`README.md:${i + 1}: a readme-test marker must be followed by a fenced block`);
    const end = lines.indexOf('```', i + 2);
    out.push({
      line: i + 2,
      lang: fence[1] ?? '',
      marker: (marker[1] ?? '').trim(),
      body: lines.slice(i + 2, end).join('\n'),
    });
    i = end;
  }
  return out;
}

/** A line pattern: `…` is any text, everything else literal. */
const pattern = (expected: string): RegExp =>
  new RegExp(
    `^${expected
      .split('…')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}`,
  );

/** A fresh view of the clone: every top-level entry linked, no .lodestone of its own. */
function view(at?: string): string {
  const dir = at ?? mkdtempSync(join(tmpdir(), 'lodestone-readme-'));
  for (const name of readdirSync(ROOT)) {
    if (['.lodestone', '.git', 'test-results', 'coverage'].includes(name)) continue;
    symlinkSync(join(ROOT, name), join(dir, name));
  }
  return dir;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const locks: string[] = [];

/**
 * A fresh view of the clone at a path fixed for this clone and `name`, emptied and made again on each
 * run: npx keys the cache it links a local package into by the package's path, so a run after the
 * first finds it there (~2 s of CPU for `npx lodestone` instead of ~6). While another run of this
 * clone's README test holds that path (its pid file names a live process), a new temporary view.
 */
function stableView(name: string): string {
  const dir = join(
    tmpdir(),
    `lodestone-readme-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}-${name}`,
  );
  const lock = `${dir}.pid`;
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch {
    if (alive(Number(readFileSync(lock, 'utf8')))) return view();
    writeFileSync(lock, String(process.pid));
  }
  locks.push(lock);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  return view(dir);
}

/** Bash, in `cwd`: `npx lodestone …` runs `node <cwd>/bin/lodestone.js …` (other npx commands run npx). */
const NPX_LODESTONE = (cwd: string): string =>
  `npx() { if [ "$1" = lodestone ]; then shift; node ${JSON.stringify(join(cwd, 'bin/lodestone.js'))} "$@"; else command npx "$@"; fi; }\n`;

function bash(
  script: string,
  cwd: string,
  env: Record<string, string> = {},
  o: { npxLodestoneIsNode?: boolean } = {},
): { code: number | null; out: string; err: string } {
  const e: Record<string, string | undefined> = { ...process.env, ...env };
  delete e.DATABASE_URL;
  delete e.LODESTONE_DATA_DIR;
  delete e.LODESTONE_KEYS_DIR;
  const r = spawnSync(
    'bash',
    ['-e', '-o', 'pipefail', '-c', o.npxLodestoneIsNode === true ? NPX_LODESTONE(cwd) + script : script],
    {
      cwd,
      env: e,
      encoding: 'utf8',
      timeout: 1_200_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => {
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
    s.on('error', reject);
  });
}

const blocks = markedBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const views: string[] = [];
afterAll(() => {
  for (const v of views) rmSync(v, { recursive: true, force: true });
  for (const l of locks) rmSync(l, { force: true });
});

describe('the README', () => {
  it('marks its runnable blocks (console and sh)', () => {
    expect(blocks.filter((b) => b.lang === 'console').length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThan(0);
    for (const b of blocks) expect(['console', 'sh'], `README.md:${b.line}`).toContain(b.lang);
  });

  describe.each(blocks.filter((b) => b.lang === 'console').map((b) => [b.line, b] as const))(
    'console block at line %i',
    (_line, block) => {
      it('prints what the README shows', () => {
        const dir = stableView(`console-${block.line}`);
        views.push(dir);
        const steps: { command: string; expected: string[] }[] = [];
        for (const l of block.body.split('\n')) {
          if (l.startsWith('$ ')) steps.push({ command: l.slice(2), expected: [] });
          else steps.at(-1)?.expected.push(l);
        }
        for (const s of steps) {
          // npx in a new directory links the package into its cache and runs its `prepare` script (`npm run
          // build`: tsc and vite, ~6 s of CPU, writing dist/ under the test files running beside this one);
          // the suite's global setup has built dist/ already, so npx is told to skip scripts. It still resolves
          // `lodestone` to this package's bin, as for a user in a clone after `npm install` (which ran prepare).
          const r = bash(s.command, dir, { npm_config_ignore_scripts: 'true' });
          expect(r.code, `${s.command}\n${r.err}`).toBe(0);
          const got = r.out.replace(/\n$/, '').split('\n');
          expect(got.length, `${s.command}: number of lines\n${r.out}`).toBe(s.expected.length);
          s.expected.forEach((e, i) => {
            expect(got[i], `${s.command}: line ${i + 1}`).toMatch(pattern(e));
          });
        }
      }, 600_000);
    },
  );

  describe('on the demo store', () => {
    let dir: string;
    beforeAll(() => {
      dir = view();
      views.push(dir);
      const demo = bash('npm run demo', dir);
      expect(demo.code, demo.err).toBe(0);
    }, 1_200_000);

    it.each(
      blocks
        .filter((b) => b.lang === 'sh' && /run after `npm run demo`/.test(b.marker))
        .map((b) => [b.line, b] as const),
    )(
      'sh block at line %i runs as written',
      async (_line, block) => {
        const r = bash(block.body, dir, { PORT: String(await freePort()) }, { npxLodestoneIsNode: true });
        expect(r.code, `${block.body}\n--- stderr\n${r.err}`).toBe(0);
        const lines = block.body.split('\n');
        for (const [i, l] of lines.entries()) {
          if (!l.startsWith('# ') || !l.includes('…') || (lines[i - 1] ?? '').startsWith('#')) continue;
          expect(r.out).toMatch(new RegExp(pattern(l.slice(2)).source.slice(1), 'm'));
        }
      },
      1_500_000,
    );
  });
});
