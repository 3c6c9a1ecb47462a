import { describe, expect, it } from 'vitest';
import { parseCertificateSubject, ValidationError } from '../../src/domain/index.js';
import { expectThrowsCode } from '../support/errors.js';
import { certificateSubject as good } from '../support/certificates.js';

const item = good.items[0]!;

describe('certificate subject', () => {
  it('accepts a well-formed subject, normalising the HS code, and freezes it', () => {
    const s = parseCertificateSubject(good);
    expect(s.items[0]?.hsCode).toBe('850511');
    expect(Object.isFrozen(s.undertakings.prohibitedDestinations)).toBe(true);
  });

  it('names the bad field', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...good, exporter: 'X' }, /^certificate\.exporter: must be 2–63/],
      [{ ...good, items: [] }, /^certificate\.items: must list at least one item/],
      [
        { ...good, items: [{ ...item, quantityGrams: 1.5 }] },
        /^certificate\.items\.0\.quantityGrams: must be a non-negative whole number of grams/,
      ],
      [
        { ...good, items: [{ ...item, quantityGrams: 0 }] },
        /^certificate\.items\.0\.quantityGrams: must be more than 0 grams/,
      ],
      [
        { ...good, items: [{ ...item, value: { currency: 'XXY', minor: 1 } }] },
        /^certificate\.items\.0\.value\.currency/,
      ],
      [{ ...good, items: [{ ...item, hsCode: '85' }] }, /^certificate\.items\.0\.hsCode: must be an HS code/],
      [{ ...good, items: [item, item] }, /^certificate\.items\.1: repeats control code 1C905\.a/],
      [
        { ...good, endUse: { ...good.endUse, purposes: ['space-tourism'] } },
        /^certificate\.endUse\.purposes\.0: must be one of/,
      ],
      [
        { ...good, endUse: { ...good.endUse, purposes: ['military'] } },
        /^certificate\.endUse\.purposes: declares "military" but the undertakings say noMilitaryUse/,
      ],
      [
        { ...good, endUse: { ...good.endUse, purposes: ['wmd'] } },
        /^certificate\.endUse\.purposes: declares "wmd" but the undertakings say noWmdUse/,
      ],
      [
        { ...good, undertakings: { ...good.undertakings, prohibitedDestinations: ['US', 'XX'] } },
        /^certificate\.undertakings\.prohibitedDestinations\.1: must be an ISO 3166-1/,
      ],
      [
        { ...good, undertakings: { ...good.undertakings, useOnlyIn: 'US' } },
        /^certificate\.undertakings\.useOnlyIn: names a country that is also a prohibited destination/,
      ],
      [
        { ...good, undertakings: { ...good.undertakings, noticeOfChanges: undefined } },
        /^certificate\.undertakings\.noticeOfChanges: is required/,
      ],
      [
        { ...good, undertakings: { ...good.undertakings, extra: true } },
        /^certificate\.undertakings\.extra: unknown field/,
      ],
      [
        { ...good, validity: { from: '2026-02-30', until: '2026-12-31' } },
        /^certificate\.validity\.from: must be a date/,
      ],
      [
        { ...good, validity: { from: '2026-12-31', until: '2026-01-01' } },
        /^certificate\.validity\.until: is before validity\.from/,
      ],
      [{ ...good, endUser: good.exporter }, /^certificate\.endUser: must not be the exporter/],
    ];
    for (const [input, message] of cases) {
      const e = expectThrowsCode(() => parseCertificateSubject(input), ValidationError, 'INVALID_INPUT');
      expect(e.message).toMatch(message);
    }
  });
});
