/**
 * `npx tsx bench/ingest-statements.ts [documents] [single]`: statements per document event and CPU per
 * document event of the ingest bench's capture documents (its cycle of five custody events by two
 * parties, 50 cycles a document, each document a party's signed request), on an in-memory PGlite,
 * counted at the PGlite connection (every statement Kysely sends, with begin and commit). PGlite
 * runs inside Node, so the CPU is Node's (process.cpuUsage) and includes the database's work.
 *
 * Prints the statements per document event, the CPU per event, and the statements grouped by their
 * first words (the largest groups first), to see what is left per event. Deterministic in the
 * statement count; the CPU is the one figure that moves with the machine's load.
 *
 * `npx tsx bench/ingest-statements.ts ab <other src> [rounds] [documents]`: A/B in ONE process — the
 * same documents through this tree's code (A) and through the code under `<other src>` (B, e.g.
 * ../base/src: the `src` of another checkout, such as a worktree of main, imported as it is), alternating A, B, A, B… on a fresh
 * in-memory PGlite each, so both see the same machine load; prints each round and the median CPU per
 * event of each with their ratio B / A.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { AppContext, CustodyEventInput } from '../src/app/index.js';
import { EXPORTER, IMPORTER, loadText, median } from './common.js';
import { cycle, CYCLES_PER_DOCUMENT, PATH } from './ingest.js';

/** The parts of a source tree the measurement runs (this tree's, or another checkout's). */
interface Code {
  readonly app: typeof import('../src/app/index.js');
  readonly store: typeof import('../src/store/index.js');
  readonly scenario: typeof import('../src/app/scenario.js');
}

async function codeAt(src: string): Promise<Code> {
  const at = (p: string) => pathToFileURL(join(resolve(src), p)).href;
  return {
    app: (await import(at('app/index.ts'))) as Code['app'],
    store: (await import(at('store/index.ts'))) as Code['store'],
    scenario: (await import(at('app/scenario.ts'))) as Code['scenario'],
  };
}

interface Measured {
  readonly events: number;
  readonly statements: number;
  readonly cpuMsPerEvent: number;
  readonly counts: Map<string, number>;
}

async function measure(code: Code, groups: number, single: boolean): Promise<Measured> {
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-stmts-'));
  const pglite = await PGlite.create({ parsers: { ...code.store.PGLITE_PARSERS } });
  let counting = false;
  const counts = new Map<string, number>();
  let total = 0;
  const query = pglite.query.bind(pglite);
  (pglite as { query: typeof pglite.query }).query = ((text: string, ...rest: unknown[]) => {
    if (counting) {
      total++;
      const key = text.replace(/\s+/g, ' ').slice(0, 90);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return (query as (t: string, ...r: unknown[]) => unknown)(text, ...rest);
  }) as typeof pglite.query;
  const store = await code.store.attachPgliteStore(pglite);
  const ctx: AppContext = code.app.createApp(store, { keysDir });
  const serve = async (actor: string, events: readonly CustodyEventInput[]) => {
    const body = JSON.stringify(events);
    const jws = code.app.signRequest(ctx.keystore.signer(actor), { method: 'POST', path: PATH, body });
    const request = await code.app.verifySignedRequest(ctx, jws, { method: 'POST', path: PATH, rawBody: body });
    await code.app.ingestCustodyEvents(code.app.actingAs(ctx, request), request.partyId, JSON.parse(body) as []);
  };
  try {
    const { licenceId } = await code.scenario.licensedScenario(ctx, { grams: 1_000_000 * 1000, list: true });
    const doc = async (run: string, g: number) => {
      const cs = Array.from({ length: CYCLES_PER_DOCUMENT }, (_, k) =>
        cycle(run, g * CYCLES_PER_DOCUMENT + k, licenceId),
      );
      for (const [actor, events] of [
        [EXPORTER, cs.flatMap((c) => c.exporter)],
        [IMPORTER, cs.flatMap((c) => c.importer)],
      ] as const)
        if (single) for (const e of events) await serve(actor, [e]);
        else await serve(actor, events);
    };
    await doc('W', 0); // warm-up: rule packs, screening index, JIT
    counting = true;
    const c0 = process.cpuUsage();
    for (let g = 0; g < groups; g++) await doc('B', g);
    const c = process.cpuUsage(c0);
    counting = false;
    const events = groups * CYCLES_PER_DOCUMENT * 5;
    return { events, statements: total, cpuMsPerEvent: (c.user + c.system) / 1000 / events, counts };
  } finally {
    await ctx.close();
    await pglite.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const here = await codeAt(join(import.meta.dirname, '..', 'src'));
  if (process.argv[2] === 'ab') {
    const otherSrc = process.argv[3];
    if (otherSrc === undefined) throw new Error('usage: ingest-statements.ts ab <other src> [rounds] [documents]');
    const other = await codeAt(otherSrc);
    const rounds = Number(process.argv[4] ?? 3);
    const groups = Number(process.argv[5] ?? 4);
    const a: Measured[] = [];
    const b: Measured[] = [];
    console.log(`A: ${join(import.meta.dirname, '..', 'src')}, B: ${otherSrc}; load average at start ${loadText()}`);
    for (let r = 0; r < rounds; r++) {
      a.push(await measure(here, groups, false));
      b.push(await measure(other, groups, false));
      const [x, y] = [a.at(-1), b.at(-1)] as [Measured, Measured];
      console.log(
        `round ${r + 1}: A ${(x.statements / x.events).toFixed(3)} statements, ${x.cpuMsPerEvent.toFixed(3)} ms CPU per event; ` +
          `B ${(y.statements / y.events).toFixed(3)} statements, ${y.cpuMsPerEvent.toFixed(3)} ms; load ${loadText()}`,
      );
    }
    const ma = median(a.map((m) => m.cpuMsPerEvent));
    const mb = median(b.map((m) => m.cpuMsPerEvent));
    console.log(
      `median CPU per document event: A ${ma.toFixed(3)} ms, B ${mb.toFixed(3)} ms, B / A ${(mb / ma).toFixed(2)}; load average at end ${loadText()}`,
    );
    return;
  }
  const groups = Number(process.argv[2] ?? 4);
  // `single`: each event its own signed request and transaction (as the HTTP API takes single events).
  const m = await measure(here, groups, process.argv[3] === 'single');
  console.log(
    `documents: ${groups * 2}, events: ${m.events}, statements: ${m.statements}, per event: ${(m.statements / m.events).toFixed(3)}, ` +
      `CPU per event (Node with PGlite in it): ${m.cpuMsPerEvent.toFixed(3)} ms`,
  );
  for (const [k, n] of [...m.counts].sort((x, y) => y[1] - x[1]).slice(0, 40))
    console.log(`${(n / m.events).toFixed(3).padStart(7)}  ${k}`);
}

await main();
