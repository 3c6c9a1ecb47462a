/**
 * Child process of disk-full.rel.ts: registers lots on the PGlite store in argv[2] until a write
 * fails, printing `ACK <id>` for each committed lot and `ERR <code> <message>` for the failure,
 * then closes the store. Run as its own process so that however PGlite fails, the test survives.
 */
import { createLot, openApp } from '../../src/app/index.js';
import { lotEvent } from './support.js';

const [dataDir, keysDir] = process.argv.slice(2);
const party = 'ganzhou-hengyuan-magnetics';
const ctx = await openApp({ dataDir, keysDir });
let failure: unknown;
for (let i = 0; i < 100_000 && failure === undefined; i++) {
  const id = `DF-${i}`;
  try {
    // A long description makes each record larger, so the disk fills sooner.
    const lot = lotEvent(party, id) as { item: Record<string, unknown> };
    await createLot(ctx, party, { ...lot, item: { ...lot.item, description: `filler ${'x'.repeat(480)}` } });
    process.stdout.write(`ACK ${id}\n`);
  } catch (e) {
    failure = e;
    const err = e as { code?: unknown; message?: unknown };
    process.stdout.write(`ERR ${String(err.code)} ${String(err.message).replace(/\s+/g, ' ')}\n`);
  }
}
try {
  await ctx.close();
  process.stdout.write('CLOSED\n');
} catch (e) {
  process.stdout.write(`CLOSE-FAILED ${(e as Error).message.replace(/\s+/g, ' ')}\n`);
}
