import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addExact,
  addMass,
  addMoney,
  ArithmeticError,
  compareShare,
  composition,
  elementGrams,
  formatGrams,
  formatMass,
  formatMoney,
  grams,
  mixCompositions,
  money,
  mulDivCeil,
  mulDivFloor,
  sharePpmFloor,
  subtractMass,
  totalPpm,
  ValidationError,
  ELEMENT_SYMBOLS,
} from '../../src/domain/index.js';

const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const small = fc.integer({ min: 0, max: 2 ** 40 });

describe('exact integer arithmetic', () => {
  it('addExact equals bigint addition, or throws OVERFLOW — never rounds', () => {
    fc.assert(
      fc.property(fc.array(safe, { maxLength: 5 }), (xs) => {
        const exact = xs.reduce((s, x) => s + BigInt(x), 0n);
        if (exact > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(() => addExact(...xs)).toThrow(ArithmeticError);
        } else {
          expect(BigInt(addExact(...xs))).toBe(exact);
        }
      }),
    );
  });

  it('mulDivFloor and mulDivCeil bracket the exact quotient', () => {
    fc.assert(
      fc.property(small, small, fc.integer({ min: 1, max: 2 ** 40 }), (a, b, d) => {
        if ((BigInt(a) * BigInt(b) + BigInt(d) - 1n) / BigInt(d) > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(() => mulDivCeil(a, b, d)).toThrow(/overflows/);
          return;
        }
        const lo = mulDivFloor(a, b, d);
        const hi = mulDivCeil(a, b, d);
        const n = BigInt(a) * BigInt(b);
        expect(BigInt(lo) * BigInt(d) <= n).toBe(true);
        expect(BigInt(hi) * BigInt(d) >= n).toBe(true);
        expect(hi - lo === 0 || hi - lo === 1).toBe(true);
        expect(hi === lo).toBe(n % BigInt(d) === 0n);
      }),
    );
  });

  it('compareShare agrees with sharePpmFloor and never misjudges a threshold by rounding', () => {
    fc.assert(
      fc.property(
        small,
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (part, whole, threshold) => {
          const cmp = compareShare(part, whole, threshold);
          const exact = BigInt(part) * 1_000_000n - BigInt(threshold) * BigInt(whole);
          expect(cmp).toBe(exact < 0n ? -1 : exact > 0n ? 1 : 0);
          if (cmp < 0) expect(sharePpmFloor(part, whole)).toBeLessThan(threshold);
        },
      ),
    );
  });

  it('0.1 % boundary: 999 of 1,000,000 is below, 1,000 meets it', () => {
    expect(compareShare(999, 1_000_000, 1000)).toBe(-1);
    expect(compareShare(1000, 1_000_000, 1000)).toBe(0);
    expect(compareShare(1, 999, 1000)).toBe(1);
  });

  it('masses: add and subtract exactly; never below zero', () => {
    fc.assert(
      fc.property(small, small, (a, b) => {
        const sum = addMass(grams(a), grams(b));
        expect(subtractMass(sum, grams(b)).grams).toBe(a);
      }),
    );
    expect(() => subtractMass(grams(1), grams(2))).toThrow(/cannot take 2 g from 1 g/);
  });

  it('refuses negative, fractional and unsafe masses, naming the field', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => grams(bad, 'lot.massGrams')).toThrow(ValidationError);
    }
    expect(() => grams(-1, 'lot.massGrams')).toThrow(/^lot\.massGrams: must be a non-negative whole number of grams/);
  });

  it('money: currencies must match and exist; minor units follow ISO 4217', () => {
    expect(addMoney(money('USD', 150), money('USD', 250)).minor).toBe(400);
    expect(() => addMoney(money('USD', 1), money('INR', 1))).toThrow(/cannot add INR to USD/);
    expect(() => money('XYZ', 1)).toThrow(/value\.currency: unknown ISO 4217 currency "XYZ"/);
    expect(formatMoney(money('USD', 123456))).toBe('USD 1,234.56');
    expect(formatMoney(money('JPY', 123456))).toBe('JPY 123,456');
    expect(formatMoney(money('KWD', 5))).toBe('KWD 0.005');
    expect(formatMoney(money('USD', Number.MAX_SAFE_INTEGER))).toBe('USD 90,071,992,547,409.91');
  });

  it('masses for people are exact: t, kg or g, never rounded, with the grams where the figure decides', () => {
    expect(formatMass({ grams: 12 })).toBe('12 g');
    expect(formatMass({ grams: 1_250_000 })).toBe('1.25 t');
    expect(formatMass({ grams: 1_999_999 })).toBe('1,999.999 kg');
    expect(formatMass({ grams: 3_500_000 })).toBe('3.5 t');
    expect(formatMass({ grams: 1_250 })).toBe('1.25 kg');
    expect(formatMass({ grams: Number.MAX_SAFE_INTEGER })).toBe('9,007,199,254,740.991 kg');
    expect(formatGrams(999)).toBe('999 g');
    expect(formatGrams(1_999_999)).toBe('1,999.999 kg (1,999,999 g)');
    expect(formatGrams(2_000_000)).toBe('2 t (2,000,000 g)');
  });

  it('formatGrams and formatMoney keep every unit: the printed figures give back the exact integer', () => {
    fc.assert(
      fc.property(safe, (g) => {
        const m = /\(([\d,]+) g\)$/.exec(formatGrams(g));
        expect(Number((m?.[1] ?? formatGrams(g).replace(/ g$/, '')).replaceAll(',', ''))).toBe(g);
        const [figure, unit] = formatMass({ grams: g }).split(' ') as [string, string];
        const scale = { t: 1_000_000n, kg: 1000n, g: 1n }[unit]!;
        const [whole, frac = ''] = figure.replaceAll(',', '').split('.');
        const digits = { t: 6, kg: 3, g: 0 }[unit]!;
        expect(BigInt(whole!) * scale + BigInt(frac.padEnd(digits, '0') || '0')).toBe(BigInt(g));
        const usd = formatMoney(money('USD', g)).slice(4).replaceAll(',', '').replace('.', '');
        expect(BigInt(usd)).toBe(BigInt(g));
      }),
    );
  });
});

