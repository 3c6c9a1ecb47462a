/**
 * `npm run bench -- trace`: the re-export decision ("may this lot go to this party in this
 * country?", `checkExport`) for lots whose ancestry is 10 transformations deep, in a PostgreSQL store
 * of 10^6 lots, against a plain recursive CTE that answers the same question by walking the
 * ancestry (shipments and transformations) over the same tables, in the same run.
 *
 * The store: the demo's parties, list, certificate and a licence are set up through the use cases;
 * then one chain — a magnet lot, a licensed shipment to India, its receipt and 10 transformations
 * (rotor assemblies … traction motors), 12 lots — is played through the use cases, so its journal
 * entries and projection rows are the real ones. The bulk fill then copies that chain's projection
 * rows (lots, shipment, custody ledger; and the licence with its application and balance, once per
 * licence group) in SQL, renaming the ids, until the store holds 10^6 lots. The fill bypasses the
 * journal: journalling 10^6 lots through the use cases would take hours at the ingest rate (see
 * `npm run bench -- ingest`), and the decision under test reads only the projections. The copies'
 * journal sequence numbers are offset per chain (so every transformation has its own seq, as the
 * CTE's transformation edge needs), which the journal's foreign keys would refuse: the fill runs
 * with `session_replication_role = replica` (the superuser's switch that skips FK triggers), so
 * DATABASE_URL must name a superuser; the embedded server's user is one.
 *
 * The reference CTE is given the two indexes its walk needs (shipments.receiving_lot,
 * custody_ledger.lot_id), created by this bench only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pg from 'pg';
import {
  checkExport,
  createApp,
  createLot,
  dispatchShipment,
  receiveShipment,
  transformLots,
  type AppContext,
} from '../src/app/index.js';
import { openPostgresStore } from '../src/store/index.js';
import {
  benchClock,
  example,
  EXPORTER,
  IMPORTER,
  latencies,
  licensedScenario,
  machine,
  writeResults,
} from './common.js';
import { startPostgres } from './postgres.js';

const TARGET_LOTS = Number(process.env.BENCH_TRACE_LOTS ?? 1_000_000);
const DEPTH = 10;
const LOTS_PER_CHAIN = DEPTH + 2; // the exporter's lot, the received lot, 10 transformation outputs
const LICENCE_GROUPS = 1000;
const SAMPLES = Number(process.env.BENCH_TRACE_SAMPLES ?? 3000);
const TOKEN = 'TRC0000000';
const SEQ_STRIDE = 1000;
const TRACE_SHARED_BUFFERS = process.env.BENCH_TRACE_SHARED_BUFFERS ?? '3GB';

const chainLot = (c: number, k: number) => `TRC${String(c).padStart(7, '0')}-D${k}`;

/** The template chain, through the use cases. */
async function playChain(ctx: AppContext, licenceId: string): Promise<void> {
  const magnet = example('items/ndfeb-45sh-dy-magnet.json');
  const rotor = example('items/rotor-assembly.json') as Record<string, unknown>;
  const motor = example('items/traction-motor.json');
  await createLot(ctx, EXPORTER, {
    id: `${TOKEN}-MAG`,
    holder: EXPORTER,
    location: 'CN',
    item: magnet,
    massGrams: 2000,
    value: { currency: 'USD', minor: 16_000 },
  });
  await dispatchShipment(ctx, EXPORTER, {
    id: `${TOKEN}-S`,
    fromLot: `${TOKEN}-MAG`,
    to: IMPORTER,
    destination: 'IN',
    grams: 1000,
    value: { currency: 'USD', minor: 8000 },
    licenceId,
    lineRef: 'L1',
  });
  await receiveShipment(ctx, IMPORTER, { shipmentId: `${TOKEN}-S`, lotId: `${TOKEN}-D0`, receivedGrams: 1000 });
  let mass = 1000;
  for (let k = 1; k <= DEPTH; k++) {
    const out = mass + 1000;
    const { massGrams: _m, components: _c, ...rotorItem } = rotor;
    await transformLots(ctx, IMPORTER, {
      id: `${TOKEN}-X${k}`,
      inputs: [{ lotId: `${TOKEN}-D${k - 1}`, grams: mass }],
      otherInputsGrams: 1000,
      outputs: [
        {
          lotId: `${TOKEN}-D${k}`,
          item: k === DEPTH ? motor : { ...rotorItem, origin: 'IN' },
          massGrams: out,
          units: 1,
          value: { currency: 'USD', minor: 8000 * (k + 1) },
          embodies: [{ lotId: `${TOKEN}-D${k - 1}`, grams: mass }],
        },
      ],
    });
    mass = out;
  }
}

