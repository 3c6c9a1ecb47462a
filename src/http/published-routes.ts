import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  operatorDidDocument,
  operatorJwks,
  partyDidDocument,
  partyJwks,
  publishedStatusList,
  type AppContext,
} from '../app/index.js';
import { CREDENTIALS_CONTEXT_PATH, credentialsContextDocument } from '../trust/index.js';

/**
 * What the deployment publishes for anyone, without an API key, so standard tools can check its
 * certificates (see src/app/status-lists.ts): revocation status lists, parties' and the operator's
 * keys (did:web DID documents and JWKS), and the credentials' JSON-LD context. Every answer carries
 * a strong ETag and Cache-Control, answers If-None-Match with 304, and may be read cross-origin.
 */

/** How long a client may use a status list, key set or DID document without asking again. */
export const PUBLISHED_MAX_AGE_SECONDS = 300;
/** The context document changes only with the software. */
const CONTEXT_MAX_AGE_SECONDS = 86_400;

const PARTY_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

function party(req: FastifyRequest): string {
  const id = (req.params as { party?: unknown }).party;
  if (typeof id !== 'string' || !PARTY_ID.test(id))
    throw new AppError('NOT_FOUND', `no party ${JSON.stringify(id)}`, { field: 'party' });
  return id;
}

/** Whether an If-None-Match header (RFC 9110 §13.1.2) matches the entity tag (weak comparison). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function send(
  req: FastifyRequest,
  reply: FastifyReply,
  type: string,
  body: string,
  maxAge: number,
  tag?: string,
): FastifyReply {
  const etag = `"${tag ?? createHash('sha256').update(body).digest('base64url')}"`;
  void reply
    .header('etag', etag)
    .header('cache-control', `public, max-age=${String(maxAge)}`)
    .header('access-control-allow-origin', '*')
    .header('cross-origin-resource-policy', 'cross-origin');
  if (matches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  return reply.code(200).type(type).send(body);
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Registers the published documents on the server (outside the authenticated /v1 route table). */
export function registerPublishedRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/status-lists/:party/revocation', async (req, reply) => {
    const list = await publishedStatusList(ctx, party(req));
    return send(req, reply, 'application/vc+jwt', list.jws, PUBLISHED_MAX_AGE_SECONDS, list.etag);
  });
  app.get('/parties/:party/did.json', async (req, reply) =>
    send(req, reply, 'application/did+json', json(await partyDidDocument(ctx, party(req))), PUBLISHED_MAX_AGE_SECONDS),
  );
  app.get('/parties/:party/jwks.json', async (req, reply) =>
    send(req, reply, 'application/jwk-set+json', json(await partyJwks(ctx, party(req))), PUBLISHED_MAX_AGE_SECONDS),
  );
  app.get('/.well-known/did.json', (req, reply) =>
    send(req, reply, 'application/did+json', json(operatorDidDocument(ctx)), PUBLISHED_MAX_AGE_SECONDS),
  );
  app.get('/.well-known/jwks.json', (req, reply) =>
    send(req, reply, 'application/jwk-set+json', json(operatorJwks(ctx)), PUBLISHED_MAX_AGE_SECONDS),
  );
  app.get(CREDENTIALS_CONTEXT_PATH, (req, reply) =>
    send(req, reply, 'application/ld+json', json(credentialsContextDocument(ctx.publicUrl)), CONTEXT_MAX_AGE_SECONDS),
  );
}
