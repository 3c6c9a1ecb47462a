import { federationRepo, journalRepo, truncateProjections } from '../store/index.js';
import type { AppContext } from './context.js';
import { replayEntry, verifyEntry } from './journal.js';
import { LinkChecker } from './subjects.js';

export interface RebuildReport {
  readonly entries: number;
}

/**
 * Drops every projection (and the peers' journalled pins) and replays the journal into fresh ones, re-verifying each entry's
 * canonical bytes, signature and subject links (subjects.ts LinkChecker) on the way. One transaction: a rebuild that fails half-way leaves
 * the old projections in place.
 */
export async function rebuild(
  ctx: AppContext,
  onProgress?: (done: number, total: number) => void,
): Promise<RebuildReport> {
  return ctx.store.transaction(async (tx) => {
    const total = await journalRepo.count(tx);
    await truncateProjections(tx);
    // The peers' pins are the projection of their root-signed records: replaying those sets them again.
    await federationRepo.forgetFollowed(tx);
    let done = 0;
    const links = await LinkChecker.open(tx);
    for await (const row of journalRepo.stream(tx, 1000)) {
      const record = await verifyEntry(tx, ctx, row);
      links.check(row.seq, row.leaf_hash, record.payload.type, record.payload.body, record.payload.links);
      await replayEntry(tx, row.seq, record);
      done++;
      onProgress?.(done, total);
    }
    await links.finish(tx);
    return { entries: done };
  });
}
