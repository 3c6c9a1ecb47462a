/**
 * A freshly initialised PGlite data directory as a tarball, made once and cached on disk (in the
 * OS temp dir, keyed by the PGlite version), so test workers start PGlite by loading it (~0.7 s)
 * instead of running initdb (~4–7 s) each. The cache file is written atomically; a damaged one is
 * rebuilt. It holds no Lodestone schema: tests apply migrations themselves.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

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
