import { ValidationError } from '../domain/index.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { EPCIS_JSON_SCHEMA } from './schema/epcis-json-schema.js';

/** One schema violation: where in the document (JSON Pointer) and what the schema says. */
export interface SchemaError {
  readonly path: string;
  readonly message: string;
  readonly keyword: string;
}

let compiled: ValidateFunction | undefined;

/** The official EPCIS 2.0 JSON Schema (draft-07), compiled once on first use. */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  const addFormats =
    (formats as unknown as { default?: (a: Ajv) => Ajv }).default ?? (formats as unknown as (a: Ajv) => Ajv);
  addFormats(ajv);
  compiled = ajv.compile(EPCIS_JSON_SCHEMA);
  return compiled;
}

function describe(e: ErrorObject): SchemaError {
  const extra =
    e.keyword === 'additionalProperties'
      ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
      : e.keyword === 'enum'
        ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
        : '';
  return {
    path: e.instancePath === '' ? '/' : e.instancePath,
    message: `${e.message ?? 'is invalid'}${extra}`,
    keyword: e.keyword,
  };
}

/**
 * Validates a parsed JSON value against the EPCIS 2.0 JSON Schema (an EPCISDocument, an
 * EPCISQueryDocument or a single event). Returns the violations, most specific first (the schema's
 * `if/then` wrappers repeat every inner failure; those are dropped when an inner one names the place).
 */
export function validateEpcis(doc: unknown): readonly SchemaError[] {
  const v = validator();
  if (v(doc)) return [];
  const errors = (v.errors ?? []).filter((e) => e.keyword !== 'if');
  const seen = new Set<string>();
  const out: SchemaError[] = [];
  for (const e of [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)) {
    const d = describe(e);
    const key = `${d.path}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** A document that fails the EPCIS 2.0 JSON Schema: the first violation names the place, all are kept. */
export class EpcisSchemaError extends ValidationError {
  constructor(readonly violations: readonly SchemaError[]) {
    const first = violations[0] ?? { path: '/', message: 'is invalid', keyword: '' };
    const n = violations.length - 1;
    super(
      documentField(first.path),
      `${first.message} (EPCIS 2.0 JSON Schema${n > 0 ? `; ${n} more violation${n > 1 ? 's' : ''}` : ''})`,
      violations.slice(1).map((v) => ({ field: documentField(v.path), reason: v.message })),
    );
  }
}

/** A schema violation's place as a field: `document` and the JSON Pointer into it. */
function documentField(path: string): string {
  return `document${path === '/' ? '' : path}`;
}
