import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cosignaturesRepo, federationRepo, journalRepo, logRepo, partyKeysRepo } from '../store/index.js';
import {
  cosignNote,
  formatNote,
  hashesEqual,
  importPrivateKey,
  inclusionProof,
  memoryNodeReader,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  partiesNeeded,
  scopeOf,
  sha256Hex,
  subjectsOf,
  verifyConsistency,
  type Checkpoint,
} from '../trust/index.js';
import {
  BUNDLE_FORMAT,
  type AuditBundle,
  type BundleEntry,
  type BundleKey,
  type BundlePeer,
  type WithheldEntry,
} from '../verify/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { latestCheckpoint, LOG_ID, logVerifier } from './log.js';
import { subjectProofs } from './subjects.js';

/** Key, rule-pack, trust-list and peer-settings records (registrations, key rotations and revocations, every trust-list version, peers' pins): never withheld (those needed are shown in full). */
const ALWAYS = new Set([
  'party.registered',
  'party.key.rotated',
  'party.key.revoked',
  'rulepack.loaded',
  'trustlist.published',
  'federation.peer.followed',
]);
/** Records never followed by id (reference data, not a licence's story). */
const NEVER = new Set(['list.imported', 'item.classified']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A certificate.issued record carries its credential (and its id) inside the JWS payload: search that too. */
function jwsPayloadText(body: unknown): string {
  const jws = isObject(body) ? body.jws : undefined;
  if (!isObject(jws) || typeof jws.payload !== 'string') return '';
  return Buffer.from(jws.payload, 'base64url').toString('utf8');
}

/** The ids a record introduces that later records of the same story refer to. */
function idsOf(body: unknown): string[] {
  if (!isObject(body)) return [];
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length > 0) out.push(v);
  };
  add(body.id);
  add(body.applicationId);
  add(body.shipmentId);
  add(body.lotId);
  for (const k of ['lot', 'shipment', 'licence', 'after', 'from'] as const) {
    const o = body[k];
    if (isObject(o)) {
      add(o.id);
      add(o.lotId);
      add(o.fromLot);
      add(o.certificateId);
      add(o.applicationId);
    }
  }
  for (const k of ['inputs', 'outputs'] as const) {
    const a = body[k];
    if (Array.isArray(a))
      for (const o of a as unknown[])
        if (isObject(o)) {
          add(o.id);
          add(o.lotId);
        }
  }
  return out;
}

/**
 * Everything an auditor needs about one licence, proved against one checkpoint, and nothing about
 * other licences (issue 18, items 6 and 10):
 *
 * - in full, every entry of the subjects the licence covers — `licence:<id>`, and the application,
 *   certificate and alerts its records bring in (trust/subjects.ts `scopeOf`) — with each subject's
 *   head and its proof in the subject map the checkpoint commits, so the verifier can walk each
 *   chain back from its head and refuse a bundle that leaves one entry out;
 * - in full, what checking those needs: the party.registered records of their actors and of the
 *   parties their applications screened, every rulepack.loaded record, and the record that carries
 *   a signed request the chosen ones name by hash;
 * - as leaf hashes with inclusion proofs only (`withheld`), the other entries that mention the ids
 *   of the licence's story (e.g. another licence's shipment from a shared source lot).
 *
 * Read in one REPEATABLE READ snapshot so proofs, map proofs and checkpoint agree.
 */
