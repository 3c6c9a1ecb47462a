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
import { mapDatabaseError, StoreError } from './errors.js';

/**
 * Wraps a Kysely dialect so that every driver error, from any query or transaction statement,
 * goes through `mapDatabaseError`: callers see StoreError codes (CONFLICT, NOT_FOUND, …) the same
 * way on pg and PGlite, whether they use a repository or write a query themselves. With `acquireMs`,
 * a caller that waits longer than that for a connection (PGlite's one connection, held by another
 * transaction) fails with STORE_UNAVAILABLE; the connection, once it comes, is handed straight back.
 */
export class ErrorMappingDialect implements Dialect {
  readonly #inner: Dialect;
  readonly #destroyInner: boolean;
  readonly #acquireMs: number;

  /** With `destroyInner: false`, destroying Kysely leaves the underlying client open (for a PGlite instance the caller owns). */
  constructor(inner: Dialect, opts: { destroyInner?: boolean; acquireMs?: number } = {}) {
    this.#inner = inner;
    this.#destroyInner = opts.destroyInner ?? true;
    this.#acquireMs = opts.acquireMs ?? 0;
  }

  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter();
  }

  createDriver(): Driver {
    return new ErrorMappingDriver(this.#inner.createDriver(), this.#destroyInner, this.#acquireMs);
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
  readonly #acquireMs: number;

  constructor(inner: Driver, destroyInner: boolean, acquireMs: number) {
    this.#inner = inner;
    this.#destroyInner = destroyInner;
    this.#acquireMs = acquireMs;
  }

  init(): Promise<void> {
    return mapped(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const acquiring = mapped(() => this.#inner.acquireConnection());
    if (this.#acquireMs <= 0) return new MappedConnection(await acquiring);
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(
          new StoreError(
            'STORE_UNAVAILABLE',
            `no database connection within the acquire timeout (${String(this.#acquireMs)} ms): another transaction holds it`,
          ),
        );
      }, this.#acquireMs);
    });
    // A connection that arrives after the caller gave up goes straight back, so the queue moves on.
    void acquiring.then(
      (c) => (late ? this.#inner.releaseConnection(c) : undefined),
      () => undefined,
    );
    try {
      return new MappedConnection(await Promise.race([acquiring, timeout]));
    } finally {
      clearTimeout(timer);
    }
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
