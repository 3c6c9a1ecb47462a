import type { FastifyRequest } from 'fastify';
import { actingAs, AppError, verifySignedRequest, type AppContext, type RequestToVerify } from '../app/index.js';
import type { Principal } from './roles.js';

export const SIGNATURE_HEADER = 'lodestone-signature';

/**
 * A request that makes records must carry `Lodestone-Signature: <detached compact JWS>` by the
 * caller's party key over the exact body (src/app/requests.ts verifies it). The signing key's
 * party must be the credential's party: an API key alone cannot make a record for anyone, and a
 * signature alone cannot be sent without the party's credential. Returns the context the use case
 * runs in (its records carry the party's request; its nonce is spent in the same transaction).
 */
export async function verifyRequestSignature(
  ctx: AppContext,
  principal: Principal,
  req: FastifyRequest,
  registering?: RequestToVerify['registering'],
): Promise<AppContext> {
  const header = req.headers[SIGNATURE_HEADER];
  const signed = await verifySignedRequest(ctx, typeof header === 'string' ? header : undefined, {
    method: req.method,
    path: req.url,
    rawBody: req.rawBody ?? '',
    ...(registering === undefined ? {} : { registering }),
  });
  const expected =
    registering !== undefined && principal.role === 'operator-admin' ? registering.partyId : principal.partyId;
  if (signed.partyId !== expected) {
    throw new AppError(
      'UNAUTHENTICATED',
      `Lodestone-Signature: signed by a key of "${signed.partyId}", but the API key is ${principal.partyId === null ? 'an operator credential' : `"${principal.partyId}"'s`}`,
      { field: 'Lodestone-Signature' },
    );
  }
  return actingAs(ctx, signed);
}
