import type { Kysely } from 'kysely';
import { z } from 'zod';
import { parse, ValidationError } from '../domain/index.js';
import { federationRepo, partiesRepo, trustListsRepo, type Database, type TrustListRow } from '../store/index.js';
import { canonicalJson } from '../trust/index.js';
import type { AppContext } from './context.js';
import { AppError, RefusedError } from './errors.js';
import { commit } from './journal.js';
import {
  TRUST_LIST_RECORD,
  TRUST_ROOT_ID,
  trustListEntriesSchema,
  type TrustListEntry,
  type TrustListRef,
  type TrustListRole,
} from './trustlist.records.js';

/** A version of the trust list as published. */
export interface TrustList {
  readonly version: number;
  readonly seq: number;
  readonly recordHash: string;
  readonly previous: string | null;
  readonly root: { readonly keyId: string; readonly publicKey: string };
  readonly entries: readonly TrustListEntry[];
  readonly publishedAt: string;
}

/** The file `lodestone trust-list set FILE.json` reads: the whole list to be in force, and optionally the version it is to become. */
const trustListInputSchema = z
  .object({ version: z.number().int().min(1).optional(), entries: trustListEntriesSchema })
  .strict();

function toTrustList(row: TrustListRow): TrustList {
  return {
    version: row.version,
    seq: row.seq,
    recordHash: row.record_hash,
    previous: row.previous_hash,
    root: { keyId: row.root_key_id, publicKey: row.root_public_key },
    entries: row.entries as TrustListEntry[],
    publishedAt: row.published_at,
  };
}

/** The operator's root key (created in the keystore on first use): its public half is what a verifier pins with `--trust-root`. */
export function trustRootKey(ctx: AppContext): { readonly keyId: string; readonly publicKey: string } {
  if (ctx.request !== undefined)
    throw new AppError(
      'FORBIDDEN',
      'the operator root key is used only where the operator runs lodestone, never on a signed API request',
    );
  const k = ctx.keystore.ensure(TRUST_ROOT_ID);
  return { keyId: k.keyId, publicKey: k.publicKey };
}

/**
 * The operator publishes a new version of the trust list, signed with its root key: the whole list
 * to be in force from this journal entry on, naming the previous version by its record's hash. Every
 * listed party must be registered, and no entry may name a country this node follows from a peer
 * (docs/federation.md). Only where the root key is (the CLI), never over the API.
 */
export async function publishTrustList(ctx: AppContext, input: unknown): Promise<TrustList> {
  const wanted = parse(trustListInputSchema, input, 'trustList');
  const root = trustRootKey(ctx);
  return ctx.store.transaction(async (tx) => {
    // Publishers queue here, and decisions that rely on the list wait for a publisher (FOR SHARE).
    const head = await trustListsRepo.lockHead(tx, 'update');
    const prev = head === undefined ? undefined : await trustListsRepo.get(tx, head.version);
    const version = (prev?.version ?? 0) + 1;
    if (wanted.version !== undefined && wanted.version !== version) {
      throw new ValidationError(
        'trustList.version',
        `must be ${version}: the list in force is ${prev === undefined ? 'none yet' : `version ${prev.version}`}`,
      );
    }
    for (const [i, e] of wanted.entries.entries()) {
      if (!(await partiesRepo.get(tx, e.party)))
        throw new AppError('NOT_FOUND', `no party "${e.party}" (trustList.entries[${i}].party; register it first)`, {
          field: `trustList.entries[${i}].party`,
        });
    }
    // A country this node takes from a peer's trust list (a journalled `federation.peer.followed`) is
    // the peer's to govern here: the local list names no role for it, as `addPeer` refuses the reverse.
    const followed = (await federationRepo.peers(tx)).filter((p) => p.followed_seq !== null);
    for (const [i, e] of wanted.entries.entries()) {
      const peer = followed.find((p) => p.countries.includes(e.country));
      if (peer !== undefined)
        throw new ValidationError(
          `trustList.entries[${i}].country`,
          `${e.country}: this node follows peer "${peer.node}" for ${e.country} (federation.peer.followed, journal entry ${String(peer.followed_seq)}), so its roles there come from ${peer.node}'s trust list; change the peer's countries first (lodestone federation peer add)`,
        );
    }
    if (prev !== undefined && canonicalJson(prev.entries) === canonicalJson(wanted.entries)) {
      throw new AppError(
        'ALREADY_EXISTS',
        `trust list version ${prev.version} in force already has exactly these entries`,
      );
    }
    const body = {
      version,
      previous: prev?.record_hash ?? null,
      root: { algorithm: 'Ed25519' as const, keyId: root.keyId, publicKey: root.publicKey },
      entries: wanted.entries,
    };
    await commit(tx, ctx, TRUST_LIST_RECORD, TRUST_ROOT_ID, body);
    const row = await trustListsRepo.get(tx, version);
    if (row === undefined) throw new AppError('NOT_FOUND', `trust list version ${version} was not projected`);
    return toTrustList(row);
  });
}

