/**
 * The `lodestone federation` commands as an operator runs them, each node a real process on its own
 * PostgreSQL database, over a test-owned NATS JetStream server: identities exchanged, peers added,
 * `federation run` killed with SIGKILL in the middle of applying a peer's records and started again
 * (nothing lost, nothing applied twice), `federation status`, and bad input on every flag.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addPeer, federationIdentity, latestCheckpoint, openApp, registerParty } from '../../src/app/index.js';
import { FederationNode } from '../../src/federation/index.js';
import { inTransaction } from '../../src/app/context.js';
import { main } from '../../src/cli/main.js';
import { Writable } from 'node:stream';
import { startNats, type TestNats } from './support.js';

const BIN = fileURLToPath(new URL('../../bin/lodestone.js', import.meta.url));

interface CliNode {
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
  readonly url: string;
}

describe('lodestone federation (CLI, two processes, PostgreSQL, NATS)', { timeout: 180_000 }, () => {
  let nats: TestNats;
  const tmp = mkdtempSync(join(tmpdir(), 'lodestone-fed-cli-'));
  const databases: string[] = [];
  let cn: CliNode;
  let inn: CliNode;
  const server = inject('postgresUrl');

  async function database(): Promise<string> {
    const name = `lodestone_fed_${randomBytes(6).toString('hex')}`;
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(`create database ${name}`);
    await c.end();
    databases.push(name);
    const u = new URL(server);
    u.pathname = `/${name}`;
    return u.href;
  }

  async function node(name: string): Promise<CliNode> {
    const url = await database();
    return {
      name,
      url,
      env: {
        ...process.env,
        DATABASE_URL: url,
        LODESTONE_KEYS_DIR: join(tmp, `${name}-keys`),
        LODESTONE_LOG_ORIGIN: `${name}.lodestone.example/log`,
        LODESTONE_NODE: name,
        LODESTONE_NATS_URL: nats.url,
      },
    };
  }

  const run = (n: CliNode, args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: n.env, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  async function scalar(n: CliNode, q: string): Promise<number> {
    const c = new pg.Client({ connectionString: n.url });
    await c.connect();
    try {
      const r = await c.query<{ n: string }>(q);
      return Number(r.rows[0]?.n ?? 0);
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    nats = await startNats();
    cn = await node('cn');
    inn = await node('in');
  });

  afterAll(async () => {
    await (nats as TestNats | undefined)?.dispose();
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    for (const d of databases) await c.query(`drop database if exists ${d} with (force)`);
    await c.end();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The CLI in-process (same code path as the command) for the cases that fail before opening a store. */
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await main(['node', 'lodestone', ...args], {
      out: sink((t) => (out += t)),
      err: sink((t) => (err += t)),
    });
    return { code, out, err };
  }

  it('refuses bad input on every flag with one line naming it', async () => {
    const badNode = await cli(['federation', 'sync', '--node', 'CN!']);
    expect(badNode.code).toBe(2);
    expect(badNode.err).toMatch(/^lodestone: --node: must be a-z, 0-9 and "-"/);
    const badNats = await cli(['federation', 'sync', '--node', 'cn', '--nats', 'http://127.0.0.1:4222']);
    expect(badNats.code).toBe(2);
    expect(badNats.err).toMatch(/^lodestone: --nats: must be nats:\/\/ or tls:\/\/ URLs/);
    const badInterval = await cli(['federation', 'run', '--node', 'cn', '--interval-ms', 'soon']);
    expect(badInterval.code).toBe(2);
    expect(badInterval.err).toMatch(/--interval-ms/);
    // The environment's value is named as such.
    const noNode = run({ ...cn, env: { ...cn.env, LODESTONE_NODE: '' } }, ['federation', 'identity']);
    expect(noNode.code).toBe(2);
    expect(noNode.err).toMatch(/--node: is required/);
    const file = join(tmp, 'bad-identity.json');
    writeFileSync(file, JSON.stringify({ node: 'in', logKey: 'not a key', witnessKey: 'x', trustRoot: 'y' }));
    const badPeer = run(cn, ['federation', 'peer', 'add', file, '--countries', 'IN']);
    expect(badPeer.code).toBe(2);
    expect(badPeer.err).toMatch(/peer\.logKey/);
    for (const r of [badNode, badNats, noNode, badPeer, badInterval]) expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('a node killed mid-flow (SIGKILL while applying) resumes: every peer record applied once', async () => {
    const N = 200;
    const openNode = (n: CliNode) =>
      openApp({ databaseUrl: n.url, keysDir: n.env.LODESTONE_KEYS_DIR, logOrigin: n.env.LODESTONE_LOG_ORIGIN });
    const cnCtx = await openNode(cn);
    const inCtx = await openNode(inn);
    const cnFed = new FederationNode(cnCtx, { node: 'cn', servers: [nats.url] });
    const inFed = new FederationNode(inCtx, { node: 'in', servers: [nats.url] });
    try {
      // cn follows in as an operator does it: in's identity file, then peer add.
      const id = run(inn, ['federation', 'identity']);
      expect(id.code, id.err).toBe(0);
      const file = join(tmp, 'in.identity.json');
      writeFileSync(file, id.out);
      const added = run(cn, ['federation', 'peer', 'add', file, '--countries', 'IN']);
      expect(added.code, added.err).toBe(0);
      expect(added.out).toMatch(
        /following in \(in\.lodestone\.example\/log\); roles for IN from its trust list; signed by the operator root key as journal entry \d+/,
      );
      // The settings are a journal record of the operator root key, carrying the identity file whole.
      const followed = async () =>
        (
          await cnCtx.store.db
            .selectFrom('journal')
            .select(['actor', 'canonical'])
            .where('type', '=', 'federation.peer.followed')
            .orderBy('seq')
            .execute()
        ).map((r) => ({
          actor: r.actor,
          body: (JSON.parse(r.canonical) as { payload: { body: unknown } }).payload.body,
        }));
      const printed = JSON.parse(id.out) as Record<string, unknown>;
      expect(await followed()).toMatchObject([
        { actor: 'operator-root', body: { identity: printed, countries: ['IN'] } },
      ]);
      expect((await followed())[0]?.body).toHaveProperty('identity', printed);
      const withUrl = join(tmp, 'in.identity.url.json');
      writeFileSync(
        withUrl,
        JSON.stringify({ ...(JSON.parse(id.out) as object), publicUrl: 'https://in.lodestone.example' }),
      );
      const changed = run(cn, ['federation', 'peer', 'add', withUrl, '--countries', 'IN, BD']);
      expect(changed.code, changed.err).toBe(0);
      expect(changed.out).toMatch(/roles for BD, IN from its trust list/);
      expect((await followed())[1]?.body).toMatchObject({
        identity: { publicUrl: 'https://in.lodestone.example' },
        countries: ['BD', 'IN'],
      });
      // Refused with one line naming the field, nothing journalled: a bad country, the same settings, countries in the file.
      const badCountry = run(cn, ['federation', 'peer', 'add', withUrl, '--countries', 'IN,ZZ']);
      expect(badCountry.code).toBe(2);
      expect(badCountry.err).toMatch(/peer\.countries\.1: must be an ISO 3166-1 alpha-2 country code/);
      const same = run(cn, ['federation', 'peer', 'add', withUrl, '--countries', 'BD,IN']);
      expect(same.code).not.toBe(0);
      expect(same.err).toMatch(/exactly these settings/);
      const withCountries = join(tmp, 'in.identity.countries.json');
      writeFileSync(withCountries, JSON.stringify({ ...(JSON.parse(id.out) as object), countries: ['CN'] }));
      const inFile = run(cn, ['federation', 'peer', 'add', withCountries, '--countries', 'IN']);
      expect(inFile.code).toBe(2);
      expect(inFile.err).toMatch(/countries: is no part of an identity/);
      for (const r of [badCountry, same, inFile]) expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(await followed()).toHaveLength(2);
      await addPeer(inCtx, { ...(await federationIdentity(cnCtx, 'cn')), countries: ['CN'] });

      // in registers many parties (one journal record each; one transaction) and publishes them.
      await inCtx.store.transaction(async (tx) => {
        const batch = inTransaction(inCtx, tx);
        for (let i = 0; i < N; i++)
          await registerParty(batch, { id: `in-trader-${i}`, name: `Trader ${i} Pvt Ltd`, country: 'IN' });
      });
      await inFed.start();
      // in's journal: its root-signed settings for cn (mirrored on cn, not applied), then the N registrations.
      expect(await inFed.publish()).toBe(N + 1);

      // cn replicates in its own process, killed as soon as it has applied some of in's records.
      const child = spawn(process.execPath, [BIN, 'federation', 'run', '--interval-ms', '50'], {
        env: cn.env,
        stdio: 'ignore',
      });
      const applied = 'select applied_seq as n from federation_peers where node = $$in$$';
      let atKill = 0;
      for (let i = 0; i < 3000 && atKill === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        atKill = await scalar(cn, applied).catch(() => 0);
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(atKill).toBeGreaterThan(0);
      expect(await scalar(cn, applied)).toBeLessThan(N + 1);

      // Started again, it carries on from where its journal says it stopped.
      await cnFed.start();
      await cnFed.sync();
      await inFed.sync(); // in cosigns cn's checkpoint and stores cn's cosignatures of its own
      await cnFed.sync();
      expect(await scalar(cn, applied)).toBe(N + 1);
      expect(await scalar(cn, `select count(*) as n from federation_party_homes where node = 'in'`)).toBe(N);
      expect(await scalar(cn, `select count(*) as n from journal where type = 'federation.imported'`)).toBe(N);
      // in's checkpoint carries cn's cosignature.
      expect((await latestCheckpoint(inCtx))?.body).toMatch(/— cn\.lodestone\.example\/log\/witness /);
    } finally {
      await cnFed.close();
      await inFed.close();
      await cnCtx.close();
      await inCtx.close();
    }

    // The status: the peer, no lag, the checkpoint cn cosigned, how far in cosigned cn's.
    const status = run(cn, ['federation', 'status', '--nats', nats.url]);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(/peer in {2}in\.lodestone\.example\/log/);
    // Messages the killed process had fetched and not acknowledged stay with NATS until their ack wait
    // (30 s) ends, then come again and are dropped as already held: they are counted, never lost.
    // in's log: its settings record for cn and the N registrations; cn's: its two settings records for in and N imports.
    const inSize = N + 1;
    const cnSize = N + 2;
    expect(status.out).toMatch(
      new RegExp(`cosigned ${inSize}; applied ${inSize}; lag 0 records; \\d+ message\\(s\\) queued on NATS`),
    );
    expect(status.out).toMatch(new RegExp(`it cosigned this node's checkpoint up to size ${cnSize}`));
    expect(status.out).toMatch(
      new RegExp(`last cosigned checkpoint:\\n {4}in\\.lodestone\\.example/log\\n {4}${inSize}\\n`),
    );
    expect(status.out).toMatch(/— cn\.lodestone\.example\/log\/witness /);
  });
});
