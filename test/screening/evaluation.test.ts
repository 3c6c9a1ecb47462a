/**
 * Recall and precision on labelled evaluation sets built from real list names (see
 * test/support/screening-eval.ts): disguised variants of listed names and look-alike decoys.
 *
 * The first suite runs on the committed fixtures. The second reads the full public-domain lists
 * from ../shared/corpora/sanctions (OFAC SDN 2024, UN consolidated list) and is skipped, with the
 * reason printed, where that directory is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildIndex, DEFAULT_THRESHOLD, parseList, type ListEntry } from '../../src/screening/index.js';
import { CORPORA_DIR } from '../support/corpora.js';
import { buildHeldOutVariants, loadNameMatchingPairs, loadNegatives } from '../support/screening-heldout.js';
import { buildEvalSet, buildOriginalScriptSet, scoreEval, type EvalCase } from '../support/screening-eval.js';

const fixture = (f: string): string => readFileSync(new URL(`../fixtures/screening/${f}`, import.meta.url), 'utf8');

function run(entries: readonly ListEntry[], cases: readonly EvalCase[]) {
  const index = buildIndex([{ list: 'eval', entries }]);
  return scoreEval(
    cases,
    cases.map((c) => index.search(c.query, { threshold: DEFAULT_THRESHOLD }).map((m) => m.entryId)),
  );
}

describe('evaluation on the committed fixtures', () => {
  const sdn = parseList('sdn-csv', fixture('sdn.csv'), { alt: fixture('alt.csv'), add: fixture('add.csv') }).entries;
  const un = parseList('un-xml', fixture('un-consolidated.xml')).entries;

  it('finds disguised variants of SDN names and stays quiet on look-alikes', () => {
    const cases = buildEvalSet(sdn, { perKind: 15, seed: 1 });
    const s = run(sdn, cases);
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.precision).toBeGreaterThanOrEqual(0.95);
  });

  it('finds UN names written in Arabic and Cyrillic among Latin-only entries', () => {
    const { cases, latinOnly } = buildOriginalScriptSet(un);
    const positives = cases.filter((c) => c.target !== undefined);
    expect(positives.length).toBeGreaterThanOrEqual(8);
    const s = run(latinOnly, positives);
    expect(s.recall).toBeGreaterThanOrEqual(0.75);
  });
});

const CORPORA = `${CORPORA_DIR}sanctions/`;
const haveCorpora =
  existsSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`) && existsSync(`${CORPORA}un-consolidated/UN_consolidated.xml`);
if (!haveCorpora)
  console.log(
    `screening evaluation on the full lists skipped: ${CORPORA} is absent (it holds the OFAC SDN and UN lists; see shared/corpora/sanctions/SOURCES.md)`,
  );

describe.skipIf(!haveCorpora)('evaluation on the full OFAC SDN and UN lists (../shared/corpora/sanctions)', () => {
  it('Latin variants of 15,000 SDN names: recall ≥ 0.97, precision ≥ 0.98 at the default threshold', () => {
    const sdn = parseList('sdn-csv', readFileSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`, 'utf8')).entries;
    const cases = buildEvalSet(sdn, { perKind: 100 });
    const s = run(sdn, cases);
    console.log(
      `SDN Latin variants: ${cases.length} cases, recall ${s.recall.toFixed(3)}, precision ${s.precision.toFixed(3)}, F1 ${s.f1.toFixed(3)}`,
    );
    expect(s.recall).toBeGreaterThanOrEqual(0.97);
    expect(s.precision).toBeGreaterThanOrEqual(0.98);
  });

  it('UN names in their original script (Arabic, Cyrillic) against Latin-only entries, with mixed-name decoys', () => {
    const un = parseList('un-xml', readFileSync(`${CORPORA}un-consolidated/UN_consolidated.xml`, 'utf8')).entries;
    const { cases, latinOnly } = buildOriginalScriptSet(un);
    const s = run(latinOnly, cases);
    console.log(
      `UN original script: ${cases.length} cases, recall ${s.recall.toFixed(3)}, precision ${s.precision.toFixed(3)}, F1 ${s.f1.toFixed(3)}`,
    );
    // Issue 5's target: F1 ≥ 0.8 (measured 0.834: recall 0.834, precision 0.834 at the default threshold).
    expect(s.f1).toBeGreaterThanOrEqual(0.8);
    expect(s.recall).toBeGreaterThanOrEqual(0.8);
    expect(s.precision).toBeGreaterThanOrEqual(0.8);
  });
});

/**
 * Held out (test/support/screening-heldout.ts): variant kinds the matcher was not tuned on — dropped middle
 * names, joined words, initials, shuffled words, other transliteration rules — with recombined decoys;
 * yente's synthetic persons that match no sanctioned person; and labelled pairs from public name-matching
 * suites (nomenklatura, yente, watchman, rigour). Measured at matcher 1.4.0 (1.3.0 in brackets), default threshold:
 * held-out variants recall 0.946 (0.914) at precision 0.985 (0.983); negatives 16 of 2,000 hit (16);
 * pairs recall 0.788 (0.785) at precision 0.880 (0.878). Reported, not tuned on.
 */
const haveHeldOut = haveCorpora && loadNameMatchingPairs() !== undefined;
describe.skipIf(!haveHeldOut)('held-out evaluation (kinds not tuned on, ../shared/corpora/name-matching)', () => {
  it('held-out variants of SDN names, yente negatives and labelled name-matching pairs', () => {
    const sdn = parseList('sdn-csv', readFileSync(`${CORPORA}ofac-sdn-2024-05/sdn.csv`, 'utf8')).entries;
    const variants = buildHeldOutVariants(sdn, { perKind: 100 });
    const v = run(sdn, variants);
    const negatives = loadNegatives() ?? [];
    const index = buildIndex([{ list: 'eval', entries: sdn }]);
    const falseHits = negatives.filter((c) => index.search(c.query).length > 0).length;
    const pairs = loadNameMatchingPairs() ?? [];
    const pairHits = pairs.map((p) => {
      const one = buildIndex([
        {
          list: 'p',
          entries: [{ id: 'X', name: p.candidate, aliases: [], type: 'unknown', countries: [], identifiers: [] }],
        },
      ]);
      try {
        return one.search(p.query).map((m) => m.entryId);
      } catch {
        return []; // nothing left of the query after normalisation (a script any-ascii drops)
      }
    });
    const ps = scoreEval(
      pairs.map((p) => ({ query: p.query, target: p.match ? 'X' : undefined, kind: p.source })),
      pairHits,
    );
    console.log(
      `held-out SDN variants: ${variants.length} cases, recall ${v.recall.toFixed(3)}, precision ${v.precision.toFixed(3)}; yente negatives: ${falseHits} of ${negatives.length} hit; name-matching pairs: ${pairs.length}, recall ${ps.recall.toFixed(3)}, precision ${ps.precision.toFixed(3)}`,
    );
    expect(v.recall).toBeGreaterThanOrEqual(0.9);
    expect(v.precision).toBeGreaterThanOrEqual(0.97);
    expect(falseHits / negatives.length).toBeLessThanOrEqual(0.01);
    expect(ps.recall).toBeGreaterThanOrEqual(0.77);
    expect(ps.precision).toBeGreaterThanOrEqual(0.86);
  });
});
