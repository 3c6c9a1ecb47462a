import { access, constants, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StoreError } from './errors.js';

export const LOCK_FILE = 'lodestone.lock';

/** An exclusive claim on a data directory, held until `release`. */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Lock files held by this process, so a second store on the same directory is refused here too. */
const heldHere = new Set<string>();

/**
 * Claims `dir` for this process with a lock file (`lodestone.lock`, holding the pid). PGlite is a
 * single-process database: two processes on one data directory would corrupt it.
 *
 * The file is created atomically (written to a private temp file, then hard-linked into place,
 * which fails if it exists), so a reader never sees a half-written pid. A lock left by a process
 * that no longer exists is taken over. Throws StoreError('STORE_LOCKED') while the holder lives,
 * naming it. Limits: a pid reused by an unrelated process after a crash looks alive (delete the
 * file by hand after checking), and the check is per machine (not for data dirs on shared network
 * file systems).
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  await makeDataDir(dir);
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(path)) throw locked(path, process.pid, ' (this process: another store is open on it)');
  const mine = `${process.pid}\n`;
  const temp = join(dir, `${LOCK_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(temp, mine, { flag: 'wx' });
  } catch (e) {
    throw unusable(dir, e);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, path);
        heldHere.add(path);
        return { path, release: () => release(path, mine) };
      } catch (e) {
        if (!isCode(e, 'EEXIST')) throw e;
      }
      const content = await readIfExists(path);
      if (content === undefined) continue; // released meanwhile: try again
      const holder = parsePid(content);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) throw locked(path, holder, '');
      // Stale: the holder is gone (or the content is not ours to understand). Take it over, but
      // only if it still holds what we judged stale.
      if ((await readIfExists(path)) === content)
        await unlink(path).catch((e: unknown) => {
          if (!isCode(e, 'ENOENT')) throw e;
        });
    }
    const holder = parsePid((await readIfExists(path)) ?? '');
    throw locked(path, holder ?? 0, ' (could not take over the lock)');
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time. Not `mkdir(dir, { recursive: true })`:
 * Node's recursive mkdir loops forever under /proc (`/proc/nope/x`). A directory that cannot be made
 * or written is StoreError STORE_UNAVAILABLE naming it and the reason (a regular file on the path, no
 * permission, a read-only file system).
 */
export async function makeDataDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    try {
      const s = await stat(at);
      if (!s.isDirectory())
        throw new StoreError('STORE_UNAVAILABLE', `cannot use data dir ${dir}: ${at} is a file, not a directory`);
      break;
    } catch (e) {
      if (e instanceof StoreError) throw e;
      if (!isCode(e, 'ENOENT') || dirname(at) === at) throw unusable(dir, e);
      missing.push(at);
      at = dirname(at);
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (e) {
      if (!isCode(e, 'EEXIST')) throw unusable(dir, e);
    }
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw unusable(dir, e);
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a file on its path is not a directory',
  ENOENT: 'it cannot be created there',
  ENOSPC: 'no space left on the device',
};

function unusable(dir: string, e: unknown): StoreError {
  const raw = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  const code = typeof raw === 'string' ? raw : '';
  const reason = REASONS[code] ?? (e instanceof Error ? e.message : String(e));
  return new StoreError(
    code === 'ENOSPC' ? 'STORAGE_FULL' : 'STORE_UNAVAILABLE',
    `cannot use data dir ${dir}: ${reason}${code !== '' && REASONS[code] !== undefined ? ` (${code})` : ''}`,
    { cause: e },
  );
}

async function release(path: string, mine: string): Promise<void> {
  heldHere.delete(path);
  if ((await readIfExists(path)) === mine) await unlink(path).catch(() => undefined);
}

function locked(path: string, pid: number, extra: string): StoreError {
  const what =
    extra !== ''
      ? ''
      : '. If it is `lodestone serve`, use its HTTP API (`lodestone credentials`, `log key` and ' +
        '`log checkpoint` still work: they run in the serving process), or stop it (Ctrl-C or kill -TERM ' +
        `${pid}) and run the command again; PostgreSQL (DATABASE_URL) lets several processes share a store`;
  return new StoreError('STORE_LOCKED', `data dir is in use by process ${pid}${extra}: ${path}${what}`);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (isCode(e, 'ENOENT')) return undefined;
    throw e;
  }
}

function parsePid(content: string): number | undefined {
  const m = /^(\d{1,10})\n?$/.exec(content);
  if (m === null) return undefined;
  const pid = Number(m[1]);
  return pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isCode(e, 'EPERM'); // exists, owned by someone else
  }
}

function isCode(e: unknown, code: string): boolean {
  return e instanceof Error && (e as Error & { code?: unknown }).code === code;
}
