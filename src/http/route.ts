import type { z } from 'zod';
import type { AppContext } from '../app/index.js';
import type { Principal, Role } from './roles.js';

export interface RouteRequest<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
}

/** What a handler gets: the validated request, the caller and the context to run use cases with (acting as the signing party on routes that record). */
export interface HandlerInput<P, Q, B> extends RouteRequest<P, Q, B> {
  readonly principal: Principal;
  /** The caller's party (always set: routes open to operator-admin alone do not use it). */
  readonly party: string;
  readonly ctx: AppContext;
  /** The request headers the route declares in `requestHeaders` (by lower-case name), as sent. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/**
 * A handler's answer with response headers that depend on the request (a `Link` to the next page).
 * Headers that follow from the body alone belong in `headers.of`, which an Idempotency-Key replay
 * (which keeps the body only) computes again.
 */
export class Answer {
  constructor(
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>>,
  ) {}
}

/**
 * Who may call a route: the roles allowed (any other role gets 403) and, unless `owner` is
 * 'any', a predicate saying whether the caller's party is party to the record the request names
 * (false → 404, so ids do not leak). `describe` says the rule in words (for the OpenAPI document).
 */
export interface Access<P, Q, B> {
  readonly roles: readonly Role[];
  readonly owner:
    'any' | ((ctx: AppContext, principal: Principal, req: RouteRequest<P, Q, B>) => boolean | Promise<boolean>);
  readonly describe: string;
}

export interface Route<P = unknown, Q = unknown, B = unknown> {
  /** operationId in the OpenAPI document. */
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** Fastify path syntax (`/v1/lots/:id`). */
  readonly url: string;
  readonly tag: string;
  readonly summary: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  readonly response: z.ZodType;
  /** 200 unless stated. */
  readonly status?: 200 | 201 | 202;
  /**
   * Response headers: `fixed` on every response of the route, problems included; `of` computed from
   * a successful answer's body (also on an Idempotency-Key replay); `describe` documents each header
   * a success carries (fixed, computed or set by an Answer) for the OpenAPI document.
   */
  readonly headers?: {
    readonly fixed?: Readonly<Record<string, string>>;
    readonly of?: (body: unknown) => Readonly<Record<string, string>>;
    readonly describe: Readonly<Record<string, string>>;
  };
  /** The route also answers `text/csv` (`?format=csv` or `Accept: text/csv`): what its columns are (for the OpenAPI document). */
  readonly csv?: string;
  /** Request headers the handler reads: lower-case name → description (for the OpenAPI document). */
  readonly requestHeaders?: Readonly<Record<string, string>>;
  /** Problem statuses the route answers besides the ones every route may (documented in OpenAPI). */
  readonly problems?: readonly number[];
  /** Bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /**
   * Served in a transaction of its own rather than in a group commit with other requests (a route
   * that takes many events at once would hold up the whole group). Routes with a body limit above
   * the default are served so anyway.
   */
  readonly solo?: boolean;
  /** Creates journal records: needs a Lodestone-Signature by the caller's party key, and runs acting as that party. */
  readonly records: boolean;
  /**
   * May ship under a licence on a peer's certificate: the peers' status lists for the caller's
   * licences are asked before the route's transaction opens (app/status-fetch.ts `askPeersFirst`),
   * not over HTTP inside it while it holds the journal lock.
   */
  readonly asksPeers?: boolean;
  /**
   * The response holds a secret shown once (an API key): an Idempotency-Key retry is not answered
   * with it (it is not stored), but told what was done and how to get a new one.
   */
  readonly secret?: { readonly field: string; readonly onReplay: (body: unknown) => string };
  readonly access: Access<P, Q, B>;
  /** For a party registering itself: the key its body registers (the request is signed with it). */
  readonly registering?: (body: B) => { readonly partyId: string; readonly publicKey: string };
  /** Runs the use case; its (awaited) result is the response body, or an Answer with body and headers. */
  handle(input: HandlerInput<P, Q, B>): unknown;
}

export type AnyRoute = Route;

/** Types one route of the table and erases its types so the table can be one array. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  r: Route<P, Q, B>,
): AnyRoute {
  return r as unknown as AnyRoute;
}
