/**
 * Recall and precision on labelled evaluation sets built from real list names (see
 * test/support/screening-eval.ts): disguised variants of listed names and look-alike decoys.
 *
 * The first suite runs on the committed fixtures. The second reads the full public-domain lists
 * from ../shared/corpora/sanctions (OFAC SDN 2024, UN consolidated list) and is skipped, with the
 * reason printed, where that directory is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildIndex, DEFAULT_THRESHOLD, parseList, type ListEntry } from '../../src/screening/index.js';
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

const CORPORA = fileURLToPath(new URL('../../../shared/corpora/sanctions/', import.meta.url));
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
