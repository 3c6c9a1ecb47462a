import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { ListWindow } from '../store/index.js';
import { Answer } from './route.js';

/**
 * Lists with search, filters, sorting and pagination done by the database (src/store/lists.repository.ts:
 * one query for the page, one for the count, the caller's visibility rule inside both), and a CSV
 * rendering of the same list. Every list route takes the same query parameters:
 *
 * - `q`: words that must all occur (case-insensitively, `%` and `_` literally) in the row's searchable text;
 * - its own filters (`status`, `severity`, …: exact values, validated per route);
 * - `sort` (one of the route's sort keys) and `order` (`asc` | `desc`);
 * - `limit` (1–500, default 50) and `offset` (from 0);
 * - `format=csv` (or `Accept: text/csv`) for every matching row as CSV, unpaginated.
 *
 * A JSON answer is the page (an array, as before pagination existed) with `X-Total-Count` (rows
 * matching the search and filters) and a `Link` header (RFC 8288) to the next and previous pages.
 * A bad parameter is refused with 400 naming it (`query.sort: …`).
 */

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** The query parameters every list shares (a route adds its own filters with `listQuery`). */
export interface ListParams {
  readonly q?: string | undefined;
  readonly sort?: string | undefined;
  readonly order?: 'asc' | 'desc' | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
  readonly format?: 'json' | 'csv' | undefined;
}

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A strict query schema: the shared list parameters, `sort` limited to the route's keys, and the route's filters. */
export function listQuery<F extends z.ZodRawShape>(sortKeys: readonly [string, ...string[]], filters: F) {
  return z
    .object({
      ...filters,
      q: z.string().trim().max(200, 'must be at most 200 characters').optional(),
      sort: z.enum(sortKeys).optional(),
      order: z.enum(['asc', 'desc']).optional(),
      limit: wholeNumber(1, MAX_LIMIT).optional(),
      offset: wholeNumber(0, 100_000_000).optional(),
      format: z.enum(['json', 'csv']).optional(),
    })
    .strict();
}

/** The header list routes document (for the OpenAPI document) and read (Accept, for CSV). */
export const LIST_HEADERS = {
  describe: {
    'X-Total-Count': 'How many rows match the search and filters (the page holds at most `limit` of them)',
    Link: 'RFC 8288 links to the next and previous pages (rel="next", rel="prev") when there are some',
  },
} as const;
export const LIST_REQUEST_HEADERS = {
  accept: 'text/csv for every matching row as CSV (as ?format=csv); otherwise JSON',
} as const;

/** One CSV column: its heading and the cell of a row. */
export interface CsvColumn<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
}

/** A CSV answer: the text and its media type (sent as is, not as JSON). */
export class CsvAnswer {
  constructor(
    readonly text: string,
    readonly filename: string,
  ) {}
}

/** Whether the request asks for CSV: `format=csv`, or no `format` and an Accept header naming text/csv. */
export function wantsCsv(query: ListParams, accept: string | undefined): boolean {
  if (query.format !== undefined) return query.format === 'csv';
  return accept !== undefined && /(^|,)\s*text\/csv\b/i.test(accept);
}

/** Rows as RFC 4180 CSV (CRLF line ends, a header row), with spreadsheet formula characters neutralised. */
export function toCsv<T>(rows: readonly T[], columns: readonly CsvColumn<T>[]): string {
  const cell = (v: string | number | boolean | null | undefined): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    // A cell starting with = + - @ (or a tab / CR) would run as a formula in a spreadsheet (OWASP "CSV injection").
    return typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  };
  return stringify([columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => cell(c.value(r))))], {
    record_delimiter: 'windows',
  });
}

/** The window a list query asks for: search words, sort key and order, and the page (every row for CSV). */
export function listWindow(
  query: ListParams,
  spec: { readonly defaultSort: string; readonly defaultOrder?: 'asc' | 'desc' },
  accept: string | undefined,
): ListWindow & { readonly csv: boolean } {
  const csv = wantsCsv(query, accept);
  return {
    words: (query.q ?? '').split(/\s+/).filter(Boolean),
    sort: query.sort ?? spec.defaultSort,
    order: query.order ?? spec.defaultOrder ?? 'asc',
    limit: csv ? undefined : (query.limit ?? DEFAULT_LIMIT),
    offset: csv ? 0 : (query.offset ?? 0),
    csv,
  };
}

/**
 * A page the store searched, sorted and counted (`listsRepo`), as the list's answer: the page with
 * X-Total-Count and Link, or, when the window asked for CSV, every matching row as CSV.
 */
export function pageAnswer<T>(
  rows: readonly T[],
  total: number,
  query: ListParams,
  window: ListWindow & { readonly csv: boolean },
  csv: { readonly columns: readonly CsvColumn<T>[]; readonly filename: string },
  req: { readonly path: string },
): Answer | CsvAnswer {
  if (window.csv) return new CsvAnswer(toCsv(rows, csv.columns), csv.filename);
  const limit = window.limit ?? DEFAULT_LIMIT;
  const offset = window.offset;
  const link = (o: number, rel: string) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query as Record<string, unknown>))
      if (k !== 'offset' && k !== 'limit' && (typeof v === 'string' || typeof v === 'number')) p.set(k, String(v));
    p.set('offset', String(o));
    p.set('limit', String(limit));
    return `<${req.path}?${p.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(offset + limit < total ? [link(offset + limit, 'next')] : []),
    ...(offset > 0 ? [link(Math.max(0, offset - limit), 'prev')] : []),
  ];
  return new Answer([...rows], {
    'x-total-count': String(total),
    ...(links.length === 0 ? {} : { link: links.join(', ') }),
  });
}
