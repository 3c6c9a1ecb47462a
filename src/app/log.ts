import type { Kysely, Transaction } from 'kysely';
import {
  journalRepo,
  logRepo,
  cosignaturesRepo,
  withTransactionEnd,
  type Database,
  type Store,
} from '../store/index.js';
import {
  formatSubjectsExtension,
  formatVerifierKey,
  hashesEqual,
  openCheckpoint,
  parseSubjectsExtension,
  rootFromLeafHashes,
  signCheckpoint,
  TrustError,
  verifyConsistency,
  type Checkpoint,
  type NoteVerifier,
} from '../trust/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { ValidationError } from '../domain/index.js';
import { flushSubjects, recomputeSubjectRoot } from './subjects.js';

/**
 * The log operator's id: its Ed25519 key lives in the keystore like a party's
 * (`<keys>/lodestone-log.key.json`), it signs the operator's records, and it keys the log's rows.
 * The log's public identity — checkpoint origin and signed-note key name — is its origin (below).
 */
export const LOG_ID = 'lodestone-log';

/**
 * The origin of a log whose node was given none: a schema-less URL on the reserved `.localhost`
 * name (RFC 6761), so it is plainly this machine's. Deployments set their own (`--log-origin`).
 */
export const DEFAULT_LOG_ORIGIN = 'lodestone.localhost/log';

const ORIGIN_FIELD = 'logOrigin (--log-origin, LODESTONE_LOG_ORIGIN)';

/**
 * Checks a configured origin: C2SP tlog-checkpoint says it SHOULD be a schema-less URL with neither
 * spaces nor "+", and signed-note key names (the log signs as its origin) MUST have neither;
 * tlog-tiles says the origin is the log's URL prefix without a trailing slash.
 */
export function checkOrigin(origin: string): string {
  const reason =
    origin.length === 0 || origin.length > 255
      ? 'must be 1 to 255 characters'
      : // eslint-disable-next-line no-control-regex -- control characters are what this refuses
        /[\s+\u0000-\u001f\u007f]/u.test(origin)
        ? 'must contain no spaces, "+" or control characters'
        : /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(origin)
          ? 'must be schema-less (drop the "https://")'
          : origin.endsWith('/')
            ? 'must not end with "/"'
            : undefined;
  if (reason !== undefined) throw new ValidationError(ORIGIN_FIELD, `${reason}, got ${JSON.stringify(origin)}`);
  return origin;
}

/** Per keystore (one per application context): the stored origin, once read (it never changes). */
const storedOrigins = new WeakMap<object, string>();

/**
 * The log's origin: the one stored with its first checkpoint (migration 0024; never changed), else
 * the configured one, else DEFAULT_LOG_ORIGIN. A configured origin that differs from the stored one
 * is refused (ValidationError): the origin cannot change under an existing log.
 */
export async function logOrigin(ctx: AppContext, db: Kysely<Database> = ctx.store.db): Promise<string> {
  const stored = storedOrigins.get(ctx.keystore) ?? (await logRepo.origin(db, LOG_ID));
  if (stored === undefined) return ctx.logOrigin ?? DEFAULT_LOG_ORIGIN;
  storedOrigins.set(ctx.keystore, stored);
  if (ctx.logOrigin !== undefined && ctx.logOrigin !== stored) {
    throw new ValidationError(
      ORIGIN_FIELD,
      `the log's origin is "${stored}" (stored with its first checkpoint); it cannot be changed to "${ctx.logOrigin}"`,
    );
  }
  return stored;
}

/** The log's note verifier (its origin as key name, and its public key), creating its key on first use. */
export async function logVerifier(ctx: AppContext, db: Kysely<Database> = ctx.store.db): Promise<NoteVerifier> {
  return { name: await logOrigin(ctx, db), publicKey: ctx.keystore.ensure(LOG_ID).publicKey };
}

/** The log's public key as a C2SP signed-note verifier key (vkey): `<origin>+<key id hex>+<base64(0x01 ‖ key)>`. */
export async function logVerifierKey(ctx: AppContext): Promise<string> {
  const v = await logVerifier(ctx);
  return formatVerifierKey(v);
}

/** The transactions opened through a batching store, each with its store's database (the key of `lastCommitted`). */
const openedHere = new WeakMap<object, object>();
const pending = new WeakMap<object, AppContext>();

/**
 * The store, with `transaction` publishing ONE checkpoint at the end of each transaction that
 * appended records (after the use case's function returns, still inside the transaction, so the
 * checkpoint commits with the records it covers), instead of one per record.
 */
export function batchingCheckpoints(store: Store): Store {
  return withTransactionEnd(
    store,
    async (tx) => {
      // The journal rows and log leaves of the transaction's records, written at once, then its one checkpoint.
      await journalRepo.flush(tx);
      const ctx = pending.get(tx);
      if (ctx !== undefined) {
        pending.delete(tx);
        await publishCheckpoint(tx, ctx);
      }
    },
    (tx) => openedHere.set(tx, store.db),
    (tx) => {
      const published = publishedIn.get(tx);
      if (published !== undefined) lastCommitted.set(store.db, published);
    },
  );
}

