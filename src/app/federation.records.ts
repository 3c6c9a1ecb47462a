import type { Transaction } from 'kysely';
import { z } from 'zod';
import { isCountryCode, ValidationError } from '../domain/index.js';
import { federationRepo, lotsRepo, shipmentsRepo, type Database } from '../store/index.js';
import {
  canonicalJson,
  parseCanonicalJson,
  parseSignedRecord,
  parseVerifierKey,
  PEER_FOLLOWED_RECORD,
  sha256Hex,
  TRUST_ROOT_ID,
  type SignedRecord,
} from '../trust/index.js';
import type { AppContext } from './context.js';
import { parsePublicUrl } from './public-url.js';
import { AppError } from './errors.js';

/**
 * Journal records of federation (issue 24, docs/federation.md). Made and signed by this node's log
 * operator: `federation.imported` carries one record of a peer node (its exact canonical bytes, so
 * anyone can check the peer's signature and its leaf in the peer's log) and what this node did with
 * it; `federation.split-view` records that a peer showed a checkpoint inconsistent with one this
 * node cosigned, with both checkpoints. Made and signed by the operator's root key, the key of the
 * trust list: `federation.peer.followed`, the peer's identity as it published it (every field, as
 * read) and the countries whose roles this node takes from the peer's trust list — a trust decision
 * as weighty as the trust list itself.
 */
export const FEDERATION_RECORD_TYPES = ['federation.imported', 'federation.split-view', PEER_FOLLOWED_RECORD] as const;
export { PEER_FOLLOWED_RECORD };

const node = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a node name (a-z, 0-9, "-")');

const vkey = z.string().superRefine((v, c) => {
  try {
    parseVerifierKey(v);
  } catch (e) {
    c.addIssue({ code: 'custom', message: (e as Error).message, path: [] });
  }
});
const ed25519 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key (43 characters)');

/** At most this many characters of canonical JSON in a peer's identity (its unknown fields included). */
const MAX_IDENTITY = 16_384;

/**
 * A peer's identity, as `lodestone federation identity` prints it on the peer's node: the fields a
 * node pins are checked, and every other field (a later version's, such as a public URL) is kept as
 * it was read, so the record carries the identity whole.
 */
export const peerIdentitySchema = z
  .looseObject({
    node,
    /** As `federationIdentity` prints it: must be the name in logKey. */
    origin: z.string().min(1).max(255).optional(),
    logKey: vkey,
    witnessKey: vkey,
    trustRoot: ed25519,
    /** The peer's public base URL, where its status lists are fetched (status-fetch.ts); absent from identities printed before it. */
    url: z
      .string()
      .superRefine((v, c) => {
        try {
          parsePublicUrl(v, 'url');
        } catch (e) {
          c.addIssue({ code: 'custom', message: (e as ValidationError).errors[0]?.reason ?? String(e), path: [] });
        }
      })
      .optional(),
  })
  .superRefine((id, c) => {
    if (Object.hasOwn(id, 'countries'))
      c.addIssue({
        code: 'custom',
        path: ['countries'],
        message: "is no part of an identity: the countries are this node's choice (--countries)",
      });
    let text: string;
    try {
      text = canonicalJson(id);
    } catch (e) {
      c.addIssue({ code: 'custom', path: [], message: `must be plain JSON: ${(e as Error).message}` });
      return;
    }
    if (text.length > MAX_IDENTITY)
      c.addIssue({ code: 'custom', path: [], message: `is ${text.length} characters of JSON, over ${MAX_IDENTITY}` });
    let origin: string;
    try {
      origin = parseVerifierKey(id.logKey).name;
    } catch {
      return; // named by logKey's own check
    }
    if (id.origin !== undefined && id.origin !== origin)
      c.addIssue({
        code: 'custom',
        path: ['origin'],
        message: `is "${id.origin}", but logKey is the key of "${origin}"`,
      });
  });
export type PeerIdentity = z.infer<typeof peerIdentitySchema>;

