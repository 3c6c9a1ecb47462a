import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_PATHS } from './no-route.js';
import { problem, PROBLEM_TYPE } from './problem.js';

/** Where `npm run build:console` writes the web console: <package>/dist/console (the same from src/http and dist/http). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/**
 * The console's Content-Security-Policy: its own scripts, styles and API only. (The API's policy,
 * default-src 'none', stays on every other response.)
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Serves the web console (a single-page app) at `/`: files from dist/console, and index.html for
 * any other GET that is not an API path (API_PATHS), so client routes (/licences/L-1) load the app.
 * A GET under an API path that no route serves goes to `noRoute` (404, or 405 with Allow).
 */
export async function registerConsole(
  app: FastifyInstance,
  root: string = CONSOLE_DIR,
  noRoute: (req: FastifyRequest, reply: FastifyReply) => FastifyReply = (req, reply) =>
    reply
      .code(404)
      .type(PROBLEM_TYPE)
      .send(problem(404, 'NO_ROUTE', `no route GET ${req.url.split('?')[0] ?? ''}`)),
): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false });
  const built = () => existsSync(join(root, 'index.html'));
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    if (API_PATHS.test(path)) return noRoute(req, reply);
    void reply.header('content-security-policy', CONSOLE_CSP);
    if (!built())
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built: run `npm run build:console` (or `npm run build`).\n');
    const rel = normalize(path).replace(/^[/\\]+/, '');
    const file = join(root, rel);
    if (
      rel !== '' &&
      !rel.split(sep).includes('..') &&
      file.startsWith(root) &&
      existsSync(file) &&
      statSync(file).isFile()
    ) {
      const hashed = rel.startsWith(`assets${sep}`);
      return reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(rel);
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  };
  app.get('/', handler);
  app.get('/*', handler);
}
