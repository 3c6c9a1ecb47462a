import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { problem, PROBLEM_TYPE } from './problem.js';

/** Where `npm run build:console` writes the web console: <package>/dist/console (the same from src/http and dist/http). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** The API's own paths: never answered with the console's index.html. */
const RESERVED = /^\/(v1(\/|$)|openapi\.json$|docs(\/|$)|healthz$|readyz$)/;

/**
 * The console's Content-Security-Policy: its own scripts, styles and API only. (The API's policy,
 * default-src 'none', stays on every other response.)
 */
export const CONSOLE_CSP = ["default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", "connect-src 'self'", "font-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"].join('; ');

/**
 * Serves the web console (a single-page app) at `/`: files from dist/console, and index.html for
 * any other GET that is not an API path, so client routes (/licences/L-1) load the app.
 */
export async function registerConsole(app: FastifyInstance, root: string = CONSOLE_DIR): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false, index: false, cacheControl: false });
  const built = () => existsSync(join(root, 'index.html'));
  const handler = async (req: { url: string }, reply: import('fastify').FastifyReply) => {
    const path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    if (RESERVED.test(path)) return reply.code(404).type(PROBLEM_TYPE).send(problem(404, 'NO_ROUTE', `no route GET ${path}`));
    void reply.header('content-security-policy', CONSOLE_CSP);
    if (!built()) return reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build:console` (or `npm run build`).\n');
    const rel = normalize(path).replace(/^[/\\]+/, '');
    const file = join(root, rel);
    if (rel !== '' && !rel.split(sep).includes('..') && file.startsWith(root) && existsSync(file) && statSync(file).isFile()) {
      const hashed = rel.startsWith(`assets${sep}`);
      return reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(rel);
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  };
  app.get('/', handler);
  app.get('/*', handler);
}
