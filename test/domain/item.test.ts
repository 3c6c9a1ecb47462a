import { describe, expect, it } from 'vitest';
import { parseItem, parseParty, ValidationError } from '../../src/domain/index.js';

const magnet = {
  form: 'magnet',
  magnetFamily: 'NdFeB',
  hsCode: '8505.11',
  composition: { Nd: 300000, Dy: 40000, Fe: 650000, B: 10000 },
  origin: 'CN',
};

function reason(input: unknown): string {
  try {
    parseItem(input);
  } catch (e) {
    if (e instanceof ValidationError) return e.message;
    throw e;
  }
  return 'accepted';
}

describe('item validation', () => {
  it('accepts a valid item, normalises the HS code and freezes it', () => {
    const item = parseItem(magnet);
    expect(item.hsCode).toBe('850511');
    expect(Object.isFrozen(item.composition)).toBe(true);
  });

  it.each([
    [{ ...magnet, composition: { Nd: 600000, Fe: 500000 } }, 'item.composition: sums to 1100000 ppm, past 1000000 ppm'],
    [{ ...magnet, composition: { Nd: 1, Xx: 2 } }, 'item.composition.Xx: unknown element symbol "Xx"'],
    [{ ...magnet, massGrams: -1 }, 'item.massGrams: must be a non-negative whole number of grams'],
    [{ ...magnet, massGrams: 2.5 }, 'item.massGrams: must be a non-negative whole number of grams'],
    [
      { ...magnet, form: 'gizmo' },
      'item.form: must be one of "metal", "alloy", "oxide", "compound", "magnet", "target", "component", "product", "technology", "equipment"',
    ],
    [{ ...magnet, origin: 'XX' }, 'item.origin: must be an ISO 3166-1 alpha-2 country code such as "CN"'],
    [{ ...magnet, hsCode: '85' }, 'item.hsCode: must be an HS code of 6 to 10 digits (dots allowed)'],
    [{ ...magnet, colour: 'grey' }, 'item.colour: unknown field'],
    [{ ...magnet, magnetFamily: undefined }, 'item.magnetFamily: is required for a magnet (NdFeB, SmCo or Ce)'],
    [
      { form: 'metal', hsCode: '280530', composition: { Tb: 999000 }, origin: 'CN', magnetFamily: 'SmCo' },
      'item.magnetFamily: is only for form "magnet", not "metal"',
    ],
    [
      { ...magnet, value: { currency: 'USD', minor: 10.5 } },
      'item.value.minor: must be a non-negative whole number of minor units (cents)',
    ],
    [
      { ...magnet, components: [{ item: { ...magnet, composition: { Dy: 2000000 } } }] },
      'item.components.0.item.composition.Dy: must be a whole number of ppm between 0 and 1000000, got 2000000',
    ],
    [{ ...magnet, hsCode: undefined }, 'item.hsCode: is required'],
  ])('refuses %j with a message naming the field', (input, message) => {
    expect(reason(input)).toBe(message);
  });

  it('validates parties', () => {
    expect(parseParty({ id: 'pune-motors', name: 'Pune Motors', country: 'IN', sector: 'automotive' }).country).toBe(
      'IN',
    );
    expect(() => parseParty({ id: 'Bad Id', name: 'x', country: 'IN' })).toThrow(/^party\.id: must be 2–63 lower-case/);
    expect(() => parseParty({ id: 'ok-id', name: 'x', country: 'IN', sector: 'pirates' })).toThrow(
      /^party\.sector: must be one of/,
    );
  });
});
