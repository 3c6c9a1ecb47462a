import pg from 'pg';
import { ValidationError } from '../domain/index.js';
import { StoreError } from './errors.js';

/**
 * Several PostgreSQL servers behind one `DATABASE_URL`, for a primary with streaming replicas
 * (docs/ha.md): `postgres://user:pw@db1:5432,db2:5432/lodestone?target_session_attrs=read-write`.
 * As in libpq, the hosts are tried in order and the first whose session has the requested
 * attributes is used. node-postgres itself takes one host only, so the store resolves the list
 * when it opens and connects its pool to the chosen server.
 *
 * - `read-write` (the default when several hosts are listed): `transaction_read_only` is off.
 * - `primary`: the server is not in recovery (`pg_is_in_recovery()` is false).
 * - `any`: the first server that accepts the connection.
 */
export type TargetSessionAttrs = 'any' | 'read-write' | 'primary';

export interface DatabaseHosts {
  /** One single-host connection URL per listed host, in order, without `target_session_attrs`. */
  readonly urls: readonly string[];
  readonly target: TargetSessionAttrs;
}

const TARGETS: readonly TargetSessionAttrs[] = ['any', 'read-write', 'primary'];
const URL_SHAPE = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/**
 * Splits a connection URL into its hosts. A URL with one host and no `target_session_attrs`
 * comes back as it was. Bad input is a ValidationError naming `field` and the reason.
 */
export function parseDatabaseHosts(databaseUrl: string, field = 'DATABASE_URL'): DatabaseHosts {
  const m = URL_SHAPE.exec(databaseUrl);
  if (m === null) return { urls: [databaseUrl], target: 'any' }; // not a URL: pg reports it as it always did
  const [, scheme = '', auth, hostList = '', rest = ''] = m;
  const hosts = hostList.split(',');
  const query = rest.indexOf('?');
  const params = new URLSearchParams(query === -1 ? '' : rest.slice(query + 1).replace(/#.*$/s, ''));
  const given = params.get('target_session_attrs');
  if (hosts.length === 1 && given === null) return { urls: [databaseUrl], target: 'any' };
  if (given !== null && !(TARGETS as readonly string[]).includes(given))
    throw new ValidationError(
      `${field} target_session_attrs`,
      `must be one of ${TARGETS.join(', ')} (Lodestone needs a server it can write to), got ${JSON.stringify(given)}`,
    );
  const target = (given ?? 'read-write') as TargetSessionAttrs;
  params.delete('target_session_attrs');
  const search = params.toString();
  const path = query === -1 ? rest : rest.slice(0, query);
  const urls = hosts.map((h, i) => {
    const hp = HOST_PORT.exec(h);
    const port = hp?.[2];
    if (hp === null || (port !== undefined && (Number(port) < 1 || Number(port) > 65535)))
      throw new ValidationError(
        field,
        `host ${i + 1} of ${hosts.length} must be host or host:port (port 1–65535), got ${JSON.stringify(h)}`,
      );
    return `${scheme}${auth === undefined ? '' : `${auth}@`}${h}${path}${search === '' ? '' : `?${search}`}`;
  });
  return { urls, target };
}

/** The URL's host:port, without credentials, for messages. */
function hostOf(url: string): string {
  return URL_SHAPE.exec(url)?.[3] ?? '?';
}

/**
 * The first of `hosts` whose session has the requested attributes (see DatabaseHosts), probed
 * with one short-lived connection each. None: StoreError CONNECTION_FAILED naming every host and
 * why it was passed over.
 */
export async function chooseDatabaseHost(hosts: DatabaseHosts, connectTimeoutMs: number): Promise<string> {
  const [only] = hosts.urls;
  if (hosts.urls.length === 1 && hosts.target === 'any' && only !== undefined) return only;
  const passedOver: string[] = [];
  for (const url of hosts.urls) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ recovery: boolean; read_only: string }>(
        `select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as read_only`,
      );
      const row = rows[0];
      if (hosts.target === 'read-write' && row?.read_only !== 'off') passedOver.push(`${hostOf(url)}: read-only`);
      else if (hosts.target === 'primary' && row?.recovery !== false) passedOver.push(`${hostOf(url)}: in recovery`);
      else return url;
    } catch (e) {
      passedOver.push(`${hostOf(url)}: ${e instanceof Error ? e.message || String(e) : String(e)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new StoreError(
    'CONNECTION_FAILED',
    `no listed database server accepts a ${hosts.target} session (${passedOver.join('; ')})`,
  );
}
