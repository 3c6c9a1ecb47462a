import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { z } from 'zod';
import {
  describeJsonShapeProblem,
  jsonShapeProblem,
  nulPath,
  parse as parseWith,
  ValidationError,
} from '../domain/index.js';
import {
  askPeersFirst,
  GroupCommit,
  Isolate,
  type AppContext,
  type GroupCommitOptions,
  type GroupRun,
} from '../app/index.js';
import { COMMITTED_WITHOUT_RESPONSE, idempotencyRepo, type PriorClaim, type Store } from '../store/index.js';
import { keyIdFor } from '../trust/index.js';
import { authenticate } from './credentials.js';
import { RateLimited, requestLimits, type RateLimitOptions } from './limits.js';
import { readiness } from './readiness.js';
import { docsPage, openApiDocument } from './openapi.js';
import { problem, PROBLEM_TYPE, toProblem, type Problem } from './problem.js';
import type { Principal } from './roles.js';
import { Answer, type AnyRoute } from './route.js';
import { CsvAnswer } from './listing.js';
import { ROUTES } from './routes.js';
import { registerConsole } from './console.js';
import { registerTiles } from './tiles.js';
import { noRouteHandler } from './no-route.js';
import { CONSOLE_ROUTES } from './console-routes.js';
import { EPCIS_BINDING_ROUTES } from './epcis-binding.js';
import { registerPublishedRoutes } from './published-routes.js';

/** Every route the server serves by default: the API's table, the console's read-only routes, the EPCIS REST binding. */
export const SERVED_ROUTES = [...ROUTES, ...CONSOLE_ROUTES, ...EPCIS_BINDING_ROUTES];
import { verifyRequestSignature } from './signature.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ServerOptions {
  /** Fastify's pino logger options, or false (the default, for tests). */
  readonly logger?: FastifyServerOptions['logger'];
  /**
   * Requests per client address (before authentication: `maxPerAddress`, default 1200) and then per
   * credential (`max`, default 600) per window (default a minute); false turns both limits off.
   */
  readonly rateLimit?: RateLimitOptions | false;
  /** The route table (default: ROUTES). */
  readonly routes?: readonly AnyRoute[];
  /** How long /readyz waits for the store before answering 503 (default READY_TIMEOUT_MS, 2 s). */
  readonly readyTimeoutMs?: number;
  /** How POSTs are grouped into one transaction each (default DEFAULT_GROUP_COMMIT: 2 ms, 64 requests). */
  readonly groupCommit?: GroupCommitOptions;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's group-commit runner (its `stats` say how requests were grouped). */
    groupCommit: GroupCommit;
  }
  interface FastifyRequest {
    principal: Principal | null;
    rawBody: string | null;
  }
  interface FastifyContextConfig {
    route?: AnyRoute;
  }
}

class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

const fail = (status: number, code: string, detail: string, field?: string): never => {
  throw new HttpProblem(problem(status, code, detail, { field }));
};

function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_TYPE).send(p);
}

/**
 * The HTTP API over one application context. Every /v1 route comes from the route table; one
 * handler wrapper enforces, in order: authentication (onRequest: 401), the route's roles (403),
 * the input schemas (400 naming the field), ownership (404), the request signature (401) on routes
 * that record, and Idempotency-Key on every POST; then runs the route's use case.
 */
