import { parseParty, ValidationError, type Party } from '../domain/index.js';
import { keyIdFor } from '../trust/index.js';
import type { Kysely } from 'kysely';
import { partiesRepo, type Database, type PartyRow } from '../store/index.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';
import { LOG_ID } from './log.js';
import { TRUST_ROOT_ID } from './trustlist.records.js';

export interface RegisteredParty {
  readonly party: Party;
  readonly keyId: string;
  readonly seq: number;
}

/**
 * Registers a party with a signing key: the public key the party brings (over the API, where its
 * private key never reaches the server; the registration request must then be signed with it), or
 * else a key created in the keystore (or the one imported there), which signs the record, proving
 * possession.
 */
export async function registerParty(
  ctx: AppContext,
  input: unknown,
  bring?: { readonly publicKey: unknown },
): Promise<RegisteredParty> {
  const party = parseParty(input);
  // The operator's keys live in the same keystore: no party may take their names.
  if (party.id === TRUST_ROOT_ID || party.id === LOG_ID)
    throw new ValidationError('party.id', `"${party.id}" is reserved for the operator's own key`);
  let key: { keyId: string; publicKey: string };
  if (bring !== undefined) {
    if (typeof bring.publicKey !== 'string')
      throw new ValidationError('publicKey', 'must be a raw Ed25519 public key as base64url');
    try {
      key = { keyId: keyIdFor(bring.publicKey), publicKey: bring.publicKey };
    } catch (e) {
      throw new ValidationError('publicKey', (e as Error).message);
    }
  } else {
    if (ctx.request !== undefined)
      throw new AppError('FORBIDDEN', 'a party registering over the API brings its own public key');
    key = ctx.keystore.ensure(party.id);
  }
  return ctx.store.transaction(async (tx) => {
    if (await partiesRepo.get(tx, party.id))
      throw new AppError('ALREADY_EXISTS', `party "${party.id}" is already registered`, { field: 'party.id' });
    const c = await commit(tx, ctx, 'party.registered', party.id, {
      party,
      key: { algorithm: 'Ed25519', keyId: key.keyId, publicKey: key.publicKey },
    });
    return { party, keyId: key.keyId, seq: c.seq };
  });
}

/** A registered party, inside a use case's transaction; NOT_FOUND naming the field otherwise. */
export async function requireParty(db: Kysely<Database>, id: string, field: string): Promise<Party> {
  const row = await partiesRepo.get(db, id);
  if (!row) throw new AppError('NOT_FOUND', `no party "${id}"`, { field });
  return toParty(row);
}

export async function getParty(ctx: AppContext, id: string): Promise<Party> {
  const row = await partiesRepo.get(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `no party "${id}"`, { field: 'party' });
  return toParty(row);
}

export async function listParties(ctx: AppContext): Promise<readonly Party[]> {
  return (await partiesRepo.list(ctx.store.db)).map(toParty);
}

function toParty(row: PartyRow): Party {
  return row.party as Party;
}
