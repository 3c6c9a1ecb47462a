import type { Kysely, Transaction } from 'kysely';
import { journalRepo, subjectsRepo, type Database, type SubjectMapNodeRow } from '../store/index.js';
import {
  mapPathsFor,
  mapProve,
  mapRoot,
  mapRootOf,
  mapSet,
  subjectKey,
  subjectsOf,
  subjectValue,
  type MapNode,
  type MapProof,
  type SubjectHead,
  type SubjectLink,
  type SubjectsCommitment,
} from '../trust/index.js';
import { AppError } from './errors.js';

/**
 * Per-subject back-links and the subject map (issue 18, item 6). `commit` asks `linksFor` before it
 * signs a record (taking the journal_head row lock first, so no other writer moves a head in
 * between), tells `noteAppended` the entry it became, and the checkpoint publisher calls
 * `flushSubjects` once per transaction: the moved heads and the map nodes they change are written
 * in a few statements, and the map root goes into the checkpoint.
 */

interface TxState {
  /** Heads as this transaction sees them (read once from the store, then moved in memory). */
  readonly heads: Map<string, SubjectHead | null>;
  /** Subjects whose head this transaction moved and has not written yet. */
  readonly dirty: Set<string>;
}

const states = new WeakMap<object, TxState>();

function stateOf(tx: object): TxState {
  let s = states.get(tx);
  if (s === undefined) states.set(tx, (s = { heads: new Map(), dirty: new Set() }));
  return s;
}

/** The links a record of this type and body must carry (undefined: it concerns no subject). */
export async function linksFor(
  tx: Transaction<Database>,
  type: string,
  body: unknown,
): Promise<SubjectLink[] | undefined> {
  const subjects = subjectsOf(type, body);
  if (subjects.length === 0) return undefined;
  const state = stateOf(tx);
  const unknown = subjects.filter((s) => !state.heads.has(s));
  if (unknown.length > 0) {
    await journalRepo.lockHead(tx);
    const rows = await subjectsRepo.heads(tx, unknown);
    for (const s of unknown) state.heads.set(s, null);
    for (const r of rows) state.heads.set(r.subject, { seq: r.seq, leafHash: r.leaf_hash });
  }
  return subjects.map((subject) => ({ subject, prev: state.heads.get(subject) ?? null }));
}

/** Moves the heads of a record's subjects to the entry it was appended as. */
export function noteAppended(
  tx: Transaction<Database>,
  links: readonly SubjectLink[] | undefined,
  head: SubjectHead,
): void {
  if (links === undefined) return;
  const state = stateOf(tx);
  for (const l of links) {
    state.heads.set(l.subject, head);
    state.dirty.add(l.subject);
  }
}

/**
 * Starts the subject state of `sub`, a savepoint of `parent` on the same connection (group commit),
 * from `parent`'s: the heads `parent` has moved and not written are what `sub` links to.
 */
export function subjectsFrom(sub: object, parent: object): void {
  states.set(sub, { heads: new Map(stateOf(parent).heads), dirty: new Set() });
}

/** Hands the heads `sub` moved to `parent` once its savepoint is released; they are written with `parent`'s (`flushSubjects`). */
export function subjectsInto(sub: object, parent: object): void {
  const s = states.get(sub);
  if (s === undefined) return;
  const p = stateOf(parent);
  for (const [subject, head] of s.heads) if (s.dirty.has(subject) || !p.heads.has(subject)) p.heads.set(subject, head);
  for (const subject of s.dirty) p.dirty.add(subject);
}

/** Whether this transaction moved subject heads it has not written yet (`flushSubjects` writes them). */
export function subjectsPending(tx: object): boolean {
  return (states.get(tx)?.dirty.size ?? 0) > 0;
}

function toNode(r: SubjectMapNodeRow): MapNode {
  return r.leaf_key === null || r.leaf_value === null
    ? { hash: r.hash }
    : { hash: r.hash, leaf: { key: r.leaf_key, value: r.leaf_value } };
}

/** Per database (the store's Kysely instance): `since`, which migration 0016 writes once and nothing changes. */
const sinceOf = new WeakMap<object, number>();

/**
 * Writes the heads this transaction moved and updates the subject map (one read of the nodes on
 * their paths, one upsert), then returns the commitment for the checkpoint: since and map root.
 * `db`, when given, is the store's database the transaction belongs to (to remember `since` by).
 */
