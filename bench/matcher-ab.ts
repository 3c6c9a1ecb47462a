/**
 * The current matcher against lodestone-matcher/1.2.0 (bench/reference), for work on the matcher's speed:
 *
 *   npx tsx bench/matcher-ab.ts quality [out.json]   every set's P/R/F1 at the best threshold (and every score, to out.json)
 *   npx tsx bench/matcher-ab.ts cpu [rounds]          CPU per query, both matchers, interleaved rounds in one process
 *   npx tsx bench/matcher-ab.ts run cur|ref [set] [n] one matcher over one set n times (for callgrind/--cpu-prof);
 *                                                     set: latin | heldout; `build` as the matcher builds the index only
 *
 * Instruction counts: `valgrind --tool=callgrind node --import tsx bench/matcher-ab.ts run cur heldout 3` minus the
 * same with `run cur heldout 0` (the index build and the set's making) is the queries' cost.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { buildIndex, parseList } from '../src/screening/index.js';
import { buildEvalSet, buildOriginalScriptSet, scoreEval, type EvalCase } from '../test/support/screening-eval.js';
import { buildHeldOutVariants, loadNameMatchingPairs, loadNegatives } from '../test/support/screening-heldout.js';
import { CORPORA_DIR } from '../test/support/corpora.js';
import { buildIndex as buildIndex120 } from './reference/matcher-1.2.0.js';

const CORPORA = `${CORPORA_DIR}sanctions/`;
type Ix = {
  search: (q: string, o: { threshold: number; limit: number }) => readonly { entryId: string; score: number }[];
};

const sdn = parseList('sdn-csv', readFileSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`, 'utf8')).entries;
const latin = (): EvalCase[] => buildEvalSet(sdn, { perKind: 100 });
const heldOut = (): EvalCase[] => [...buildHeldOutVariants(sdn, { perKind: 100 }), ...(loadNegatives() ?? [])];

function best(cases: readonly EvalCase[], results: readonly (readonly { id: string; score: number }[])[]) {
  let top: { threshold: number; precision: number; recall: number; f1: number } | undefined;
  for (let t = 0.05; t <= 1.0001; t += 0.01) {
    const s = scoreEval(
      cases,
      results.map((r) => r.filter((x) => x.score >= t).map((x) => x.id)),
    );
    if (top === undefined || s.f1 > top.f1)
      top = { threshold: Math.round(t * 100) / 100, precision: s.precision, recall: s.recall, f1: s.f1 };
  }
  return top;
}

let full = false;
function search(ix: Ix, q: string): { id: string; score: number }[] {
  try {
    return ix
      .search(q, { threshold: 0.3, limit: 10 })
      .map((m) => (full ? { ...m, id: m.entryId, entry: undefined } : { id: m.entryId, score: m.score }));
  } catch {
    return [];
  }
}

const [mode = 'quality', a1, a2, a3] = process.argv.slice(2);
if (mode === 'quality') {
  full = a1 !== undefined;
  const un = parseList('un-xml', readFileSync(`${CORPORA}un-consolidated/UN_consolidated.xml`, 'utf8')).entries;
  const orig = buildOriginalScriptSet(un);
  const ix = buildIndex([{ list: 'bench', entries: sdn }]);
  const ixUn = buildIndex([{ list: 'bench', entries: orig.latinOnly }]);
  const all: Record<string, unknown> = {};
  const sets: [string, EvalCase[], Ix][] = [
    ['latin', latin(), ix],
    ['heldout', heldOut(), ix],
    ['un', orig.cases, ixUn],
  ];
  for (const [name, cases, index] of sets) {
    const res = cases.map((c) => search(index, c.query));
    all[name] = res;
    console.log(name, cases.length, JSON.stringify(best(cases, res)));
  }
  const pairs = loadNameMatchingPairs() ?? [];
  const pr = pairs.map((p) => {
    const one = buildIndex([
      {
        list: 'p',
        entries: [{ id: 'X', name: p.candidate, aliases: [], type: 'unknown', countries: [], identifiers: [] }],
      },
    ]);
    let s = 0;
    try {
      s = one.search(p.query, { threshold: 0.01, limit: 1 })[0]?.score ?? 0;
    } catch {
      s = 0;
    }
    return s > 0 ? [{ id: 'X', score: s }] : [];
  });
  all.pairs = pr;
  console.log(
    'pairs',
    pairs.length,
    JSON.stringify(
      best(
        pairs.map((p) => ({ query: p.query, target: p.match ? 'X' : undefined, kind: p.source })),
        pr,
      ),
    ),
  );
  if (a1 !== undefined) writeFileSync(a1, JSON.stringify(all));
} else if (mode === 'cpu') {
  const rounds = Number(a1 ?? 10);
  const cur = buildIndex([{ list: 'bench', entries: sdn }]);
  const ref = buildIndex120([{ list: 'bench', entries: sdn }]);
  for (const [name, cases] of [
    ['latin', latin()],
    ['heldout', heldOut()],
  ] as const) {
    const once = (ix: Ix): number => {
      const u = process.cpuUsage();
      for (const c of cases) search(ix, c.query);
      const d = process.cpuUsage(u);
      return (d.user + d.system) / 1000 / cases.length;
    };
    const ratios: number[] = [];
    const cs: number[] = [];
    const rs: number[] = [];
    for (let r = 0; r < rounds + 2; r++) {
      const [x, y] = r % 2 === 0 ? [cur, ref] : [ref, cur];
      const a = once(x);
      const b = once(y);
      if (r < 2) continue;
      const c = r % 2 === 0 ? a : b;
      const f = r % 2 === 0 ? b : a;
      cs.push(c);
      rs.push(f);
      ratios.push(c / f);
    }
    const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1] ?? 0;
    console.log(
      name,
      'cur',
      med(cs).toFixed(4),
      'ref',
      med(rs).toFixed(4),
      'ratio',
      med(ratios).toFixed(3),
      'ratios',
      ratios.map((x) => x.toFixed(3)).join(' '),
    );
  }
} else if (mode === 'run') {
  const cases = a2 === 'latin' ? latin() : heldOut();
  const n = Number(a3 ?? 1);
  const ix = (a1 === 'ref' ? buildIndex120 : buildIndex)([{ list: 'bench', entries: sdn }]);
  for (let r = 0; r < n; r++) for (const c of cases) search(ix, c.query);
}
