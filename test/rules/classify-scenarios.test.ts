import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulePacks } from '../../src/app/rulepacks.js';
import { parseItem } from '../../src/domain/index.js';
import { citeLine, classify, type Classification } from '../../src/rules/index.js';

const packs = loadRulePacks();
const item = (name: string) => parseItem(JSON.parse(readFileSync(new URL(`../../examples/items/${name}.json`, import.meta.url), 'utf8')));
const run = (name: string, asOf: string, exportFrom?: string): Classification => classify(item(name), packs, exportFrom ? { asOf, exportFrom } : { asOf });
const outcome = (c: Classification, rule: string) => c.findings.find((f) => f.id === rule)?.outcome;

const TODAY = '2026-11-24';

describe('classification of the scenario items against the China pack', () => {
  it('SmCo magnet: 1C902.a under Announcement 18', () => {
    const c = run('smco-magnet', TODAY);
    expect(c.controlled).toBe(true);
    expect(c.codes).toEqual(['1C902.a']);
    const f = c.findings.find((x) => x.outcome === 'applies');
    expect(f?.id).toBe('cn-ann18');
    expect(citeLine(f!.citation)).toContain('Announcement No. 18 [2025]');
    expect(f?.facts).toContain('magnet family is SmCo');
  });

  it('SmCo magnet before Announcement 18 took effect is not controlled, and says why', () => {
    const c = run('smco-magnet', '2025-04-03');
    expect(c.controlled).toBe(false);
    expect(outcome(c, 'cn-ann18')).toBe('not-yet-effective');
  });

  it('NdFeB with Dy: 1C905.a, naming the Dy content', () => {
    const c = run('ndfeb-dy-magnet', TODAY);
    expect(c.codes).toEqual(['1C905.a']);
    expect(c.findings[0]?.facts.some((f) => f.startsWith('contains Dy at 40,000 ppm'))).toBe(true);
  });

  it('NdFeB with neither Dy nor Tb: not controlled, no finding', () => {
    const c = run('ndfeb-plain-magnet', TODAY);
    expect(c.controlled).toBe(false);
    expect(c.findings).toEqual([]);
    expect(c.summary).toMatch(/no entry of cn-mofcom-rare-earths/);
  });

  it('Dy oxide: 1C905.b', () => {
    expect(run('dy-oxide', TODAY).codes).toEqual(['1C905.b']);
  });

  it('Tb metal: 1C904.a', () => {
    const c = run('tb-metal', TODAY);
    expect(c.codes).toEqual(['1C904.a']);
    expect(c.findings[0]?.facts).toContain('principal element is Tb (99.95 % by mass)');
  });

  it('Ho-containing NdFeB: not yet effective before 2025-11-08, suspended by Announcement 70, controlled after 2026-11-10', () => {
    const before = run('ho-ndfeb-magnet', '2025-10-20');
    expect(before.controlled).toBe(false);
    expect(outcome(before, 'cn-ann57')).toBe('not-yet-effective');
    const during = run('ho-ndfeb-magnet', '2026-03-01');
    expect(during.controlled).toBe(false);
    expect(outcome(during, 'cn-ann57')).toBe('suspended');
    expect(during.findings[0]?.reason).toMatch(/Announcement No. 70.*2025-11-07 to 2026-11-10/);
    expect(run('ho-ndfeb-magnet', '2026-11-10').controlled).toBe(false);
    const after = run('ho-ndfeb-magnet', '2026-11-11');
    expect(after.codes).toEqual(['1C909.a']);
  });

  it('motor rotor assembly with Dy magnets: out of scope per the MOFCOM FAQ', () => {
    const c = run('rotor-assembly', TODAY);
    expect(c.controlled).toBe(false);
    expect(c.findings.map((f) => [f.id, f.outcome])).toEqual([['faq4-rotor-stator', 'excluded']]);
    expect(c.findings[0]?.citation.title).toMatch(/FAQ on Dual-Use Items \(IV\)/);
  });

  describe('foreign-made magnet with Chinese Dy (Announcement 61, 0.1 % of value)', () => {
    it.each([
      ['0.05', '2025-11-20', 'below-threshold', false],
      ['0.05', '2026-03-01', 'below-threshold', false],
      ['0.05', TODAY, 'below-threshold', false],
      ['0.5', '2025-11-20', 'not-yet-effective', false],
      ['0.5', '2026-03-01', 'suspended', false],
      ['0.5', TODAY, 'applies', true],
    ] as const)('%s %% of value as of %s: %s', (pct, asOf, expected, controlled) => {
      const c = run(`foreign-magnet-cn-dy-${pct}-pct`, asOf);
      expect(outcome(c, 'cn-ann61-de-minimis')).toBe(expected);
      expect(c.controlled).toBe(controlled);
      if (controlled) expect(c.codes).toEqual(['ANN61-A1P2']);
      const f = c.findings.find((x) => x.id === 'cn-ann61-de-minimis');
      expect(f?.facts.join(' ')).toContain(`${pct} % of the item's value USD 100.00`);
    });
  });

  it('a Chinese NdFeB-Dy magnet re-exported from India is caught by Announcement 61 Art. 1(3) after the suspension', () => {
    expect(run('ndfeb-dy-magnet', '2025-10-20', 'IN').codes).toEqual(['ANN61-A1P2']);
    expect(outcome(run('ndfeb-dy-magnet', '2026-03-01', 'IN'), 'cn-ann61-reexport')).toBe('suspended');
    const c = run('ndfeb-dy-magnet', TODAY, 'IN');
    expect(c.codes).toEqual(['ANN61-A1P2']);
    expect(c.findings.find((f) => f.outcome === 'applies')?.id).toBe('cn-ann61-reexport');
  });
});
