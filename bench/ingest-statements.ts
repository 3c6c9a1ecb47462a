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
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createApp } from '../src/app/index.js';
import { attachPgliteStore, PGLITE_PARSERS } from '../src/store/index.js';
import { EXPORTER, IMPORTER, licensedScenario } from './common.js';
import { cycle, CYCLES_PER_DOCUMENT, serve, signed } from './ingest.js';

async function main(): Promise<void> {
  const groups = Number(process.argv[2] ?? 4);
  // `single`: each event its own signed request and transaction (as the HTTP API takes single events).
  const single = process.argv[3] === 'single';
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-stmts-'));
  const pglite = await PGlite.create({ parsers: { ...PGLITE_PARSERS } });
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
  const store = await attachPgliteStore(pglite);
  const ctx = createApp(store, { keysDir });
  try {
    const { licenceId } = await licensedScenario(ctx, 1_000_000);
    const doc = async (run: string, g: number) => {
      const cs = Array.from({ length: CYCLES_PER_DOCUMENT }, (_, k) =>
        cycle(run, g * CYCLES_PER_DOCUMENT + k, licenceId),
      );
      for (const [actor, events] of [
        [EXPORTER, cs.flatMap((c) => c.exporter)],
        [IMPORTER, cs.flatMap((c) => c.importer)],
      ] as const)
        if (single) for (const e of events) await serve(ctx, signed(ctx, actor, [e]));
        else await serve(ctx, signed(ctx, actor, events));
    };
    await doc('W', 0); // warm-up: rule packs, screening index, JIT
    counting = true;
    const c0 = process.cpuUsage();
    for (let g = 0; g < groups; g++) await doc('B', g);
    const c = process.cpuUsage(c0);
    counting = false;
    const events = groups * CYCLES_PER_DOCUMENT * 5;
    console.log(
      `documents: ${groups * 2}, events: ${events}, statements: ${total}, per event: ${(total / events).toFixed(3)}, ` +
        `CPU per event (Node with PGlite in it): ${((c.user + c.system) / 1000 / events).toFixed(3)} ms`,
    );
    for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(`${(n / events).toFixed(3).padStart(7)}  ${k}`);
  } finally {
    await ctx.close();
    await pglite.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

await main();