/** The trust list in force (the latest version), or undefined when none has been published. */
export async function getTrustList(ctx: AppContext): Promise<TrustList | undefined> {
  const row = await trustListsRepo.latest(ctx.store.db);
  return row === undefined ? undefined : toTrustList(row);
}

/**
 * Publishes, if needed, a version that adds these entries to the list in force (for the demo and
 * fixtures: the demo's authorities). Returns the list in force afterwards.
 */
export async function ensureTrustListEntries(ctx: AppContext, entries: readonly unknown[]): Promise<TrustList> {
  const add = parse(trustListEntriesSchema, entries, 'trustList.entries');
  const current = await getTrustList(ctx);
  const have = current?.entries ?? [];
  const missing = add.filter(
    (e) => !have.some((h) => h.party === e.party && h.role === e.role && h.country === e.country),
  );
  if (current !== undefined && missing.length === 0) return current;
  return publishTrustList(ctx, { entries: [...have, ...missing] });
}

const ROLE_WORDS: Readonly<Record<TrustListRole, string>> = {
  'licensing-authority': 'licensing authority for exports from',
  countersigner: 'countersigner of end-user certificates for',
};

/**
 * Inside a use case's transaction: refuses (RefusedError naming `rule`) unless `party` is listed as
 * `role` for `country` in the trust list in force. Reads the list's head FOR SHARE, so a concurrent
 * publication is ordered before or after this use case in the journal, as it was judged.
 */
export async function requireTrusted(
  db: Kysely<Database>,
  party: string,
  role: TrustListRole,
  country: string,
  rule: string,
): Promise<TrustListRef> {
  const head = await trustListsRepo.lockHead(db, 'share');
  const list = head === undefined ? undefined : await trustListsRepo.get(db, head.version);
  // Federation (docs/federation.md): a country whose roles this node takes from a peer's trust list.
  const listed = (entries: unknown) =>
    (entries as TrustListEntry[]).some((e) => e.party === party && e.role === role && e.country === country);
  if (list === undefined || !listed(list.entries)) {
    for (const peer of await federationRepo.trustListsFor(db, country))
      if (listed(peer.entries)) return { version: peer.version, recordHash: peer.record_hash };
  }
  if (list === undefined)
    throw new RefusedError([
      {
        rule,
        message: `no trust list is in force, so "${party}" is not listed as ${ROLE_WORDS[role]} ${country} (the operator publishes one with lodestone trust-list set)`,
      },
    ]);
  const entries = list.entries as TrustListEntry[];
  if (!entries.some((e) => e.party === party && e.role === role && e.country === country)) {
    throw new RefusedError([
      {
        rule,
        message: `"${party}" is not listed as ${ROLE_WORDS[role]} ${country} in trust list version ${list.version}`,
      },
    ]);
  }
  return { version: list.version, recordHash: list.record_hash };
}

/** A party never decides its own application: the decider is none of applicant, importer, consignee, end user. */
export function refuseSelfDecision(
  decider: string,
  a: {
    readonly applicant: string;
    readonly importer: string;
    readonly endUser: string;
    readonly consignee?: string | undefined;
  },
): void {
  const roles: [string, string | undefined][] = [
    ['applicant', a.applicant],
    ['importer', a.importer],
    ['consignee', a.consignee],
    ['end user', a.endUser],
  ];
  const own = roles.find(([, id]) => id === decider);
  if (own !== undefined)
    throw new RefusedError([
      {
        rule: 'SELF_DECISION',
        message: `"${decider}" is the application's ${own[0]}: a party never decides its own application`,
      },
    ]);
}
