import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem, PROBLEM_TYPE } from './problem.js';

/**
 * The server's own paths (the API, the EPCIS binding, its documents, probes, the log's tiles, the published
 * status lists, DID documents, JWKS and JSON-LD contexts): never answered with the console's page.
 */
export const API_PATHS =
  /^\/(v1|log|epcis|status-lists|parties|\.well-known|ns|openapi\.json|docs|healthz|readyz)(\/|$)/;

/** A route pattern (`/v1/lots/:id`, `/log/tile/*`) as an anchored regular expression. */
function patternOf(url: string): RegExp {
  const body = url
    .split('/')
    .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}$`);
}

/**
 * What the server answers when no route matches a request — one place for both cases:
 * 405 with an `Allow` header listing the methods the path does have, or 404, each as
 * application/problem+json (RFC 9457). Call before any route is added: it learns the routes from
 * Fastify's onRoute hook (the console's catch-all GET routes are not counted: they answer any path).
 */
export function noRouteHandler(app: FastifyInstance): (req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const routes: { pattern: RegExp; methods: readonly string[] }[] = [];
  app.addHook('onRoute', (opts) => {
    if (opts.url === '/' || opts.url === '/*') return;
    routes.push({ pattern: patternOf(opts.url), methods: [opts.method].flat().map((m) => m.toUpperCase()) });
  });
  return (req, reply) => {
    const raw = req.url.split('?')[0] ?? '/';
    let path = raw;
    try {
      path = decodeURIComponent(raw);
    } catch {
      // a malformed escape: matched as sent (no route has one), so 404
    }
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.has('GET')) allowed.add('HEAD');
    if (allowed.size > 0 && !allowed.has(req.method)) {
      const allow = [...allowed].sort().join(', ');
      const detail = `${req.method} is not allowed on ${path} (allowed: ${allow})`;
      return reply
        .code(405)
        .header('allow', allow)
        .type(PROBLEM_TYPE)
        .send(problem(405, 'METHOD_NOT_ALLOWED', detail));
    }
    return reply
      .code(404)
      .type(PROBLEM_TYPE)
      .send(problem(404, 'NO_ROUTE', `no route ${req.method} ${path}`));
  };
}
