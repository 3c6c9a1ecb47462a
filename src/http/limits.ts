import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../domain/index.js';
import { problem, type Problem } from './problem.js';

/** Requests per credential per window, by default. */
export const DEFAULT_RATE_LIMIT = 600;
/**
 * Requests per client address per window, by default: counted before authentication, so a flood of
 * unknown or revoked API keys is answered 429 before each costs a credential lookup. Higher than
 * the per-credential limit because one address (a gateway, a NAT) may carry several parties.
 */
export const DEFAULT_ADDRESS_RATE_LIMIT = 1200;
export const DEFAULT_RATE_WINDOW = '1 minute';

export interface RateLimitOptions {
  /** Requests per credential per window (default 600). */
  readonly max: number;
  /** Requests per client address per window, authenticated or not (default 1200). */
  readonly maxPerAddress?: number;
  /** Milliseconds, or a duration such as '1 minute' (default). */
  readonly timeWindow: number | string;
}

/**
 * The limits `lodestone serve` applies: LODESTONE_RATE_LIMIT (per credential) and
 * LODESTONE_RATE_LIMIT_PER_ADDRESS (per client address; raise it when many parties reach the server
 * through one proxy address), requests a minute; unset ones keep the defaults.
 */
export function rateLimitFromEnv(env: Readonly<Record<string, string | undefined>>): RateLimitOptions {
  const read = (name: string, fallback: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1)
      throw new ValidationError(name, `must be a positive whole number of requests a minute, got ${JSON.stringify(v)}`);
    return n;
  };
  return {
    max: read('LODESTONE_RATE_LIMIT', DEFAULT_RATE_LIMIT),
    maxPerAddress: read('LODESTONE_RATE_LIMIT_PER_ADDRESS', DEFAULT_ADDRESS_RATE_LIMIT),
    timeWindow: DEFAULT_RATE_WINDOW,
  };
}

type Limiter = (req: FastifyRequest) => Promise<
  | { readonly isAllowed: true }
  | {
      readonly isAllowed: false;
      readonly max: number;
      readonly remaining: number;
      readonly ttlInSeconds: number;
      readonly isExceeded: boolean;
    }
>;

export class RateLimited extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/**
 * The two limits every request passes: by client address first (in onRequest, before the API key
 * is looked up — an unauthenticated caller is limited too), then by credential once it is known.
 * Each answers 429 RATE_LIMITED with Retry-After (seconds until the window resets) and the
 * x-ratelimit-* headers. Counters are in process memory (@fastify/rate-limit's local store).
 */
export interface RequestLimits {
  byAddress(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  byCredential(req: FastifyRequest, reply: FastifyReply, credentialId: string): Promise<void>;
}

/** Creates the limiters on an app where @fastify/rate-limit is registered with `global: false`. */
export function requestLimits(app: FastifyInstance, opts: Partial<RateLimitOptions> = {}): RequestLimits {
  const timeWindow = opts.timeWindow ?? DEFAULT_RATE_WINDOW;
  const address = app.createRateLimit({
    max: opts.maxPerAddress ?? DEFAULT_ADDRESS_RATE_LIMIT,
    timeWindow,
    keyGenerator: (req) => `ip:${req.ip}`,
  }) as Limiter;
  const credentials = new WeakMap<FastifyRequest, string>();
  const credential = app.createRateLimit({
    max: opts.max ?? DEFAULT_RATE_LIMIT,
    timeWindow,
    keyGenerator: (req) => `credential:${credentials.get(req) ?? ''}`,
  }) as Limiter;
  const apply = async (limiter: Limiter, req: FastifyRequest, reply: FastifyReply, what: string): Promise<void> => {
    const r = await limiter(req);
    if (r.isAllowed) return;
    void reply
      .header('x-ratelimit-limit', r.max)
      .header('x-ratelimit-remaining', r.remaining)
      .header('x-ratelimit-reset', r.ttlInSeconds);
    if (!r.isExceeded) return;
    void reply.header('retry-after', r.ttlInSeconds);
    throw new RateLimited(
      problem(
        429,
        'RATE_LIMITED',
        `rate limit of ${String(r.max)} requests per ${typeof timeWindow === 'number' ? `${String(timeWindow)} ms` : timeWindow} exceeded for this ${what}; retry after ${String(r.ttlInSeconds)} s`,
      ),
    );
  };
  return {
    byAddress: (req, reply) => apply(address, req, reply, 'client address'),
    byCredential: (req, reply, credentialId) => {
      credentials.set(req, credentialId);
      return apply(credential, req, reply, 'credential');
    },
  };
}