export async function createServer(ctx: AppContext, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const routes = opts.routes ?? SERVED_ROUTES;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    trustProxy: false,
    // Requests the router cannot even read (a broken %-escape in the path): a 400 problem, like every error.
    frameworkErrors: (e, _req, reply: FastifyReply) => {
      void sendProblem(reply, problem(400, 'BAD_URL', `the request path is not a valid URL: ${e.message}`));
    },
  });
  const noRoute = noRouteHandler(app); // before any route is added: it learns them as they are
  app.decorateRequest('principal', null);
  app.decorateRequest('rawBody', null);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    for (const [k, v] of Object.entries(req.routeOptions.config.route?.headers?.fixed ?? {})) reply.header(k, v);
    return payload;
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
  });
  let limits: ReturnType<typeof requestLimits> | undefined;
  if (opts.rateLimit !== false) {
    await app.register(rateLimit, { global: false });
    limits = requestLimits(app, opts.rateLimit);
  }

  // JSON bodies are kept as text too: a signed request's signature covers the exact bytes.
  app.removeAllContentTypeParsers();
  // Nesting past MAX_JSON_DEPTH and duplicate member names are refused before anything parses the
  // body or checks its signature: the signed bytes must mean one thing to every JSON parser.
  app.addContentTypeParser(['application/json', 'application/ld+json'], { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    const shape = jsonShapeProblem(text, 'body');
    if (shape !== undefined) {
      const code = shape.kind === 'depth' ? 'JSON_TOO_DEEP' : 'JSON_DUPLICATE_KEY';
      done(
        new HttpProblem(problem(400, code, `${shape.path} ${describeJsonShapeProblem(shape)}`, { field: shape.path })),
        undefined,
      );
      return;
    }
    try {
      done(null, text === '' ? undefined : (JSON.parse(text) as unknown));
    } catch (e) {
      done(
        new HttpProblem(problem(400, 'INVALID_JSON', `the body is not valid JSON: ${(e as Error).message}`)),
        undefined,
      );
    }
  });

  app.setErrorHandler((e, req, reply) => {
    if (e instanceof HttpProblem || e instanceof RateLimited) return sendProblem(reply, e.problem);
    const { problem: p, unexpected } = toProblem(e);
    if (unexpected) req.log.error({ err: e }, 'request failed');
    return sendProblem(reply, p);
  });
  // 404, or 405 with Allow, as problem+json: for any method here, and for a GET under an API path in the console's catch-all.
  app.setNotFoundHandler(noRoute);

  // Rate limits and authentication: before the body is read, so an unauthenticated caller cannot
  // make us parse 50 MB. The client address is limited first, so a flood of bad API keys is 429
  // before each costs a lookup; then the credential, once known.
  app.addHook('onRequest', async (req, reply) => {
    await limits?.byAddress(req, reply);
    if (req.routeOptions.config.route === undefined) return;
    const principal = await authenticate(ctx, req.headers.authorization);
    if (!principal)
      fail(
        401,
        'UNAUTHENTICATED',
        req.headers.authorization === undefined
          ? 'missing Authorization: Bearer <API key>'
          : 'the API key is not valid (unknown, malformed, rotated or revoked)',
      );
    req.principal = principal ?? null;
    if (principal) await limits?.byCredential(req, reply, principal.credentialId);
  });

  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  const ready = readiness(ctx.store, opts.readyTimeoutMs);
  app.get('/readyz', async (req, reply) => {
    const failure = await ready();
    if (failure === undefined) return { status: 'ready', store: ctx.store.kind };
    req.log.warn({ reason: failure }, 'not ready');
    return sendProblem(reply, problem(503, 'STORE_UNAVAILABLE', 'the store does not answer'));
  });
  const doc = openApiDocument(routes);
  app.get('/openapi.json', (_req, reply) => reply.send(doc));
  const page = docsPage(doc);
  app.get('/docs', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  registerTiles(app, ctx); // the log as C2SP tlog-tiles at /log/ (checkpoint, key, tiles, entry bundles)
  registerPublishedRoutes(app, ctx); // status lists, did:web documents, JWKS, the credentials context: public
  await registerConsole(app, undefined, noRoute); // the web console at / (dist/console), index.html for its client routes

  // Keyed requests' work, claims and answers: grouped into one transaction and one commit (src/app/group-commit.ts).
  const group = new GroupCommit(ctx, opts.groupCommit);
  app.decorate('groupCommit', group);
  app.addHook('onClose', () => group.drained());
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      bodyLimit: r.bodyLimit ?? DEFAULT_BODY_LIMIT,
      config: { route: r },
      handler: async (req, reply) => serve(ctx, group, r, req, reply),
    });
  }
  return app;
}

