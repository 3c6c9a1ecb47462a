/**
 * Federation (issue 24, docs/federation.md): this node follows peer nodes' logs. The transport
 * (NATS JetStream, src/federation) hands each peer message to one of the use cases here:
 *
 * - `mirrorPeerRecord` keeps a peer's record as received (hashes computed here, never taken from
 *   the message; the same seq with other bytes is a conflict, kept out);
 * - `acceptPeerCheckpoint` verifies the peer's checkpoint with the pinned log key against the
 *   mirrored leaves and against the last checkpoint this node cosigned, then cosigns it (C2SP
 *   tlog-cosignature/v1) — or, on a split view, journals `federation.split-view` with both
 *   checkpoints and refuses the peer's records from then on;
 * - `acceptCosignature` stores a peer witness's cosignature of this node's own checkpoint;
 * - `applyPeerRecords` applies the peer's records up to the checkpoint it cosigned, in order, in
 *   transactions of up to 50 that also move the peer's `applied_seq`, so none is applied twice or skipped.
 */
import type { Transaction } from 'kysely';
import { z } from 'zod';
import { formatGrams, parse, ValidationError } from '../domain/index.js';
import {
  certificatesRepo,
  cosignaturesRepo,
  federationRepo,
  journalRepo,
  licencesRepo,
  logRepo,
  partiesRepo,
  partyKeysRepo,
  shipmentsRepo,
  trustListsRepo,
  type Database,
  type FederationEvidenceRow,
  type FederationPeerRow,
} from '../store/index.js';
import {
  canonicalJson,
  cosignNote,
  EMPTY_RANGE,
  extendRange,
  formatNote,
  formatVerifierKey,
  hashesEqual,
  importPrivateKey,
  leafHashHex,
  openCheckpoint,
  parseCanonicalJson,
  parseCheckpoint,
  parseNote,
  parseSignedRecord,
  parseVerifierKey,
  rangeRoot,
  rootFromLeafHashes,
  sha256Hex,
  verifyCosignature,
  verifyRecord,
  type CompactRange,
  type NoteVerifier,
  type SignedRecord,
} from '../trust/index.js';
import { monitorCertificateRevocation } from './alerts.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import {
  PEER_FOLLOWED_RECORD,
  peerCountriesSchema,
  peerIdentitySchema,
  type ImportEffect,
  type InboundBody,
  type PeerFollowed,
} from './federation.records.js';
import { commit } from './journal.js';
import { LOG_ID, logOrigin, logVerifier } from './log.js';
import { trustRootKey } from './trustlist.js';
import { TRUST_ROOT_ID, type TrustListEntry } from './trustlist.records.js';

/** This node's witness key (keystore), distinct from its log key: it cosigns the peers' checkpoints. */
export const WITNESS_ID = 'lodestone-witness';

const NODE_RE = /^[a-z][a-z0-9-]{0,31}$/;

/** The compact range stored with the cosigned checkpoint (JSON array of base64), if it is one of `size` leaves. */
function parseRange(text: string | null, size: number): CompactRange | undefined {
  if (text === null) return undefined;
  try {
    const hashes = (JSON.parse(text) as unknown[]).map((h) => new Uint8Array(Buffer.from(String(h), 'base64')));
    // A compact range of `size` leaves has one hash per 1 bit of size.
    const bits = size.toString(2).replace(/0/g, '').length;
    return hashes.length === bits && hashes.every((h) => h.length === 32) ? { size, hashes } : undefined;
  } catch {
    return undefined;
  }
}

/** The name this node cosigns under: its log origin with "/witness". */
export async function witnessName(ctx: AppContext): Promise<string> {
  return `${await logOrigin(ctx)}/witness`;
}

/** What a peer pins for this node: its name, log key, witness key, trust-list root key and public URL. */
export interface FederationIdentity {
  readonly node: string;
  readonly origin: string;
  readonly logKey: string;
  readonly witnessKey: string;
  readonly trustRoot: string;
  /** The node's public base URL: its status lists are at `<url>/status-lists/<party>/revocation`. */
  readonly url: string;
}