export async function exportAuditBundle(ctx: AppContext, licenceId: string): Promise<AuditBundle> {
  const log = await logVerifier(ctx);
  return ctx.store.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const published = await latestCheckpoint(ctx, tx);
      if (published === undefined) throw new AppError('NOT_FOUND', 'the log has no checkpoint yet');
      const size = published.checkpoint.size;
      interface Row {
        seq: number;
        type: string;
        actor: string;
        canonical: string;
        leafHash: string;
        text: string;
        body: unknown;
        subjects: string[];
        requestSha256?: string;
        imported?: { node: string; peerSeq: number };
      }
      const rows: Row[] = [];
      // The record that carries each signed request whole (later records of its transaction name it by hash).
      const carriers = new Map<string, number>();
      for await (const r of journalRepo.stream(tx, 2000)) {
        if (r.seq > size) break;
        type Payload = { type: string; actor: string; body: unknown; request?: string; requestSha256?: string };
        let payload = (JSON.parse(r.canonical) as { payload: Payload }).payload;
        // A peer's record imported here (federation) is chosen as the record it carries; the bundle
        // shows the import, and `peers` proves the record in the peer's log (src/verify/peer-check.ts).
        let imported: { node: string; peerSeq: number } | undefined;
        if (r.type === 'federation.imported') {
          const b = payload.body as { node: string; peerSeq: number; record: string };
          imported = { node: b.node, peerSeq: b.peerSeq };
          payload = (JSON.parse(b.record) as { payload: Payload }).payload;
        }
        const body = payload.body;
        if (payload.request !== undefined) carriers.set(sha256Hex(payload.request), r.seq);
        rows.push({
          seq: r.seq,
          type: payload.type,
          actor: payload.actor,
          ...(imported === undefined ? {} : { imported }),
          canonical: r.canonical,
          leafHash: r.leaf_hash,
          text: r.canonical + jwsPayloadText(body),
          body,
          subjects: subjectsOf(payload.type, body),
          ...(payload.requestSha256 === undefined ? {} : { requestSha256: payload.requestSha256 }),
        });
      }
      // The covered subjects and their entries: the licence's, then those its records bring in.
      const covered = new Set([`licence:${licenceId}`]);
      const full = new Set<number>();
      for (let changed = true; changed;) {
        changed = false;
        for (const r of rows) {
          if (full.has(r.seq) || !r.subjects.some((s) => covered.has(s))) continue;
          full.add(r.seq);
          changed = true;
          for (const s of scopeOf(r.type, r.body, licenceId)) covered.add(s);
        }
      }
      if (
        !rows.some(
          (r) => r.type === 'application.decided' && full.has(r.seq) && scopeOf(r.type, r.body, licenceId).length > 0,
        )
      )
        throw new AppError('NOT_FOUND', `no licence ${licenceId} in the journal`);
      // A chosen record that names its signed request by hash needs the record that carries it.
      for (const r of rows) {
        const carrier = r.requestSha256 === undefined || !full.has(r.seq) ? undefined : carriers.get(r.requestSha256);
        if (carrier !== undefined) full.add(carrier);
      }
      // The keys those records need (their actors, and the parties their applications screened), and the rule packs.
      const parties = new Set<string>();
      for (const r of rows) if (full.has(r.seq)) for (const p of partiesNeeded(r.type, r.actor, r.body)) parties.add(p);
      for (const p of parties) covered.add(`party:${p}`);
      // The root-signed settings of every peer whose records the bundle shows: what this node pinned for it.
      for (const r of rows) if (full.has(r.seq) && r.imported !== undefined) covered.add(`peer:${r.imported.node}`);
      for (const r of rows) {
        if (r.type === 'rulepack.loaded' || r.subjects.some((s) => covered.has(s))) full.add(r.seq);
      }
      // Other entries that mention the story's ids: proved included, not shown.
      const ids = new Set([licenceId]);
      for (const r of rows) if (full.has(r.seq)) for (const id of idsOf(r.body)) ids.add(id);
      const needles = [...ids].map((id) => JSON.stringify(id));
      const withheld: WithheldEntry[] = [];
      const entries: BundleEntry[] = [];
      const importedFrom = new Map<string, number[]>();
      for (const r of rows) {
        const shown = full.has(r.seq);
        if (shown && r.imported !== undefined)
          importedFrom.set(r.imported.node, [...(importedFrom.get(r.imported.node) ?? []), r.imported.peerSeq]);
        if (!shown && (NEVER.has(r.type) || ALWAYS.has(r.type) || !needles.some((n) => r.text.includes(n)))) continue;
        const proof = (await logRepo.inclusionProof(tx, r.seq - 1, size)).map((p) => Buffer.from(p).toString('base64'));
        if (shown) entries.push({ leafIndex: r.seq - 1, record: r.canonical, proof });
        else withheld.push({ leafIndex: r.seq - 1, leafHash: r.leafHash, proof });
      }
      const subjects = await subjectProofs(tx, [...covered].sort());
      const note = parseNote(published.body);
      const witnesses: BundleKey[] = [];
      for (const s of note.signatures) {
        if (s.name === log.name) continue;
        for (const k of await partyKeysRepo.listByParty(tx, s.name))
          witnesses.push({ name: s.name, publicKey: k.public_key });
      }
      return {
        format: BUNDLE_FORMAT,
        licence: licenceId,
        log: { name: log.name, publicKey: log.publicKey },
        checkpoint: published.body,
        otherCheckpoints: [],
        witnesses,
        leafIndexes: entries.map((e) => e.leafIndex),
        entries,
        subjects,
        withheld,
        ...(importedFrom.size === 0 ? {} : { peers: await peerProofs(tx, importedFrom) }),
      };
    });
}