function validate(schema: z.ZodType | undefined, value: unknown, root: string): unknown {
  if (schema === undefined) {
    if (root === 'body' && value !== undefined) fail(400, 'INVALID_INPUT', 'body: this route takes no body', 'body');
    return root === 'body' ? undefined : {};
  }
  const nul = nulPath(value, root);
  if (nul !== undefined) fail(400, 'INVALID_INPUT', `${nul}: must not contain the character U+0000`, nul);
  try {
    return parseWith(schema, value, root);
  } catch (e) {
    if (e instanceof ValidationError) fail(400, 'INVALID_INPUT', e.message, e.field);
    throw e;
  }
}

/**
 * What a retry of a secret-bearing response is answered with instead of the secret: a 409 problem
 * saying what the first request did (the secret itself is never written to the idempotency table).
 */
function withheld(secret: NonNullable<AnyRoute['secret']>, body: unknown): Problem {
  return problem(409, 'IDEMPOTENCY_SECRET_NOT_KEPT', secret.onReplay(body), { field: 'Idempotency-Key' });
}

/** A route's answer, before it is sent: status, body and the headers it sets. */
interface Outcome {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** A list answered as CSV (`?format=csv` or `Accept: text/csv`). */
  readonly csv?: CsvAnswer;
}

/** What a keyed request's work in its group came to. */
type Keyed =
  | { readonly kind: 'done'; readonly outcome: Outcome }
  | { readonly kind: 'prior'; readonly prior: PriorClaim }
  | { readonly kind: 'busy' };

/** Thrown out of a keyed request's work so that its savepoint rolls back (nothing is stored under the key). */
class Unstored extends Error {
  constructor(readonly outcome: Outcome | 'raced') {
    super(outcome === 'raced' ? 'the Idempotency-Key was stored meanwhile' : 'server-side failure: nothing stored');
  }
}

function outcomeOf(e: unknown, req: FastifyRequest): Outcome {
  const { problem: p, unexpected } =
    e instanceof HttpProblem ? { problem: e.problem, unexpected: false } : toProblem(e);
  if (unexpected) req.log.error({ err: e }, 'request failed');
  return { status: p.status, body: p, headers: {} };
}

/** A route is served in a transaction of its own, not in a group, when it takes large documents: it would hold up the whole group. */
const solo = (r: AnyRoute): boolean => r.solo === true || (r.bodyLimit ?? DEFAULT_BODY_LIMIT) > DEFAULT_BODY_LIMIT;

