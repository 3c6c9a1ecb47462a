import canonicalize from 'canonicalize';
import { TrustError } from './errors.js';

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS), via the `canonicalize` package.
 *
 * Accepts only values JSON can carry exactly: null, booleans, finite numbers, strings without lone
 * surrogates, arrays and plain objects (prototype Object.prototype or null). Object properties
 * whose value is `undefined` are omitted, as JSON.stringify does. Everything else throws
 * TrustError('NOT_JSON') naming the path: `undefined` at the top or inside an array, NaN and
 * ±Infinity, bigint, functions, symbols, Dates, Maps and other class instances, and cycles.
 * (The package itself would silently turn some of these into `null` or into nothing.)
 */
export function canonicalJson(value: unknown): string {
  // The fast check builds no path; only a value that fails it is walked again to name where.
  if (!isJson(value, [])) assertJson(value, '$', []);
  const text = canonicalize(value);
  if (text === undefined) throw new TrustError('NOT_JSON', '$: cannot be represented as JSON');
  return text;
}

/**
 * JSON text of a value that must be exactly JSON — the same checks as `canonicalJson`, the same
 * TrustError('NOT_JSON') naming the path — but with its members in the order they were set, not
 * RFC 8785's: for a store that keeps the parsed value (a jsonb column), where the order of the text's
 * members does not survive anyway. Never sign or hash it.
 */
export function exactJson(value: unknown): string {
  if (!isJson(value, [])) assertJson(value, '$', []);
  return JSON.stringify(value);
}

/**
 * Parses text that must already be canonical JSON (a journal leaf, an audit-bundle entry) and
 * returns the value. Throws TrustError('NOT_CANONICAL') if the text is not valid JSON or is not
 * byte-for-byte the canonical form of what it parses to.
 */
export function parseCanonicalJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    throw new TrustError('NOT_CANONICAL', `not valid JSON (${(e as Error).message})`, { cause: e });
  }
  let again: string;
  try {
    again = canonicalJson(value);
  } catch (e) {
    throw new TrustError('NOT_CANONICAL', `not representable as canonical JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (again !== text) throw new TrustError('NOT_CANONICAL', 'JSON text is not in RFC 8785 canonical form');
  return value;
}

function fail(path: string, reason: string): never {
  throw new TrustError('NOT_JSON', `${path}: ${reason}`, { field: path });
}

/**
 * True when `value` is exactly JSON (the checks of `assertJson`, in one walk that allocates nothing
 * per member: this runs for every record signed and every jsonb column written).
 */
function isJson(value: unknown, stack: object[]): boolean {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'string') return !hasLoneSurrogate(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (stack.includes(value)) return false;
  stack.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJson(value[i], stack)) return false;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      if (hasLoneSurrogate(key)) return false;
      const child = record[key];
      if (child !== undefined && !isJson(child, stack)) return false;
    }
  }
  stack.pop();
  return true;
}

function assertJson(value: unknown, path: string, stack: object[]): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    if (hasLoneSurrogate(value)) fail(path, 'string contains a lone UTF-16 surrogate');
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, `${String(value)} is not a JSON number`);
    return;
  }
  if (typeof value === 'bigint') fail(path, 'bigint is not a JSON number (use a safe integer or a string)');
  if (typeof value !== 'object') fail(path, `${typeof value} is not a JSON value`);
  if (stack.includes(value)) fail(path, 'circular reference');
  stack.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertJson(value[i], `${path}[${i}]`, stack);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      fail(path, 'only plain objects are JSON objects (got a class instance)');
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const childPath = `${path}.${key}`;
      if (hasLoneSurrogate(key)) fail(childPath, 'property name contains a lone UTF-16 surrogate');
      const child = record[key];
      if (child !== undefined) assertJson(child, childPath, stack);
    }
  }
  stack.pop();
}

// A well-formed string has every high surrogate followed by a low one and no other low ones.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}
