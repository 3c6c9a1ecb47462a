import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
  CompiledQuery,
} from 'kysely';
import { mapDatabaseError } from './errors.js';

/**
 * Wraps a Kysely dialect so that every driver error, from any query or transaction statement,
 * goes through `mapDatabaseError`: callers see StoreError codes (CONFLICT, NOT_FOUND, …) the same
 * way on pg and PGlite, whether they use a repository or write a query themselves.
 */
export class ErrorMappingDialect implements Dialect {
  readonly #inner: Dialect;
  readonly #destroyInner: boolean;

  /** With `destroyInner: false`, destroying Kysely leaves the underlying client open (for a PGlite instance the caller owns). */
  constructor(inner: Dialect, opts: { destroyInner?: boolean } = {}) {
    this.#inner = inner;
    this.#destroyInner = opts.destroyInner ?? true;
  }

  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter();
  }

  createDriver(): Driver {
    return new ErrorMappingDriver(this.#inner.createDriver(), this.#destroyInner);
  }

  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's Dialect interface takes Kysely<any>
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db);
  }
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapDatabaseError(e);
  }
}

class MappedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return mapped(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (e) {
      throw mapDatabaseError(e);
    }
  }
}

function innerOf(connection: DatabaseConnection): DatabaseConnection {
  if (!(connection instanceof MappedConnection)) throw new Error('connection was not acquired from this driver');
  return connection.inner;
}

class ErrorMappingDriver implements Driver {
  readonly #inner: Driver;
  readonly #destroyInner: boolean;

  constructor(inner: Driver, destroyInner: boolean) {
    this.#inner = inner;
    this.#destroyInner = destroyInner;
  }

  init(): Promise<void> {
    return mapped(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new MappedConnection(await mapped(() => this.#inner.acquireConnection()));
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return mapped(() => this.#inner.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return mapped(() => this.#inner.commitTransaction(innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return mapped(() => this.#inner.rollbackTransaction(innerOf(connection)));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(innerOf(connection));
  }

  async destroy(): Promise<void> {
    if (this.#destroyInner) await this.#inner.destroy();
  }
}
