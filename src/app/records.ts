import type { Transaction } from 'kysely';
import { z } from 'zod';
import { isoDate, itemSchema, parse, partySchema, type Item, type Party } from '../domain/index.js';
import type { Classification } from '../rules/index.js';
import { classificationsRepo, partiesRepo, partyKeysRepo, rulePacksRepo, type Database } from '../store/index.js';
import { ALERT_PROJECTORS, ALERT_SCHEMAS, type AlertRecordTypes } from './alerts.records.js';
import { CERTIFICATE_KINDS, type CertificateRecordTypes } from './certificates.records.js';
import { EPCIS_PROJECTORS, EPCIS_SCHEMAS, type EpcisRecordTypes } from './epcis.records.js';
import { AppError } from './errors.js';
import {
  federationImportedSchema,
  federationSplitViewSchema,
  peerFollowedSchema,
  projectImported,
  projectPeerFollowed,
  projectSplitView,
  type FederationRecordTypes,
} from './federation.records.js';
import { KEY_PROJECTORS, KEY_SCHEMAS, keySchema, type KeyRecordTypes } from './keys.records.js';
import {
  listImportedSchema,
  projectListImported,
  projectScreeningReviewed,
  screeningReviewedSchema,
  type ListImported,
  type ScreeningReviewed,
} from './screening.records.js';
import { LICENSING_PROJECTORS, LICENSING_SCHEMAS, type LicensingRecordTypes } from './licensing.records.js';
import {
  federationStatusRevokedSchema,
  projectStatusRevoked,
  type StatusListRecordTypes,
} from './status-fetch.records.js';
import { projectTrustListPublished, trustListPublishedSchema, type TrustListRecordTypes } from './trustlist.records.js';

/**
 * The kinds of journal record, each with its body schema and its projector: the function that
 * applies an accepted record to the projections. Use cases and `rebuild` both go through
 * `project`, so replaying the journal reproduces exactly what the use cases wrote.
 */

export const partyRegisteredSchema = z.object({ party: partySchema, key: keySchema }).strict();
export type PartyRegistered = z.infer<typeof partyRegisteredSchema>;

export const rulePackLoadedSchema = z
  .object({
    packId: z.string().min(1),
    version: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    file: z.string().min(1),
    /** The pack file's exact text, so an auditor can re-parse it and recompute its SHA-256. */
    yaml: z.string().min(1),
  })
  .strict();
export type RulePackLoaded = z.infer<typeof rulePackLoadedSchema>;

export const itemClassifiedSchema = z
  .object({
    id: z.string().regex(/^cls-[0-9a-z-]+$/),
    label: z.string().max(200).optional(),
    item: itemSchema,
    asOf: isoDate,
    exportFrom: z.string().length(2),
    /** Readings of unverified facts the caller chose instead of the packs' defaults (--assume). */
    assume: z.record(z.string(), z.string()).optional(),
    /** The classifier's full result (codes, findings with citations, pack versions). */
    result: z.custom<Classification>((v) => typeof v === 'object' && v !== null && 'controlled' in v && 'codes' in v),
  })
  .strict();
export type ItemClassified = z.infer<typeof itemClassifiedSchema>;

export interface RecordTypes
  extends
    LicensingRecordTypes,
    CertificateRecordTypes,
    AlertRecordTypes,
    EpcisRecordTypes,
    KeyRecordTypes,
    TrustListRecordTypes,
    FederationRecordTypes,
    StatusListRecordTypes {
  'party.registered': PartyRegistered;
  'rulepack.loaded': RulePackLoaded;
  'item.classified': ItemClassified;
  'list.imported': ListImported;
  'screening.reviewed': ScreeningReviewed;
}
export type RecordType = keyof RecordTypes;

interface RecordKind<B> {
  readonly schema: z.ZodType<B>;
  readonly project: (
    tx: Transaction<Database>,
    body: B,
    meta: { seq: number; actor: string; at: string },
  ) => Promise<void>;
}

