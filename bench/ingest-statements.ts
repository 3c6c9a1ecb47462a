/**
 * `npx tsx bench/ingest-statements.ts [documents]`: statements per document event and CPU per
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
import { actingAs, createApp, ingestCustodyEvents, signRequest, verifySignedRequest } from '../src/app/index.js';
import type { AppContext, CustodyEventInput } from '../src/app/index.js';
import { attachPgliteStore, PGLITE_PARSERS } from '../src/store/index.js';
import { example, EXPORTER, IMPORTER, licensedScenario } from './common.js';

const PATH = '/v1/custody/events';
const CYCLES_PER_DOCUMENT = 50;
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const motor = example('items/traction-motor.json');

/** The five events of cycle `u` (as bench/ingest.ts). */
function cycle(
  run: string,
  u: number,
  licenceId: string,
): { exporter: CustodyEventInput[]; importer: CustodyEventInput[] } {
  const id = `${run}-${u}`;
  const value = { currency: 'USD', minor: 8000 };
  return {
    exporter: [
      { kind: 'lot', input: { id: `M-${id}`, holder: EXPORTER, location: 'CN', item: magnet, massGrams: 1000, value } },
      {
        kind: 'shipment',
        input: {
          id: `S-${id}`,
          fromLot: `M-${id}`,
          to: IMPORTER,
          destination: 'IN',
          grams: 1000,
          value,
          licenceId,
          lineRef: 'L1',
        },
      },
    ],
    importer: [
      { kind: 'receipt', input: { shipmentId: `S-${id}`, lotId: `R-${id}`, receivedGrams: 1000 } },
      {
        kind: 'transformation',
        input: {
          id: `X-${id}`,
          inputs: [{ lotId: `R-${id}`, grams: 1000 }],
          otherInputsGrams: 44_000,
          outputs: [
            {
              lotId: `P-${id}`,
              item: motor,
              massGrams: 45_000,
              units: 1,
              value: { currency: 'USD', minor: 120_000 },
              embodies: [{ lotId: `R-${id}`, grams: 1000 }],
            },
          ],
        },
      },
      {
        kind: 'shipment',
        input: { id: `D-${id}`, fromLot: `P-${id}`, to: 'deccan-mobility', destination: 'IN', grams: 45_000, units: 1 },
      },
    ],
  };
}

async function serve(ctx: AppContext, actor: string, events: readonly CustodyEventInput[]): Promise<void> {
  const body = JSON.stringify(events);
  const jws = signRequest(ctx.keystore.signer(actor), { method: 'POST', path: PATH, body });
  const request = await verifySignedRequest(ctx, jws, { method: 'POST', path: PATH, rawBody: body });
  await ingestCustodyEvents(actingAs(ctx, request), request.partyId, JSON.parse(body) as CustodyEventInput[]);
}

async function main(): Promise<void> {
  const groups = Number(process.argv[2] ?? 4);
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
      await serve(
        ctx,
        EXPORTER,
        cs.flatMap((c) => c.exporter),
      );
      await serve(
        ctx,
        IMPORTER,
        cs.flatMap((c) => c.importer),
      );
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