/**
 * Whether `tx` was opened through the context's store, which writes the log leaves of its records
 * and its checkpoint when the use case's function returns (so `commit` may defer the leaves).
 */
export function batchingLog(tx: Transaction<Database>): boolean {
  return openedHere.has(tx);
}

/** A transaction object that shares another's connection and batch (a group commit's savepoint) → that transaction. */
const batchOf = new WeakMap<object, object>();

/**
 * Makes `sub`, another transaction object on `tx`'s connection (a savepoint of a group commit,
 * group-commit.ts), batch like `tx`: its records' log leaves are deferred and their checkpoint is
 * published once, at the end of `tx`. The caller writes `sub`'s pending rows before `tx` ends.
 */
export function shareBatch(sub: object, tx: object): void {
  const db = openedHere.get(tx);
  if (db === undefined) throw new Error('shareBatch: the transaction was not opened through a batching store');
  openedHere.set(sub, db);
  batchOf.set(sub, batchOf.get(tx) ?? tx);
}

/**
 * Called by `commit` after each append: in a transaction opened through the context's store the
 * checkpoint is published once at its end; in any other transaction, now.
 */
export async function checkpointAfterAppend(tx: Transaction<Database>, ctx: AppContext): Promise<void> {
  if (openedHere.has(tx)) pending.set(batchOf.get(tx) ?? tx, ctx);
  else await publishCheckpoint(tx, ctx);
}

export interface PublishedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The signed note (operator signature only). */
  readonly body: string;
}

interface Stored {
  readonly body: string;
  readonly checkpoint: Checkpoint;
}

/**
 * Per database: the checkpoint this process last published in a transaction that then committed —
 * the stored one, unless another process (or a transaction not opened through the context's store)
 * has published since. The next publisher starts from it instead of reading the stored row and
 * verifying its signature again; its compare-and-swap proves it is still the stored one, and
 * anything that fails on it (a lost swap, an inconsistency) is redone from the stored row.
 */
const lastCommitted = new WeakMap<object, Stored>();
const publishedIn = new WeakMap<object, Stored>();

/**
 * Signs and stores the checkpoint for the journal as it stands in `tx` (at the end of every
 * transaction that appended records, so it commits with the records it covers). The new checkpoint must extend the
 * stored one: same or larger size, and — proved from the stored subtrees — consistent with it.
 * Stored by compare-and-swap, so the stored checkpoint never goes backwards or forks.
 */
export async function publishCheckpoint(tx: Transaction<Database>, ctx: AppContext): Promise<PublishedCheckpoint> {
  await journalRepo.flush(tx);
  const size = await journalRepo.sizeIn(tx);
  // The subject heads the transaction moved, and the subject map's root, committed in the checkpoint.
  const db = openedHere.get(tx);
  const extensions = [formatSubjectsExtension(await flushSubjects(tx, db))];
  const known = db === undefined ? undefined : lastCommitted.get(db);
  if (db !== undefined && known !== undefined && known.checkpoint.size > 0 && known.checkpoint.size < size) {
    try {
      const out = await extend(tx, ctx, size, extensions, known);
      if (out !== 'lost') return out;
    } catch (e) {
      // Not consistent with what this process remembers: judged below against the stored row.
      if (!(e instanceof AppError && e.code === 'JOURNAL_INVALID')) throw e;
    }
    lastCommitted.delete(db);
  }
  const current = await logRepo.getCheckpoint(tx, LOG_ID);
  const old =
    current === undefined
      ? undefined
      : { body: current.body, checkpoint: openCheckpoint(current.body, await logVerifier(ctx, tx)).checkpoint };
  const out = await extend(tx, ctx, size, extensions, old);
  if (out === 'lost')
    throw new AppError(
      'JOURNAL_INVALID',
      'the checkpoint changed while it was being published (compare-and-swap lost); retry',
    );
  return out;
}

