import type { ColumnType } from 'kysely';
import { exactJson } from '../trust/index.js';

/**
 * A jsonb column. Reads come back parsed, typed `unknown` until the caller validates them; writes
 * take JSON text, which both drivers pass through unchanged (pg would turn a JS array into a
 * Postgres array literal, so values are never handed to a driver as objects).
 */
export type JsonColumn = ColumnType<unknown, string, string>;

/**
 * JSON text for a jsonb column: only exact JSON values get in (TrustError NOT_JSON otherwise, as
 * `canonicalJson` checks them). Not canonical: jsonb keeps the parsed value, with its own order of
 * members, so sorting them here would be work the database undoes.
 */
export function jsonText(value: unknown): string {
  return exactJson(value);
}

/** An Insertable whose jsonb columns K take JSON values; the repository writes them as JSON text. */
export type WithJsonValues<T, K extends keyof T> = { [P in keyof T]: P extends K ? unknown : T[P] };