export async function federationIdentity(ctx: AppContext, node: string): Promise<FederationIdentity> {
  if (!NODE_RE.test(node)) throw new ValidationError('node', 'must be a node name: a-z, 0-9 and "-", at most 32');
  const log = await logVerifier(ctx);
  const witness = { name: await witnessName(ctx), publicKey: ctx.keystore.ensure(WITNESS_ID).publicKey };
  return {
    node,
    origin: log.name,
    logKey: formatVerifierKey(log),
    witnessKey: formatVerifierKey(witness),
    trustRoot: trustRootKey(ctx).publicKey,
    url: ctx.publicUrl,
  };
}

/**
 * What `addPeer` reads: the peer's identity as `lodestone federation identity` printed it on the
 * peer's node (every field, kept as read), with the countries whose roles this node is to take from
 * the peer's trust list beside it.
 */
export const peerInputSchema = z.looseObject({ countries: peerCountriesSchema });

/**
 * Follows a peer, or changes its countries: a `federation.peer.followed` record signed by the
 * operator's root key (the key of the trust list, `--trust-root` to a verifier) carries the peer's
 * identity whole — its log key (and so its origin), witness key and trust-list root — and the
 * countries whose roles this node takes from the peer's trust list; federation_peers' pins are its
 * projection. One transaction: the record, its journal entry and the row. Refused, naming the field:
 * a bad identity or country; this node itself; a country for which this node's own trust list names
 * roles (a peer never overrides local authority); other keys for a peer already pinned; the same
 * settings again. Only where the root key is (the CLI), never on a signed API request.
 */
export async function addPeer(ctx: AppContext, input: unknown): Promise<FederationPeerRow> {
  const { countries, ...rest } = parse(peerInputSchema, input, 'peer');
  const identity = parse(peerIdentitySchema, rest, 'peer');
  const wanted = [...new Set(countries)].sort();
  const root = trustRootKey(ctx);
  const own = await logVerifier(ctx);
  const logKey = parseVerifierKey(identity.logKey);
  if (logKey.name === own.name || logKey.publicKey === own.publicKey)
    throw new ValidationError('peer.logKey', `is this node's own log (${own.name}): a node does not follow itself`);
  if (identity.trustRoot === root.publicKey)
    throw new ValidationError('peer.trustRoot', "is this node's own root key: a node does not follow itself");
  if (
    ctx.keystore.has(WITNESS_ID) &&
    parseVerifierKey(identity.witnessKey).publicKey === ctx.keystore.get(WITNESS_ID).publicKey
  )
    throw new ValidationError('peer.witnessKey', "is this node's own witness key: a node does not follow itself");
  return ctx.store.transaction(async (tx) => {
    // This node's own trust list in force (FOR SHARE: a publication is ordered before or after this).
    const head = await trustListsRepo.lockHead(tx, 'share');
    const list = head === undefined ? undefined : await trustListsRepo.get(tx, head.version);
    for (const cc of wanted) {
      const local = (list?.entries as TrustListEntry[] | undefined)?.find((e) => e.country === cc);
      if (local !== undefined)
        throw new ValidationError(
          `peer.countries.${countries.indexOf(cc)}`,
          `${cc}: this node's own trust list (version ${String(list?.version)}) names ${local.party} as ${local.role} for ${cc}; a peer never overrides local authority`,
        );
    }
    const held = await federationRepo.lockPeer(tx, identity.node);
    if (held !== undefined) {
      const pinned = [
        ['logKey', held.log_vkey, identity.logKey],
        ['witnessKey', held.witness_vkey, identity.witnessKey],
        ['trustRoot', held.trust_root_key, identity.trustRoot],
      ] as const;
      for (const [field, was, now] of pinned)
        if (was !== now)
          throw new ValidationError(
            `peer.${field}`,
            `is not the key this node pins for ${identity.node} (${was}): a peer's keys are pinned once`,
          );
      const last = held.followed_seq === null ? undefined : await journalRepo.get(tx, held.followed_seq);
      const body =
        last === undefined
          ? undefined
          : (parseSignedRecord(parseCanonicalJson(last.canonical)).payload.body as PeerFollowed);
      if (
        body !== undefined &&
        canonicalJson(body.identity) === canonicalJson(identity) &&
        canonicalJson(body.countries) === canonicalJson(wanted)
      )
        throw new AppError(
          'ALREADY_EXISTS',
          `${identity.node} is followed with exactly these settings (journal entry ${String(held.followed_seq)})`,
        );
    } else {
      const sameOrigin = (await federationRepo.peers(tx)).find((p) => p.origin === logKey.name);
      if (sameOrigin !== undefined)
        throw new ValidationError(
          'peer.logKey',
          `is the log of ${logKey.name}, which this node follows as ${sameOrigin.node}`,
        );
    }
    await commit(tx, ctx, PEER_FOLLOWED_RECORD, TRUST_ROOT_ID, {
      identity,
      countries: wanted,
      root: { algorithm: 'Ed25519', keyId: root.keyId, publicKey: root.publicKey },
    });
    if (held?.last_error === UNJOURNALLED) await federationRepo.updatePeer(tx, identity.node, { last_error: null });
    return (await federationRepo.peer(tx, identity.node)) as FederationPeerRow;
  });
}

