import { LodestoneError, ValidationError, type FieldError } from '../domain/index.js';
import { RefusedError } from '../app/index.js';

/**
 * RFC 9457 problem details. Every error leaves the server as one of these: `type` is a stable URN
 * built from the code, `code` is the code itself (the AppError / ValidationError / StoreError /
 * TrustError code, or an HTTP-layer code), `detail` says what was wrong in words. Never a stack
 * trace or SQL: unexpected errors become a 500 whose detail says only that, and are logged.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly field?: string;
  /** Every fault of an input that has several (the first is the one `field` and `detail` name). */
  readonly errors?: readonly FieldError[];
  readonly refusals?: readonly {
    readonly rule: string;
    readonly message: string;
    readonly chain?: readonly string[];
  }[];
  readonly instance?: string;
}

export const PROBLEM_TYPE = 'application/problem+json';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** The HTTP status of each error code any module throws. A code not listed is a server fault (500). */
export const CODE_STATUS: Readonly<Record<string, number>> = {
  // domain / validation
  INVALID_INPUT: 400,
  OVERFLOW: 400,
  CURRENCY_MISMATCH: 400,
  NEGATIVE_QUANTITY: 400,
  DIVISION_BY_ZERO: 400,
  INVALID_RULE_PACK: 400,
  UNKNOWN_REFERENCE: 400,
  // app
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FORBIDDEN: 403,
  CREDENTIAL_PRIVILEGE: 403,
  REFUSED: 422,
  CERTIFICATE_REFUSED: 422,
  KEY_MISSING: 409,
  UNAUTHENTICATED: 401,
  REPLAYED: 409,
  // the EPCIS 2.0 REST binding: a version range or format the server cannot answer in; a standard
  // query parameter or capture behaviour it does not implement
  NOT_ACCEPTABLE: 406,
  NOT_IMPLEMENTED: 501,
  // store
  CONFLICT: 409,
  INVALID_ROW: 400,
  UNSUPPORTED_VALUE: 400,
  UNSAFE_INTEGER: 400,
  CONNECTION_FAILED: 503,
  STORE_UNAVAILABLE: 503,
  STORE_LOCKED: 503,
  STORAGE_FULL: 503,
  // trust (client-supplied JWS, proofs, notes)
  NOT_JSON: 400,
  MALFORMED_RECORD: 400,
  MALFORMED_CREDENTIAL: 400,
  MALFORMED_REQUEST: 401,
  BAD_SIGNATURE: 422,
  BAD_PROOF: 422,
  BAD_CHECKPOINT: 422,
  BAD_KEY: 400,
  UNKNOWN_KEY: 422,
  WRONG_SIGNER: 422,
};

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: {
    field?: string | undefined;
    errors?: readonly FieldError[];
    refusals?: Problem['refusals'];
    instance?: string;
  } = {},
): Problem {
  return {
    type: `urn:lodestone:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(extra.field === undefined ? {} : { field: extra.field }),
    ...(extra.errors === undefined ? {} : { errors: extra.errors }),
    ...(extra.refusals === undefined ? {} : { refusals: extra.refusals }),
    ...(extra.instance === undefined ? {} : { instance: extra.instance }),
  };
}

/** Fastify's own errors (body parsing, limits, media types, rate limits) by code. */
const FASTIFY: Readonly<Record<string, [number, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_CONTENT_LENGTH'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
};

/** Maps anything thrown while serving a request to a problem. `unexpected` is true for 5xx faults, which the caller logs. */
export function toProblem(e: unknown): { problem: Problem; unexpected: boolean } {
  if (e instanceof RefusedError)
    return { problem: problem(422, 'REFUSED', e.message, { refusals: e.refusals }), unexpected: false };
  if (e instanceof LodestoneError) {
    const err = e as LodestoneError;
    const status = CODE_STATUS[err.code];
    // 501: a standard feature (an EPCIS query parameter) the request asks for and the server does not implement
    if (status !== undefined && (status < 500 || status === 501)) {
      const errors = err instanceof ValidationError && err.errors.length > 1 ? err.errors : undefined;
      return {
        problem: problem(status, err.code, err.message, { field: err.field, ...(errors ? { errors } : {}) }),
        unexpected: false,
      };
    }
    if (status === 503)
      return {
        problem: problem(
          503,
          err.code,
          err.code === 'STORAGE_FULL'
            ? 'the store is out of disk space; nothing was written; try again later'
            : 'the store is unavailable; try again later',
        ),
        unexpected: true,
      };
    return { problem: problem(500, 'INTERNAL', 'the server failed to handle the request'), unexpected: true };
  }
  if (typeof e === 'object' && e !== null) {
    const { code, statusCode, message } = e as { code?: unknown; statusCode?: unknown; message?: unknown };
    const known = typeof code === 'string' ? FASTIFY[code] : undefined;
    if (known)
      return {
        problem: problem(known[0], known[1], typeof message === 'string' ? message : known[1]),
        unexpected: false,
      };
    if (e instanceof SyntaxError)
      return { problem: problem(400, 'INVALID_JSON', `the body is not valid JSON: ${e.message}`), unexpected: false };
    if (statusCode === 429)
      return {
        problem: problem(429, 'RATE_LIMITED', typeof message === 'string' ? message : 'too many requests'),
        unexpected: false,
      };
    if (
      typeof statusCode === 'number' &&
      statusCode >= 400 &&
      statusCode < 500 &&
      typeof code === 'string' &&
      code.startsWith('FST_')
    ) {
      return {
        problem: problem(statusCode, 'BAD_REQUEST', typeof message === 'string' ? message : 'bad request'),
        unexpected: false,
      };
    }
  }
  return { problem: problem(500, 'INTERNAL', 'the server failed to handle the request'), unexpected: true };
}