/** Copies the template chain's projection rows (see the file comment). */
async function bulkFill(
  url: string,
  licenceId: string,
  applicationId: string,
  chains: number,
): Promise<{ seconds: number; lots: number; lotsTableMB: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const t = performance.now();
  try {
    await client.query('set session_replication_role = replica');
    const lic = (g: string) => `$2 || '-' || lpad((${g})::text, 4, '0')`;
    await client.query(
      `insert into applications (id, seq, authority, applicant, status, recommendation, application, assessment, decision, decided_seq, submitted_at)
       select a.id || '-' || lpad(g::text, 4, '0'), a.seq, a.authority, a.applicant, a.status, a.recommendation, a.application, a.assessment,
              replace(a.decision::text, $2, ${lic('g')})::jsonb, a.decided_seq, a.submitted_at
       from applications a, generate_series(0, $3::int - 1) g where a.id = $1`,
      [applicationId, licenceId, LICENCE_GROUPS],
    );
    await client.query(
      `insert into licences (id, seq, application_id, authority, holder, consignee, end_user, destination, valid_from, valid_until, status, licence)
       select ${lic('g')}, l.seq, l.application_id || '-' || lpad(g::text, 4, '0'), l.authority, l.holder, l.consignee, l.end_user, l.destination, l.valid_from, l.valid_until, l.status,
              replace(replace(l.licence::text, $2, ${lic('g')}), $1, $1 || '-' || lpad(g::text, 4, '0'))::jsonb
       from licences l, generate_series(0, $3::int - 1) g where l.id = $2`,
      [applicationId, licenceId, LICENCE_GROUPS],
    );
    await client.query(
      `insert into licence_balances (licence_id, line_ref, currency, ceiling_grams, ceiling_value_minor, shipped_grams, shipped_value_minor, shipments)
       select ${lic('g')}, b.line_ref, b.currency, b.ceiling_grams, b.ceiling_value_minor, 0, 0, 0
       from licence_balances b, generate_series(0, $1::int - 1) g where b.licence_id = $2`,
      [LICENCE_GROUPS, licenceId],
    );
    const batch = 5000;
    for (let from = 1; from <= chains; from += batch) {
      const to = Math.min(chains, from + batch - 1);
      const params = [TOKEN, licenceId, from, to, SEQ_STRIDE, LICENCE_GROUPS];
      const tok = `'TRC' || lpad(c::text, 7, '0')`;
      const licc = `$2 || '-' || lpad((c % $6::int)::text, 4, '0')`;
      await client.query('begin');
      await client.query(
        `insert into lots (id, holder, location, item, mass_grams, units, value_minor, currency, restrictions, licence_ids, created_seq, updated_seq)
         select replace(l.id, $1, ${tok}), l.holder, l.location, l.item, l.mass_grams, l.units, l.value_minor, l.currency,
                replace(replace(l.restrictions::text, $1, ${tok}), $2, ${licc})::jsonb,
                array(select replace(x, $2, ${licc}) from unnest(l.licence_ids) x),
                l.created_seq + c * $5::bigint, l.updated_seq + c * $5::bigint
         from generate_series($3::int, $4::int) c, lots l where l.id like $1 || '%' order by c, l.created_seq`,
        params,
      );
      await client.query(
        `insert into shipments (id, seq, from_lot, from_holder, to_party, destination, grams, units, value_minor, currency, licence_id, line_ref, shipped_on, restrictions, status, received_grams, receiving_lot, received_seq)
         select replace(s.id, $1, ${tok}), s.seq + c * $5::bigint, replace(s.from_lot, $1, ${tok}), s.from_holder, s.to_party, s.destination, s.grams, s.units, s.value_minor, s.currency,
                ${licc}, s.line_ref, s.shipped_on, replace(replace(s.restrictions::text, $1, ${tok}), $2, ${licc})::jsonb, s.status, s.received_grams,
                replace(s.receiving_lot, $1, ${tok}), s.received_seq + c * $5::bigint
         from generate_series($3::int, $4::int) c, shipments s where s.id like $1 || '%'`,
        params,
      );
      await client.query(
        `insert into custody_ledger (seq, licence_id, holder, lot_id, kind, grams)
         select x.seq + c * $5::bigint, ${licc}, x.holder, replace(x.lot_id, $1, ${tok}), x.kind, x.grams
         from generate_series($3::int, $4::int) c, custody_ledger x where x.lot_id like $1 || '%'`,
        params,
      );
      await client.query('commit');
      if (process.stdout.isTTY)
        process.stdout.write(`\r  bulk fill: ${to.toLocaleString('en')} / ${chains.toLocaleString('en')} chains`);
    }
    if (process.stdout.isTTY) process.stdout.write('\n');
    await client.query('set session_replication_role = origin');
    const seconds = (performance.now() - t) / 1000;
    // The reference CTE's indexes (this bench only), then fresh statistics for the planner.
    await client.query('create index if not exists bench_shipments_receiving_lot_idx on shipments (receiving_lot)');
    await client.query('create index if not exists bench_custody_ledger_lot_idx on custody_ledger (lot_id, kind)');
    await client.query('vacuum analyze lots, shipments, custody_ledger, licences, licence_balances, applications');
    const lots = Number((await client.query<{ n: string }>('select count(*) as n from lots')).rows[0]?.n ?? 0);
    const lotsTableMB = Math.round(
      Number((await client.query<{ b: string }>(`select pg_total_relation_size('lots') as b`)).rows[0]?.b ?? 0) / 1e6,
    );
    return { seconds: +seconds.toFixed(1), lots, lotsTableMB };
  } finally {
    await client.end();
  }
}

