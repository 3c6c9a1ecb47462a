import { type ElementSymbol, isElementSymbol } from './elements.js';
import { ValidationError } from './errors.js';
import { PPM_WHOLE, isSafeNonNegativeInteger } from './quantities.js';

/**
 * Composition by element, in parts per million by mass. Elements not listed are absent (0 ppm);
 * the listed shares sum to at most 1,000,000 (the rest is unstated, e.g. trace impurities).
 */
export type Composition = Readonly<Partial<Record<ElementSymbol, number>>>;

/** Validates and freezes a composition, naming the offending field on failure. */
export function composition(input: unknown, field = 'composition'): Composition {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(field, 'must be an object of element symbol → ppm');
  }
  const out: Partial<Record<ElementSymbol, number>> = {};
  let total = 0;
  for (const [symbol, ppm] of Object.entries(input)) {
    if (!isElementSymbol(symbol)) throw new ValidationError(`${field}.${symbol}`, `unknown element symbol "${symbol}"`);
    if (!isSafeNonNegativeInteger(ppm) || ppm > PPM_WHOLE) {
      throw new ValidationError(
        `${field}.${symbol}`,
        `must be a whole number of ppm between 0 and 1000000, got ${JSON.stringify(ppm)}`,
      );
    }
    total += ppm;
    if (ppm > 0) out[symbol] = ppm;
  }
  if (total > PPM_WHOLE) throw new ValidationError(field, `sums to ${total} ppm, past 1000000 ppm`);
  return Object.freeze(out);
}

export function ppmOf(c: Composition, element: ElementSymbol): number {
  return c[element] ?? 0;
}

export function totalPpm(c: Composition): number {
  let t = 0;
  for (const v of Object.values(c)) t += v;
  return t;
}

/** Elements present (ppm > 0), largest share first, ties by symbol. */
export function elementsByShare(c: Composition): readonly ElementSymbol[] {
  return (Object.entries(c) as [ElementSymbol, number][])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([e]) => e);
}

/** The element with the largest share, if any. */
export function principalElement(c: Composition): ElementSymbol | undefined {
  return elementsByShare(c)[0];
}

/**
 * Composition of a mixture of parts with known masses: Σ(ppmᵢ · massᵢ) / Σ massᵢ per element,
 * rounded down so the total never exceeds 1,000,000 ppm. Masses are integer grams.
 */
export function mixCompositions(parts: readonly { composition: Composition; grams: number }[]): Composition {
  const totalGrams = parts.reduce((s, p) => s + BigInt(p.grams), 0n);
  if (totalGrams === 0n) return Object.freeze({});
  const acc = new Map<ElementSymbol, bigint>();
  for (const p of parts) {
    for (const [e, ppm] of Object.entries(p.composition) as [ElementSymbol, number][]) {
      acc.set(e, (acc.get(e) ?? 0n) + BigInt(ppm) * BigInt(p.grams));
    }
  }
  const out: Partial<Record<ElementSymbol, number>> = {};
  for (const [e, weighted] of [...acc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const ppm = Number(weighted / totalGrams);
    if (ppm > 0) out[e] = ppm;
  }
  return Object.freeze(out);
}

/** Grams of an element in a mass of material, rounded down. */
export function elementGrams(c: Composition, element: ElementSymbol, grams: number): number {
  return Number((BigInt(ppmOf(c, element)) * BigInt(grams)) / BigInt(PPM_WHOLE));
}