/**
 * For each peer whose imported records the bundle shows: the peer as this node pinned it (the
 * verifier takes the pins from the root-signed `federation.peer.followed` records the bundle shows, and
 * refuses these if they differ), the peer's
 * checkpoint this node last cosigned, and each record's inclusion proof in the peer's log at it,
 * computed from the leaf hashes this node mirrored (the records were applied only up to a cosigned
 * checkpoint, so the last one covers them all).
 */
async function peerProofs(
  tx: Parameters<typeof federationRepo.peer>[0],
  from: Map<string, number[]>,
): Promise<BundlePeer[]> {
  const out: BundlePeer[] = [];
  for (const [node, seqs] of [...from].sort(([a], [b]) => a.localeCompare(b))) {
    const peer = await federationRepo.peer(tx, node);
    if (peer?.cosigned_body == null)
      throw new AppError(
        'NOT_FOUND',
        `records of ${node} are in the journal, but no checkpoint of ${node} is cosigned here`,
      );
    const size = parseCheckpoint(parseNote(peer.cosigned_body).text).size;
    const leaves = (await federationRepo.leafHashes(tx, node, size)).map((h) => new Uint8Array(Buffer.from(h, 'hex')));
    const get = memoryNodeReader(leaves);
    out.push({
      node,
      log: { name: peer.origin, publicKey: parseVerifierKey(peer.log_vkey).publicKey },
      trustRoot: peer.trust_root_key,
      countries: peer.countries,
      checkpoint: peer.cosigned_body,
      proofs: [...new Set(seqs)]
        .sort((a, b) => a - b)
        .map((seq) => ({
          leafIndex: seq - 1,
          proof: inclusionProof(seq - 1, size, get).map((p) => Buffer.from(p).toString('base64')),
        })),
    });
  }
  return out;
}

export interface WitnessState {
  readonly origin: string;
  readonly size: number;
  readonly root: string;
}

export interface WitnessResult {
  readonly checkpoint: Checkpoint;
  readonly previous: WitnessState | undefined;
  readonly cosignature: string;
  /** Set when this witness had already cosigned this size: nothing new was signed or stored (the stored line is kept). */
  readonly already?: true;
}

/**
 * A witness (a registered party, signing with its keystore key) checks the log's latest checkpoint
 * against the last one it cosigned (kept in `stateFile`): it must be signed by the log, not smaller,
 * and — by a consistency proof from the log's stored subtrees — an extension of it. Then it adds a
 * C2SP tlog-cosignature/v1 and remembers the new checkpoint. Otherwise it refuses (FORBIDDEN) and
 * reports the fork; its state is left unchanged.
 */