async function requirePeer(ctx: AppContext, node: string): Promise<FederationPeerRow> {
  const peer = await federationRepo.peer(ctx.store.db, node);
  if (peer === undefined) throw new AppError('NOT_FOUND', `no peer "${node}" (lodestone federation peer add)`);
  return peer;
}

/** Keeps a peer's record as received. 'conflict': the peer showed other bytes for a seq it had shown. */
export async function mirrorPeerRecord(
  ctx: AppContext,
  node: string,
  seq: number,
  canonical: string,
): Promise<'stored' | 'same' | 'conflict'> {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new ValidationError('seq', 'must be a positive integer');
  const out = await federationRepo.mirror(ctx.store.db, {
    node,
    seq,
    record_hash: sha256Hex(canonical),
    leaf_hash: leafHashHex(canonical),
    canonical,
  });
  if (out === 'conflict')
    await federationRepo.updatePeer(ctx.store.db, node, {
      last_error: `record ${seq} shown again with other bytes (record hash ${sha256Hex(canonical)}): kept the first`,
    });
  return out;
}

export interface CosignatureMessage {
  /** The origin of the log cosigned (the peer's). */
  readonly origin: string;
  readonly size: number;
  /** The cosignature line ("— <name> <base64>"). */
  readonly line: string;
}

export type CheckpointOutcome =
  | { readonly status: 'cosigned'; readonly cosignature: CosignatureMessage }
  | { readonly status: 'pending' | 'stale' | 'refused' }
  | { readonly status: 'split'; readonly explanation: string };

/**
 * Judges a peer's checkpoint: signed by the pinned log key; the mirrored records 1..size give its
 * root; it extends the checkpoint cosigned here (same root at that size). Then cosigns it. A
 * checkpoint beyond the records held is remembered as heard and judged once they arrive ('pending').
 */
