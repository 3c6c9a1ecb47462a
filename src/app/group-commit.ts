import { sql, type Transaction } from 'kysely';
import {
  idempotencyRepo,
  journalRepo,
  requestNoncesRepo,
  StoreError,
  type Database,
  type Store,
} from '../store/index.js';
import type { AppContext } from './context.js';
import { requestEnded } from './journal.js';
import { shareBatch } from './log.js';
import { subjectsFrom, subjectsInto } from './subjects.js';

/** How a group fills: the longest its first request waits for others, and the most requests in one group. */
export interface GroupCommitOptions {
  /** Milliseconds the first request of a group waits for others before the group runs (default 2). */
  readonly maxWaitMs?: number;
  /** Requests per group at most (default 64): a full group runs at once. */
  readonly maxBatch?: number;
}

export const DEFAULT_GROUP_COMMIT: Required<GroupCommitOptions> = Object.freeze({ maxWaitMs: 2, maxBatch: 64 });

/**
 * A request's work in a group: everything it writes goes through `store` (its `db` and the
 * transactions it opens, which are savepoints of the group's transaction). Resolves with what the
 * work returned once the group has committed; rejects with the work's own error (it wrote nothing:
 * its savepoint was rolled back) or with the group's (nothing of the group was committed).
 */
export type GroupWork<T> = (store: Store, run: GroupRun) => Promise<T>;

/** How a request's work is being run: `shared` — in one transaction with the rest of its group, no savepoint of its own. */
export interface GroupRun {
  /**
   * True on a group's first, optimistic attempt: every request's work runs straight in the group's
   * transaction, one after the other. Anything that goes wrong in it — the work throws, or a
   * transaction it opens throws (even if the work catches that) — rolls the whole attempt back and
   * the group runs again with a savepoint per request (`shared` false), where a request that fails
   * writes nothing and the others commit. So work that refuses without throwing (an answer it stores
   * itself, such as a 4xx kept under an Idempotency-Key) must throw `Isolate` when `shared` is true.
   */
  readonly shared: boolean;
}

/** Thrown by a request's work in a shared attempt (GroupRun.shared) to have its group run again with a savepoint per request. */
export class Isolate extends Error {
  constructor(reason = 'a request of the group needs its own savepoint') {
    super(reason);
    this.name = 'Isolate';
  }
}

/** The Idempotency-Key a request's work claims (`idempotencyRepo.lockAndFind`), so a shared attempt can lock and read the group's keys at once. */
export interface GroupClaim {
  readonly credentialId: string;
  readonly key: string;
}

interface Item {
  readonly work: GroupWork<unknown>;
  readonly claim?: GroupClaim | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const SHARED: GroupRun = Object.freeze({ shared: true });
const ISOLATED: GroupRun = Object.freeze({ shared: false });

/** Whether a group's failure is the store's connection, which a second attempt would not survive either. */
const lostConnection = (e: unknown): boolean => e instanceof StoreError && e.code === 'CONNECTION_FAILED';

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * Group commit (issue 21, item 3): the work of concurrent requests runs in ONE transaction and
 * commits with one commit (one WAL flush on PostgreSQL), instead of one or more commits each.
 *
 * - Filling: a request that finds no group running waits up to `maxWaitMs` for others (a full group
 *   of `maxBatch` starts at once); requests that arrive while a group runs form the next group, which
 *   starts as soon as that one has committed. Nothing is held while a group fills: its transaction
 *   (and the journal_head row lock its first append takes) opens only when it runs.
 * - One batch first: a group's first attempt runs every request's work straight in the group's
 *   transaction (`GroupRun.shared`; see `#runShared`): no savepoints, the use cases' per-transaction
 *   batching (journal rows, log leaves, read memos) spans the whole group, and its Idempotency-Keys,
 *   answers and nonces take one statement each. If anything in it fails, it is rolled back (nothing
 *   of it was acknowledged) and the group runs again as below.
 * - Isolation of failures: each request runs inside a SAVEPOINT; a request whose work throws is
 *   rolled back to it alone and gets its own error, the others go on. Each transaction its work
 *   opens (`store.transaction`) is a nested savepoint, rolled back alone when it throws, as a
 *   transaction of its own would be. The deferred foreign-key checks (migration 0015) are run at the
 *   end of each request (`SET CONSTRAINTS ALL IMMEDIATE`, then back to DEFERRED: every deferrable
 *   constraint of the schema is INITIALLY DEFERRED), so a request that would fail them at commit is
 *   refused alone instead of sinking the group.
 * - Acknowledgement: every request of a group is answered only after the group's COMMIT returned
 *   (the refused ones too, so an answer never runs ahead of what is durable). If the commit fails,
 *   every request of the group gets that error and nothing of it is kept: all or nothing per group,
 *   never a request acknowledged and then lost.
 * - The log: the records of every request are appended in journal order, each request's journal rows,
 *   log leaves and subject heads written at the end of its savepoint, and one checkpoint is signed
 *   for the whole group, at its end (log.ts `shareBatch`).
 *
 * One group runs at a time per runner (they would queue on the journal_head row lock anyway);
 * `alone` runs one request's work in a transaction of its own at once, beside the groups (a large
 * document, which would hold up a whole group).
 */