/**
 * The reference: walk the lot's ancestry (receipts back to shipments, transformation outputs back to
 * their inputs through the custody ledger), collect the licences under which material in it was
 * shipped, and decide in SQL whether `destination` breaks any of their undertakings (prohibited
 * destinations; use-only-in; undertakings that do not extend to products stop at a transformation).
 */
const REFERENCE_CTE = `
with recursive ancestry(lot_id, depth, transformed) as (
  select $1::text, 0, false
  union all
  select p.parent, a.depth + 1, a.transformed or p.is_transformation
  from ancestry a
  cross join lateral (
    select s.from_lot as parent, false as is_transformation from shipments s where s.receiving_lot = a.lot_id
    union all
    select o.lot_id, true from custody_ledger i
      join custody_ledger o on o.seq = i.seq and o.licence_id = i.licence_id and o.kind = 'transformed-out'
      where i.lot_id = a.lot_id and i.kind = 'transformed-in'
  ) p
  where a.depth < 64
),
undertakings as (
  select distinct l.id, l.licence, a.transformed, a.depth
  from ancestry a
  join shipments s on s.receiving_lot = a.lot_id and s.licence_id is not null
  join licences l on l.id = s.licence_id
)
select count(*)::int as licences, coalesce(max(depth), 0)::int as depth,
  coalesce(bool_or((not transformed or (licence->>'extendsToIncorporatingProducts')::boolean)
    and (licence->'prohibitedReexportDestinations' ? $2 or (licence->>'useOnlyIn' is not null and licence->>'useOnlyIn' <> $2))), false) as refused
from undertakings`;

const QUERIES = [
  { to: 'lakeshore-ev', destination: 'US' },
  { to: 'gulf-horizon-trading', destination: 'AE' },
  { to: 'deccan-mobility', destination: 'IN' },
] as const;

