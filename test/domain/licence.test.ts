import { describe, expect, it } from 'vitest';
import { applicationSchema, parse, validityProblem, ValidationError } from '../../src/domain/index.js';

const application = (validFrom: string) => ({
  authority: 'cn-mofcom',
  applicant: 'ganzhou-hengyuan-magnetics',
  importer: 'chakan-drive-systems',
  endUser: 'chakan-drive-systems',
  destination: 'IN',
  endUse: { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] },
  licenceType: 'single',
  lines: [
    {
      ref: 'L1',
      item: {
        form: 'magnet',
        magnetFamily: 'NdFeB',
        hsCode: '8505.11',
        composition: { Nd: 300000, Dy: 30000, Fe: 670000 },
        origin: 'CN',
      },
      quantityGrams: 1000,
      value: { currency: 'USD', minor: 100 },
    },
  ],
  validFrom,
  validUntil: '2027-11-23',
});

describe('a licence application’s validity window', () => {
  it.each(['', '07/12/2026', '2026.12.07', '2026-12-07T10:00:00Z', '2026-02-30'])(
    'a malformed validFrom (%j) is a ValidationError naming the field, never a RangeError',
    (validFrom) => {
      let caught: unknown;
      try {
        parse(applicationSchema, application(validFrom), 'application');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).message).toMatch(/application\.validFrom/);
    },
  );

  it('judges only well-formed dates: the window of a single licence is at most a year', () => {
    expect(validityProblem('single', 'nonsense', '2027-01-01')).toBeUndefined();
    expect(validityProblem('single', '2026-12-07', '2027-12-06')).toBeUndefined();
    expect(validityProblem('single', '2026-12-07', '2027-12-07')).toMatch(/at most 1 year/);
    expect(validityProblem('general', '2026-12-07', '2026-12-06')).toMatch(/before it starts/);
  });
});
