/**
 * Shape tests over the decoded JSON of a bundle's records, shared by the verifier's checks. Record
 * bodies are hostile input: a check reads them through these, so a missing or mistyped field reads
 * as empty and fails that check's own rule instead of throwing a TypeError.
 */

/** A JSON object: not null, not an array. */
export interface JsonObject {
  readonly [k: string]: unknown;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The array, or none. */
export function list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** The string, or ''. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
