/**
 * Support for test/adversarial/keys.test.ts: a "world" per store kind that the real CLI
 * (`main(argv, io)` in-process) and an in-process HTTP server both open — an embedded store in a
 * data directory, or a fresh PostgreSQL database (DATABASE_URL set only while the CLI runs).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { openApp, type AppContext } from '../../src/app/index.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';
import { emptyPostgresDatabase } from '../support/stores.js';
import type { StoreKind } from '../support/store-kinds.js';

export interface World {
  readonly dir: string;
  readonly keysDir: string;
  run(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** An application context over the world's store (close it before the next CLI run on PGlite). */
  open(clock?: () => Date): Promise<AppContext>;
  /** A stored key file of the keystore: { keyId, publicKey, privateKeyPem }. */
  keyFile(party: string): { keyId: string; publicKey: string; privateKeyPem: string };
  file(name: string, content: unknown): string;
  dispose(): Promise<void>;
}

export async function world(kind: StoreKind): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-adv-keys-'));
  const keysDir = join(dir, 'keys');
  const pg = kind === 'postgres' ? await emptyPostgresDatabase() : undefined;
  if (pg === undefined) await seedPgliteDataDir(dir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
  const withEnv = async <T>(fn: () => Promise<T>): Promise<T> => {
    const saved = process.env.DATABASE_URL;
    if (pg === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = pg.databaseUrl;
    try {
      return await fn();
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  };
  return {
    dir,
    keysDir,
    async run(...args) {
      let out = '';
      let err = '';
      const sink = (f: (s: string) => void) =>
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            f(chunk.toString());
            cb();
          },
        });
      const code = await withEnv(() =>
        main(['node', 'lodestone', '--data-dir', dir, ...args], {
          out: sink((s) => (out += s)),
          err: sink((s) => (err += s)),
        }),
      );
      return { code, out, err };
    },
    open: (clock) => withEnv(() => openApp({ dataDir: dir, keysDir, ...(clock === undefined ? {} : { clock }) })),
    keyFile: (party) =>
      JSON.parse(readFileSync(join(keysDir, `${party}.key.json`), 'utf8')) as {
        keyId: string;
        publicKey: string;
        privateKeyPem: string;
      },
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return p;
    },
    async dispose() {
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
