import { StoreError } from './errors.js';

/** PostgreSQL type OIDs we parse ourselves, the same way on both drivers. */
export const INT8_OID = 20;
export const DATE_OID = 1082;

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** int8 text → number, exactly; StoreError('UNSAFE_INTEGER') beyond ±(2^53 − 1) instead of rounding. */
export function parseInt8(text: string): number {
  const n = BigInt(text);
  if (n > MAX || n < MIN) {
    throw new StoreError(
      'UNSAFE_INTEGER',
      `integer ${text} read from the database is outside the exact range ±(2^53 − 1)`,
    );
  }
  return Number(n);
}

/** date text stays text: 'YYYY-MM-DD' (sessions run with DateStyle=ISO), never a Date at local midnight. */
export function parseDate(text: string): string {
  return text;
}
