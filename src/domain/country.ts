import { ValidationError } from './errors.js';

/** An ISO 3166-1 alpha-2 country code, upper case (CN, IN, US …). */
export type CountryCode = string;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Codes Intl knows that are not countries (ISO 3166 user-assigned / exceptionally reserved). */
const NOT_COUNTRIES: ReadonlySet<string> = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'XA', 'XB']);

/** Each two-letter code's answer, asked of Intl once (at most 26 × 26 entries): Intl's lookup is slow. */
const known = new Map<string, boolean>();

export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  let ok = known.get(code);
  if (ok === undefined) known.set(code, (ok = !NOT_COUNTRIES.has(code) && regionNames.of(code) !== undefined));
  return ok;
}

export function country(code: unknown, field = 'country'): CountryCode {
  if (typeof code !== 'string' || !isCountryCode(code)) {
    throw new ValidationError(
      field,
      `must be an ISO 3166-1 alpha-2 country code such as "CN" or "IN", got ${JSON.stringify(code)}`,
    );
  }
  return code;
}

/** Names of the two-letter codes asked so far (at most 26 × 26). */
const names = new Map<string, string>();

export function countryName(code: CountryCode): string {
  let name = names.get(code);
  if (name !== undefined) return name;
  name = regionNames.of(code) ?? code;
  if (/^[A-Z]{2}$/.test(code)) names.set(code, name);
  return name;
}
