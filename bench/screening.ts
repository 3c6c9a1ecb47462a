/**
 * Screening benchmark: Lodestone's matcher against fuse.js and PostgreSQL pg_trgm (GIN index) on
 * the same list (OFAC SDN 2024, names and a.k.a. aliases), on Latin disguised variants with
 * look-alike decoys and on original-script (Arabic, Cyrillic) UN names against Latin-only
 * entries; then a synthetic list of 10^6 names (index build time, p99, resident memory).
 *
 * Needs ../shared/corpora/sanctions (skips, saying so, without it). PostgreSQL: DATABASE_URL, or
 * postgres://postgres@127.0.0.1:5432/test; pg_trgm is skipped, saying so, when neither answers.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fuse from 'fuse.js';
import pg from 'pg';
import { buildIndex, MATCHER_VERSION, parseList, type ListEntry } from '../src/screening/index.js';
import { buildEvalSet, buildOriginalScriptSet, rng, scoreEval, type EvalCase, type EvalScore } from '../test/support/screening-eval.js';

const CORPORA = fileURLToPath(new URL('../../shared/corpora/sanctions/', import.meta.url));
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

function best(cases: readonly EvalCase[], results: readonly (readonly Scored[])[]): { threshold: number; s: EvalScore } {
  let top: { threshold: number; s: EvalScore } | undefined;
  for (let t = 0.05; t <= 1.0001; t += 0.01) {
    const s = scoreEval(cases, results.map((r) => r.filter((x) => x.score >= t).map((x) => x.id)));
    if (top === undefined || s.f1 > top.s.f1) top = { threshold: Math.round(t * 100) / 100, s };
  }
  return top ?? { threshold: 0, s: scoreEval(cases, []) };
}

async function measure(tool: string, set: string, cases: readonly EvalCase[], query: (q: string) => Promise<readonly Scored[]> | readonly Scored[]): Promise<ToolResult> {
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

async function trigram(entries: readonly ListEntry[], table: string): Promise<{ query: (q: string) => Promise<readonly Scored[]>; close: () => Promise<void> } | string> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
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
    await client.query(`insert into ${table} (id, name) select * from unnest($1::text[], $2::text[])`, [chunk.map((r) => r.id), chunk.map((r) => r.name)]);
  }
  await client.query(`create index on ${table} using gin (name gin_trgm_ops)`);
  await client.query(`analyze ${table}`);
  await client.query('set pg_trgm.similarity_threshold = 0.2');
  return {
    query: async (q) => (await client.query<{ id: string; s: number | string }>(`select id, max(similarity(name, $1)) as s from ${table} where name % $1 group by id order by s desc limit 10`, [q])).rows.map((r) => ({ id: r.id, score: Number(r.s) })),
    close: async () => {
      await client.query(`drop table if exists ${table}`);
      await client.end();
    },
  };
}

const SYL = ['ba', 'ko', 'ri', 'tan', 'vel', 'mor', 'sin', 'ga', 'lu', 'zer', 'pha', 'dim', 'kra', 'nol', 'sha', 'yu', 'ten', 'bor', 'qi', 'wen', 'hai', 'ost', 'ark', 'mel'];
const WORDS = ['TRADING', 'INDUSTRIAL', 'SHIPPING', 'METALS', 'HOLDING', 'TECHNOLOGY', 'IMPORT EXPORT', 'ENGINEERING', 'ELECTRONICS', 'MAGNETICS', 'LOGISTICS', 'GROUP'];
const LEGAL = ['CO., LTD.', 'LLC', 'GMBH', 'JSC', 'LIMITED', 'S.A.', 'FZE', ''];

function syntheticEntries(n: number): ListEntry[] {
  const r = rng(2026);
  const word = (): string => {
    const k = 2 + Math.floor(r() * 3);
    let w = '';
    for (let i = 0; i < k; i++) w += SYL[Math.floor(r() * SYL.length)] ?? '';
    return w.toUpperCase();
  };
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) {
    const person = r() < 0.4;
    const name = person ? `${word()}, ${word()} ${word()}` : `${word()} ${word()} ${WORDS[Math.floor(r() * WORDS.length)] ?? ''} ${LEGAL[Math.floor(r() * LEGAL.length)] ?? ''}`.trim();
    out.push({ id: `S${i}`, name, aliases: [], type: person ? 'person' : 'entity', countries: [], identifiers: [] });
  }
  return out;
}

function table(results: readonly ToolResult[]): string {
  const head = '| set | tool | queries | QPS | p50 ms | p99 ms | best threshold | precision | recall | F1 |\n|---|---|---|---|---|---|---|---|---|---|\n';
  return head + results.map((r) => `| ${r.set} | ${r.tool} | ${r.queries} | ${r.qps} | ${r.p50Ms} | ${r.p99Ms} | ${r.bestThreshold} | ${r.precision} | ${r.recall} | ${r.f1} |`).join('\n');
}

export async function run(): Promise<void> {
  if (!existsSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`)) {
    console.log(`screening benchmark skipped: ${CORPORA} is absent (it holds the OFAC SDN and UN lists)`);
    return;
  }
  const quick = process.argv.includes('--quick');
  const sdn = parseList('sdn-csv', readFileSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`, 'utf8')).entries;
  const un = parseList('un-xml', readFileSync(`${CORPORA}un-consolidated/UN_consolidated.xml`, 'utf8')).entries;
  const latin = buildEvalSet(sdn, { perKind: quick ? 30 : 100 });
  const orig = buildOriginalScriptSet(un);
  const fuseSample = (cases: readonly EvalCase[], n: number): EvalCase[] => {
    const r = rng(11);
    return [...cases].sort(() => r() - 0.5).slice(0, n);
  };
  const results: ToolResult[] = [];
  const notes: string[] = [];

  results.push(await measure('lodestone', 'SDN Latin variants', latin, lodestone(sdn)));
  results.push(await measure('lodestone', 'UN original script', orig.cases, lodestone(orig.latinOnly)));

  const pgSdn = await trigram(sdn, 'bench_trgm_sdn');
  if (typeof pgSdn === 'string') notes.push(`pg_trgm skipped: ${pgSdn}`);
  else {
    results.push(await measure('pg_trgm (GIN)', 'SDN Latin variants', latin, pgSdn.query));
    await pgSdn.close();
    const pgUn = await trigram(orig.latinOnly, 'bench_trgm_un');
    if (typeof pgUn !== 'string') {
      results.push(await measure('pg_trgm (GIN)', 'UN original script', orig.cases, pgUn.query));
      await pgUn.close();
    }
  }

  const fuseN = quick ? 40 : 100;
  notes.push(`fuse.js is run on a random sample of ${fuseN} queries of each set (it scans every name per query).`);
  results.push(await measure('fuse.js', 'SDN Latin variants', fuseSample(latin, fuseN), fuse(sdn)));
  results.push(await measure('fuse.js', 'UN original script', fuseSample(orig.cases, fuseN), fuse(orig.latinOnly)));

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}screening.json`, `${JSON.stringify({ matcherVersion: MATCHER_VERSION, date: new Date().toISOString(), node: process.version, results, scale: 'running', notes }, null, 2)}\n`);

  // Scale: 10^6 synthetic names.
  const n = Number(process.env.BENCH_SCALE_NAMES ?? (quick ? 100_000 : 1_000_000));
  const synthetic = syntheticEntries(n);
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const big = buildIndex([{ list: 'synthetic', entries: synthetic }]);
  const buildS = (performance.now() - t0) / 1000;
  const rss = process.memoryUsage().rss;
  const scaleCases = buildEvalSet(synthetic.slice(0, 20_000), { perKind: quick ? 50 : 300, seed: 3 });
  const scale = await measure('lodestone', `synthetic ${n.toLocaleString('en')} names`, scaleCases, (q) => big.search(q, { threshold: 0.3, limit: 10 }).map((m) => ({ id: m.entryId, score: m.score })));
  results.push(scale);
  const scaleReport = { names: n, indexBuildSeconds: Math.round(buildS * 10) / 10, rssMB: Math.round(rss / 2 ** 20), rssBeforeIndexMB: Math.round(rssBefore / 2 ** 20), p99Ms: scale.p99Ms, p50Ms: scale.p50Ms };
  console.log(JSON.stringify(scaleReport));

  const lat = results.find((r) => r.tool === 'lodestone' && r.set === 'SDN Latin variants');
  const trg = results.find((r) => r.tool === 'pg_trgm (GIN)' && r.set === 'SDN Latin variants');
  const ratios = lat && trg ? { throughputVsPgTrgm: Math.round((lat.qps / trg.qps) * 10) / 10, f1VsPgTrgm: Math.round((lat.f1 - trg.f1) * 1000) / 1000 } : undefined;
  mkdirSync(RESULTS, { recursive: true });
  const report = { matcherVersion: MATCHER_VERSION, date: new Date().toISOString(), node: process.version, results, scale: scaleReport, ratios, notes };
  writeFileSync(`${RESULTS}screening.json`, `${JSON.stringify(report, null, 2)}\n`);
  const md = `# Screening benchmark (${MATCHER_VERSION}, ${report.date.slice(0, 10)}, Node ${process.version})\n\n${table(results)}\n\nScale: ${n.toLocaleString('en')} synthetic names, index built in ${scaleReport.indexBuildSeconds} s, RSS ${scaleReport.rssMB} MB, p50 ${scaleReport.p50Ms} ms, p99 ${scaleReport.p99Ms} ms.\n${ratios ? `\nLodestone vs pg_trgm on Latin variants: ${ratios.throughputVsPgTrgm}× the throughput, F1 ${ratios.f1VsPgTrgm >= 0 ? '+' : ''}${ratios.f1VsPgTrgm}.\n` : ''}\n${notes.map((x) => `- ${x}`).join('\n')}\n`;
  writeFileSync(`${RESULTS}screening.md`, md);
  console.log(md);
}