/** The checkpoint of size `size`, checked to extend `old` and swapped in for it ('lost' if `old` is no longer the stored one). */
async function extend(
  tx: Transaction<Database>,
  ctx: AppContext,
  size: number,
  extensions: readonly string[],
  old: Stored | undefined,
): Promise<PublishedCheckpoint | 'lost'> {
  const prev = old?.checkpoint;
  if (prev !== undefined && prev.size > size)
    throw new AppError(
      'JOURNAL_INVALID',
      `the stored checkpoint (size ${prev.size}) is ahead of the journal (${size})`,
    );
  // The new root and the proof that it extends the stored checkpoint, from one read of the subtrees.
  const { root, proof } =
    prev !== undefined && prev.size > 0 && prev.size < size
      ? await logRepo.rootAndConsistencyProof(tx, prev.size, size)
      : { root: await logRepo.root(tx, size), proof: undefined };
  if (old !== undefined && prev !== undefined) {
    if (prev.size === size && hashesEqual(prev.root, root)) return { checkpoint: prev, body: old.body };
    if (prev.size > 0) {
      try {
        verifyConsistency(
          prev.size,
          size,
          prev.root,
          root,
          proof ?? (await logRepo.consistencyProof(tx, prev.size, size)),
        );
      } catch (e) {
        throw new AppError(
          'JOURNAL_INVALID',
          `the log at size ${size} is not consistent with its checkpoint at size ${prev.size}: ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
  }
  // The first checkpoint stores the origin with the log; later ones sign with the stored one.
  const origin =
    old === undefined ? await logRepo.claimOrigin(tx, LOG_ID, await logOrigin(ctx, tx)) : await logOrigin(ctx, tx);
  const checkpoint: Checkpoint = { origin, size, root, extensions };
  const key = ctx.keystore.ensure(LOG_ID);
  const body = signCheckpoint(checkpoint, origin, ctx.keystore.signer(LOG_ID).privateKey, key.publicKey);
  if (!(await logRepo.casCheckpoint(tx, LOG_ID, old?.body, { size, body }))) return 'lost';
  publishedIn.set(tx, { body, checkpoint });
  return { checkpoint, body };
}

/** The latest stored checkpoint, with its witnesses' cosignatures appended. */
export async function latestCheckpoint(
  ctx: AppContext,
  db: Kysely<Database> = ctx.store.db,
): Promise<PublishedCheckpoint | undefined> {
  const current = await logRepo.getCheckpoint(db, LOG_ID);
  if (current === undefined) return undefined;
  const { note, checkpoint } = openCheckpoint(current.body, await logVerifier(ctx, db));
  const cosigs = await cosignaturesRepo.list(db, LOG_ID, checkpoint.size);
  if (cosigs.length === 0) return { checkpoint, body: current.body };
  const lines = [...note.signatures.map((s) => s.line), ...cosigs];
  return { checkpoint, body: `${note.text}\n${lines.map((l) => `${l}\n`).join('')}` };
}

export interface LogCheck {
  readonly size: number;
  readonly root: string;
}

/**
 * fsck for the log: recomputes the root from the journal's leaf hashes (streamed), and checks the
 * stored subtrees and the stored checkpoint give the same root. Throws JOURNAL_INVALID otherwise.
 */
export async function checkLog(ctx: AppContext, db: Kysely<Database> = ctx.store.db): Promise<LogCheck> {
  const leaves: Uint8Array[] = [];
  for await (const row of journalRepo.stream(db, 5000)) {
    if (row.seq !== leaves.length + 1) throw new AppError('JOURNAL_INVALID', `journal seq ${row.seq} out of order`);
    leaves.push(new Uint8Array(Buffer.from(row.leaf_hash, 'hex')));
  }
  const recomputed = rootFromLeafHashes(leaves);
  const nodes = await logRepo.size(db);
  if (nodes !== leaves.length)
    throw new AppError('JOURNAL_INVALID', `the log has ${nodes} leaves but the journal ${leaves.length} entries`);
  let stored: Uint8Array;
  try {
    stored = await logRepo.root(db, leaves.length);
  } catch (e) {
    throw new AppError('JOURNAL_INVALID', `the log's subtrees cannot give the root: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!hashesEqual(stored, recomputed))
    throw new AppError(
      'JOURNAL_INVALID',
      `the stored subtrees give another root than the journal's leaves at size ${leaves.length}`,
    );
  const current = await logRepo.getCheckpoint(db, LOG_ID);
  if (leaves.length > 0 || current !== undefined) {
    if (current === undefined) throw new AppError('JOURNAL_INVALID', 'the journal has entries but no checkpoint');
    let cp: Checkpoint;
    try {
      cp = openCheckpoint(current.body, await logVerifier(ctx, db)).checkpoint;
    } catch (e) {
      throw new AppError(
        'JOURNAL_INVALID',
        `the stored checkpoint does not verify: ${e instanceof TrustError ? e.message : String(e)}`,
        { cause: e },
      );
    }
    if (cp.size !== leaves.length || !hashesEqual(cp.root, recomputed))
      throw new AppError(
        'JOURNAL_INVALID',
        `the stored checkpoint (size ${cp.size}) is not the journal's root at size ${leaves.length}`,
      );
    // The subject map: the root the checkpoint commits is the one the stored heads give.
    const subjects = parseSubjectsExtension(cp.extensions ?? []);
    if (subjects !== undefined && !hashesEqual(subjects.root, await recomputeSubjectRoot(db)))
      throw new AppError(
        'JOURNAL_INVALID',
        `the stored checkpoint's subject map root is not the one the stored subject heads give`,
      );
  }
  return { size: leaves.length, root: Buffer.from(recomputed).toString('base64') };
}