export async function acceptPeerCheckpoint(
  ctx: AppContext,
  node: string,
  body: string,
  now: Date = ctx.clock(),
): Promise<CheckpointOutcome> {
  const peer = await requirePeer(ctx, node);
  const log = parseVerifierKey(peer.log_vkey);
  let opened: ReturnType<typeof openCheckpoint>;
  try {
    opened = openCheckpoint(body, log);
  } catch (e) {
    await federationRepo.updatePeer(ctx.store.db, node, {
      last_error: `a checkpoint not signed by ${log.name}: ${(e as Error).message}`,
    });
    return { status: 'refused' };
  }
  if (peer.split_alert_seq !== null) return { status: 'refused' };
  const { note, checkpoint } = opened;
  if (checkpoint.size > peer.heard_size)
    await federationRepo.updatePeer(ctx.store.db, node, {
      heard_size: checkpoint.size,
      heard_body: body,
      heard_at: now.toISOString(),
    });
  const cosigned = peer.cosigned_body === null ? undefined : parseCheckpoint(parseNote(peer.cosigned_body).text);
  const split = (why: string) => splitView(ctx, peer, body, why);
  if (!(await federationRepo.holdsAll(ctx.store.db, node, checkpoint.size))) {
    // A record seen twice with other bytes can never complete this tree: that is a split view too.
    const conflicting = peer.last_error?.startsWith('record ') === true;
    if (conflicting && cosigned !== undefined) return split(peer.last_error ?? '');
    return { status: 'pending' };
  }
  const hashes = (hex: readonly string[]) => hex.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
  // The compact range of the tree this node cosigned (O(log n) hashes, kept with the cosigned checkpoint).
  let range: CompactRange = EMPTY_RANGE;
  if (cosigned !== undefined) {
    if (checkpoint.size === cosigned.size)
      return hashesEqual(checkpoint.root, cosigned.root)
        ? { status: 'stale' }
        : split(
            `split view: ${node}'s checkpoint at size ${checkpoint.size} has root ${b64(checkpoint.root)}, but this node cosigned root ${b64(cosigned.root)} at that size`,
          );
    if (checkpoint.size < cosigned.size) {
      // An older checkpoint (redelivered, or a rollback): judged from the mirror at its size — the
      // rare path, linear in that size; the mirror still gives the cosigned root (checked when cosigned).
      const root = rootFromLeafHashes(hashes(await federationRepo.leafHashes(ctx.store.db, node, checkpoint.size)));
      return hashesEqual(root, checkpoint.root)
        ? { status: 'stale' }
        : split(
            `${node}'s older checkpoint at size ${checkpoint.size} has root ${b64(checkpoint.root)}, but the records it published give ${b64(root)}`,
          );
    }
    range = parseRange(peer.cosigned_range, cosigned.size) ?? EMPTY_RANGE;
    if (range.size !== cosigned.size) {
      // Not kept yet (a peer cosigned before migration 0032): computed once from the mirror.
      range = extendRange(EMPTY_RANGE, hashes(await federationRepo.leafHashes(ctx.store.db, node, cosigned.size)));
      if (!hashesEqual(rangeRoot(range), cosigned.root))
        return split(
          `${node}'s log no longer gives the root this node cosigned at size ${cosigned.size} (${b64(cosigned.root)})`,
        );
    }
  }
  // Extending the cosigned tree with the records mirrored since must give the new root: that checks
  // both that they are the records the checkpoint commits and that it extends what was cosigned.
  const next = extendRange(
    range,
    hashes(await federationRepo.leafHashesBetween(ctx.store.db, node, range.size + 1, checkpoint.size)),
  );
  const root = rangeRoot(next);
  if (next.size !== checkpoint.size || !hashesEqual(root, checkpoint.root))
    return split(
      cosigned === undefined
        ? `${node}'s checkpoint at size ${checkpoint.size} has root ${b64(checkpoint.root)}, but the records it published give ${b64(root)}`
        : `${node}'s checkpoint at size ${checkpoint.size} has root ${b64(checkpoint.root)}, but the tree this node cosigned at size ${cosigned.size} extended with the records it published since gives ${b64(root)}: not an extension of it, or not those records (split view)`,
    );
  const key = ctx.keystore.ensure(WITNESS_ID);
  const name = await witnessName(ctx);
  const cosig = cosignNote(
    note.text,
    name,
    importPrivateKey(key.privateKeyPem),
    key.publicKey,
    Math.floor(now.getTime() / 1000),
  );
  await federationRepo.updatePeer(ctx.store.db, node, {
    cosigned_size: checkpoint.size,
    cosigned_body: formatNote({ text: note.text, signatures: [...note.signatures, cosig] }),
    cosigned_range: JSON.stringify(next.hashes.map((h) => Buffer.from(h).toString('base64'))),
  });
  return { status: 'cosigned', cosignature: { origin: checkpoint.origin, size: checkpoint.size, line: cosig.line } };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function splitView(
  ctx: AppContext,
  peer: FederationPeerRow,
  shown: string,
  explanation: string,
): Promise<CheckpointOutcome> {
  await ctx.store.transaction(async (tx) => {
    const locked = await federationRepo.lockPeer(tx, peer.node);
    if (locked?.split_alert_seq !== null) return;
    const c = await commit(tx, ctx, 'federation.split-view', LOG_ID, {
      node: peer.node,
      cosigned: peer.cosigned_body ?? '(nothing cosigned yet)',
      shown,
      explanation: `split view: ${explanation}; ${peer.node}'s records are refused until the operators resolve it`,
    });
    await federationRepo.updatePeer(tx, peer.node, { split_alert_seq: c.seq, last_error: explanation });
  });
  return { status: 'split', explanation };
}

/** Stores a peer witness's cosignature of this node's checkpoint, once it verifies with the pinned witness key. */
export async function acceptCosignature(ctx: AppContext, node: string, m: CosignatureMessage): Promise<boolean> {
  const peer = await requirePeer(ctx, node);
  if (m.origin !== (await logOrigin(ctx))) return false;
  const body = await logRepo.checkpointAt(ctx.store.db, LOG_ID, m.size);
  if (body === undefined) return false;
  const witness: NoteVerifier = parseVerifierKey(peer.witness_vkey);
  const note = parseNote(body);
  try {
    verifyCosignature(parseNote(`${note.text}\n${m.line}\n`), witness);
  } catch (e) {
    await federationRepo.updatePeer(ctx.store.db, node, {
      last_error: `a cosignature of size ${m.size} that does not verify with ${witness.name}: ${(e as Error).message}`,
    });
    return false;
  }
  await ctx.store.transaction((tx) => cosignaturesRepo.add(tx, LOG_ID, m.size, witness.name, m.line));
  return true;
}

/**
 * Applies the peer's records this node has cosigned and not yet applied, in seq order, in
 * transactions of up to APPLY_BATCH records that also move the peer's `applied_seq` (so a crash in
 * between applies them once, later).
 * Returns how many records were imported (the others concern nothing here and are only mirrored).
 */
export async function applyPeerRecords(ctx: AppContext, node: string): Promise<{ imported: number; skipped: number }> {
  let imported = 0;
  let skipped = 0;
  for (;;) {
    const step = await ctx.store.transaction(async (tx) => {
      const peer = await federationRepo.lockPeer(tx, node);
      if (peer === undefined) throw new AppError('NOT_FOUND', `no peer "${node}"`);
      if (peer.split_alert_seq !== null || peer.applied_seq >= peer.cosigned_size) return undefined;
      if (peer.followed_seq === null) {
        // Pinned before its settings were journalled (migration 0034): nothing of it is acted on here.
        await federationRepo.updatePeer(tx, node, { last_error: UNJOURNALLED });
        return undefined;
      }
      const rows = await federationRepo.mirrored(
        tx,
        node,
        peer.applied_seq + 1,
        Math.min(peer.cosigned_size, peer.applied_seq + APPLY_BATCH),
      );
      let done = { imported: 0, skipped: 0, seq: peer.applied_seq };
      for (const row of rows) {
        if (row.seq !== done.seq + 1) break;
        done = { ...done, seq: row.seq };
        const record = parseSignedRecord(parseCanonicalJson(row.canonical));
        const effect = await effectOf(tx, peer, record);
        if (effect === undefined) {
          done.skipped++;
          continue;
        }
        await commit(tx, ctx, 'federation.imported', LOG_ID, {
          node,
          origin: peer.origin,
          peerSeq: row.seq,
          recordHash: row.record_hash,
          record: row.canonical,
          effect,
        });
        done.imported++;
        if (record.payload.type === 'certificate.revoked' && !('seenInStatusList' in effect)) {
          const id = (record.payload.body as { certificateId: string }).certificateId;
          const relying = await licencesRepo.relyingOn(tx, id);
          await monitorCertificateRevocation(
            tx,
            ctx,
            relying.filter((l) => l.status === 'suspended').map((l) => l.id),
          );
        }
      }
      if (done.seq === peer.applied_seq) return undefined;
      // In the same transaction as the imports: a crash applies all of this batch later, or none of it now.
      await federationRepo.updatePeer(tx, node, { applied_seq: done.seq });
      return done;
    });
    if (step === undefined) return { imported, skipped };
    imported += step.imported;
    skipped += step.skipped;
  }
}

/** Why a peer pinned before migration 0034, with no `federation.peer.followed` record, is not applied. */
const UNJOURNALLED =
  'not applied: its settings are not journalled (pinned before migration 0034); re-run lodestone federation peer add, which journals them';

/** At most this many of a peer's records are applied in one transaction (one checkpoint for them). */
const APPLY_BATCH = 50;

/** Whether the party is this node's own (registered here, not imported from a peer). */
async function isLocalParty(tx: Transaction<Database>, id: string): Promise<boolean> {
  return (await partiesRepo.get(tx, id)) !== undefined && (await federationRepo.partyHome(tx, id)) === undefined;
}

/** The peer record's signature, by the key that must have made it: the party's, the peer's log key or its trust root. */
async function verifyPeerSignature(
  tx: Transaction<Database>,
  peer: FederationPeerRow,
  record: SignedRecord,
): Promise<void> {
  const { payload, signature } = record;
  if (payload.request !== undefined || payload.requestSha256 !== undefined) {
    verifyRecord(record, parseVerifierKey(peer.log_vkey).publicKey);
    return;
  }
  if (payload.type === 'trustlist.published') {
    verifyRecord(record, peer.trust_root_key);
    return;
  }
  if (payload.type === 'party.registered') {
    verifyRecord(record, (payload.body as { key: { publicKey: string } }).key.publicKey);
    return;
  }
  const key = await partyKeysRepo.get(tx, signature.keyId);
  if (key?.party_id !== payload.actor)
    throw new AppError(
      'FORBIDDEN',
      `${peer.node} record by ${payload.actor} is signed with a key not registered to it`,
    );
  verifyRecord(record, key.public_key);
}

/** What this node does with a peer's record (undefined: nothing, it stays mirrored only). */
async function effectOf(
  tx: Transaction<Database>,
  peer: FederationPeerRow,
  record: SignedRecord,
): Promise<ImportEffect | undefined> {
  const { payload } = record;
  const body = payload.body as Record<string, unknown>;
  const homed = async (party: string) => (await federationRepo.partyHome(tx, party))?.node === peer.node;
  const verified = async (effect: ImportEffect): Promise<ImportEffect> => {
    await verifyPeerSignature(tx, peer, record);
    return effect;
  };
  switch (payload.type) {
    case 'party.registered':
      // A party known here already (this node's own, or another peer's) is not taken over.
      return (await partiesRepo.get(tx, payload.actor)) === undefined ? verified({ kind: 'party' }) : undefined;
    case 'party.key.rotated':
    case 'party.key.revoked':
      return (await homed(payload.actor)) ? verified({ kind: 'keys' }) : undefined;
    case 'trustlist.published':
      return verified({ kind: 'trust-list' });
    case 'certificate.issued':
    case 'certificate.countersigned':
      return (await homed(payload.actor)) ? verified({ kind: 'certificate' }) : undefined;
    case 'certificate.revoked': {
      if (!(await homed(payload.actor))) return undefined;
      // Decisions made here before the revocation was heard: shipments under licences relying on it, dispatched after it.
      const id = (body as { certificateId: string }).certificateId;
      const licences = await licencesRepo.relyingOn(tx, id);
      const unaware: { shipmentId: string; dispatchedAt: string }[] = [];
      for (const l of licences)
        for (const s of await shipmentsRepo.list(tx, { licenceId: l.id })) {
          const at = await dispatchedAt(tx, s.seq);
          if (at !== undefined && at > payload.at) unaware.push({ shipmentId: s.id, dispatchedAt: at });
        }
      // Already revoked here from the peer's published status list (status-fetch.ts): recorded, not applied twice.
      const seen = (await certificatesRepo.get(tx, id))?.revoked_seq ?? undefined;
      return verified({
        kind: 'certificate',
        ...(unaware.length === 0 ? {} : { unaware }),
        ...(seen === undefined ? {} : { seenInStatusList: seen }),
      });
    }
    case 'shipment.dispatched': {
      const b = body as unknown as InboundBody;
      if (await isLocalParty(tx, b.shipment.to)) {
        const sourceLot = await sourceLotOf(tx, peer.node, b.shipment.fromLot, record);
        return verified({ kind: 'inbound', sourceLot });
      }
      const tracked = await federationRepo.trackedLot(tx, peer.node, b.shipment.fromLot);
      if (tracked === undefined) return undefined;
      return verified({
        kind: 'evidence',
        shipmentId: tracked.shipment_id,
        lotIds: [b.shipment.id],
        summary: `${payload.actor} shipped ${formatGrams(b.shipment.grams)} of lot ${b.shipment.fromLot} to ${b.shipment.to} in ${b.shipment.destination} (shipment ${b.shipment.id})`,
      });
    }
    case 'shipment.received': {
      const b = body as { shipmentId: string; lot: { id: string }; receivedGrams: number; discrepancyGrams: number };
      const s = await shipmentsRepo.get(tx, b.shipmentId);
      if (s === undefined || !(await isLocalParty(tx, s.from_holder))) return undefined;
      return verified({
        kind: 'evidence',
        shipmentId: s.id,
        lotIds: [b.lot.id],
        summary: `${payload.actor} received ${formatGrams(b.receivedGrams)} of shipment ${s.id} into lot ${b.lot.id}${b.discrepancyGrams === 0 ? '' : ` (${formatGrams(b.discrepancyGrams)} short)`}`,
      });
    }
    case 'lot.transformed': {
      const b = body as { id: string; inputs: { lotId: string; grams: number }[]; outputs: { id: string }[] };
      for (const i of b.inputs) {
        const tracked = await federationRepo.trackedLot(tx, peer.node, i.lotId);
        if (tracked !== undefined)
          return verified({
            kind: 'evidence',
            shipmentId: tracked.shipment_id,
            lotIds: b.outputs.map((o) => o.id),
            summary: `${payload.actor} transformed ${formatGrams(i.grams)} of lot ${i.lotId} into ${b.outputs.map((o) => o.id).join(', ')} (${b.id})`,
          });
      }
      return undefined;
    }
    case 'lot.consumed': {
      const b = body as { lotId?: string; grams?: number };
      if (b.lotId === undefined) return undefined;
      const tracked = await federationRepo.trackedLot(tx, peer.node, b.lotId);
      if (tracked === undefined) return undefined;
      return verified({
        kind: 'evidence',
        shipmentId: tracked.shipment_id,
        lotIds: [],
        summary: `${payload.actor} consumed ${b.grams === undefined ? 'some' : formatGrams(b.grams)} of lot ${b.lotId}`,
      });
    }
    default:
      return undefined;
  }
}

async function dispatchedAt(tx: Transaction<Database>, seq: number): Promise<string | undefined> {
  const row = await tx.selectFrom('journal').select('canonical').where('seq', '=', seq).executeTakeFirst();
  if (row === undefined) return undefined;
  return parseSignedRecord(parseCanonicalJson(row.canonical)).payload.at;
}

/** The lot a peer's shipment left from, as the peer's own records made it (its holder, location and item). */
async function sourceLotOf(
  tx: Transaction<Database>,
  node: string,
  lotId: string,
  dispatch: SignedRecord,
): Promise<{ id: string; holder: string; location: string; item: unknown }> {
  const seq = Number.MAX_SAFE_INTEGER;
  for (const row of (await federationRepo.mirroredMentioning(tx, node, JSON.stringify(lotId), seq)).reverse()) {
    const { payload } = parseSignedRecord(parseCanonicalJson(row.canonical));
    const b = payload.body as Record<string, unknown>;
    const lots: unknown[] =
      payload.type === 'lot.created' || payload.type === 'shipment.received'
        ? [b.lot]
        : payload.type === 'lot.transformed'
          ? (b.outputs as unknown[])
          : [];
    const lot = lots.find((l) => (l as { id?: unknown }).id === lotId) as
      { id: string; holder: string; location: string; item: unknown } | undefined;
    if (lot !== undefined) return { id: lot.id, holder: lot.holder, location: lot.location, item: lot.item };
  }
  throw new AppError(
    'NOT_FOUND',
    `${node}'s shipment by ${dispatch.payload.actor} leaves from lot ${lotId}, which none of its records made`,
  );
}

export interface PeerStatus {
  readonly node: string;
  readonly origin: string;
  readonly countries: readonly string[];
  /** The newest checkpoint size the peer published, as heard here, and when. */
  readonly heardSize: number;
  readonly heardAt: string | null;
  readonly mirrored: number;
  readonly cosignedSize: number;
  /** The peer's checkpoint this node last cosigned (signed note with this node's cosignature). */
  readonly cosigned: string | null;
  readonly appliedSeq: number;
  /** Records the peer published that are not yet applied here: heard size − applied seq. */
  readonly lag: number;
  /** The size of this node's checkpoint the peer's witness last cosigned (0: none yet). */
  readonly cosignedOurs: number;
  readonly splitAlertSeq: number | null;
  readonly lastError: string | null;
}

export interface FederationStatus {
  readonly origin: string;
  readonly journalSize: number;
  readonly publishedSeq: number;
  readonly publishedCheckpointSize: number;
  readonly peers: readonly PeerStatus[];
}

export async function federationStatus(ctx: AppContext): Promise<FederationStatus> {
  const db = ctx.store.db;
  const outbox = await federationRepo.outbox(db);
  const size = await logRepo.size(db);
  const peers: PeerStatus[] = [];
  for (const p of await federationRepo.peers(db)) {
    const witness = parseVerifierKey(p.witness_vkey).name;
    const ours = await db
      .selectFrom('log_cosignatures')
      .select((eb) => eb.fn.max('size').as('size'))
      .where('log_id', '=', LOG_ID)
      .where('witness', '=', witness)
      .executeTakeFirst();
    peers.push({
      node: p.node,
      origin: p.origin,
      countries: p.countries,
      heardSize: p.heard_size,
      heardAt: p.heard_at === null ? null : new Date(p.heard_at).toISOString(),
      mirrored: await federationRepo.mirrorCount(db, p.node),
      cosignedSize: p.cosigned_size,
      cosigned: p.cosigned_body,
      appliedSeq: p.applied_seq,
      lag: Math.max(0, p.heard_size - p.applied_seq),
      cosignedOurs: ours?.size ?? 0,
      splitAlertSeq: p.split_alert_seq,
      lastError: p.last_error,
    });
  }
  return {
    origin: await logOrigin(ctx),
    journalSize: size,
    publishedSeq: outbox.published_seq,
    publishedCheckpointSize: outbox.published_checkpoint_size,
    peers,
  };
}

/** The post-shipment evidence peers sent about this node's shipments (optionally one shipment). */
export async function federationEvidence(ctx: AppContext, shipmentId?: string): Promise<FederationEvidenceRow[]> {
  return federationRepo.evidence(ctx.store.db, shipmentId === undefined ? {} : { shipmentId });
}

/** The split views this node has recorded. */
export async function federationAlerts(
  ctx: AppContext,
): Promise<{ seq: number; node: string; cosigned: string; shown: string; explanation: string }[]> {
  return federationRepo.alerts(ctx.store.db);
}
