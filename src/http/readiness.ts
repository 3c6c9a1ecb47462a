import { sql } from 'kysely';
import type { Store } from '../store/index.js';

/** How long `/readyz` waits for the store before answering 503. */
export const READY_TIMEOUT_MS = 2000;

/**
 * The readiness check behind `/readyz`: the store reads the journal head within `timeoutMs`.
 * Reading it (not `select 1`) proves the database answers queries on the table every write goes
 * through: a table lock on it (LOCK TABLE … ACCESS EXCLUSIVE, a stuck migration) or a PGlite
 * connection held by a stuck transaction makes the node not ready, while the row lock an ordinary
 * writer holds does not block a plain read. The statement runs with its own statement_timeout and
 * lock_timeout; the answer does not wait longer than `timeoutMs` in any case (a pool with no free
 * connection, a server that stopped answering). One check runs at a time: callers during a slow
 * check share it, so a probe every second cannot pile queries up on a frozen database.
 * Resolves to undefined when ready, else to the reason.
 */
export function readiness(store: Store, timeoutMs = READY_TIMEOUT_MS): () => Promise<string | undefined> {
  let running: Promise<string | undefined> | undefined;
  const check = async (): Promise<string | undefined> => {
    try {
      await store.transaction(async (tx) => {
        await sql.raw(`set local statement_timeout = ${String(timeoutMs)}`).execute(tx);
        await sql.raw(`set local lock_timeout = ${String(timeoutMs)}`).execute(tx);
        await sql`select next_seq from journal_head`.execute(tx);
      });
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };
  return async () => {
    const current = (running ??= check().finally(() => {
      running = undefined;
    }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        resolve(`the store did not answer within ${String(timeoutMs)} ms`);
      }, timeoutMs);
    });
    try {
      return await Promise.race([current, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