export async function flushSubjects(tx: Transaction<Database>, db?: object): Promise<SubjectsCommitment> {
  const state = stateOf(tx);
  const since = (db === undefined ? undefined : sinceOf.get(db)) ?? (await subjectsRepo.since(tx));
  if (db !== undefined) sinceOf.set(db, since);
  const dirty = [...state.dirty];
  if (dirty.length === 0) {
    const [root] = await subjectsRepo.nodes(tx, ['']);
    return { since, root: root === undefined ? mapRoot(new Map()) : root.hash };
  }
  state.dirty.clear();
  const heads = dirty.map((subject) => {
    const h = state.heads.get(subject);
    if (h === undefined || h === null)
      throw new AppError('JOURNAL_INVALID', `subject ${subject} was moved without a head`);
    return { subject, seq: h.seq, leaf_hash: h.leafHash };
  });
  await subjectsRepo.writeHeads(tx, heads);
  const keys = heads.map((h) => ({
    key: subjectKey(h.subject),
    value: subjectValue(h.subject, { seq: h.seq, leafHash: h.leaf_hash }),
  }));
  const paths = new Set<string>();
  for (const k of keys) for (const p of mapPathsFor(k.key)) paths.add(p);
  const nodes = new Map<string, MapNode>();
  for (const r of await subjectsRepo.nodes(tx, [...paths])) nodes.set(r.path, toNode(r));
  const changed = new Set<string>();
  for (const k of keys) mapSet(nodes, k.key, k.value, changed);
  await subjectsRepo.writeNodes(
    tx,
    [...changed].map((path) => {
      const n = nodes.get(path);
      if (n === undefined) throw new AppError('JOURNAL_INVALID', `subject map node ${path} vanished`);
      return { path, hash: n.hash, leaf_key: n.leaf?.key ?? null, leaf_value: n.leaf?.value ?? null };
    }),
  );
  return { since, root: mapRoot(nodes) };
}

/** The map proofs of these subjects' heads, from the stored map (read in the caller's snapshot). */
export async function subjectProofs(
  db: Kysely<Database>,
  subjects: readonly string[],
): Promise<{ subject: string; head: SubjectHead | null; proof: MapProof }[]> {
  const heads = new Map(
    (await subjectsRepo.heads(db, subjects)).map((r) => [r.subject, { seq: r.seq, leafHash: r.leaf_hash }]),
  );
  const paths = new Set<string>();
  for (const s of subjects) for (const p of mapPathsFor(subjectKey(s))) paths.add(p);
  const nodes = new Map<string, MapNode>();
  for (const r of await subjectsRepo.nodes(db, [...paths])) nodes.set(r.path, toNode(r));
  return subjects.map((subject) => ({
    subject,
    head: heads.get(subject) ?? null,
    proof: mapProve(nodes, subjectKey(subject)),
  }));
}

/** The map root recomputed from every stored head (fsck: O(subjects)). */
export async function recomputeSubjectRoot(db: Kysely<Database>): Promise<Uint8Array> {
  const heads = await subjectsRepo.allHeads(db);
  return mapRootOf(
    heads.map((h) => [subjectKey(h.subject), subjectValue(h.subject, { seq: h.seq, leafHash: h.leaf_hash })] as const),
  );
}

/**
 * Re-checks, entry by entry in journal order, that each record's links are the ones the log must
 * have written: its subjects recomputed from its body, each linking to the previous entry of that
 * subject (none before `since`, where links began); at the end, that the stored heads are where the
 * journal leaves them. Used by `rebuild`. Throws JOURNAL_INVALID naming the entry.
 */
export class LinkChecker {
  private readonly heads = new Map<string, SubjectHead>();

  private constructor(private readonly since: number) {}

  static async open(db: Kysely<Database>): Promise<LinkChecker> {
    return new LinkChecker(await subjectsRepo.since(db));
  }

  check(seq: number, leafHash: string, type: string, body: unknown, links: readonly SubjectLink[] | undefined): void {
    const where = `journal entry ${seq}`;
    if (seq <= this.since) {
      if (links !== undefined)
        throw new AppError(
          'JOURNAL_INVALID',
          `${where}: carries subject links, but links begin after entry ${this.since}`,
        );
      return;
    }
    const subjects = subjectsOf(type, body);
    const declared = (links ?? []).map((l) => l.subject);
    if (declared.join('\n') !== subjects.join('\n'))
      throw new AppError(
        'JOURNAL_INVALID',
        `${where}: links name subjects [${declared.join(', ')}], but the record concerns [${subjects.join(', ')}]`,
      );
    for (const l of links ?? []) {
      const head = this.heads.get(l.subject);
      const ok =
        head === undefined
          ? l.prev === null
          : l.prev !== null && l.prev.seq === head.seq && l.prev.leafHash === head.leafHash;
      if (!ok)
        throw new AppError(
          'JOURNAL_INVALID',
          `${where}: its link for ${l.subject} points to ${l.prev === null ? 'no earlier entry' : `entry ${l.prev.seq}`}, but the previous entry of ${l.subject} is ${head === undefined ? 'none' : `entry ${head.seq}`}`,
        );
      this.heads.set(l.subject, { seq, leafHash });
    }
  }

  /** The stored heads must be exactly where the journal's links leave them. */
  async finish(db: Kysely<Database>): Promise<number> {
    const stored = await subjectsRepo.allHeads(db);
    for (const r of stored) {
      const h = this.heads.get(r.subject);
      if (h === undefined || h.seq !== r.seq || h.leafHash !== r.leaf_hash)
        throw new AppError(
          'JOURNAL_INVALID',
          `subject ${r.subject}: the stored head (entry ${r.seq}) is not the journal's last entry of it (${h === undefined ? 'none' : `entry ${h.seq}`})`,
        );
    }
    if (stored.length !== this.heads.size)
      throw new AppError(
        'JOURNAL_INVALID',
        `the journal links ${this.heads.size} subjects, but ${stored.length} heads are stored`,
      );
    return this.heads.size;
  }
}
