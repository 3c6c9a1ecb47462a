import { parsePublicUrl } from './public-url.js';
import { join, resolve } from 'node:path';
import type { Transaction } from 'kysely';
import { openStore, rememberReadsIn, storeTimeoutsFromEnv, type Database, type Store } from '../store/index.js';
import { monitorAppended } from './alerts.js';
import { Keystore } from './keystore.js';
import { batchingCheckpoints, checkOrigin, logOrigin } from './log.js';
import type { RecordType } from './records.js';
import type { PeerCertificateStatus } from './status-fetch.js';
import { DEFAULT_RULES_DIR, loadRulePacks, type LoadedPack } from './rulepacks.js';

/** What every use case runs against: the store, the parties' keys, the rule packs and a clock. */
export interface AppContext {
  readonly store: Store;
  readonly keystore: Keystore;
  /** The rule packs, loaded (and validated) on first use. */
  packs(): readonly LoadedPack[];
  readonly clock: () => Date;
  /**
   * The deployment's public base URL (absolute http(s), no trailing slash): certificates' status
   * lists, key references (did:web) and context document are published under it.
   */
  readonly publicUrl: string;
  /**
   * Set when the use case runs on a party's signed API request (`actingAs`): records are then made
   * only for that party, carry its request and are signed by the log operator's key.
   */
  readonly request?: SignedRequest | undefined;
  /**
   * What reacts to records as they are committed: `commit` (journal.ts) calls each, in order, inside
   * the record's transaction, after the record is appended and projected. What a reaction writes
   * (the diversion monitor's alerts) commits with the record or not at all; a rebuild runs no
   * reaction, it replays the records they made. createApp wires in the monitor (alerts.ts).
   */
  readonly reactions: readonly RecordReaction[];
  /**
   * The log origin this node was configured with (`--log-origin`, LODESTONE_LOG_ORIGIN), if any.
   * The log's own origin is the one stored with its first checkpoint (see `logOrigin` in log.ts).
   */
  readonly logOrigin?: string | undefined;
  /**
   * Peers' status-list answers asked before a batch's transaction opened (status-fetch.ts
   * `askPeersFirst`), by purpose and licence: the batch's shipments take them instead of asking the
   * peer over HTTP inside the transaction, while it holds the journal lock.
   */
  readonly peerStatus?: ReadonlyMap<string, Promise<PeerCertificateStatus | undefined>> | undefined;
  close(): Promise<void>;
}

/** A record `commit` has just appended and projected in this transaction: its journal seq, type and checked body. */
export interface AppendedRecord {
  readonly seq: number;
  readonly type: RecordType;
  readonly body: unknown;
}

/** Reacts to a committed record in its own transaction (see `AppContext.reactions`). */
export type RecordReaction = (tx: Transaction<Database>, ctx: AppContext, record: AppendedRecord) => Promise<void>;

/**
 * `ctx` joined to the open transaction `tx`, for a batch of use cases that commits as one (an EPCIS
 * capture document, a custody batch): the use cases open "their" transaction through `ctx.store`,
 * and here it is `tx`. Reads of rows that never change (parties, licences, journal times) and the
 * lists in force are remembered for `tx`, so a batch of N events reads each of them once, not N times.
 */
export function inTransaction(ctx: AppContext, tx: Transaction<Database>): AppContext {
  rememberReadsIn(tx);
  return {
    ...ctx,
    store: { kind: ctx.store.kind, db: tx, transaction: (fn) => fn(tx), close: () => Promise.resolve() },
  };
}

/** A party's verified, signed API request (see src/app/requests.ts). */
export interface SignedRequest {
  readonly partyId: string;
  readonly keyId: string;
  /** The attached compact JWS (header.payload.signature). */
  readonly jws: string;
  readonly nonce: string;
}

