/**
 * Unverified facts and inferences in rule packs (issue 19 points 1, 7, 9), on the pure rules code:
 * MOFCOM & GAC Announcement No. 70 [2025] suspends Ann. 57, 61 and 62 until 2026-11-10; what follows is
 * the fact ann70-after-2026-11-10. Properties: an answer that changes between the readings always names
 * the fact; before 2026-11-11 nothing depends on it.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRulePacks, loadRulePackFile } from '../../src/app/rulepacks.js';
import { classify, parsePack, RulePackError, type RulePack } from '../../src/rules/index.js';
import { parseItem, type Item } from '../../src/domain/index.js';

const FACT = 'ann70-after-2026-11-10';
const packs = loadRulePacks();
const example = (name: string): Item => parseItem(JSON.parse(readFileSync(new URL(`../../examples/items/${name}.json`, import.meta.url), 'utf8')));
const ITEMS = ['ho-ndfeb-magnet', 'foreign-magnet-cn-dy-0.5-pct', 'foreign-magnet-cn-dy-0.05-pct', 'ndfeb-dy-magnet', 'smco-magnet', 'dy-oxide', 'tb-metal', 'rotor-assembly', 'traction-motor'].map(example);
const day = fc.integer({ min: 0, max: 3 * 366 }).map((n) => new Date(Date.UTC(2025, 9, 1) + n * 86_400_000).toISOString().slice(0, 10));
const from = fc.constantFrom('CN', 'IN', 'JP', 'AE', 'DE');

describe('the fact ann70-after-2026-11-10 (Announcement No. 70 [2025])', () => {
  it('an answer that differs between the readings names the fact; before 2026-11-11 none depends on it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ITEMS), day, from, (item, asOf, exportFrom) => {
        const lapsed = classify(item, packs, { asOf, exportFrom });
        const extended = classify(item, packs, { asOf, exportFrom, readings: { [FACT]: 'extended' } });
        const differs = lapsed.codes.join() !== extended.codes.join() || lapsed.findings.map((f) => f.outcome).join() !== extended.findings.map((f) => f.outcome).join();
        if (differs) {
          expect(lapsed.assumptions.map((a) => [a.fact, a.reading])).toEqual([[FACT, 'lapsed']]);
          expect(extended.assumptions.map((a) => [a.fact, a.reading])).toEqual([[FACT, 'extended']]);
        }
        if (asOf <= '2026-11-10') {
          expect(lapsed.assumptions).toEqual([]);
          expect(extended).toEqual(lapsed);
        }
        // Under the default reading the pack answers as it always did: the suspension ends on 2026-11-10.
        expect(lapsed.findings.some((f) => f.outcome === 'suspended' && asOf > '2026-11-10')).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('the fact lists every rule and policy it changes', () => {
    const fact = packs[0]?.facts.find((f) => f.id === FACT);
    expect(fact?.default).toBe('lapsed');
    expect(fact?.readings.map((r) => r.id)).toEqual(['lapsed', 'extended']);
    expect(fact?.affects).toEqual(['cn-ann57', 'cn-ann62', 'cn-ann61-reexport', 'cn-ann61-de-minimis', 'cn-ann61-direct-product', 'cn-ann61-listed-parties', 'cn-ann61-military-end-use', 'cn-ann61-military-end-user', 'cn-ann61-advanced-semiconductors-military-ai']);
  });
});

describe('pack validation of facts and inferences', () => {
  const text = readFileSync(new URL('../../rules/cn-mofcom-rare-earths.yaml', import.meta.url), 'utf8');
  const broken = (from: string, to: string) => () => parsePack(text.replace(from, to), 'rules/x.yaml', '0');
  const fails = (f: () => RulePack, message: RegExp) => {
    expect(f).toThrow(RulePackError);
    expect(f).toThrow(message);
  };

  it('refuses a default that is not a reading, an unknown suspension, a continuation that ends before the suspension, a reading changing nothing', () => {
    fails(broken('    default: lapsed', '    default: gone'), /^rules\/x\.yaml:\d+: facts\.0\.default: must be one of the fact's readings \(lapsed, extended\)$/);
    fails(broken('continues: [{ suspension: ann70 }]', 'continues: [{ suspension: ann71 }]'), /facts\.0\.readings\.1\.continues\.0\.suspension: unknown suspension "ann71"/);
    fails(broken('continues: [{ suspension: ann70 }]', 'continues: [{ suspension: ann70, to: "2026-01-01" }]'), /facts\.0\.readings\.1\.continues\.0\.to: must be after the suspension's end \(2026-11-10\)/);
    fails(broken('        continues: [{ suspension: ann70 }]\n', ''), /facts\.0\.readings: no reading changes anything/);
    fails(broken('entries: ["1C913*"]', 'entries: ["1C999*"]'), /inferences\.2\.entries\.0: "1C999\*" matches no entry of this pack/);
  });
});

describe('the example pack version examples/rules/ann70-extended-2027 (hypothetical extension of Ann. 70)', () => {
  it('differs from the shipped pack only in the version, the Ann. 70 suspension end and its fact', () => {
    const { file: _f, text: _t, ...shipped } = packs[0] as (typeof packs)[number];
    const next = loadRulePackFile(new URL('../../examples/rules/ann70-extended-2027/cn-mofcom-rare-earths.yaml', import.meta.url).pathname);
    expect(next.version > shipped.version).toBe(true);
    const strip = (p: RulePack) => ({ ...p, version: '', sha256: '', sources: { ...p.sources, 'ann70-extension-example': undefined }, facts: [], rules: p.rules.map((r) => ({ ...r, suspensions: r.suspensions.map((s) => s.id) })), policies: p.policies.map((r) => ({ ...r, suspensions: r.suspensions.map((s) => s.id) })) });
    const { file: _a, text: _b, ...n } = next;
    expect(strip(n)).toEqual(strip(shipped));
    const ann70 = next.rules.find((r) => r.id === 'cn-ann57')?.suspensions[0];
    expect([ann70?.id, ann70?.from, ann70?.to]).toEqual(['ann70', '2025-11-07', '2027-11-10']);
    expect(next.facts.map((f) => f.id)).toEqual(['ann70-after-2027-11-10']);
    const ho = example('ho-ndfeb-magnet');
    expect(classify(ho, [next], { asOf: '2026-12-01' }).codes).toEqual([]);
    expect(classify(ho, [next], { asOf: '2026-12-01' }).assumptions).toEqual([]);
    expect(classify(ho, [next], { asOf: '2027-11-11' }).codes).toEqual(['1C909.a']);
  });
});