export class GroupCommit {
  readonly #ctx: AppContext;
  readonly #maxWaitMs: number;
  readonly #maxBatch: number;
  #queue: Item[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #idle: (() => void)[] = [];
  /** Groups committed and requests in them (for the benchmark and the tests). */
  readonly stats = { groups: 0, requests: 0, largest: 0, isolated: 0 };

  constructor(ctx: AppContext, opts: GroupCommitOptions = {}) {
    this.#ctx = ctx;
    this.#maxWaitMs = opts.maxWaitMs ?? DEFAULT_GROUP_COMMIT.maxWaitMs;
    this.#maxBatch = opts.maxBatch ?? DEFAULT_GROUP_COMMIT.maxBatch;
    if (!Number.isSafeInteger(this.#maxWaitMs) || this.#maxWaitMs < 0)
      throw new RangeError(`maxWaitMs must be a whole number of milliseconds ≥ 0, got ${String(this.#maxWaitMs)}`);
    if (!Number.isSafeInteger(this.#maxBatch) || this.#maxBatch < 1)
      throw new RangeError(`maxBatch must be a whole number ≥ 1, got ${String(this.#maxBatch)}`);
  }

  /** Requests queued for the next group (not yet running). */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Runs `work` in the next group; see GroupWork. `claim`: the Idempotency-Key its work looks up first, if any. */
  run<T>(work: GroupWork<T>, claim?: GroupClaim): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, claim, resolve: resolve as (v: unknown) => void, reject });
      this.#kick();
    });
  }

  /** Runs `work` at once in a transaction of its own (a group of one), beside the groups. */
  alone<T>(work: GroupWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // A savepoint at once: a large document that fails would cost twice in a shared attempt first.
      void this.#runGroup([{ work, resolve: resolve as (v: unknown) => void, reject }], false);
    });
  }

  /** Resolves once every request queued so far has been answered. */
  drained(): Promise<void> {
    if (this.#running === undefined && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #kick(): void {
    if (this.#running !== undefined) return; // the running group starts the next when it ends
    if (this.#queue.length >= this.#maxBatch || this.#maxWaitMs === 0) {
      this.#start();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#start();
    }, this.#maxWaitMs);
  }

  #start(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    this.#running = this.#runGroup(batch).finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0) this.#start();
      else for (const done of this.#idle.splice(0)) done();
    });
  }

  async #runGroup(batch: readonly Item[], shared = true): Promise<void> {
    if (shared) {
      const attempt = await this.#runShared(batch);
      if (attempt.kind === 'isolate') {
        this.stats.isolated += 1;
        await this.#runGroup(batch, false);
      } else if (attempt.kind === 'lost') {
        for (const item of batch) item.reject(attempt.error);
      } else {
        this.#committed(batch.length);
        for (const [i, item] of batch.entries()) item.resolve(attempt.values[i]);
      }
      return;
    }
    const outcomes: Outcome[] = [];
    try {
      await this.#ctx.store.transaction(async (gtx) => {
        // Whether the next request's savepoint is already open (set in the round trip that released the previous one).
        let opened = false;
        for (const [i, item] of batch.entries()) {
          const ran = await this.#runItem(gtx, i, item, opened, i + 1 < batch.length);
          outcomes.push(ran.outcome);
          opened = ran.nextOpened;
        }
      });
    } catch (e) {
      // The group did not commit: nothing of it is kept, and every request is told so.
      for (const item of batch) item.reject(e);
      return;
    }
    this.#committed(batch.length);
    for (const [i, item] of batch.entries()) {
      const o = outcomes[i];
      if (o?.ok === true) item.resolve(o.value);
      else item.reject(o?.error);
    }
  }

  #committed(requests: number): void {
    this.stats.groups += 1;
    this.stats.requests += requests;
    this.stats.largest = Math.max(this.stats.largest, requests);
  }

  /**
   * The optimistic attempt: every request's work straight in the group's transaction, no savepoints,
   * so the group is one batch — its journal rows, log leaves and subject heads written once at its
   * end, the use cases' per-transaction reads (parties, keys) made once for the whole group. The
   * values of the works once committed; `isolate` when a work threw, a transaction one of them
   * opened threw, or the commit failed on something other than the connection (a deferred check):
   * then nothing of the attempt is kept, and the group runs again with a savepoint per request;
   * `lost` when the connection failed (every request gets that error, as in an isolated run).
   */
  async #runShared(
    batch: readonly Item[],
  ): Promise<
    | { readonly kind: 'committed'; readonly values: readonly unknown[] }
    | { readonly kind: 'isolate' }
    | { readonly kind: 'lost'; readonly error: unknown }
  > {
    const values: unknown[] = [];
    const isolate = new Isolate();
    try {
      await this.#ctx.store.transaction(async (gtx) => {
        let failed = false;
        const store: Store = {
          kind: this.#ctx.store.kind,
          db: gtx,
          transaction: async (fn) => {
            try {
              return await fn(gtx);
            } catch (e) {
              failed = true; // its writes cannot be undone alone here, even if the work goes on
              throw e;
            }
          },
          close: () => Promise.resolve(),
        };
        // The group's Idempotency-Keys locked and read in one statement; their answers and the requests' nonces
        // held and written with one statement each at the end.
        await idempotencyRepo.lockAndFindAll(
          gtx,
          batch.flatMap((item) => (item.claim === undefined ? [] : [item.claim])),
        );
        idempotencyRepo.deferRecords(gtx);
        requestNoncesRepo.deferSpends(gtx);
        for (const item of batch) {
          try {
            values.push(await item.work(store, SHARED));
          } catch {
            failed = true;
          }
          if (failed) throw isolate;
          requestEnded(gtx);
        }
        // A nonce or a key taken meanwhile (or twice in the group: a replay): run again one by one, where each is named.
        if (!(await requestNoncesRepo.flushSpends(gtx))) throw isolate;
        if (!(await idempotencyRepo.flushRecords(gtx))) throw isolate;
      });
    } catch (e) {
      return e !== isolate && lostConnection(e) ? { kind: 'lost', error: e } : { kind: 'isolate' };
    }
    return { kind: 'committed', values };
  }

  /**
   * Runs request `i` in its savepoint (already open if `opened`). On PostgreSQL the round trip that
   * checks its deferred constraints and releases its savepoint also opens the next request's, when
   * there is one (`more`): `nextOpened` says whether it did.
   */
  async #runItem(
    gtx: Transaction<Database>,
    i: number,
    item: Item,
    opened: boolean,
    more: boolean,
  ): Promise<{ readonly outcome: Outcome; readonly nextOpened: boolean }> {
    const point = sql.id(`lodestone_request_${String(i)}`);
    if (!opened) await sql`savepoint ${point}`.execute(gtx);
    // The request's own transaction object: per-transaction state kept by the use cases (pending
    // journal rows, read memos, subject heads) belongs to it and is dropped with it on a rollback.
    const itx = gtx.withTables();
    shareBatch(itx, gtx);
    subjectsFrom(itx, gtx);
    try {
      const value = await item.work(this.#storeFor(gtx, itx), ISOLATED);
      await journalRepo.flushRowsInto(itx, gtx);
      let nextOpened = false;
      if (this.#ctx.store.kind === 'postgres') {
        // One round trip (no parameters: the simple query protocol takes several statements). Releasing the
        // request's savepoint also releases the ones its transactions left open (see #storeFor). If the
        // constraint check fails, nothing after it runs: the next savepoint is not opened.
        const next = sql.id(`lodestone_request_${String(i + 1)}`);
        await (
          more
            ? sql`set constraints all immediate; set constraints all deferred; release savepoint ${point}; savepoint ${next}`
            : sql`set constraints all immediate; set constraints all deferred; release savepoint ${point}`
        ).execute(itx);
        nextOpened = more;
      } else {
        await sql`set constraints all immediate`.execute(itx);
        await sql`set constraints all deferred`.execute(itx);
        await sql`release savepoint ${point}`.execute(gtx);
      }
      // Its moved subject heads are written with the group's, once, at its end (its leaves were handed over above).
      subjectsInto(itx, gtx);
      return { outcome: { ok: true, value }, nextOpened };
    } catch (error) {
      // If even this fails (the connection is gone), the group fails and every request with it.
      await sql`rollback to savepoint ${point}`.execute(gtx);
      return { outcome: { ok: false, error }, nextOpened: false };
    }
  }

  /** The store a request's work sees: its reads and writes in its savepoint, each transaction a nested one. */
  #storeFor(gtx: Transaction<Database>, itx: Transaction<Database>): Store {
    const root = this.#ctx.store;
    let opened = 0;
    const transaction: Store['transaction'] = async (fn) => {
      const point = sql.id(`lodestone_tx_${String(opened++)}`);
      await sql`savepoint ${point}`.execute(itx);
      const stx = itx.withTables();
      shareBatch(stx, gtx);
      subjectsFrom(stx, itx);
      try {
        const out = await fn(stx);
        // Its journal rows now, inside its savepoint (the next transaction's appends follow them); its
        // log leaves and moved subject heads go to the request, and with it to the group, which writes
        // them at its end.
        await journalRepo.flushRowsInto(stx, itx);
        // Its savepoint is left open, not released (one round trip less): the request's release, at its
        // end, releases it with its own; a later transaction of the request nests inside it, and rolling
        // that one back to its own savepoint keeps this one's work, as a release would have.
        subjectsInto(stx, itx);
        return out;
      } catch (e) {
        await sql`rollback to savepoint ${point}`.execute(itx);
        throw e;
      }
    };
    return { kind: root.kind, db: itx, transaction, close: () => Promise.resolve() };
  }
}