export async function witnessCheckpoint(
  ctx: AppContext,
  witness: string,
  stateFile: string,
  now: Date = ctx.clock(),
  shown?: string,
): Promise<WitnessResult> {
  const log = await logVerifier(ctx);
  const published = await latestCheckpoint(ctx);
  if (published === undefined) throw new AppError('NOT_FOUND', 'the log has no checkpoint yet');
  let opened: ReturnType<typeof openCheckpoint>;
  try {
    // The checkpoint the operator showed this witness (a file), or the log's latest.
    opened = openCheckpoint(shown ?? published.body, log);
  } catch (e) {
    throw new AppError('FORBIDDEN', `not a checkpoint of ${log.name}: ${(e as Error).message}`, { cause: e });
  }
  const { note, checkpoint } = opened;
  if (checkpoint.size > published.checkpoint.size)
    throw new AppError(
      'FORBIDDEN',
      `fork: the checkpoint shown has size ${checkpoint.size}, beyond the log's ${published.checkpoint.size}`,
    );
  if (shown !== undefined) {
    // The log must hold exactly this tree at that size: same root from its stored subtrees.
    const root = await logRepo.root(ctx.store.db, checkpoint.size);
    if (!hashesEqual(root, checkpoint.root))
      throw new AppError(
        'FORBIDDEN',
        `fork: the checkpoint shown has root ${Buffer.from(checkpoint.root).toString('base64')} at size ${checkpoint.size}, the log ${Buffer.from(root).toString('base64')}`,
      );
  }
  const previous = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as WitnessState) : undefined;
  if (previous !== undefined) {
    const oldRoot = new Uint8Array(Buffer.from(previous.root, 'base64'));
    if (checkpoint.size < previous.size)
      throw new AppError(
        'FORBIDDEN',
        `fork or rollback: the log shows size ${checkpoint.size}, but ${witness} already cosigned size ${previous.size} (root ${previous.root})`,
      );
    if (checkpoint.size === previous.size && !hashesEqual(oldRoot, checkpoint.root)) {
      throw new AppError(
        'FORBIDDEN',
        `fork: size ${checkpoint.size} has root ${Buffer.from(checkpoint.root).toString('base64')} now, but ${witness} cosigned root ${previous.root}`,
      );
    }
    if (previous.size > 0 && checkpoint.size > previous.size) {
      try {
        verifyConsistency(
          previous.size,
          checkpoint.size,
          oldRoot,
          checkpoint.root,
          await logRepo.consistencyProof(ctx.store.db, previous.size, checkpoint.size),
        );
      } catch (e) {
        throw new AppError(
          'FORBIDDEN',
          `fork: the log at size ${checkpoint.size} is not an extension of the size ${previous.size} that ${witness} cosigned: ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
  }
  // Idempotent: one cosignature per witness and size. Asked again, the witness keeps the one it gave.
  const stored = (await cosignaturesRepo.list(ctx.store.db, LOG_ID, checkpoint.size)).find((l) =>
    l.startsWith(`— ${witness} `),
  );
  if (stored !== undefined) {
    // The log's note carries the stored cosignatures; a note shown from a file may not.
    const body = published.checkpoint.size === checkpoint.size ? published.body : formatNote(note);
    return { checkpoint, previous, already: true, cosignature: body };
  }
  const key = ctx.keystore.get(witness);
  const cosig = cosignNote(
    note.text,
    witness,
    importPrivateKey(key.privateKeyPem),
    key.publicKey,
    Math.floor(now.getTime() / 1000),
  );
  await ctx.store.transaction(async (tx) => {
    await cosignaturesRepo.add(tx, LOG_ID, checkpoint.size, witness, cosig.line);
  });
  const state: WitnessState = {
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: Buffer.from(checkpoint.root).toString('base64'),
  };
  writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${stateFile}.tmp`, stateFile);
  return {
    checkpoint,
    previous,
    cosignature: formatNote({ text: note.text, signatures: [...note.signatures, cosig] }),
  };
}
