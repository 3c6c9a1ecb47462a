/**
 * Support for the clock adversarial tests (issue 18, items 1, 5 and 12's dates and values): a
 * settable clock, a world built with the use cases (parties, a countersigned certificate, a lot of
 * magnets worth USD 8 a gram, an approved licence with the validity asked for), the real CLI run
 * in-process against the world's store, and an HTTP harness whose server runs on the settable clock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { addDaysIso } from '../../src/domain/index.js';
import { createApp, signRequest, type AppContext } from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { createServer, issueCredential, type Role } from '../../src/http/index.js';
import { journalRepo, openPgliteStore, openPostgresStore, type Store } from '../../src/store/index.js';
import { sharedStoreHost } from '../support/cli-host.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';
import { emptyPostgresDatabase, type StoreKind } from '../support/stores.js';
import { IMPORTER, licensedScenario, magnetItem } from '../../src/app/scenario.js';

export { AUTHORITY, EXPORTER, GOVERNMENT, IMPORTER } from '../../src/app/scenario.js';
export const magnet = magnetItem();

/** The real date today (UTC), as the CLI's clock sees it. */
export const realToday = (): string => new Date().toISOString().slice(0, 10);
export const days = (n: number, from: string = realToday()): string => addDaysIso(from, n);

/** A clock the test moves: `set('2026-11-24')` puts it at 10:00 UTC that day. */
export interface Clock {
  (): Date;
  set(day: string): void;
}

export function settableClock(day: string): Clock {
  let now = new Date(`${day}T10:00:00.000Z`);
  const c = (() => new Date((now = new Date(now.getTime() + 1000)))) as Clock;
  c.set = (d: string) => {
    now = new Date(`${d}T10:00:00.000Z`);
  };
  return c;
}

export interface World {
  readonly licenceId: string;
  readonly applicationId?: string;
}

/**
 * Parties, a countersigned certificate, lot MAG-1 (2,500 kg of magnets worth USD 20,000,000: 8 minor
 * units a gram) and, unless `approve` is false, an approved single licence for 2,000 kg and
 * USD 16,000,000 valid from `validFrom` to `validUntil` (the clock must lie inside it).
 */
export async function buildWorld(
  ctx: AppContext,
  o: { validFrom: string; validUntil: string; approve?: boolean },
): Promise<World> {
  const today = ctx.clock().toISOString().slice(0, 10);
  const built = await licensedScenario(ctx, {
    from: o.validFrom,
    until: o.validUntil,
    certificate: { from: days(-1, today), until: days(360, today) },
    lot: { id: 'MAG-1', grams: 2_500_000 },
    ...(o.approve === undefined ? {} : { approve: o.approve }),
  });
  return { licenceId: built.licenceId, applicationId: built.applicationId };
}

/** A shipment body under the world's licence, at the licence's price (8 minor units a gram) unless given. */
export function shipment(licenceId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const grams = (over.grams as number | undefined) ?? 1000;
  return {
    id: `SH-${randomUUID().slice(0, 8)}`,
    fromLot: 'MAG-1',
    to: IMPORTER,
    destination: 'IN',
    grams,
    value: { currency: 'USD', minor: grams * 8 },
    licenceId,
    lineRef: 'L1',
    ...over,
  };
}

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * A store the CLI uses as the real command would: a PGlite data directory, or a PostgreSQL
 * database named by DATABASE_URL, opened once and kept open. `app(clock)` is a context on it to build
 * the world; `cli(args)` runs `lodestone` in-process with the real clock against it.
 */
export interface CliStore {
  app(clock: () => Date): Promise<AppContext>;
  cli(args: readonly string[]): Promise<Run>;
  /** Journal entries so far (opens and closes the store). */
  journalCount(): Promise<number>;
  write(name: string, body: unknown): string;
  dispose(): Promise<void>;
}

export async function cliStore(kind: StoreKind): Promise<CliStore> {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-clock-'));
  const dataDir = join(dir, 'data');
  const keysDir = join(dir, 'keys');
  const pg = kind === 'postgres' ? await emptyPostgresDatabase() : undefined;
  if (!pg) await seedPgliteDataDir(dataDir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
  const flags = { dataDir, keysDir, ...(pg ? { databaseUrl: pg.databaseUrl } : {}) };
  // Opened once and kept open across the world's building and the CLI's commands (test/support/cli-host.ts).
  const store = pg ? await openPostgresStore({ databaseUrl: pg.databaseUrl }) : await openPgliteStore({ dataDir });
  const host = sharedStoreHost(store);
  /** Runs `fn` with DATABASE_URL naming this store's database, or unset for PGlite (never the server's admin database). */
  const withEnv = async <T>(fn: () => Promise<T>): Promise<T> => {
    const saved = process.env.DATABASE_URL;
    if (pg) process.env.DATABASE_URL = pg.databaseUrl;
    else Reflect.deleteProperty(process.env, 'DATABASE_URL');
    try {
      return await fn();
    } finally {
      if (saved === undefined) Reflect.deleteProperty(process.env, 'DATABASE_URL');
      else process.env.DATABASE_URL = saved;
    }
  };
  const cli = async (args: readonly string[]): Promise<Run> => {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await withEnv(() =>
      main(
        ['node', 'lodestone', '--data-dir', dataDir, '--keys-dir', keysDir, ...args],
        {
          out: sink((s) => (out += s)),
          err: sink((s) => (err += s)),
        },
        host,
      ),
    );
    return { code, out, err };
  };
  return {
    app: (clock) => withEnv(() => host.openApp({ ...flags, clock })),
    cli,
    journalCount: () => journalRepo.count(store.db),
    write(name, body) {
      const p = join(dir, name);
      writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
      return p;
    },
    async dispose() {
      await store.close();
      await pg?.drop();
    },
  };
}

export interface Http {
  readonly ctx: AppContext;
  readonly app: FastifyInstance;
  call(party: string, role: Role, method: 'GET' | 'POST', url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

/** The API server on `store`, running on `clock`; requests are signed by the party's key at the clock's time. */
export async function http(store: Store, clock: () => Date): Promise<Http> {
  const ctx = createApp(store, { keysDir: mkdtempSync(join(tmpdir(), 'lodestone-clock-http-')), clock });
  const app = await createServer(ctx, { rateLimit: false });
  const keys = new Map<string, string>();
  return {
    ctx,
    app,
    async call(party, role, method, url, body) {
      const k = `${party}/${role}`;
      let key = keys.get(k);
      if (key === undefined) {
        key = (await issueCredential(ctx, { partyId: party, role })).key;
        keys.set(k, key);
      }
      const payload = body === undefined ? '' : JSON.stringify(body);
      const headers: Record<string, string> = {
        authorization: `Bearer ${key}`,
        ...(payload === '' ? {} : { 'content-type': 'application/json' }),
      };
      if (method === 'POST') {
        headers['idempotency-key'] = randomUUID();
        headers['lodestone-signature'] = signRequest(ctx.keystore.signer(party), {
          method,
          path: url,
          body: payload,
          now: clock(),
        });
      }
      return app.inject({ method, url, headers, ...(payload === '' ? {} : { payload }) });
    },
  };
}

/** The rules a 422 problem names. */
export const rulesOf = (r: LightMyRequestResponse): string[] =>
  (r.json<{ refusals?: { rule: string }[] }>().refusals ?? []).map((x) => x.rule);
