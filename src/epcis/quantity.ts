import { ValidationError } from '../domain/index.js';

/**
 * Quantities of EPCIS quantityList elements (UN/ECE Rec. 20 unit codes). Masses become whole grams
 * exactly: the decimal is read as written (a JSON number through its shortest round-trip decimal,
 * which is the literal the sender wrote), scaled in bigint, never through floating point.
 *
 * Rounding rule: none. A mass that is not a whole number of grams (e.g. 0.0005 KGM) is refused with a
 * ValidationError naming the field, because Lodestone's books are in whole grams and silently rounding
 * would open a gap in the mass balance.
 */

/** Grams per unit, as a decimal exponent of ten, for the mass units accepted. */
const MASS_UNITS: Readonly<Record<string, { readonly grams: bigint; readonly name: string }>> = {
  KGM: { grams: 1000n, name: 'kilograms' },
  GRM: { grams: 1n, name: 'grams' },
  TNE: { grams: 1_000_000n, name: 'tonnes' },
};

export function isMassUnit(uom: string | undefined): boolean {
  return uom !== undefined && Object.hasOwn(MASS_UNITS, uom);
}

/** A decimal literal as an exact fraction: digits / 10^scale. */
export function parseDecimal(q: number | string, field: string): { digits: bigint; scale: number } {
  const text = typeof q === 'number' ? (Number.isFinite(q) ? String(q) : '') : q.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === ''))
    throw new ValidationError(field, `must be a decimal number, got ${JSON.stringify(q)}`);
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  const e = Number(exp);
  if (!Number.isSafeInteger(e) || Math.abs(e) > 1000)
    throw new ValidationError(field, `exponent out of range in ${JSON.stringify(q)}`);
  const digits = BigInt(`${int}${frac}` || '0') * (sign === '-' ? -1n : 1n);
  return { digits, scale: frac.length - e };
}

/**
 * A mass quantity in whole grams. Throws a ValidationError naming `field` for a negative or sub-gram
 * quantity, an unknown unit, or a result beyond the exact integer range.
 */
export function massToGrams(quantity: number | string, uom: string, field: string): number {
  const unit = MASS_UNITS[uom];
  if (unit === undefined) throw new ValidationError(`${field}.uom`, `"${uom}" is not a mass unit (KGM, GRM or TNE)`);
  const { digits, scale } = parseDecimal(quantity, `${field}.quantity`);
  if (digits < 0n)
    throw new ValidationError(`${field}.quantity`, `must not be negative, got ${JSON.stringify(quantity)}`);
  let num = digits * unit.grams;
  let den = 1n;
  if (scale > 0) den = 10n ** BigInt(scale);
  else num *= 10n ** BigInt(-scale);
  if (num % den !== 0n)
    throw new ValidationError(
      `${field}.quantity`,
      `${String(quantity)} ${unit.name} is not a whole number of grams (sub-gram precision is refused, not rounded)`,
    );
  const grams = num / den;
  if (grams > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ValidationError(
      `${field}.quantity`,
      `${String(quantity)} ${unit.name} is beyond the exact range of grams`,
    );
  return Number(grams);
}

/** A count (no unit of measure, or a counting unit such as EA / H87): a non-negative whole number, else undefined. */
export function wholeCount(quantity: number | string | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  try {
    const { digits, scale } = parseDecimal(quantity, 'quantity');
    if (digits < 0n) return undefined;
    const den = scale > 0 ? 10n ** BigInt(scale) : 1n;
    const num = scale > 0 ? digits : digits * 10n ** BigInt(-scale);
    if (num % den !== 0n) return undefined;
    const n = num / den;
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
  } catch {
    return undefined;
  }
}