async function serve(
  ctx: AppContext,
  group: GroupCommit,
  r: AnyRoute,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const principal = req.principal;
  if (principal === null) return fail(401, 'UNAUTHENTICATED', 'missing Authorization: Bearer <API key>');
  if (!r.access.roles.includes(principal.role))
    return fail(
      403,
      'ROLE_FORBIDDEN',
      `role ${principal.role} may not ${r.method} ${r.url} (allowed: ${r.access.roles.join(', ')})`,
    );
  const input = {
    params: validate(r.params, req.params, 'params'),
    query: validate(r.query, req.query, 'query'),
    body: validate(r.body, r.method === 'GET' ? undefined : req.body, 'body'),
  };
  if (r.access.owner !== 'any' && !(await r.access.owner(ctx, principal, input))) {
    return fail(
      404,
      'NOT_FOUND',
      `nothing at ${req.url.split('?')[0] ?? ''} for ${principal.partyId ?? 'the operator'}`,
    );
  }
  const idemKey = req.headers['idempotency-key'];
  if (r.method === 'POST' && (typeof idemKey !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(idemKey))) {
    return fail(
      400,
      'IDEMPOTENCY_KEY_REQUIRED',
      'every POST needs an Idempotency-Key header (1–255 visible ASCII characters, unique per intended operation)',
      'Idempotency-Key',
    );
  }
  if (typeof idemKey !== 'string') {
    let outcome: Outcome;
    try {
      outcome = await handle(await acting(ctx, r, req, principal, input), r, req, principal, input);
    } catch (e) {
      outcome = outcomeOf(e, req);
    }
    return send(reply, outcome);
  }
  const key = idemKey;
  const requestHash = createHash('sha256')
    .update(`${r.method}\n${req.url}\n${req.rawBody ?? ''}`)
    .digest('hex');
  // One request per (credential, key) at a time in this process, decided before any await.
  const flight = `${principal.credentialId}\n${key}`;
  const flying = IN_FLIGHT.get(flight);
  if (flying !== undefined) return flying === requestHash ? inProgress(reply, key) : keyReused(key);
  IN_FLIGHT.set(flight, requestHash);
  try {
    // The request's signature is checked before it joins a group (it reads keys, no need to hold the group for it);
    // a refusal is answered — and stored under the key — like any other.
    let actingCtx: AppContext = ctx;
    let refused: Outcome | undefined;
    try {
      actingCtx = await acting(ctx, r, req, principal, input);
    } catch (e) {
      refused = outcomeOf(e, req);
    }
    // The work, the claim on the key and the stored answer: one transaction (a savepoint of the group's).
    const work = async (store: Store, run: GroupRun): Promise<Keyed> => {
      const found = await idempotencyRepo.lockAndFind(store.db, principal.credentialId, key);
      if (found === 'busy') return { kind: 'busy' };
      if (found !== undefined) {
        // A claim left unanswered by a server that died (or by this one, before group commit) is taken over.
        const abandoned =
          found.status === null && found.request_hash === requestHash && (found.holder === HOLDER || found.stale);
        if (!abandoned) return { kind: 'prior', prior: found };
        await idempotencyRepo.forget(store.db, principal.credentialId, key);
      }
      let outcome: Outcome;
      try {
        outcome = refused ?? (await handle({ ...actingCtx, store }, r, req, principal, input));
      } catch (e) {
        outcome = outcomeOf(e, req);
      }
      // A refusal must write nothing but its stored answer: in a shared attempt, where the request has no savepoint
      // of its own to roll its work back to, the group runs again with one per request (group-commit.ts).
      if (run.shared && outcome.status >= 400) throw new Isolate();
      // A failure on the server's side stores nothing (the client may retry) and keeps nothing of the work.
      if (outcome.status >= 500) throw new Unstored(outcome);
      const response = JSON.stringify(
        r.secret !== undefined && outcome.status < 400 ? withheld(r.secret, outcome.body) : outcome.body,
      );
      const stored = await idempotencyRepo.record(store.db, {
        credentialId: principal.credentialId,
        key,
        requestHash,
        holder: HOLDER,
        status: r.secret !== undefined && outcome.status < 400 ? 409 : outcome.status,
        response,
      });
      if (!stored) throw run.shared ? new Isolate() : new Unstored('raced');
      return { kind: 'done', outcome };
    };
    let done: Keyed;
    try {
      done = await (solo(r) ? group.alone(work) : group.run(work, { credentialId: principal.credentialId, key }));
    } catch (e) {
      if (!(e instanceof Unstored)) return await send(reply, outcomeOf(e, req));
      if (e.outcome !== 'raced') return await send(reply, e.outcome);
      // Stored by a transaction that committed just before this one took the key's lock: answer with that.
      const stored = await idempotencyRepo.lockAndFind(ctx.store.db, principal.credentialId, key);
      if (stored === undefined || stored === 'busy') return inProgress(reply, key);
      done = { kind: 'prior', prior: stored };
    }
    if (done.kind === 'busy') return inProgress(reply, key);
    if (done.kind === 'prior') return await answerPrior(reply, key, requestHash, done.prior, r);
    return await send(reply, done.outcome);
  } finally {
    IN_FLIGHT.delete(flight);
  }
}

/** The context a route's use case runs in: acting as the signing party on routes that record (its signature checked here). */
async function acting(
  ctx: AppContext,
  r: AnyRoute,
  req: FastifyRequest,
  principal: Principal,
  input: Input,
): Promise<AppContext> {
  if (!r.records) return ctx;
  const reg = r.registering?.(input.body);
  const signed = await verifyRequestSignature(ctx, principal, req, reg && { ...reg, keyId: keyIdFor(reg.publicKey) });
  return r.asksPeers === true && principal.partyId !== null ? askPeersFirst(signed, principal.partyId) : signed;
}

