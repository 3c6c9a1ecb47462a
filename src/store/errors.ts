import { LodestoneError } from '../domain/index.js';

/**
 * Why the store refused or failed. A closed union: callers switch on `code`.
 *
 * - STORE_LOCKED: the PGlite data directory is in use by another process (or another store in this one).
 * - CONNECTION_FAILED: the database cannot be reached, refused the login, or went away.
 * - MIGRATION_CHANGED: an applied migration file's checksum differs from the one recorded.
 * - MIGRATION_UNKNOWN: the database has a migration this code does not know (it is newer than the code).
 * - MIGRATION_INVALID: a file in migrations/ is misnamed or two files share a version.
 * - CONFLICT: a unique or primary key is already taken (`constraint` names it), or a row differs from the one stored under its key.
 * - NOT_FOUND: a row that was referenced or required does not exist (`constraint` names the foreign key, if any).
 * - INVALID_ROW: a row breaks a CHECK or NOT NULL constraint (`constraint` names it).
 * - UNSAFE_INTEGER: an integer read from the database is outside ±(2^53 − 1) and would lose precision as a JS number.
 * - UNSUPPORTED_VALUE: a value PostgreSQL cannot store, such as U+0000 in text or jsonb.
 * - APPEND_ONLY: something tried to change or remove a journal row.
 * - STORE_UNAVAILABLE: the database did not answer in time — a statement ran past statement_timeout
 *   (57014), a lock was not granted within lock_timeout (55P03), or no pooled connection was free
 *   within the acquire timeout, or the server takes no writes (read-only, 25006: a standby, or a
 *   demoted primary; with several hosts listed the store then looks for the writable one again);
 *   nothing of the failed transaction was written — retry later.
 * - STORAGE_FULL: the database has no room to write (disk full, SQLSTATE 53100, or ENOSPC under
 *   PGlite's data directory); nothing of the failed transaction was written — free space and retry.
 */
export type StoreCode =
  | 'STORE_LOCKED'
  | 'CONNECTION_FAILED'
  | 'STORE_UNAVAILABLE'
  | 'MIGRATION_CHANGED'
  | 'MIGRATION_UNKNOWN'
  | 'MIGRATION_INVALID'
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'INVALID_ROW'
  | 'UNSAFE_INTEGER'
  | 'UNSUPPORTED_VALUE'
  | 'APPEND_ONLY'
  | 'STORAGE_FULL';

export class StoreError extends LodestoneError<StoreCode> {
  /** The database constraint involved (CONFLICT, NOT_FOUND, INVALID_ROW), when known. */
  readonly constraint: string | undefined;

  constructor(
    code: StoreCode,
    message: string,
    options: { field?: string; cause?: unknown; constraint?: string } = {},
  ) {
    super(code, message, options);
    this.constraint = options.constraint;
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * Translates a driver error (pg or PGlite) into a StoreError where the cause is one the caller
 * can act on; returns anything else unchanged. LodestoneErrors pass through as they are.
 */
export function mapDatabaseError(error: unknown): unknown {
  if (error instanceof LodestoneError || !(error instanceof Error)) return error;
  const fields = error as Error & { code?: unknown; constraint?: unknown; detail?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : '';
  const constraint = typeof fields.constraint === 'string' ? fields.constraint : undefined;
  const detail = typeof fields.detail === 'string' && fields.detail !== '' ? ` (${fields.detail})` : '';
  const options = { cause: error, ...(constraint === undefined ? {} : { constraint }) };
  const on = constraint === undefined ? '' : ` on ${constraint}`;
  switch (code) {
    case '23505':
      return new StoreError('CONFLICT', `already exists: unique constraint violated${on}${detail}`, options);
    case '23503':
      return new StoreError('NOT_FOUND', `referenced row not found or still referenced${on}${detail}`, options);
    case '23514':
    case '23502':
      return new StoreError('INVALID_ROW', `row violates a constraint${on}: ${error.message}`, options);
    case '22P05':
    case '22021': // character_not_in_repertoire: U+0000 in a text parameter (PGlite says so on reads too)
      return new StoreError('UNSUPPORTED_VALUE', `value cannot be stored by PostgreSQL: ${error.message}`, options);
    case '23001':
      return new StoreError('APPEND_ONLY', error.message, options);
    case '57014': // query_canceled: statement_timeout (or an operator's pg_cancel_backend)
    case '55P03': // lock_not_available: lock_timeout
      return new StoreError(
        'STORE_UNAVAILABLE',
        `the database did not answer in time; nothing of this transaction was written (${error.message})`,
        { cause: error },
      );
    case '25006': // read_only_sql_transaction: a standby, or a primary demoted (or set read-only) under us
      return new StoreError(
        'STORE_UNAVAILABLE',
        `the database server takes no writes now (it is read-only: a standby, or a primary that was demoted); nothing of this transaction was written (${error.message})`,
        { cause: error },
      );
    case '53100':
    case 'ENOSPC':
      return new StoreError(
        'STORAGE_FULL',
        `the database is out of disk space; nothing of this transaction was written (${error.message})`,
        { cause: error },
      );
  }
  if (/No space left on device|ENOSPC/i.test(error.message)) {
    return new StoreError(
      'STORAGE_FULL',
      `the database is out of disk space; nothing of this transaction was written (${error.message})`,
      { cause: error },
    );
  }
  if (/timeout exceeded when trying to connect|timed out acquiring a connection/i.test(error.message)) {
    return new StoreError(
      'STORE_UNAVAILABLE',
      `no database connection within the acquire timeout; nothing was written (${error.message})`,
      { cause: error },
    );
  }
  if (
    CONNECTION_ERROR_CODES.has(code) ||
    /^(08|28|3D|57P)/.test(code) ||
    // pg's client, once its connection broke, refuses every later query with "… is not queryable".
    /timeout exceeded when trying to connect|Connection terminated|is not queryable/i.test(error.message)
  ) {
    return new StoreError('CONNECTION_FAILED', `database connection failed: ${error.message || code}`, {
      cause: error,
    });
  }
  return error;
}
