/**
 * `npx tsx bench/api-statements.ts [waves] [concurrency]`: statements per request and Node CPU per request of
 * `POST /v1/lots` (the api bench's write route) through the whole HTTP stack (`app.inject`, no sockets), in
 * waves of `concurrency` (default 10) concurrent requests, so each wave is grouped as the bench's 10 connections
 * are. Counted at `pg.Client#query` (every statement sent, begin and commit included) on PostgreSQL
 * (`DATABASE_URL`, else an embedded server as the benches start). Prints the statements per request, the
 * requests per group, Node's CPU per request (the server's work, no HTTP client), and the statements grouped by
 * their first words, the largest groups first. The statement count is deterministic given the grouping; the CPU
 * moves with the machine's load.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { createServer } from '../src/http/index.js';
import { openPostgresStore } from '../src/store/index.js';
import { lotsWorld } from './api.js';
import { startPostgres } from './postgres.js';

const waves = Number(process.argv[2] ?? 50);
const concurrency = Number(process.argv[3] ?? 10);
let counting = false;
let total = 0;
const counts = new Map<string, number>();
const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
const query = proto.query;
proto.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    total++;
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').slice(0, 100);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return query.apply(this, args);
};

const pgServer = await startPostgres();
try {
  const store = await openPostgresStore({ databaseUrl: await pgServer.createDatabase('bench_api_stmts') });
  const { ctx, signedLot } = await lotsWorld(store, 'STMT');
  const app = await createServer(ctx, { rateLimit: false });
  const request = (i: number) => {
    const { path, body, headers } = signedLot(i);
    return { method: 'POST' as const, url: path, payload: body, headers };
  };
  const wave = async (w: number) => {
    const rs = await Promise.all(
      Array.from({ length: concurrency }, (_, k) => app.inject(request(w * concurrency + k))),
    );
    for (const r of rs) if (r.statusCode !== 201) throw new Error(`${r.statusCode} ${r.body}`);
  };
  for (let w = 0; w < 5; w++) await wave(-1 - w); // warm-up
  const g0 = { ...app.groupCommit.stats };
  counting = true;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let w = 0; w < waves; w++) await wave(w);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  counting = false;
  const n = waves * concurrency;
  const groups = app.groupCommit.stats.groups - g0.groups;
  console.log(
    `requests ${n}, groups ${groups} (${(n / groups).toFixed(1)} a group), statements per request ${(total / n).toFixed(2)}, ` +
      `Node CPU per request ${((c.user + c.system) / 1000 / n).toFixed(3)} ms, ${(n / (ms / 1000)).toFixed(0)} requests/s; load ${loadavg()[0]?.toFixed(2)}`,
  );
  for (const [k, v] of [...counts].sort((x, y) => y[1] - x[1]).slice(0, 40))
    console.log(`${(v / n).toFixed(3).padStart(7)}  ${k}`);
  await app.close();
  await ctx.close();
} finally {
  await pgServer.stop();
}