/** This process, as the holder of the Idempotency-Key claims it makes (idempotency_keys.holder). */
const HOLDER = `${hostname()}:${String(process.pid)}:${randomUUID()}`;
/** The claims this process is working on: (credential, key) → request hash. */
const IN_FLIGHT = new Map<string, string>();
/** Seconds a client is asked to wait before retrying a request still in progress. */
const IN_PROGRESS_RETRY_SECONDS = 1;

function inProgress(reply: FastifyReply, key: string): never {
  void reply.header('retry-after', String(IN_PROGRESS_RETRY_SECONDS));
  return fail(
    409,
    'IDEMPOTENCY_IN_PROGRESS',
    `a request with Idempotency-Key "${key}" is still being processed; retry after ${String(IN_PROGRESS_RETRY_SECONDS)} s for its answer`,
    'Idempotency-Key',
  );
}

function keyReused(key: string): never {
  return fail(
    422,
    'IDEMPOTENCY_KEY_REUSED',
    `Idempotency-Key "${key}" was already used for a different request (method, path or body differ); use a new key for a new operation`,
    'Idempotency-Key',
  );
}

/**
 * The answer to a request whose Idempotency-Key is already stored: its stored answer. Rows that
 * servers before group commit left (a claim made before the work, marked committed with it, answered
 * after it): "in progress" as long as the claim's holder is alive, and "response lost" only when the
 * work committed (the claim is marked) and its holder is gone — this process, whose request ended
 * without storing the answer, or another whose lease ran out.
 */
function answerPrior(
  reply: FastifyReply,
  key: string,
  requestHash: string,
  prior: PriorClaim,
  r: AnyRoute,
): FastifyReply {
  if (prior.request_hash !== requestHash) return keyReused(key);
  if (prior.status === COMMITTED_WITHOUT_RESPONSE && (prior.holder === HOLDER || prior.stale)) {
    return fail(
      409,
      'IDEMPOTENCY_RESPONSE_LOST',
      `the request with Idempotency-Key "${key}" was recorded, but the server stopped before storing its answer; look the result up instead of retrying`,
      'Idempotency-Key',
    );
  }
  if (prior.status === null || prior.status === COMMITTED_WITHOUT_RESPONSE || prior.response === null)
    return inProgress(reply, key);
  void reply.header('idempotent-replayed', 'true');
  // Headers that follow from the body (a capture job's Location) are computed again: only the body is stored.
  const of = r.headers?.of;
  if (prior.status < 400 && of !== undefined) void reply.headers(of(JSON.parse(prior.response) as unknown));
  return reply
    .code(prior.status)
    .type(prior.status >= 400 ? PROBLEM_TYPE : 'application/json; charset=utf-8')
    .send(prior.response);
}

/** A request header as one string (a repeated header joined with ", ", as RFC 9110 §5.3 allows). */
const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

interface Input {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

/** Runs the route's use case in `ctx`: its answer (a thrown error is the caller's to turn into a problem). */
async function handle(
  ctx: AppContext,
  r: AnyRoute,
  req: FastifyRequest,
  principal: Principal,
  input: Input,
): Promise<Outcome> {
  const requestHeaders = Object.fromEntries(
    Object.keys(r.requestHeaders ?? {}).map((h) => [h, headerValue(req.headers[h])]),
  );
  const party = principal.partyId ?? '';
  const answer = await Promise.resolve(r.handle({ ...input, principal, party, ctx, headers: requestHeaders }));
  if (answer instanceof CsvAnswer) return { status: r.status ?? 200, body: answer.text, headers: {}, csv: answer };
  const body = answer instanceof Answer ? answer.body : answer;
  const headers = {
    ...(answer instanceof Answer ? answer.headers : {}),
    ...(r.headers?.of === undefined ? {} : r.headers.of(body)),
  };
  return { status: r.status ?? 200, body, headers };
}

function send(reply: FastifyReply, o: Outcome): FastifyReply {
  if (o.csv !== undefined && o.status < 400)
    return reply
      .code(o.status)
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${o.csv.filename}.csv"`)
      .header('vary', 'accept')
      .send(o.csv.text);
  return reply
    .headers(o.headers)
    .code(o.status)
    .type(o.status >= 400 ? PROBLEM_TYPE : 'application/json; charset=utf-8')
    .send(o.body);
}
