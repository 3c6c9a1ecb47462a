/**
 * A bounded soak: `lodestone serve` on PostgreSQL, loopback only, a steady open-loop rate of
 * signed custody events (lot registrations) and re-export checks of acknowledged lots
 * (GET /v1/export-check; not GET /v1/lots/:id, which today reads every lot in the store per request) for SOAK_SECONDS (default 150).
 * Memory must stay flat — the server's RSS at the end within 1.5× (+ 32 MB of slack for the
 * allocator) of its RSS after the first minute — and the p99 latency of the last minute within 2×
 * that of the first minute after a 30 s warm-up.
 */
import { describe, expect, it } from 'vitest';
import { Client, lotEvent, ownPostgres, provision, serve, tempDir } from './support.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 150);
const RATE = Number(process.env.SOAK_RATE ?? 8); // requests per second (half writes, half reads)

const p99 = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.99 * s.length) - 1)] ?? NaN;
};

describe('load', () => {
  it('a steady rate for minutes: RSS stays flat, p99 stays within 2× of the first minute', async () => {
    const pgs = await ownPostgres();
    const env = { DATABASE_URL: pgs.url, LODESTONE_KEYS_DIR: tempDir('lodestone-rel-keys-') };
    try {
      const { party, apiKey } = provision(env);
      const server = await serve(env);
      const client = new Client(server.url, party, apiKey, env.LODESTONE_KEYS_DIR);
      const started = Date.now();
      const samples: { at: number; ms: number }[] = [];
      const rss: { at: number; bytes: number }[] = [];
      const errors: string[] = [];
      const acked: string[] = [];
      const inflight = new Set<Promise<void>>();
      let n = 0;
      const rssTimer = setInterval(() => rss.push({ at: Date.now() - started, bytes: server.rss() }), 5000);
      // Open loop: request i is sent at started + i / RATE whatever the previous ones are doing.
      while (Date.now() - started < SECONDS * 1000) {
        const due = started + (n * 1000) / RATE;
        if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
        const i = n++;
        const t0 = Date.now();
        const read = i % 2 === 1 && acked.length > 0;
        const id = `SK-${i}`;
        const p = (
          read
            ? client.get(
                `/v1/export-check?lot=${acked[(i * 7919) % acked.length] ?? ''}&to=deccan-mobility&destination=IN`,
              )
            : client.post('/v1/lots', lotEvent(party, id))
        )
          .then((r) => {
            if (r.status !== 201 && r.status !== 200)
              errors.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
            else if (!read) acked.push(id);
            samples.push({ at: t0 - started, ms: Date.now() - t0 });
          })
          .catch((e: unknown) => {
            errors.push(String(e));
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
      clearInterval(rssTimer);
      server.child.kill('SIGTERM');
      await server.exited();

      // The first minute after a 30 s warm-up (JIT, pools, caches) against the last minute.
      const first = samples.filter((s) => s.at >= 30_000 && s.at < 90_000).map((s) => s.ms);
      const last = samples.filter((s) => s.at >= SECONDS * 1000 - 60_000).map((s) => s.ms);
      const rssAtMinute = rss.find((r) => r.at >= 60_000)?.bytes ?? NaN;
      expect(SECONDS).toBeGreaterThanOrEqual(150); // two disjoint minutes after the warm-up
      const rssEnd = rss.at(-1)?.bytes ?? NaN;
      console.log(
        `soak: ${samples.length} requests in ${SECONDS} s at ${RATE}/s; p99 30–90 s ${p99(first)} ms, last minute ${p99(last)} ms; RSS ${((rss[0]?.bytes ?? 0) / 2 ** 20) | 0} MB at 5 s, ${(rssAtMinute / 2 ** 20) | 0} MB at 1 min, ${(rssEnd / 2 ** 20) | 0} MB at the end; ${errors.length} errors${errors.length ? `: ${errors.slice(0, 3).join('; ')}` : ''}`,
      );
      expect(errors).toEqual([]);
      expect(samples.length).toBeGreaterThan(SECONDS * RATE * 0.95);
      expect(rssEnd).toBeLessThanOrEqual(rssAtMinute * 1.5 + 32 * 2 ** 20);
      expect(p99(last)).toBeLessThanOrEqual(2 * p99(first));
    } finally {
      await pgs.dispose();
    }
  });
});