const element = fc.constantFrom(...ELEMENT_SYMBOLS);

describe('composition', () => {
  it('accepts any composition that sums to at most 1,000,000 ppm and refuses any that sums past it', () => {
    fc.assert(
      fc.property(fc.dictionary(element, fc.integer({ min: 0, max: 400_000 }), { maxKeys: 6 }), (c) => {
        const sum = Object.values(c).reduce((s, v) => s + v, 0);
        if (sum <= 1_000_000) expect(totalPpm(composition(c))).toBe(sum);
        else expect(() => composition(c)).toThrow(/sums to \d+ ppm, past 1000000 ppm/);
      }),
    );
  });

  it('names the bad element', () => {
    expect(() => composition({ Dy: 1, Qq: 2 }, 'item.composition')).toThrow(
      /^item\.composition\.Qq: unknown element symbol "Qq"$/,
    );
    expect(() => composition({ Dy: -1 }, 'item.composition')).toThrow(
      /^item\.composition\.Dy: must be a whole number of ppm/,
    );
    expect(() => composition({ Dy: 0.5 }, 'item.composition')).toThrow(/^item\.composition\.Dy/);
  });

  it('mixing never exceeds 1,000,000 ppm and conserves element mass within rounding', () => {
    const part = fc.record({
      composition: fc
        .dictionary(fc.constantFrom('Nd', 'Dy', 'Fe', 'B', 'Tb'), fc.integer({ min: 0, max: 200_000 }), { maxKeys: 5 })
        .map((c) => composition(c)),
      grams: fc.integer({ min: 1, max: 10_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const mixed = mixCompositions(parts);
        expect(totalPpm(mixed)).toBeLessThanOrEqual(1_000_000);
        const total = parts.reduce((s, p) => s + p.grams, 0);
        for (const e of ['Nd', 'Dy', 'Fe', 'B', 'Tb'] as const) {
          const inParts = parts.reduce((s, p) => s + BigInt(p.composition[e] ?? 0) * BigInt(p.grams), 0n);
          const inMix = BigInt(mixed[e] ?? 0) * BigInt(total);
          expect(inMix <= inParts).toBe(true);
          expect(inParts - inMix < BigInt(total)).toBe(true);
        }
      }),
    );
  });

  it('elementGrams is exact for whole-ppm shares', () => {
    expect(elementGrams(composition({ Dy: 40_000 }), 'Dy', 1_000_000)).toBe(40_000);
  });
});
