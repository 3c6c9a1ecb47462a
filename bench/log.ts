/**
 * `npm run bench -- log`: the transparency log.
 *
 * 1. Durable appends (the summary): signed records appended to the journal of a PostgreSQL server with
 *    fsync and synchronous_commit on, DURABLE_BATCH per transaction as a capture document appends them
 *    (journal rows in one statement, their leaves and completed subtrees in one more, one signed
 *    checkpoint, one commit), against the one-thread RFC 6962 leaf-hash rate of the same canonical bytes
 *    measured in the same run.
 *    Then the same on in-memory PGlite, 100 per transaction (no disk: an upper bound, not durability), and
 *    the subtree writes alone (logRepo.appendLeaf).
 * 2. Inclusion-proof latency at 10^6 leaves: merkle_nodes filled in SQL (leaf i = SHA-256(0x00 ||
 *    int8 i), then the subtrees level by level), proofs read from the store and verified.
 * 3. Time to verify an audit bundle of BUNDLE_EVENTS custody events made through the use cases
 *    (signatures, proofs, completeness, replay, the rules re-check), offline.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { journalRepo, logRepo, MEMORY, openPgliteStore, openPostgresStore, type Store } from '../src/store/index.js';
import {
  generateKeyPair,
  leafHash,
  recordBytes,
  signerFromPem,
  signRecord,
  verifyInclusion,
  type SignedRecord,
} from '../src/trust/index.js';
import { verifyBundle, type AuditBundle } from '../src/verify/index.js';
import {
  checkLog,
  createApp,
  exportAuditBundle,
  ingestCustodyEvents,
  LOG_ID,
  publishCheckpoint,
  type CustodyEventInput,
} from '../src/app/index.js';
import { benchClock, example, EXPORTER, IMPORTER, licensedScenario } from './common.js';
import { startPostgres } from './postgres.js';

const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const APPENDS = Number(process.env.BENCH_LOG_APPENDS ?? 5000);
const DURABLE_APPENDS = Number(process.env.BENCH_LOG_DURABLE ?? 100_000);
const DURABLE_BATCH = Number(process.env.BENCH_LOG_BATCH ?? 1000);
const PROOF_LEAVES = 1_000_000;
const BUNDLE_EVENTS = Number(process.env.BENCH_LOG_BUNDLE_EVENTS ?? 20_000);
const BUNDLE_DOCUMENT = 1000;

function records(n: number, prefix: string): SignedRecord[] {
  const kp = generateKeyPair();
  const signer = signerFromPem(kp.privateKeyPem);
  const base = Date.parse('2026-11-24T00:00:00.000Z');
  return Array.from({ length: n }, (_, i) =>
    signRecord(
      {
        v: 1,
        type: 'bench.entry',
        actor: 'bench-party',
        at: new Date(base + i).toISOString(),
        body: { i, prefix, note: 'x'.repeat(200) },
      },
      signer,
    ),
  );
}

async function appendThroughput() {
  const recs = records(APPENDS, 'append');
  const canon = recs.map((r) => recordBytes(r));
  // Raw SHA-256 (RFC 6962 leaf hash) of the same bytes.
  let t = performance.now();
  for (let k = 0; k < 5; k++) for (const c of canon) leafHash(c);
  const hashPerSec = (5 * canon.length) / ((performance.now() - t) / 1000);

  const store = await openPgliteStore({ dataDir: MEMORY });
  try {
    t = performance.now();
    for (let i = 0; i < recs.length; i += 100) {
      await store.transaction(async (tx) => {
        for (const r of recs.slice(i, i + 100)) await journalRepo.append(tx, r);
      });
    }
    const appendPerSec = recs.length / ((performance.now() - t) / 1000);
    // The log's share: subtree writes alone, continuing the same log in a second pass of leaves.
    const leaves = canon.map((c) => Buffer.from(leafHash(`${c}#2`)).toString('hex'));
    t = performance.now();
    for (let i = 0; i < leaves.length; i += 100) {
      await store.transaction(async (tx) => {
        for (const [j, l] of leaves.slice(i, i + 100).entries()) await logRepo.appendLeaf(tx, recs.length + i + j, l);
      });
    }
    const logOnlyPerSec = leaves.length / ((performance.now() - t) / 1000);
    return {
      records: recs.length,
      recordBytes: canon[0]!.length,
      sha256LeafHashesPerSec: Math.round(hashPerSec),
      journalAppendsPerSec: Math.round(appendPerSec),
      logAppendsPerSec: Math.round(logOnlyPerSec),
      appendVsSha256: +(appendPerSec / hashPerSec).toFixed(5),
      logAppendVsSha256: +(logOnlyPerSec / hashPerSec).toFixed(5),
    };
  } finally {
    await store.close();
  }
}

/** One-thread RFC 6962 leaf hashes per second of these canonical records (best of three passes). */
function leafHashRate(canon: readonly string[]): number {
  let best = 0;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    for (const c of canon) leafHash(c);
    best = Math.max(best, canon.length / ((performance.now() - t) / 1000));
  }
  return best;
}