/** Countries whose roles this node takes from a peer's trust list: ISO 3166-1 alpha-2, each once, in order. */
export const peerCountriesSchema = z
  .array(z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code such as "IN"' }))
  .max(250);

export const peerFollowedSchema = z
  .object({
    identity: peerIdentitySchema,
    countries: peerCountriesSchema.refine((cs) => cs.every((c, i) => i === 0 || (cs[i - 1] ?? '') < c), {
      message: 'must be in ascending order, each once',
    }),
    /** The operator's root key that signs this record (the trust list's: a verifier pins it with --trust-root). */
    root: z
      .object({
        algorithm: z.literal('Ed25519'),
        keyId: z.string().regex(/^ed25519:[A-Za-z0-9_-]{22}$/),
        publicKey: ed25519,
      })
      .strict(),
  })
  .strict();
export type PeerFollowed = z.infer<typeof peerFollowedSchema>;
const lotRef = z
  .object({ id: z.string().min(1), holder: z.string().min(1), location: z.string().length(2), item: z.unknown() })
  .strict();

const effectSchema = z.discriminatedUnion('kind', [
  /** A party registered at its home node (the peer): known here by this record. */
  z.object({ kind: z.literal('party') }).strict(),
  /** A key rotation or revocation of a party whose home is the peer. */
  z.object({ kind: z.literal('keys') }).strict(),
  /** A version of the peer's trust list, verified with the root key pinned for the peer. */
  z.object({ kind: z.literal('trust-list') }).strict(),
  /**
   * A certificate issued, countersigned or revoked on the peer. `unaware`: shipments this node let go
   * under licences relying on the certificate after the peer's revocation, before it was heard here.
   */
  z
    .object({
      kind: z.literal('certificate'),
      unaware: z.array(z.object({ shipmentId: z.string(), dispatchedAt: z.string() }).strict()).optional(),
      /** A revocation this node had already applied from the peer's status list (that journal entry): not applied again. */
      seenInStatusList: z.number().int().positive().optional(),
    })
    .strict(),
  /** A shipment the peer dispatched to a party of this node: in transit here, from a lot mirrored as it was. */
  z.object({ kind: z.literal('inbound'), sourceLot: lotRef }).strict(),
  /** A receipt, transformation, consumption or onward shipment on the peer of material this node shipped there. */
  z
    .object({
      kind: z.literal('evidence'),
      shipmentId: z.string(),
      lotIds: z.array(z.string()),
      summary: z.string().max(1000),
    })
    .strict(),
]);
export type ImportEffect = z.infer<typeof effectSchema>;

export const federationImportedSchema = z
  .object({
    node,
    origin: z.string().min(1).max(255),
    peerSeq: z.number().int().positive(),
    /** Hex SHA-256 of `record`: the peer's record hash (its Nats-Msg-Id). */
    recordHash: z.string().regex(/^[0-9a-f]{64}$/),
    /** The peer's signed record, its exact canonical bytes. */
    record: z.string().min(1),
    effect: effectSchema,
  })
  .strict()
  .superRefine((b, c) => {
    if (sha256Hex(b.record) !== b.recordHash)
      c.addIssue({ code: 'custom', path: ['recordHash'], message: 'is not the SHA-256 of record' });
  });
export type FederationImported = z.infer<typeof federationImportedSchema>;

export const federationSplitViewSchema = z
  .object({
    node,
    /** The peer's checkpoint this node cosigned (signed note). */
    cosigned: z.string().min(1),
    /** The peer's checkpoint it was then shown, inconsistent with it (signed note). */
    shown: z.string().min(1),
    explanation: z.string().min(1).max(2000),
  })
  .strict();
export type FederationSplitView = z.infer<typeof federationSplitViewSchema>;

export interface FederationRecordTypes {
  'federation.imported': FederationImported;
  'federation.split-view': FederationSplitView;
  'federation.peer.followed': PeerFollowed;
}

type Meta = { seq: number; actor: string; at: string };
/** The registry's projector (records.ts), passed in so this file does not import the registry. */
export type ProjectOriginal = (tx: Transaction<Database>, type: string, body: unknown, meta: Meta) => Promise<void>;

/** The peer's record inside a `federation.imported` body. */
export function importedRecord(b: FederationImported): SignedRecord {
  return parseSignedRecord(parseCanonicalJson(b.record));
}

/** Applies a peer's record as the import decided (the same on a rebuild: the decision is in the body). */
export async function projectImported(
  tx: Transaction<Database>,
  b: FederationImported,
  { seq }: Meta,
  projectOriginal: ProjectOriginal,
): Promise<void> {
  const { payload } = importedRecord(b);
  const meta = { seq, actor: payload.actor, at: payload.at };
  const e = b.effect;
  switch (e.kind) {
    case 'party': {
      await projectOriginal(tx, payload.type, payload.body, meta);
      await federationRepo.addPartyHome(tx, {
        party_id: payload.actor,
        node: b.node,
        peer_seq: b.peerSeq,
        record_hash: b.recordHash,
        imported_seq: seq,
      });
      return;
    }
    case 'keys':
    case 'certificate': {
      if (e.kind === 'keys' || e.seenInStatusList === undefined)
        await projectOriginal(tx, payload.type, payload.body, meta);
      for (const u of e.kind === 'certificate' ? (e.unaware ?? []) : [])
        await federationRepo.addEvidence(tx, {
          node: b.node,
          peer_seq: b.peerSeq,
          record_type: payload.type,
          shipment_id: u.shipmentId,
          lot_ids: [],
          summary: `dispatched here at ${u.dispatchedAt}, after ${b.node} revoked the certificate at ${payload.at} and before this node heard of it`,
          at: payload.at,
          imported_seq: seq,
        });
      return;
    }
    case 'trust-list': {
      const body = payload.body as { version: number; entries: unknown };
      await federationRepo.addTrustList(tx, {
        node: b.node,
        version: body.version,
        entries: body.entries,
        record_hash: b.recordHash,
        imported_seq: seq,
      });
      return;
    }
    case 'inbound': {
      const body = payload.body as InboundBody;
      const s = body.shipment;
      const held = await lotsRepo.get(tx, e.sourceLot.id);
      if (held === undefined)
        await lotsRepo.insert(tx, {
          id: e.sourceLot.id,
          holder: e.sourceLot.holder,
          location: e.sourceLot.location,
          item: e.sourceLot.item,
          mass_grams: body.from.massGrams,
          units: null,
          value_minor: body.from.valueMinor ?? null,
          currency: s.currency ?? null,
          restrictions: body.from.restrictions,
          licence_ids: [],
          created_seq: seq,
          updated_seq: seq,
        });
      else if (held.holder !== e.sourceLot.holder)
        throw new AppError(
          'ALREADY_EXISTS',
          `journal entry ${seq}: lot "${e.sourceLot.id}" of ${b.node} clashes with this node's lot of ${held.holder}`,
        );
      else
        await lotsRepo.setMass(
          tx,
          e.sourceLot.id,
          body.from.massGrams,
          body.from.restrictions,
          seq,
          body.from.valueMinor,
        );
      await shipmentsRepo.insert(tx, {
        id: s.id,
        seq,
        from_lot: s.fromLot,
        from_holder: s.fromHolder,
        to_party: s.to,
        destination: s.destination,
        grams: s.grams,
        units: s.units ?? null,
        value_minor: s.valueMinor ?? null,
        currency: s.currency ?? null,
        declared_value_minor: s.declaredValueMinor ?? null,
        // The licence is the peer's: it is named in the restrictions, not held here.
        licence_id: null,
        line_ref: s.lineRef ?? null,
        shipped_on: s.shippedOn,
        restrictions: body.restrictions,
      });
      return;
    }
    case 'evidence':
      await federationRepo.addEvidence(tx, {
        node: b.node,
        peer_seq: b.peerSeq,
        record_type: payload.type,
        shipment_id: e.shipmentId,
        lot_ids: e.lotIds,
        summary: e.summary,
        at: payload.at,
        imported_seq: seq,
      });
      return;
  }
}

/** The parts of a peer's `shipment.dispatched` body an inbound shipment needs. */
export interface InboundBody {
  readonly shipment: {
    readonly id: string;
    readonly fromLot: string;
    readonly fromHolder: string;
    readonly to: string;
    readonly destination: string;
    readonly grams: number;
    readonly units?: number;
    readonly valueMinor?: number;
    readonly currency?: string;
    readonly declaredValueMinor?: number;
    readonly lineRef?: string;
    readonly shippedOn: string;
  };
  readonly restrictions: readonly unknown[];
  readonly from: {
    readonly lotId: string;
    readonly massGrams: number;
    readonly restrictions: readonly unknown[];
    readonly valueMinor?: number;
  };
}

export async function projectSplitView(
  tx: Transaction<Database>,
  b: FederationSplitView,
  { seq }: Meta,
): Promise<void> {
  await federationRepo.addAlert(tx, {
    seq,
    node: b.node,
    cosigned: b.cosigned,
    shown: b.shown,
    explanation: b.explanation,
  });
}

/** Projects a `federation.peer.followed` record: the peer's pins, as the root key signed them, from this entry on. */
export async function projectPeerFollowed(tx: Transaction<Database>, b: PeerFollowed, { seq }: Meta): Promise<void> {
  await federationRepo.addPeer(tx, {
    node: b.identity.node,
    origin: parseVerifierKey(b.identity.logKey).name,
    log_vkey: b.identity.logKey,
    witness_vkey: b.identity.witnessKey,
    trust_root_key: b.identity.trustRoot,
    countries: [...b.countries],
    public_url: b.identity.url === undefined ? null : parsePublicUrl(b.identity.url),
    followed_seq: seq,
  });
}

/**
 * The key that must sign a `federation.peer.followed` record: the operator's root key as this node's
 * keystore holds it, named in the body — never the log key, a party's key or a signed API request.
 * Returns its public key (for `verifyRecord`).
 */
export function peerRecordSignatureKey(ctx: AppContext, record: SignedRecord): string {
  const { payload, signature } = record;
  if (payload.actor !== TRUST_ROOT_ID || payload.request !== undefined || payload.requestSha256 !== undefined)
    throw new AppError(
      'FORBIDDEN',
      `a ${PEER_FOLLOWED_RECORD} record is made by the operator root key (${TRUST_ROOT_ID}) alone, not by "${payload.actor}" or on a signed API request`,
    );
  if (!ctx.keystore.has(TRUST_ROOT_ID))
    throw new AppError('KEY_MISSING', `this node has no operator root key (${TRUST_ROOT_ID}) in ${ctx.keystore.dir}`);
  const root = ctx.keystore.get(TRUST_ROOT_ID);
  const named = (payload.body as { root?: { keyId?: unknown; publicKey?: unknown } } | null)?.root;
  if (signature.keyId !== root.keyId || named?.keyId !== root.keyId || named.publicKey !== root.publicKey)
    throw new AppError(
      'FORBIDDEN',
      `a ${PEER_FOLLOWED_RECORD} record must name and be signed by the operator root key ${root.keyId}, not ${signature.keyId}`,
    );
  return root.publicKey;
}
