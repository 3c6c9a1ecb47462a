import { ArithmeticError, ValidationError } from './errors.js';

/**
 * Exact quantities. Every amount is a safe JavaScript integer (|n| ≤ 2^53 − 1): masses in grams,
 * money in the currency's minor units, composition and shares in parts per million. Products and
 * ratios are computed in bigint and checked back into the safe range, so nothing is ever rounded
 * silently; where a division cannot be exact the rounding direction is part of the function's name.
 */

export const PPM_WHOLE = 1_000_000;

function checked(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ArithmeticError('OVERFLOW', `${what} overflows the exact integer range`);
  }
  return Number(n);
}

export function isSafeNonNegativeInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Adds safe integers exactly; throws OVERFLOW instead of losing precision. */
export function addExact(...values: readonly number[]): number {
  let sum = 0n;
  for (const v of values) sum += BigInt(v);
  return checked(sum, 'sum');
}

export function subtractExact(a: number, b: number): number {
  return checked(BigInt(a) - BigInt(b), 'difference');
}

/** a × b ÷ d rounded towards zero (floor for non-negative inputs). */
export function mulDivFloor(a: number, b: number, d: number): number {
  if (d === 0) throw new ArithmeticError('DIVISION_BY_ZERO', 'division by zero');
  return checked((BigInt(a) * BigInt(b)) / BigInt(d), 'product');
}

/** a × b ÷ d rounded up, for non-negative inputs. */
export function mulDivCeil(a: number, b: number, d: number): number {
  if (d === 0) throw new ArithmeticError('DIVISION_BY_ZERO', 'division by zero');
  const n = BigInt(a) * BigInt(b);
  const D = BigInt(d);
  return checked((n + D - 1n) / D, 'product');
}

/** part / whole in ppm, rounded down (so a share is never overstated). */
export function sharePpmFloor(part: number, whole: number): number {
  return mulDivFloor(part, PPM_WHOLE, whole);
}

/** Exactly compares part / whole with thresholdPpm / 1e6, without rounding: −1, 0 or 1. */
export function compareShare(part: number, whole: number, thresholdPpm: number): -1 | 0 | 1 {
  if (whole <= 0) throw new ArithmeticError('DIVISION_BY_ZERO', 'share of a zero whole');
  const lhs = BigInt(part) * BigInt(PPM_WHOLE);
  const rhs = BigInt(thresholdPpm) * BigInt(whole);
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

/** A mass in whole grams. */
export interface Mass {
  readonly grams: number;
}

export function grams(n: number, field = 'mass'): Mass {
  if (!isSafeNonNegativeInteger(n)) {
    throw new ValidationError(field, `must be a non-negative whole number of grams, got ${String(n)}`);
  }
  return Object.freeze({ grams: n });
}

export function addMass(...ms: readonly Mass[]): Mass {
  return Object.freeze({ grams: addExact(...ms.map((m) => m.grams)) });
}

export function subtractMass(a: Mass, b: Mass): Mass {
  const g = subtractExact(a.grams, b.grams);
  if (g < 0) throw new ArithmeticError('NEGATIVE_QUANTITY', `cannot take ${b.grams} g from ${a.grams} g`);
  return Object.freeze({ grams: g });
}

/** Money in integer minor units of an ISO 4217 currency (USD cents, JPY yen, KWD fils). */
export interface Money {
  readonly currency: string;
  readonly minor: number;
}

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}

/** The number of minor-unit digits ISO 4217 gives a currency (2 for USD, 0 for JPY, 3 for KWD). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function money(currency: string, minor: number, field = 'value'): Money {
  if (!isCurrency(currency)) throw new ValidationError(`${field}.currency`, `unknown ISO 4217 currency "${currency}"`);
  if (!isSafeNonNegativeInteger(minor)) {
    throw new ValidationError(
      `${field}.minor`,
      `must be a non-negative whole number of minor units, got ${String(minor)}`,
    );
  }
  return Object.freeze({ currency, minor });
}

export function addMoney(first: Money, ...rest: readonly Money[]): Money {
  for (const m of rest) {
    if (m.currency !== first.currency) {
      throw new ArithmeticError('CURRENCY_MISMATCH', `cannot add ${m.currency} to ${first.currency}`);
    }
  }
  return Object.freeze({ currency: first.currency, minor: addExact(first.minor, ...rest.map((m) => m.minor)) });
}

// Number#toLocaleString and BigInt#toLocaleString build a new Intl.NumberFormat on every call; the
// same formats, made once, give the same text (ECMA-402 defines toLocaleString through them).
const EN = new Intl.NumberFormat('en');
const EN_4_DIGITS = new Intl.NumberFormat('en', { maximumFractionDigits: 4 });

/** n ÷ 10^digits exactly, the whole part grouped in thousands, trailing fractional zeros dropped: (1234500n, 3) → "1,234.5". */
function exactDecimal(n: bigint, digits: number, keepZeros = false): string {
  const sign = n < 0n ? '-' : '';
  const s = (n < 0n ? -n : n).toString().padStart(digits + 1, '0');
  const whole = EN.format(BigInt(s.slice(0, s.length - digits) || '0'));
  let frac = s.slice(s.length - digits);
  if (!keepZeros) frac = frac.replace(/0+$/, '');
  return `${sign}${whole}${frac === '' ? '' : `.${frac}`}`;
}

/** Formats money for people, exactly, in its currency: "USD 1,234.50", "JPY 123,456", "KWD 0.005". */
export function formatMoney(m: Money): string {
  return `${m.currency} ${exactDecimal(BigInt(m.minor), minorUnitDigits(m.currency), true)}`;
}

/**
 * Formats grams for people, exactly (computed on integers, never rounded): tonnes for whole kilograms
 * from a tonne up ("3.5 t"), kilograms from a kilogram up ("1,250 kg", "1,999.999 kg"), else grams
 * ("12 g").
 */
export function formatMass(m: Mass): string {
  const g = BigInt(m.grams);
  const abs = g < 0n ? -g : g;
  if (abs >= 1_000_000n && abs % 1000n === 0n) return `${exactDecimal(g, 6)} t`;
  if (abs >= 1000n) return `${exactDecimal(g, 3)} kg`;
  return `${g} g`;
}

/**
 * Grams where the exact figure decides something (a refusal, a ceiling, a remainder): the mass for
 * people with the grams the records and input files use, "1,999.999 kg (1,999,999 g)", "2 t
 * (2,000,000 g)"; below a kilogram the grams alone, "12 g".
 */
export function formatGrams(grams: number): string {
  const mass = formatMass({ grams });
  return Math.abs(grams) < 1000 ? mass : `${mass} (${EN.format(grams)} g)`;
}

/** Formats ppm as a percentage without rounding away significant digits: 5000 → "0.5 %". */
export function formatPpm(ppm: number): string {
  const s = EN_4_DIGITS.format(ppm / 10_000);
  return `${s} %`;
}

/** A count with its noun in the right number: count(1, 'entry', 'entries') → "1 entry", count(2, 'alert') → "2 alerts". */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${EN.format(n)} ${n === 1 ? noun : plural}`;
}