/**
 * Durable batched appends on PostgreSQL (fsync on): DURABLE_BATCH signed records per transaction through
 * journalRepo.append with `defer` (as a capture document appends), then the transaction's signed
 * checkpoint, then commit. The log is checked afterwards (`checkLog`: the root recomputed from the journal's
 * leaves and compared with the stored subtrees and the signed checkpoint), so the figure is of a log that verifies.
 */
async function durableAppends() {
  const recs = records(DURABLE_APPENDS, 'durable');
  const canon = recs.map((r) => recordBytes(r));
  const sha256PerSec = leafHashRate(canon);
  const server = await startPostgres({ durable: true });
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-bench-log-durable-'));
  try {
    const store = await openPostgresStore({ databaseUrl: await server.createDatabase('lodestone_log') });
    const ctx = createApp(store, { keysDir, clock: benchClock() });
    try {
      const cpu0 = server.cpuSeconds();
      const node0 = process.cpuUsage();
      const t = performance.now();
      for (let i = 0; i < recs.length; i += DURABLE_BATCH) {
        await store.transaction(async (tx) => {
          for (const r of recs.slice(i, i + DURABLE_BATCH)) await journalRepo.append(tx, r, { defer: true });
          await publishCheckpoint(tx, ctx);
        });
      }
      const seconds = (performance.now() - t) / 1000;
      const node = process.cpuUsage(node0);
      const cpu1 = server.cpuSeconds();
      const check = await checkLog(ctx);
      if (check.size !== recs.length) throw new Error(`the durable log does not verify: ${JSON.stringify(check)}`);
      const durablePerSec = recs.length / seconds;
      const raw = await rawCopy(server, store, recs.length);
      return {
        server: server.source,
        records: recs.length,
        recordBytes: canon[0]!.length,
        batch: DURABLE_BATCH,
        seconds: +seconds.toFixed(2),
        durableLeavesPerSec: Math.round(durablePerSec),
        sha256LeavesPerSec: Math.round(sha256PerSec),
        durableVsHash: +(durablePerSec / sha256PerSec).toFixed(4),
        cpuMsPerLeaf: {
          node: +((node.user + node.system) / 1000 / recs.length).toFixed(4),
          postgres:
            cpu0 === undefined || cpu1 === undefined ? null : +(((cpu1 - cpu0) * 1000) / recs.length).toFixed(4),
        },
        rawCopyLeavesPerSec: raw === undefined ? null : Math.round(recs.length / raw.seconds),
        durableVsRawCopy: raw === undefined ? null : +(durablePerSec / (recs.length / raw.seconds)).toFixed(4),
        rawCopyPostgresCpuMsPerLeaf: raw?.postgresCpuMsPerLeaf ?? null,
        loadavg1: +(loadavg()[0] ?? 0).toFixed(2),
      };
    } finally {
      await ctx.close();
    }
  } finally {
    rmSync(keysDir, { recursive: true, force: true });
    await server.stop();
  }
}

/**
 * The reference for the durable appends, measured in the same run on the same server: the rows they
 * wrote (journal rows and Merkle nodes), dumped per transaction to files with COPY … TO, then loaded
 * into a fresh migrated database (same schema, indexes and triggers) with one COPY … FROM per table and
 * transaction, the head moved, and a commit (fsync on) — PostgreSQL's own cost of storing these rows
 * durably, with nothing computed, signed or checked in Node. Embedded server only (the files are the
 * server's); undefined with DATABASE_URL.
 */
