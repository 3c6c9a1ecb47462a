/**
 * Regulatory fidelity of the China pack's pure rules (issue 19, points 2, 3, 4, 6 and 8), each
 * case named with its citation (../shared/regulations.md §1). The store- and CLI-level cases are in
 * test/cli/fidelity.test.ts.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRulePacks } from '../../src/app/rulepacks.js';
import { ELEMENT_SYMBOLS, ITEM_FORMS, parseItem, type CountryCode } from '../../src/domain/index.js';
import { classify, evaluatePolicies, type PolicyFacts, type PolicyParty } from '../../src/rules/index.js';

const packs = loadRulePacks();
const item = (name: string) => parseItem(JSON.parse(readFileSync(new URL(`../../examples/items/${name}.json`, import.meta.url), 'utf8')));
const dyMagnet = item('ndfeb-dy-magnet');

describe('point 2 — export rules apply when material leaves the country where it is (Ann. 61 [2025] Art. 1(3))', () => {
  it('property: any item transferred within the country where it is, on any date, is not an export and never controlled', () => {
    const countries = ['CN', 'IN', 'US', 'JP', 'DE', 'AE'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...ITEM_FORMS),
        fc.dictionary(fc.constantFrom(...ELEMENT_SYMBOLS), fc.integer({ min: 1, max: 100_000 }), { minKeys: 1, maxKeys: 5 }),
        fc.constantFrom(...countries),
        fc.constantFrom(...countries),
        fc.date({ min: new Date('2024-01-01'), max: new Date('2028-12-31'), noInvalidDate: true }),
        (form, composition, origin, where, date) => {
          const it = parseItem({ form, ...(form === 'magnet' ? { magnetFamily: 'NdFeB' } : {}), hsCode: '850511', composition, origin });
          const c = classify(it, packs, { asOf: date.toISOString().slice(0, 10), exportFrom: where, destination: where });
          expect(c).toMatchObject({ domestic: true, controlled: false, codes: [], findings: [] });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Art. 1(3) covers exports "to any country other than China": India → China is out of scope, India → Germany is controlled', () => {
    const toCn = classify(dyMagnet, packs, { asOf: '2026-12-01', exportFrom: 'IN', destination: 'CN' });
    expect(toCn.controlled).toBe(false);
    expect(toCn.findings.find((f) => f.id === 'cn-ann61-reexport')?.outcome).toBe('excluded');
    const toDe = classify(dyMagnet, packs, { asOf: '2026-12-01', exportFrom: 'IN', destination: 'DE' });
    expect(toDe.codes).toEqual(['ANN61-A1P2']);
    // With no destination given the rule is not dropped, and says for which destinations it holds.
    const unknown = classify(dyMagnet, packs, { asOf: '2026-12-01', exportFrom: 'IN' });
    expect(unknown.codes).toEqual(['ANN61-A1P2']);
    expect(unknown.findings[0]?.facts).toContain('for exports to anywhere but CN (no destination given)');
  });
});

const party = (over: Partial<PolicyParty>): PolicyParty => ({ role: 'end-user', id: 'p', name: 'P Ltd', country: 'IN', ...over });
const facts = (over: Partial<PolicyFacts>): PolicyFacts => ({ asOf: '2026-12-01', destination: 'IN', purposes: ['civil-industrial'], parties: [], ...over });
const outcomeOf = (f: PolicyFacts, id: string) => evaluatePolicies(f, packs).findings.find((x) => x.id === id)?.outcome;

describe('point 3 — lists carry legal effects (Dual-use Regulations Arts. 26, 28–29; Ann. 61 [2025] licensing policy)', () => {
  const listed = (effect: 'deny' | 'review' | 'information', viaOwners = false) =>
    party({ listed: 'x', listings: [{ list: `l-${effect}`, effect, viaOwners, text: 'listed on a list' }] });

  it('deny → deny (Arts. 28–29); review → case-by-case (Art. 26); information → nothing', () => {
    expect(evaluatePolicies(facts({ parties: [listed('deny')] }), packs).recommendation).toBe('deny');
    expect(evaluatePolicies(facts({ parties: [listed('review')] }), packs).recommendation).toBe('case-by-case');
    expect(evaluatePolicies(facts({ parties: [listed('information')] }), packs).recommendation).toBe('approvable');
  });

  it("a pack counts deny and review listings of its own jurisdiction's regime only (or of none stated)", () => {
    const under = (regime: string | undefined) =>
      party({
        listed: 'x',
        listings: [{ list: 'l', effect: 'deny', viaOwners: false, text: 'listed', ...(regime === undefined ? {} : { regime }) }],
      });
    expect(evaluatePolicies(facts({ parties: [under('CN')] }), packs).recommendation).toBe('deny');
    expect(evaluatePolicies(facts({ parties: [under(undefined)] }), packs).recommendation).toBe('deny');
    expect(evaluatePolicies(facts({ parties: [under('IN')] }), packs).recommendation).toBe('approvable');
    // Property: adding listings under any other regime never changes the CN packs' evaluation.
    const other = fc.constantFrom('IN', 'US', 'JP', 'DE', 'GB');
    const listing = fc.record({ effect: fc.constantFrom('deny', 'review', 'information'), viaOwners: fc.boolean() });
    fc.assert(
      fc.property(fc.array(listing, { maxLength: 3 }), fc.array(fc.tuple(listing, other), { minLength: 1, maxLength: 3 }), (own, foreign) => {
        const ownListings = own.map((l, i) => ({ list: `cn-${i}`, text: 'listed', regime: 'CN', ...l }));
        const foreignListings = foreign.map(([l, regime], i) => ({ list: `f-${i}`, text: 'listed', regime, ...l }));
        const withOwn = facts({ rules: ['cn-ann61-reexport'], parties: [party({ listed: 'x', listings: ownListings })] });
        const withBoth = facts({ rules: ['cn-ann61-reexport'], parties: [party({ listed: 'x', listings: [...ownListings, ...foreignListings] })] });
        const a = evaluatePolicies(withOwn, packs);
        const b = evaluatePolicies(withBoth, packs);
        expect(b.recommendation).toBe(a.recommendation);
        expect(b.findings.map((f) => [f.id, f.outcome])).toEqual(a.findings.map((f) => [f.id, f.outcome]));
      }),
    );
  });

  it('the 50 % subsidiary rule comes from Ann. 61: dated 2025-10-09, suspended by Ann. 70, only for Ann. 61 exports', () => {
    const sub = (asOf: string, rules: string[]) => facts({ asOf, rules, parties: [listed('deny', true)] });
    expect(outcomeOf(sub('2024-12-15', ['cn-ann61-reexport']), 'cn-ann61-listed-parties')).toBe('not-yet-effective');
    expect(outcomeOf(sub('2025-10-20', ['cn-ann61-reexport']), 'cn-ann61-listed-parties')).toBe('applies');
    expect(outcomeOf(sub('2026-06-01', ['cn-ann61-reexport']), 'cn-ann61-listed-parties')).toBe('suspended');
    expect(outcomeOf(sub('2025-10-20', ['cn-ann18']), 'cn-ann61-listed-parties')).toBe('not-applicable');
    // A subsidiary is not a direct listing under the Regulations.
    expect(outcomeOf(sub('2025-10-20', ['cn-ann18']), 'cn-deny-control-list-parties')).toBeUndefined();
  });
});

describe('point 6 — Ann. 61 [2025] licensing policies apply to Ann. 61 exports only', () => {
  it('military end use: not-applicable to an Ann. 18 application, applies to an Ann. 61 one', () => {
    const military = (rules: string[]) => facts({ purposes: ['military'], rules });
    expect(outcomeOf(military(['cn-ann18']), 'cn-ann61-military-end-use')).toBe('not-applicable');
    expect(outcomeOf(military(['cn-ann61-reexport']), 'cn-ann61-military-end-use')).toBe('applies');
  });
});

describe('point 4 — Ann. 1 [2026] binds onward transfers of Chinese-origin items', () => {
  it('the transfer policy holds for Chinese-origin items going to Japanese defence parties only', () => {
    const transfer = (origin: CountryCode, sector: 'defence' | 'automotive', destination: CountryCode = 'JP') =>
      outcomeOf(facts({ occasion: 'transfer', destination, purposes: [], origins: [origin], parties: [party({ role: 'consignee', country: 'JP', sector })] }), 'cn-ann1-2026-japan-military-user-onward');
    expect(transfer('CN', 'defence')).toBe('applies');
    expect(transfer('IN', 'defence')).toBeUndefined();
    expect(transfer('CN', 'automotive')).toBeUndefined();
    expect(transfer('CN', 'defence', 'KR')).toBeUndefined();
    // Application-only policies are not evaluated at transfers, and the transfer policy not at applications.
    const atTransfer = evaluatePolicies(facts({ occasion: 'transfer', purposes: ['military'], origins: ['CN'], destination: 'JP' }), packs);
    expect(atTransfer.findings).toEqual([]);
    expect(outcomeOf(facts({ destination: 'JP', origins: ['CN'], parties: [party({ role: 'consignee', country: 'JP', sector: 'defence' })] }), 'cn-ann1-2026-japan-military-user-onward')).toBeUndefined();
  });
});
