import { describe, expect, it } from 'vitest';
import { parsePack, RulePackError } from '../../src/rules/index.js';

const BASE = `pack: test-pack
version: "2026.1.0"
title: Test
authority: Test authority
jurisdiction: CN
sources:
  s1: { title: Source one, issuer: Tester, date: "2025-01-01", references: [somewhere], confidence: multi }
suspensions:
  - { id: susp-a, from: "2025-06-01", to: "2025-06-30", citation: { source: s1, clause: "Art. 9" } }
  - { id: susp-b, from: "2025-06-15", to: "2025-07-15", citation: { source: s1, clause: "Art. 10" } }
entries:
  - ref: "1C905.a:metal"
    title: Dy metal
    citation: { source: s1, clause: "1C905.a" }
    match: { form: [metal], principal_element: [Dy] }
rules:
  - id: r1
    title: Rule one
    citation: { source: s1, clause: "Art. 1" }
    effective_from: "2025-01-01"
    controls: ["1C905.a:metal"]
`;

function loadError(text: string): RulePackError {
  try {
    parsePack(text, 'rules/test.yaml', '00');
  } catch (e) {
    if (e instanceof RulePackError) return e;
    throw e;
  }
  throw new Error('expected the pack to be refused');
}

describe('rule-pack loading', () => {
  it('loads a valid pack', () => {
    const p = parsePack(BASE, 'rules/test.yaml', 'abc');
    expect(p.id).toBe('test-pack');
    expect(p.entries[0]?.code).toBe('1C905.a');
    expect(p.rules[0]?.controls).toEqual(['1C905.a:metal']);
    expect(Object.isFrozen(p.rules)).toBe(true);
  });

  it('refuses an unknown field, naming file, line and field', () => {
    const e = loadError(BASE.replace('    effective_from: "2025-01-01"', '    efective_from: "2025-01-01"'));
    expect(e.code).toBe('INVALID_RULE_PACK');
    expect(e.message).toMatch(/^rules\/test\.yaml:\d+: rules\.0\.(efective_from: unknown field|effective_from: is required)$/);
  });

  it('refuses an unknown field inside a pattern, with its line', () => {
    const e = loadError(BASE.replace('match: { form: [metal], principal_element: [Dy] }', 'match: { form: [metal], principle_element: [Dy] }'));
    expect(e.message).toBe('rules/test.yaml:15: entries.0.match.principle_element: unknown field');
  });

  it('refuses a malformed date', () => {
    const e = loadError(BASE.replace('effective_from: "2025-01-01"', 'effective_from: "2025-02-30"'));
    expect(e.message).toMatch(/rules\.0\.effective_from: must be a date as YYYY-MM-DD/);
  });

  it('refuses a window that ends before it starts', () => {
    const e = loadError(BASE.replace('effective_from: "2025-01-01"', 'effective_from: "2025-01-01"\n    effective_to: "2024-12-31"'));
    expect(e.message).toMatch(/rules\.0\.effective_to: ends \(2024-12-31\) before it starts \(2025-01-01\)/);
  });

  it('refuses two versions of one rule with overlapping effective windows', () => {
    const second = `  - id: r1
    title: Rule one, amended
    citation: { source: s1, clause: "Art. 1 (amended)" }
    effective_from: "2025-03-01"
    controls: ["1C905.a:metal"]
`;
    const e = loadError(BASE + second);
    expect(e.message).toMatch(/rules\.1\.effective_from: effective window from 2025-03-01 overlaps another version of rule "r1" \(from 2025-01-01\)/);
    // Consecutive windows are fine.
    const ok = BASE.replace('effective_from: "2025-01-01"', 'effective_from: "2025-01-01"\n    effective_to: "2025-02-28"') + second;
    expect(parsePack(ok, 'rules/test.yaml', '00').rules).toHaveLength(2);
  });

  it('refuses overlapping suspension windows on one rule', () => {
    const e = loadError(BASE.replace('controls: ["1C905.a:metal"]', 'suspended_by: [susp-a, susp-b]\n    controls: ["1C905.a:metal"]'));
    expect(e.message).toMatch(/suspended_by\.1: suspension "susp-b" \(2025-06-15 to 2025-07-15\) overlaps suspension "susp-a"/);
  });

  it('refuses references to unknown sources, suspensions and entries', () => {
    expect(loadError(BASE.replace('citation: { source: s1, clause: "Art. 1" }', 'citation: { source: s9, clause: "Art. 1" }')).code).toBe('UNKNOWN_REFERENCE');
    expect(loadError(BASE.replace('controls: ["1C905.a:metal"]', 'suspended_by: [nope]\n    controls: ["1C905.a:metal"]')).message).toMatch(/unknown suspension "nope"/);
    expect(loadError(BASE.replace('controls: ["1C905.a:metal"]', 'controls: ["1C999*"]')).message).toMatch(/rules\.0\.controls\.0: "1C999\*" matches no entry/);
  });

  it('refuses an unknown element, form or country', () => {
    expect(loadError(BASE.replace('principal_element: [Dy]', 'principal_element: [Dq]')).message).toMatch(/entries\.0\.match\.principal_element\.0: must be one of/);
    expect(loadError(BASE.replace('form: [metal]', 'form: [ingot]')).message).toMatch(/entries\.0\.match\.form\.0: must be one of/);
    expect(loadError(BASE.replace('jurisdiction: CN', 'jurisdiction: XX')).message).toMatch(/jurisdiction: must be an ISO 3166-1/);
  });

  it('refuses an empty pattern, which would match every item', () => {
    expect(loadError(BASE.replace('match: { form: [metal], principal_element: [Dy] }', 'match: {}')).message).toMatch(/entries\.0\.match: an empty pattern/);
  });

  it('refuses invalid YAML and duplicate keys with a line number', () => {
    expect(loadError(BASE + '  - id: [unclosed\n').message).toMatch(/^rules\/test\.yaml:\d+: not valid YAML/);
    expect(loadError(BASE.replace('title: Test\n', 'title: Test\ntitle: Again\n')).message).toMatch(/^rules\/test\.yaml:4: not valid YAML/);
  });
});
