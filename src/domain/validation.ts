import { z } from 'zod';
import { ValidationError } from './errors.js';
import { describeJsonShapeProblem, jsonShapeProblem } from './json.js';
import { isSafeNonNegativeInteger } from './quantities.js';

/**
 * The one validation boundary: every input from a file, the CLI or HTTP is parsed with a schema
 * through `parse`, which throws a ValidationError naming the first bad field and the reason.
 */
export function parse<T>(schema: z.ZodType<T>, input: unknown, root: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new ValidationError(root, 'is invalid');
  let path = [root, ...issue.path.map(String)];
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0] ?? ''];
    reason = 'unknown field';
  } else if (issue.code === 'invalid_type' && issue.input === undefined) {
    reason = 'is required';
  } else if (issue.code === 'invalid_value') {
    reason = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  throw new ValidationError(path.filter((p) => p !== '').join('.'), reason);
}

/** The first string (or key) holding U+0000, which PostgreSQL cannot store or compare: refused at every edge (HTTP bodies, files given to the CLI). */
export function nulPath(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path : undefined;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const p = nulPath(x, `${path}.${i}`);
      if (p !== undefined) return p;
    }
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\u0000')) return `${path}.${k.replaceAll('\u0000', '\\u0000')}`;
      const p = nulPath(x, `${path}.${k}`);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/**
 * Parses JSON text, naming the source on a syntax error; nesting deeper than MAX_JSON_DEPTH and
 * duplicate member names are refused too, naming the path (see json.ts).
 */
export function parseJsonText(text: string, root: string): unknown {
  const problem = jsonShapeProblem(text);
  if (problem !== undefined) {
    const at = problem.path.replace(/^\./, '');
    throw new ValidationError(at === '' ? root : `${root}: ${at}`, describeJsonShapeProblem(problem));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ValidationError(root, `is not valid JSON (${(e as Error).message})`);
  }
}

export const wholeGrams = z.custom<number>(isSafeNonNegativeInteger, {
  message: 'must be a non-negative whole number of grams',
});

export const isoDate = z.string().refine(isIsoDate, { message: 'must be a date as YYYY-MM-DD' });

/** A calendar date as YYYY-MM-DD that exists (no 2025-02-30). */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function isoDateValue(s: unknown, field: string): string {
  if (typeof s !== 'string' || !isIsoDate(s))
    throw new ValidationError(field, `must be a date as YYYY-MM-DD, got ${JSON.stringify(s)}`);
  return s;
}

/**
 * A date as YYYY-MM-DD no later than `today` (the server's clock): for "as of" inputs that judge
 * deadlines, where a date to come would call something overdue before it is.
 */
export function dateNotAfter(s: unknown, today: string, field: string): string {
  const d = isoDateValue(s, field);
  if (d > today) throw new ValidationError(field, `must not be after today (${today} by the server's clock), got ${d}`);
  return d;
}

/** The calendar date `days` after an ISO date (negative goes back). */
export function addDaysIso(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}