export interface AppOptions {
  /** PostgreSQL URL; when absent, the embedded PGlite store in `dataDir` is used. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory (default `.lodestone/` in the working directory). */
  readonly dataDir?: string | undefined;
  /** Private keys (default `<dataDir>/keys`). */
  readonly keysDir?: string | undefined;
  /** Rule packs (default: the packs shipped in `rules/`). */
  readonly rulesDir?: string | undefined;
  /** The transparency log's checkpoint origin, a schema-less URL such as `lodestone.example.org/log`. */
  readonly logOrigin?: string | undefined;
  readonly clock?: () => Date;
  /** The public base URL (`--public-url`, else LODESTONE_PUBLIC_URL, else DEFAULT_PUBLIC_URL). */
  readonly publicUrl?: string | undefined;
}

export const DEFAULT_DATA_DIR = '.lodestone';
/** Where `lodestone serve` listens by default: right for a node tried out on one machine, never for a shared one. */
export const DEFAULT_PUBLIC_URL = 'http://localhost:8080';

/** Resolves options from flags first, then the environment, then defaults. */
export function resolveOptions(
  flags: AppOptions,
  env: NodeJS.ProcessEnv = process.env,
): Required<Pick<AppOptions, 'dataDir' | 'keysDir' | 'rulesDir'>> & AppOptions {
  const dataDir = resolve(flags.dataDir ?? env.LODESTONE_DATA_DIR ?? DEFAULT_DATA_DIR);
  const databaseUrl = flags.databaseUrl ?? (env.DATABASE_URL === '' ? undefined : env.DATABASE_URL);
  return {
    ...flags,
    databaseUrl,
    dataDir,
    keysDir: resolve(flags.keysDir ?? env.LODESTONE_KEYS_DIR ?? join(dataDir, 'keys')),
    rulesDir: resolve(flags.rulesDir ?? env.LODESTONE_RULES_DIR ?? DEFAULT_RULES_DIR),
    logOrigin: flags.logOrigin ?? (env.LODESTONE_LOG_ORIGIN === '' ? undefined : env.LODESTONE_LOG_ORIGIN),
    publicUrl:
      flags.publicUrl !== undefined
        ? parsePublicUrl(flags.publicUrl, '--public-url')
        : parsePublicUrl(env.LODESTONE_PUBLIC_URL ?? DEFAULT_PUBLIC_URL, 'LODESTONE_PUBLIC_URL'),
  };
}

/** Rule packs only (no store): for commands that evaluate without recording. */
export function loadPacks(flags: AppOptions): readonly LoadedPack[] {
  return loadRulePacks(resolveOptions(flags).rulesDir);
}

export async function openApp(flags: AppOptions = {}): Promise<AppContext> {
  const o = resolveOptions(flags);
  if (o.logOrigin !== undefined) checkOrigin(o.logOrigin);
  const timeouts = storeTimeoutsFromEnv(process.env); // LODESTONE_STATEMENT_TIMEOUT_MS, _LOCK_, _ACQUIRE_
  const store = await openStore(
    o.databaseUrl !== undefined ? { databaseUrl: o.databaseUrl, timeouts } : { dataDir: o.dataDir, timeouts },
  );
  const ctx = createApp(store, o);
  try {
    // A configured origin that is not the log's stored one is refused now, before anything runs.
    await logOrigin(ctx);
  } catch (e) {
    await ctx.close();
    throw e;
  }
  return ctx;
}

/** An application context over a store that is already open (closing the context closes the store). */
export function createApp(
  store: Store,
  o: {
    keysDir: string;
    rulesDir?: string | undefined;
    clock?: (() => Date) | undefined;
    logOrigin?: string | undefined;
    publicUrl?: string | undefined;
  },
): AppContext {
  let packs: readonly LoadedPack[] | undefined;
  return {
    logOrigin: o.logOrigin === undefined ? undefined : checkOrigin(o.logOrigin),
    store: batchingCheckpoints(store),
    keystore: new Keystore(o.keysDir),
    packs: () => (packs ??= loadRulePacks(o.rulesDir ?? DEFAULT_RULES_DIR)),
    clock: o.clock ?? (() => new Date()),
    reactions: [monitorAppended],
    publicUrl: parsePublicUrl(o.publicUrl ?? DEFAULT_PUBLIC_URL),
    close: () => store.close(),
  };
}

export { parsePublicUrl };
