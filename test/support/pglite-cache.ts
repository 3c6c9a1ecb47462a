/**
 * A freshly initialised PGlite data directory as a tarball, made once and cached on disk (in the
 * OS temp dir, keyed by the PGlite version), so test workers start PGlite by loading it (~0.7 s)
 * instead of running initdb (~4–7 s) each. The cache file is written atomically; a damaged one is
 * rebuilt. It holds no Lodestone schema: tests apply migrations themselves.
 *
 * Also a migrated PGlite data directory on disk (seedPgliteDataDir), for tests that run the CLI
 * or the server on a `--data-dir`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { loadMigrations, LOCK_FILE, openPgliteStore } from '../../src/store/index.js';

const require = createRequire(import.meta.url);

async function pgliteVersion(): Promise<string> {
  const entry = require.resolve('@electric-sql/pglite'); // …/@electric-sql/pglite/dist/index.cjs
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('cannot read the @electric-sql/pglite version');
  return pkg.version;
}

let cached: Promise<Blob> | undefined;

export function pgliteInitdbDump(): Promise<Blob> {
  cached ??= load();
  return cached;
}

async function load(): Promise<Blob> {
  const dir = join(tmpdir(), 'lodestone-test-cache');
  const file = join(dir, `pglite-${await pgliteVersion()}-initdb.tar`);
  try {
    const bytes = await readFile(file);
    if (bytes.length > 0) return new Blob([bytes]);
  } catch {
    // not cached yet
  }
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, new Uint8Array(await dump.arrayBuffer()));
  await rename(temp, file).catch(async () => rm(temp, { force: true }));
  return dump;
}

/** Drops the cache file (after a load from it failed, say), so the next run rebuilds it. */
export async function forgetPgliteInitdbDump(): Promise<void> {
  cached = undefined;
  await rm(join(tmpdir(), 'lodestone-test-cache', `pglite-${await pgliteVersion()}-initdb.tar`), { force: true });
}

let migratedDir: Promise<string> | undefined;

/**
 * Puts into `dataDir` (which must not yet hold a store) what `openPgliteStore({ dataDir })` leaves
 * there on its first open — an initdb'd PGlite cluster with the package's migrations applied — by
 * copying a directory made once and cached on disk, keyed by the PGlite version and a hash of the
 * migration files. A first open runs initdb in WebAssembly (~8 s of CPU); the copy takes well under
 * one. For tests whose subject is not the first open; pglite-data-dir.test.ts covers that one.
 */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  migratedDir ??= buildMigratedDir();
  const source = await migratedDir;
  await mkdir(dataDir, { recursive: true });
  await cp(join(source, 'pgdata'), join(dataDir, 'pgdata'), { recursive: true, errorOnExist: true, force: false });
}

async function buildMigratedDir(): Promise<string> {
  const migrations = await loadMigrations();
  const hash = createHash('sha256')
    .update(migrations.map((m) => `${m.name}:${m.sha256}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), 'lodestone-test-cache', `pglite-${await pgliteVersion()}-migrated-${hash}`);
  if (await exists(join(dir, 'pgdata', 'PG_VERSION'))) return dir;
  const temp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await rm(temp, { recursive: true, force: true });
  const store = await openPgliteStore({ dataDir: temp });
  await store.close();
  await rm(join(temp, LOCK_FILE), { force: true });
  // Another worker may have finished first: theirs is as good as ours.
  await rename(temp, dir).catch(async () => rm(temp, { recursive: true, force: true }));
  return dir;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