async function rawCopy(
  server: Awaited<ReturnType<typeof startPostgres>>,
  source: Store,
  size: number,
): Promise<{ seconds: number; postgresCpuMsPerLeaf: number | null } | undefined> {
  if (server.cpuSeconds() === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-bench-log-copy-'));
  chmodSync(dir, 0o777);
  const target = await openPostgresStore({ databaseUrl: await server.createDatabase('lodestone_log_raw') });
  try {
    const batches: { first: number; last: number; journal: string; nodes: string }[] = [];
    for (let first = 1; first <= size; first += DURABLE_BATCH) {
      const last = Math.min(first + DURABLE_BATCH - 1, size);
      const b = { first, last, journal: join(dir, `journal-${first}`), nodes: join(dir, `nodes-${first}`) };
      // The nodes the batch's leaves (indexes first − 1 … last − 1) stored: those whose last leaf is one of them.
      await sql
        .raw(`copy (select * from journal where seq between ${first} and ${last} order by seq) to '${b.journal}'`)
        .execute(source.db);
      await sql
        .raw(
          `copy (select level, idx, hash from merkle_nodes where (idx + 1) * (1::bigint << level) between ${first} and ${last} order by idx, level) to '${b.nodes}'`,
        )
        .execute(source.db);
      batches.push(b);
    }
    const cpu0 = server.cpuSeconds();
    const t = performance.now();
    for (const b of batches)
      await target.transaction(async (tx) => {
        await sql.raw(`copy journal from '${b.journal}'`).execute(tx);
        await sql.raw(`copy merkle_nodes from '${b.nodes}'`).execute(tx);
        await sql`update journal_head set next_seq = ${b.last + 1} where id = 1`.execute(tx);
      });
    const seconds = (performance.now() - t) / 1000;
    const cpu1 = server.cpuSeconds();
    const copied = await target.db
      .selectFrom('merkle_nodes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const stored = await source.db
      .selectFrom('merkle_nodes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(copied.n) !== Number(stored.n))
      throw new Error(`the raw COPY loaded ${copied.n} Merkle nodes, the appends stored ${stored.n}`);
    return {
      seconds,
      postgresCpuMsPerLeaf:
        cpu0 === undefined || cpu1 === undefined || cpu1 < cpu0 ? null : +(((cpu1 - cpu0) * 1000) / size).toFixed(4),
    };
  } finally {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function proofLatency() {
  const store = await openPgliteStore({ dataDir: MEMORY });
  try {
    let t = performance.now();
    await sql`insert into merkle_nodes (level, idx, hash) select 0, i, sha256('\\x00'::bytea || int8send(i)) from generate_series(0, ${PROOF_LEAVES - 1}::bigint) i`.execute(
      store.db,
    );
    for (let level = 1; ; level++) {
      const r =
        await sql`insert into merkle_nodes (level, idx, hash) select ${level}, l.idx / 2, sha256('\\x01'::bytea || l.hash || r.hash) from merkle_nodes l join merkle_nodes r on r.level = l.level and r.idx = l.idx + 1 where l.level = ${level - 1} and l.idx % 2 = 0`.execute(
          store.db,
        );
      if (Number(r.numAffectedRows ?? 0) === 0) break;
    }
    const fillSeconds = (performance.now() - t) / 1000;
    const root = await logRepo.root(store.db, PROOF_LEAVES);
    const samples: number[] = [];
    let x = 12345;
    for (let k = 0; k < 1000; k++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const i = x % PROOF_LEAVES;
      t = performance.now();
      const proof = await logRepo.inclusionProof(store.db, i, PROOF_LEAVES);
      samples.push(performance.now() - t);
      const l = await store.db
        .selectFrom('merkle_nodes')
        .select('hash')
        .where('level', '=', 0)
        .where('idx', '=', i)
        .executeTakeFirstOrThrow();
      verifyInclusion(i, PROOF_LEAVES, new Uint8Array(l.hash), proof, root);
    }
    samples.sort((a, b) => a - b);
    const q = (p: number) => +samples[Math.floor(p * (samples.length - 1))]!.toFixed(3);
    return {
      leaves: PROOF_LEAVES,
      fillSeconds: +fillSeconds.toFixed(1),
      proofs: samples.length,
      proofMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
    };
  } finally {
    await store.close();
  }
}

/**
 * A real audit bundle: the scenario's parties, trust list, rule packs, control list, certificate,
 * application and approved licence, then BUNDLE_EVENTS custody events under that licence (a lot and its
 * shipment, made by the exporter through `ingestCustodyEvents`, BUNDLE_DOCUMENT events per transaction as a
 * capture document arrives), exported as `lodestone audit` does and verified as `lodestone verify` does
 * (signatures, inclusion proofs, completeness, time, certificates, trust list, the replay of every rule),
 * with the log key pinned.
 */
async function bundleVerify() {
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-bench-log-keys-'));
  const store = await openPgliteStore({ dataDir: MEMORY });
  const ctx = createApp(store, { keysDir, clock: benchClock() });
  let bundle: AuditBundle;
  let logKey: string;
  let buildSeconds: number;
  try {
    const { licenceId } = await licensedScenario(ctx, 1_000_000);
    const value = { currency: 'USD', minor: 8000 };
    const t0 = performance.now();
    for (let i = 0; i < BUNDLE_EVENTS / 2; i += BUNDLE_DOCUMENT / 2) {
      const events: CustodyEventInput[] = [];
      for (let k = i; k < Math.min(i + BUNDLE_DOCUMENT / 2, BUNDLE_EVENTS / 2); k++) {
        events.push({
          kind: 'lot',
          input: { id: `MAG-B${k}`, holder: EXPORTER, location: 'CN', item: magnet, massGrams: 1000, value },
        });
        events.push({
          kind: 'shipment',
          input: {
            id: `S-B${k}`,
            fromLot: `MAG-B${k}`,
            to: IMPORTER,
            destination: 'IN',
            grams: 1000,
            value,
            licenceId,
            lineRef: 'L1',
          },
        });
      }
      await ingestCustodyEvents(ctx, EXPORTER, events);
    }
    buildSeconds = (performance.now() - t0) / 1000;
    bundle = await exportAuditBundle(ctx, licenceId);
    logKey = ctx.keystore.get(LOG_ID).publicKey;
  } finally {
    await ctx.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
  const text = JSON.stringify(bundle);
  const t = performance.now();
  const s = verifyBundle(text, { logKey });
  const seconds = (performance.now() - t) / 1000;
  return {
    records: s.entries,
    bundleMB: +(text.length / 1e6).toFixed(1),
    verifySeconds: +seconds.toFixed(2),
    recordsPerSec: Math.round(s.entries / seconds),
    shipmentsReplayed: s.shipments,
    buildSeconds: +buildSeconds.toFixed(1),
  };
}

type Result = {
  at: string;
  node: string;
  summary: Awaited<ReturnType<typeof durableAppends>>;
  append: Awaited<ReturnType<typeof appendThroughput>>;
  proofs: Awaited<ReturnType<typeof proofLatency>>;
  verify: Awaited<ReturnType<typeof bundleVerify>>;
};

/** The results as the markdown table the README quotes. */
export function toMarkdown(r: Result): string {
  return [
    `# Transparency log benchmark (${r.at}, Node ${r.node})`,
    '',
    '| measure | value |',
    '|---|---|',
    `| durable appends on ${r.summary.server}, fsync on, ${r.summary.batch} records per transaction (journal row, leaf, subtrees, one signed checkpoint, commit) | ${r.summary.durableLeavesPerSec.toLocaleString('en')} leaves/s (${r.summary.durableVsHash} × SHA-256; CPU per leaf ${r.summary.cpuMsPerLeaf.node} ms Node + ${String(r.summary.cpuMsPerLeaf.postgres)} ms PostgreSQL) |`,
    `| one-thread SHA-256 leaf hashes of the same ${r.summary.recordBytes}-byte records (same run) | ${r.summary.sha256LeavesPerSec.toLocaleString('en')} /s |`,
    `| reference: raw COPY of the same journal rows and Merkle nodes into a fresh database, ${r.summary.batch} leaves per transaction, fsync on (same run) | ${r.summary.rawCopyLeavesPerSec?.toLocaleString('en') ?? 'not measured'} leaves/s (durable appends ${String(r.summary.durableVsRawCopy)} × it; ${String(r.summary.rawCopyPostgresCpuMsPerLeaf)} ms PostgreSQL CPU per leaf) |`,
    `| load average (1 min) at the end of the durable run | ${r.summary.loadavg1} on ${availableParallelism()} CPUs |`,
    `| raw SHA-256 leaf hashes of the same ${r.append.recordBytes}-byte records | ${r.append.sha256LeafHashesPerSec.toLocaleString('en')} /s |`,
    `| in-memory PGlite journal appends (record + leaf + completed subtrees, 100 per transaction; no disk) | ${r.append.journalAppendsPerSec.toLocaleString('en')} /s (${r.append.appendVsSha256} × SHA-256) |`,
    `| log appends alone (leaf + completed subtrees) | ${r.append.logAppendsPerSec.toLocaleString('en')} /s (${r.append.logAppendVsSha256} × SHA-256) |`,
    `| inclusion proof from the store at ${r.proofs.leaves.toLocaleString('en')} leaves (${r.proofs.proofs} random leaves) | p50 ${r.proofs.proofMs.p50} ms, p95 ${r.proofs.proofMs.p95} ms, p99 ${r.proofs.proofMs.p99} ms |`,
    `| verify an audit bundle of ${r.verify.records.toLocaleString('en')} records (${r.verify.bundleMB} MB) | ${r.verify.verifySeconds} s (${r.verify.recordsPerSec.toLocaleString('en')} records/s) |`,
    '',
  ].join('\n');
}

export async function run(): Promise<void> {
  const summary = await durableAppends();
  console.log('durable appends', summary);
  const append = await appendThroughput();
  console.log('append', append);
  const proofs = await proofLatency();
  console.log('inclusion proofs', proofs);
  const verify = await bundleVerify();
  console.log('bundle verify', verify);
  const result = { suite: 'log', at: new Date().toISOString(), node: process.version, summary, append, proofs, verify };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}log.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${RESULTS}log.md`, toMarkdown(result));
  console.log(`written to ${RESULTS}log.json`);
}
