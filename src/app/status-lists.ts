import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { certificatesRepo, partiesRepo, partyKeysRepo, type Database } from '../store/index.js';
import {
  didDocument,
  didWebFor,
  ed25519Jwk,
  keyReference,
  partyDid,
  revocationListCredential,
  signCompactCredential,
  type BitstringStatusListCredential,
  type Ed25519Jwk,
} from '../trust/index.js';
import { statusListUrl } from './certificates.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { LOG_ID } from './log.js';

/**
 * What a deployment publishes so that standard tools can check its certificates without its code:
 *
 * - each issuer's revocation list, a W3C Bitstring Status List credential secured like the
 *   certificates (VC-JOSE-COSE, compact JWS), at `<public URL>/status-lists/<party>/revocation`,
 *   issued and signed by the deployment (did:web of the public URL, the log operator's key): the
 *   journal decides a revocation, which the issuer or the countersigning government may make;
 * - each party's keys as a did:web DID document and a JWKS (RFC 7517), and the operator's.
 *
 * Everything is derived from the projections, which `rebuild` reproduces from the journal, so the
 * same journal always publishes the same bytes (Ed25519 signatures are deterministic).
 */

export interface PublishedStatusList {
  /** The issuer of the certificates it covers. */
  readonly partyId: string;
  readonly url: string;
  readonly credential: BitstringStatusListCredential;
  /** The credential secured as a compact JWS (media type application/vc+jwt). */
  readonly jws: string;
  /** A strong entity tag: the SHA-256 of the JWS, base64url. */
  readonly etag: string;
}

/** The log operator's key, creating it on first use (as `logVerifier` does). */
function operatorKey(ctx: AppContext) {
  const key = ctx.keystore.ensure(LOG_ID);
  return { key, signer: ctx.keystore.signer(LOG_ID), kid: keyReference(didWebFor(ctx.publicUrl), key.keyId) };
}

async function requireParty(db: Kysely<Database>, partyId: string): Promise<void> {
  if (!(await partiesRepo.get(db, partyId)))
    throw new AppError('NOT_FOUND', `no party "${partyId}"`, { field: 'party' });
}

/** The revocation status list of the certificates `partyId` issued, signed by the deployment. */
export async function publishedStatusList(
  ctx: AppContext,
  partyId: string,
  db: Kysely<Database> = ctx.store.db,
): Promise<PublishedStatusList> {
  await requireParty(db, partyId);
  const url = statusListUrl(ctx.publicUrl, partyId);
  const { signer, kid } = operatorKey(ctx);
  const credential = revocationListCredential(
    url,
    didWebFor(ctx.publicUrl),
    await certificatesRepo.revokedIndexesOf(db, partyId),
  );
  const jws = await signCompactCredential(credential, signer, kid);
  return { partyId, url, credential, jws, etag: createHash('sha256').update(jws).digest('base64url') };
}

/** Every issuer's published status list (for `lodestone certificates status-list` without --issuer). */
export async function publishedStatusLists(ctx: AppContext): Promise<readonly PublishedStatusList[]> {
  const db = ctx.store.db;
  const out: PublishedStatusList[] = [];
  for (const party of await certificatesRepo.issuers(db)) out.push(await publishedStatusList(ctx, party, db));
  return out;
}

/** The keys a certificate signature may be checked with: registered and not revoked (rotated keys stay, for older signatures). */
async function usableKeys(db: Kysely<Database>, partyId: string) {
  return (await partyKeysRepo.listByParty(db, partyId))
    .filter((k) => k.revoked_seq === null)
    .map((k) => ({ keyId: k.key_id, publicKey: k.public_key }));
}

/** A party's did:web DID document (served at `/parties/<party>/did.json`). */
export async function partyDidDocument(ctx: AppContext, partyId: string): Promise<unknown> {
  const db = ctx.store.db;
  await requireParty(db, partyId);
  return didDocument(partyDid(ctx.publicUrl, partyId), await usableKeys(db, partyId));
}

/** A party's keys as a JWKS, each `kid` the key's DID URL (served at `/parties/<party>/jwks.json`). */
export async function partyJwks(ctx: AppContext, partyId: string): Promise<{ readonly keys: readonly Ed25519Jwk[] }> {
  const db = ctx.store.db;
  await requireParty(db, partyId);
  const did = partyDid(ctx.publicUrl, partyId);
  return { keys: (await usableKeys(db, partyId)).map((k) => ed25519Jwk(k.publicKey, keyReference(did, k.keyId))) };
}

/** The deployment's own DID document: the log operator's key, which signs the status lists (`/.well-known/did.json`). */
export function operatorDidDocument(ctx: AppContext): unknown {
  const { key } = operatorKey(ctx);
  return didDocument(didWebFor(ctx.publicUrl), [key]);
}

/** The deployment's JWKS: the log operator's key (`/.well-known/jwks.json`). */
export function operatorJwks(ctx: AppContext): { readonly keys: readonly Ed25519Jwk[] } {
  const { key, kid } = operatorKey(ctx);
  return { keys: [ed25519Jwk(key.publicKey, kid)] };
}
