/**
 * Node's CPU per document event on PostgreSQL (the server's work is in its own processes, so this is
 * the figure that bounds the ingest: Node's one thread runs every document's use cases).
 *
 * `npx tsx bench/ingest-profile.ts [documents] [out.cpuprofile]`: the ingest bench's capture documents
 * (its cycle, 50 cycles a document, a document per party) into a fresh database, one after another,
 * Node's CPU profiler on around the measured documents when `out` is given.
 *
 * `npx tsx bench/ingest-profile.ts ab <other src> [rounds] [documents]`: A/B in ONE process — the same
 * documents through this tree's code (A) and through the code under `<other src>` (B, the `src` of
 * another checkout), alternating A, B, A, B… each into a fresh database of its own, so both see the
 * same machine load; prints each round's Node CPU per event and the medians with their ratio B / A.
 *
 * The server: DATABASE_URL (its database is the admin one; the role needs CREATEDB), else
 * postgres@127.0.0.1:5432. The client's signing of each request is timed and taken out of the CPU.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { CustodyEventInput } from '../src/app/index.js';
import { EXPORTER, IMPORTER, loadText, median } from './common.js';
import { cycle, CYCLES_PER_DOCUMENT, PATH } from './ingest.js';

interface Code {
  readonly app: typeof import('../src/app/index.js');
  readonly store: typeof import('../src/store/index.js');
  readonly scenario: typeof import('../src/app/scenario.js');
}

async function codeAt(src: string): Promise<Code> {
  const ext = resolve(src).endsWith('dist') ? '.js' : '.ts';
  const at = (p: string) => pathToFileURL(join(resolve(src), p.replace(/\.ts$/, ext))).href;
  return {
    app: (await import(at('app/index.ts'))) as Code['app'],
    store: (await import(at('store/index.ts'))) as Code['store'],
    scenario: (await import(at('app/scenario.ts'))) as Code['scenario'],
  };
}

const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function measure(
  code: Code,
  groups: number,
  profileTo?: string,
): Promise<{ events: number; cpuMsPerEvent: number; wallMsPerEvent: number }> {
  const name = `lodestone_prof_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-prof-'));
  const store = await code.store.openPostgresStore({
    databaseUrl: url.toString(),
    timeouts: { statementMs: 0, lockMs: 0, acquireMs: 0 },
  });
  const ctx = code.app.createApp(store, { keysDir });
  try {
    const { licenceId } = await code.scenario.licensedScenario(ctx, { grams: 1_000_000 * 1000, list: true });
    let signing = 0;
    const doc = async (run: string, g: number) => {
      const cs = Array.from({ length: CYCLES_PER_DOCUMENT }, (_, k) =>
        cycle(run, g * CYCLES_PER_DOCUMENT + k, licenceId),
      );
      for (const [actor, events] of [
        [EXPORTER, cs.flatMap((x) => x.exporter)],
        [IMPORTER, cs.flatMap((x) => x.importer)],
      ] as const) {
        const t0 = performance.now();
        const body = JSON.stringify(events);
        const jws = code.app.signRequest(ctx.keystore.signer(actor), { method: 'POST', path: PATH, body });
        signing += performance.now() - t0;
        const request = await code.app.verifySignedRequest(ctx, jws, { method: 'POST', path: PATH, rawBody: body });
        await code.app.ingestCustodyEvents(
          code.app.actingAs(ctx, request),
          request.partyId,
          JSON.parse(body) as CustodyEventInput[],
        );
      }
    };
    for (let g = 0; g < 2; g++) await doc('W', g); // warm-up: rule packs, screening index, JIT
    const session = new Session();
    if (profileTo !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    }
    signing = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let g = 0; g < groups; g++) await doc('B', g);
    const wall = performance.now() - t0 - signing;
    const cpu = process.cpuUsage(c0);
    if (profileTo !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profileTo, JSON.stringify(profile));
      session.disconnect();
    }
    const events = groups * CYCLES_PER_DOCUMENT * 5;
    return {
      events,
      cpuMsPerEvent: ((cpu.user + cpu.system) / 1000 - signing) / events,
      wallMsPerEvent: wall / events,
    };
  } finally {
    await ctx.close();
    await c.query(`drop database ${name}`);
    await c.end();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

const here = process.env.PROFILE_SRC ?? join(import.meta.dirname, '..', 'src');
if (process.argv[2] === 'ab') {
  const otherSrc = process.argv[3];
  if (otherSrc === undefined) throw new Error('usage: ingest-profile.ts ab <other src> [rounds] [documents]');
  const [a, b] = [await codeAt(here), await codeAt(otherSrc)];
  const rounds = Number(process.argv[4] ?? 5);
  const groups = Number(process.argv[5] ?? 4);
  const xs: number[] = [];
  const ys: number[] = [];
  console.log(`A: ${here}, B: ${otherSrc}; load average at start ${loadText()}`);
  for (let r = 0; r < rounds; r++) {
    const x = await measure(a, groups);
    const y = await measure(b, groups);
    xs.push(x.cpuMsPerEvent);
    ys.push(y.cpuMsPerEvent);
    console.log(
      `round ${r + 1}: Node CPU per event A ${x.cpuMsPerEvent.toFixed(3)} ms, B ${y.cpuMsPerEvent.toFixed(3)} ms (B / A ${(y.cpuMsPerEvent / x.cpuMsPerEvent).toFixed(2)}); wall A ${x.wallMsPerEvent.toFixed(3)}, B ${y.wallMsPerEvent.toFixed(3)} ms; load ${loadText()}`,
    );
  }
  const [ma, mb] = [median(xs), median(ys)];
  console.log(
    `median Node CPU per document event: A ${ma.toFixed(3)} ms, B ${mb.toFixed(3)} ms, B / A ${(mb / ma).toFixed(2)}; load average at end ${loadText()}`,
  );
} else {
  const m = await measure(await codeAt(here), Number(process.argv[2] ?? 10), process.argv[3]);
  console.log(
    `${m.events} events: Node CPU ${m.cpuMsPerEvent.toFixed(3)} ms per event, wall ${m.wallMsPerEvent.toFixed(3)} ms per event; load ${loadText()}`,
  );
}
