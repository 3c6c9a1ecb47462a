import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDaysIso,
  checkDeclaredDate,
  checkValidityAt,
  checkValidityNotPast,
  dayOfInstant,
  deadlineBase,
  DECLARED_DATE_TOLERANCE_DAYS,
} from '../../src/domain/index.js';

describe("time is the server's (issue 18, item 1)", () => {
  it("a declared date lies on the server's day or at most the tolerance before it", () => {
    expect(DECLARED_DATE_TOLERANCE_DAYS).toBe(3);
    expect(checkDeclaredDate('shippedOn', '2026-11-24', '2026-11-24')).toEqual([]);
    expect(checkDeclaredDate('shippedOn', '2026-11-21', '2026-11-24')).toEqual([]);
    expect(checkDeclaredDate('shippedOn', '2026-11-20', '2026-11-24')).toMatchObject([
      { rule: 'DATE_TOO_OLD', message: expect.stringContaining('earliest accepted 2026-11-21') as unknown },
    ]);
    expect(checkDeclaredDate('shippedOn', '2026-11-25', '2026-11-24')).toMatchObject([{ rule: 'DATE_IN_FUTURE' }]);
    expect(checkDeclaredDate('shippedOn', '2027-01-01', '2026-12-31')).toMatchObject([{ rule: 'DATE_IN_FUTURE' }]);
  });

  it('property: accepted exactly when 0 ≤ server day − declared ≤ tolerance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -10, max: 10 }), (base, delta) => {
        const at = addDaysIso('2024-01-01', base);
        const declared = addDaysIso(at, -delta);
        const v = checkDeclaredDate('d', declared, at);
        expect(v.length === 0).toBe(delta >= 0 && delta <= DECLARED_DATE_TOLERANCE_DAYS);
      }),
    );
  });

  it("licence validity is judged at the server's day; a window wholly in the past is refused", () => {
    const l = { id: 'LIC-1', validFrom: '2026-01-01', validUntil: '2026-06-30' };
    expect(checkValidityAt(l, '2026-06-30')).toEqual([]);
    expect(checkValidityAt(l, '2026-07-01')).toMatchObject([{ rule: 'LICENCE_EXPIRED' }]);
    expect(checkValidityAt(l, '2025-12-31')).toMatchObject([{ rule: 'LICENCE_NOT_YET_VALID' }]);
    expect(checkValidityNotPast('2026-06-30', '2026-06-30')).toEqual([]);
    expect(checkValidityNotPast('2026-06-29', '2026-06-30')).toMatchObject([{ rule: 'VALIDITY_IN_PAST' }]);
  });

  it('the day of an instant is its UTC day; a deadline counts from the later of declared and recorded', () => {
    expect(dayOfInstant('2026-11-24T23:59:59.999Z')).toBe('2026-11-24');
    expect(dayOfInstant('2026-11-25T01:00:00+05:30')).toBe('2026-11-24');
    expect(dayOfInstant('not a time')).toBe('');
    expect(deadlineBase('2026-11-21', '2026-11-24')).toBe('2026-11-24');
    expect(deadlineBase('2026-11-24', '2026-11-24')).toBe('2026-11-24');
    expect(deadlineBase('2026-11-26', '2026-11-24')).toBe('2026-11-26');
    expect(deadlineBase('2026-11-21', undefined)).toBe('2026-11-21');
  });
});
