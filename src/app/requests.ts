import { partyKeysRepo, requestNoncesRepo } from '../store/index.js';
import { attachRequestBody, keyIdFor, TrustError, verifyRequestJws } from '../trust/index.js';
import type { AppContext, SignedRequest } from './context.js';
import { AppError } from './errors.js';
import { keyEnded } from './keys.records.js';

export { signRequest } from '../trust/index.js';
export type { SignedRequest } from './context.js';

/** How far a request's `iat` may be from the server's clock, in seconds. */
export const REQUEST_CLOCK_SKEW_SECONDS = 300;

export interface RequestToVerify {
  readonly method: string;
  /** The request path with its query string, exactly as received. */
  readonly path: string;
  /** The exact body bytes as text ('' when there is none). */
  readonly rawBody: string;
  /**
   * For a party registering itself: the key the body registers, which is not in party_keys yet.
   * The request must be signed by exactly this key, and is then attributed to `partyId`.
   */
  readonly registering?: { readonly partyId: string; readonly keyId: string; readonly publicKey: string };
}

function unauthenticated(reason: string, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', `Lodestone-Signature: ${reason}`, {
    field: 'Lodestone-Signature',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Checks a party's signed request as it arrives (detached compact JWS, see src/trust/request.ts):
 * the header's method and path are this request's, `iat` is within ±5 minutes of the server's clock,
 * the key is registered to a party and in force (neither replaced nor revoked), the signature holds over the exact body, and
 * the nonce has not been spent. Throws AppError UNAUTHENTICATED (or REPLAYED) naming the reason.
 * The nonce is spent only when a record is committed (`actingAs`), in the same transaction.
 */
export async function verifySignedRequest(
  ctx: AppContext,
  detachedJws: string | undefined,
  req: RequestToVerify,
): Promise<SignedRequest> {
  if (detachedJws === undefined || detachedJws === '')
    throw unauthenticated("this request makes records, so it must be signed with the party's key");
  let jws: string;
  try {
    jws = attachRequestBody(detachedJws, req.rawBody);
  } catch (e) {
    throw unauthenticated((e as Error).message, e);
  }
  let kid: string;
  let claimedNonce: unknown;
  try {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      kid?: unknown;
      nonce?: unknown;
    };
    if (typeof header.kid !== 'string') throw new Error('protected header has no kid');
    kid = header.kid;
    claimedNonce = header.nonce;
  } catch (e) {
    throw unauthenticated(`malformed protected header: ${(e as Error).message}`, e);
  }
  let partyId: string;
  let publicKey: string;
  // The nonce as the header claims it, read with the key in one statement; it is judged only once the signature
  // over that header has verified (below), and only if it is the nonce the verified header carries.
  let spent: { readonly nonce: string; readonly seq: number | undefined } | undefined;
  if (req.registering !== undefined && kid === req.registering.keyId) {
    if (keyIdFor(req.registering.publicKey) !== req.registering.keyId)
      throw unauthenticated('the key id does not match the public key being registered');
    partyId = req.registering.partyId;
    publicKey = req.registering.publicKey;
  } else {
    let key;
    if (typeof claimedNonce === 'string') {
      const read = await partyKeysRepo.getWithNonce(ctx.store.db, kid, claimedNonce);
      key = read.key;
      spent = { nonce: claimedNonce, seq: read.spentAtSeq };
    } else key = await partyKeysRepo.get(ctx.store.db, kid);
    if (key === undefined) throw unauthenticated(`key ${kid} is not registered`);
    const ended = keyEnded(key);
    if (ended !== undefined) throw unauthenticated(`${ended}: it signs nothing after that`);
    partyId = key.party_id;
    publicKey = key.public_key;
  }
  let header;
  try {
    header = verifyRequestJws(jws, publicKey).header;
  } catch (e) {
    if (e instanceof TrustError) throw unauthenticated(e.message, e);
    throw e;
  }
  if (header.htm !== req.method.toUpperCase())
    throw unauthenticated(`signed for method ${header.htm}, but this request is ${req.method.toUpperCase()}`);
  if (header.htu !== req.path)
    throw unauthenticated(`signed for path ${header.htu}, but this request is for ${req.path}`);
  const now = Math.floor(ctx.clock().getTime() / 1000);
  if (Math.abs(now - header.iat) > REQUEST_CLOCK_SKEW_SECONDS) {
    throw unauthenticated(
      `signed at ${new Date(header.iat * 1000).toISOString()}, more than ${REQUEST_CLOCK_SKEW_SECONDS} s from the server's clock (${new Date(now * 1000).toISOString()})`,
    );
  }
  const spentAt =
    spent?.nonce === header.nonce ? spent.seq : (await requestNoncesRepo.get(ctx.store.db, header.nonce))?.first_seq;
  if (spentAt !== undefined)
    throw new AppError(
      'REPLAYED',
      `the request's nonce was already used (journal entry ${spentAt}): sign every request with a fresh nonce`,
      { field: 'nonce' },
    );
  return { partyId, keyId: kid, jws, nonce: header.nonce };
}

/**
 * The context in which a use case runs on a party's signed request: every record it commits must
 * be that party's, carries the request, is signed by the log operator's key, and spends the
 * request's nonce in the same transaction (so a replayed request records nothing).
 */
export function actingAs(ctx: AppContext, request: SignedRequest): AppContext {
  return { ...ctx, request };
}