export async function run(): Promise<void> {
  const started = new Date().toISOString();
  // shared_buffers sized to the store (about 2.5 GB of tables and indexes at 10^6 lots; PostgreSQL's
  // guidance is ~25 % of RAM, 6 GB here), as a production server holding it would be; the CTE
  // reference runs on the same server.
  const server = await startPostgres({ sharedBuffers: TRACE_SHARED_BUFFERS });
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-bench-keys-'));
  try {
    const url = await server.createDatabase('lodestone_trace');
    const store = await openPostgresStore({ databaseUrl: url });
    const ctx = createApp(store, { keysDir, clock: benchClock() });
    try {
      const { licenceId } = await licensedScenario(ctx, 1_000_000);
      await playChain(ctx, licenceId);
      const app = await store.db
        .selectFrom('licences')
        .select('application_id')
        .where('id', '=', licenceId)
        .executeTakeFirstOrThrow();
      const chains = Math.ceil((TARGET_LOTS - LOTS_PER_CHAIN) / LOTS_PER_CHAIN);
      console.log(
        `trace: ${server.source}; bulk fill of ${chains.toLocaleString('en')} copies of a ${LOTS_PER_CHAIN}-lot chain (${DEPTH} transformations deep), bypassing the journal (see bench/trace.ts)`,
      );
      const fill = await bulkFill(url, licenceId, app.application_id, chains);
      console.log(`  ${fill.lots.toLocaleString('en')} lots in ${fill.seconds} s (lots table ${fill.lotsTableMB} MB)`);

      // The same random deep lots and questions for both; interleaved in blocks so drift hits both alike.
      let x = 42;
      const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
      const samples = Array.from({ length: SAMPLES }, (_, i) => ({
        lotId: rnd() % 10 === 0 ? `${TOKEN}-D${DEPTH}` : chainLot(1 + (rnd() % chains), DEPTH),
        ...QUERIES[i % QUERIES.length]!,
      }));
      const cte = async (s: (typeof samples)[number]) =>
        (
          await sql
            .raw<{ licences: number; depth: number; refused: boolean }>(
              REFERENCE_CTE.replace('$1', `'${s.lotId}'`).replace(/\$2/g, `'${s.destination}'`),
            )
            .execute(store.db)
        ).rows[0]!;
      for (const s of samples.slice(0, 300)) {
        await checkExport(ctx, s);
        await cte(s);
      } // warm-up
      const tDecision: number[] = [];
      const tCte: number[] = [];
      let agree = 0;
      let refused = 0;
      let depthSeen = 0;
      // CPU per query too (Node's, and the embedded server's from /proc), which the machine's load does not inflate.
      const cpu = { decision: { node: 0, db: 0 }, cte: { node: 0, db: 0 } };
      const dbCpu = () => server.cpuSeconds() ?? NaN;
      for (let i = 0; i < samples.length; i += 100) {
        const block = samples.slice(i, i + 100);
        const decisions: boolean[] = [];
        let n0 = process.cpuUsage();
        let d0 = dbCpu();
        for (const s of block) {
          const t = performance.now();
          const d = await checkExport(ctx, s);
          tDecision.push(performance.now() - t);
          decisions.push(d.allowed);
          if (!d.allowed) refused++;
        }
        let n = process.cpuUsage(n0);
        cpu.decision.node += (n.user + n.system) / 1000;
        cpu.decision.db += (dbCpu() - d0) * 1000;
        n0 = process.cpuUsage();
        d0 = dbCpu();
        for (const [j, s] of block.entries()) {
          const t = performance.now();
          const r = await cte(s);
          tCte.push(performance.now() - t);
          depthSeen = Math.max(depthSeen, r.depth);
          if (r.refused === !decisions[j]) agree++;
        }
        n = process.cpuUsage(n0);
        cpu.cte.node += (n.user + n.system) / 1000;
        cpu.cte.db += (dbCpu() - d0) * 1000;
      }
      const perQuery = (c: { node: number; db: number }) => ({
        nodeMs: +(c.node / SAMPLES).toFixed(3),
        dbMs: +(c.db / SAMPLES).toFixed(3),
        perCoreSecond: Math.round(1000 / ((c.node + (Number.isNaN(c.db) ? 0 : c.db)) / SAMPLES)),
      });
      const decision = latencies(tDecision);
      const reference = latencies(tCte);
      const explain = (
        await sql
          .raw<{ 'QUERY PLAN': string }>(
            `explain (analyze, buffers) ${REFERENCE_CTE.replace('$1', `'${chainLot(1, DEPTH)}'`).replace(/\$2/g, `'US'`)}`,
          )
          .execute(store.db)
      ).rows.map((r) => r['QUERY PLAN']);
      const result = {
        suite: 'trace',
        at: started,
        machine: machine(),
        postgres: {
          source: server.source,
          version: server.version,
          sharedBuffers: server.source === 'DATABASE_URL' ? 'as configured' : TRACE_SHARED_BUFFERS,
        },
        store: {
          lots: fill.lots,
          depth: DEPTH,
          lotsPerChain: LOTS_PER_CHAIN,
          licences: LICENCE_GROUPS + 1,
          lotsTableMB: fill.lotsTableMB,
          bulkFillSeconds: fill.seconds,
          bulkFill:
            'projection rows of one chain played through the use cases, copied in SQL with renamed ids; bypasses the journal (journalling 10^6 lots through the use cases would take hours; the decision reads only projections)',
        },
        samples: SAMPLES,
        refusedShare: +(refused / SAMPLES).toFixed(3),
        agreement: +(agree / SAMPLES).toFixed(4),
        ancestryDepthWalkedByCte: depthSeen,
        checkExportMs: decision,
        recursiveCteMs: reference,
        cpuPerQuery: { checkExport: perQuery(cpu.decision), recursiveCte: perQuery(cpu.cte) },
        p99VsCte: +(decision.p99 / reference.p99).toFixed(3),
        p50VsCte: +(decision.p50 / reference.p50).toFixed(3),
        targetP99Ms: 5,
        targetMet: decision.p99 <= 5,
        ctePlan: explain,
      };
      console.log({ ...result, ctePlan: undefined });
      writeResults('trace', result, toMarkdown(result));
    } finally {
      await ctx.close();
    }
  } finally {
    rmSync(keysDir, { recursive: true, force: true });
    await server.stop();
  }
}