function kinds<M extends Record<string, unknown>>(
  schemas: { readonly [K in keyof M]: z.ZodType<M[K]> },
  projectors: { readonly [K in keyof M]: RecordKind<M[K]>['project'] },
): { readonly [K in keyof M]: RecordKind<M[K]> } {
  const out = {} as { [K in keyof M]: RecordKind<M[K]> };
  for (const k of Object.keys(schemas) as (keyof M)[]) out[k] = { schema: schemas[k], project: projectors[k] };
  return out;
}

const KINDS: { readonly [T in RecordType]: RecordKind<RecordTypes[T]> } = {
  ...CERTIFICATE_KINDS,
  ...kinds<LicensingRecordTypes>(LICENSING_SCHEMAS, LICENSING_PROJECTORS),
  ...kinds<AlertRecordTypes>(ALERT_SCHEMAS, ALERT_PROJECTORS),
  ...kinds<EpcisRecordTypes>(EPCIS_SCHEMAS, EPCIS_PROJECTORS),
  ...kinds<KeyRecordTypes>(KEY_SCHEMAS, KEY_PROJECTORS),
  'list.imported': { schema: listImportedSchema, project: projectListImported },
  'screening.reviewed': { schema: screeningReviewedSchema, project: projectScreeningReviewed },
  'trustlist.published': { schema: trustListPublishedSchema, project: projectTrustListPublished },
  'federation.imported': {
    schema: federationImportedSchema,
    project: (tx, body, meta) => projectImported(tx, body, meta, project),
  },
  'federation.split-view': { schema: federationSplitViewSchema, project: projectSplitView },
  'federation.status-revoked': { schema: federationStatusRevokedSchema, project: projectStatusRevoked },
  'federation.peer.followed': { schema: peerFollowedSchema, project: projectPeerFollowed },
  'party.registered': {
    schema: partyRegisteredSchema,
    async project(tx, body, { seq }) {
      const p: Party = body.party;
      await partiesRepo.insert(tx, {
        id: p.id,
        name: p.name,
        country: p.country,
        sector: p.sector ?? null,
        party: p,
        created_seq: seq,
      });
      await partyKeysRepo.insert(tx, {
        key_id: body.key.keyId,
        party_id: p.id,
        algorithm: 'Ed25519',
        public_key: body.key.publicKey,
        created_seq: seq,
      });
    },
  },
  'rulepack.loaded': {
    schema: rulePackLoadedSchema,
    async project(tx, body, { seq }) {
      await rulePacksRepo.upsert(tx, {
        pack_id: body.packId,
        version: body.version,
        sha256: body.sha256,
        body: { file: body.file, yaml: body.yaml },
        loaded_seq: seq,
      });
    },
  },
  'item.classified': {
    schema: itemClassifiedSchema,
    async project(tx, body, { seq, actor, at }) {
      const item: Item = body.item;
      await classificationsRepo.insert(tx, {
        id: body.id,
        seq,
        actor,
        label: body.label ?? null,
        as_of: body.asOf,
        controlled: body.result.controlled,
        codes: [...body.result.codes],
        item,
        result: body.result,
        created_at: at,
      });
    },
  },
};

export function isRecordType(t: string): t is RecordType {
  return Object.hasOwn(KINDS, t);
}

/** Validates a record body of the given type (hostile input: names the field on failure). */
export function parseBody<T extends RecordType>(type: T, body: unknown): RecordTypes[T] {
  return parse(KINDS[type].schema, body, 'body');
}

/**
 * Applies an accepted record to the projections. `parsed`: the body is already `parseBody`'s output
 * for this type (as `commit` has it), so it is not validated a second time.
 */
export async function project(
  tx: Transaction<Database>,
  type: string,
  body: unknown,
  meta: { seq: number; actor: string; at: string },
  parsed = false,
): Promise<void> {
  if (!isRecordType(type))
    throw new AppError('UNKNOWN_RECORD_TYPE', `journal entry ${meta.seq}: unknown record type "${type}"`);
  const kind = KINDS[type] as RecordKind<unknown>;
  await kind.project(tx, parsed ? body : parse(kind.schema, body, `journal[${meta.seq}].body`), meta);
}
