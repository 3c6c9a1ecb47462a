import { formatMass, formatMoney, minorUnitDigits, type Money } from '../../src/domain/quantities.js';

export { minorUnitDigits };

/**
 * How the console shows quantities: the same exact formatting as the CLI (src/domain/quantities.ts),
 * so a mass reads "1,500.001 kg" or "2 t", never grams, and money reads "USD 1,234.50", never minor
 * units. The API keeps exact integers (grams, minor units); only the display converts.
 */

/** Whole grams as t / kg / g, exactly (a negative mass, such as a gap, keeps its sign). */
export function mass(grams: number): string {
  if (!Number.isSafeInteger(grams)) return `${String(grams)} g`;
  return grams < 0 ? `−${formatMass({ grams: -grams })}` : formatMass({ grams });
}

/** Minor units of a currency as "USD 1,234.50" (ISO 4217 digits: JPY has none, KWD three). */
export function money(m: Money | { currency: string; minor: number }): string {
  return formatMoney(m);
}

/** A share as a whole percentage of a part in a whole ("75 %"), floor-rounded. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '—';
  return `${Math.floor((part * 100) / whole)} %`;
}