type Result = {
  at: string;
  machine: ReturnType<typeof machine>;
  postgres: { source: string; version: string; sharedBuffers?: string };
  store: { lots: number; depth: number; bulkFillSeconds: number; lotsTableMB: number };
  samples: number;
  agreement: number;
  refusedShare: number;
  ancestryDepthWalkedByCte: number;
  checkExportMs: ReturnType<typeof latencies>;
  recursiveCteMs: ReturnType<typeof latencies>;
  p99VsCte: number;
  p50VsCte: number;
  cpuPerQuery?: {
    checkExport: { nodeMs: number; dbMs: number; perCoreSecond: number };
    recursiveCte: { nodeMs: number; dbMs: number; perCoreSecond: number };
  };
  targetMet: boolean;
};

export function toMarkdown(r: Result): string {
  const m = r.machine;
  return [
    `# Trace benchmark: the re-export decision at ${r.store.lots.toLocaleString('en')} lots`,
    '',
    `${r.at}; ${m.nproc} × ${m.cpu}, ${m.memGB} GB, Node ${m.node}, load ${m.loadavg1}; ${r.postgres.source} (${r.postgres.version.split(',')[0] ?? ''}${r.postgres.sharedBuffers === undefined ? '' : `, shared_buffers ${r.postgres.sharedBuffers}`}).`,
    `Store: ${r.store.lots.toLocaleString('en')} lots (${r.store.lotsTableMB} MB) filled in ${r.store.bulkFillSeconds} s by copying the projection rows of one chain played through the use cases (the fill bypasses the journal; see bench/trace.ts). Every sampled lot is ${r.store.depth} transformations below a licensed shipment.`,
    `${r.samples} questions "may lot L go to party P in country C?" (US buyer, UAE trader owned by it, Indian buyer; ${Math.round(r.refusedShare * 100)} % refused); the CTE and checkExport agree on ${(r.agreement * 100).toFixed(1)} % of them.`,
    '',
    '| query | p50 ms | p90 ms | p99 ms | max ms | vs CTE (p99) |',
    '|---|---|---|---|---|---|',
    `| checkExport (use case: lot, party, screening, classification, every upstream undertaking) | ${r.checkExportMs.p50} | ${r.checkExportMs.p90} | ${r.checkExportMs.p99} | ${r.checkExportMs.max} | ${r.p99VsCte} × |`,
    `| recursive CTE walking ${r.ancestryDepthWalkedByCte} levels of ancestry (reference) | ${r.recursiveCteMs.p50} | ${r.recursiveCteMs.p90} | ${r.recursiveCteMs.p99} | ${r.recursiveCteMs.max} | 1 × |`,
    '',
    ...(r.cpuPerQuery
      ? [
          `CPU per question (Node + PostgreSQL): checkExport ${r.cpuPerQuery.checkExport.nodeMs} + ${r.cpuPerQuery.checkExport.dbMs} ms (${r.cpuPerQuery.checkExport.perCoreSecond} per core-second); the CTE ${r.cpuPerQuery.recursiveCte.nodeMs} + ${r.cpuPerQuery.recursiveCte.dbMs} ms (${r.cpuPerQuery.recursiveCte.perCoreSecond} per core-second).`,
          '',
        ]
      : []),
    `Target p99 ≤ 5 ms: ${r.targetMet ? 'met' : 'not met'}${r.machine.loadavg1 > r.machine.nproc ? ` (the machine's load average was ${r.machine.loadavg1} on ${r.machine.nproc} cores: latencies include waiting for a CPU)` : ''}.`,
    '',
  ].join('\n');
}
