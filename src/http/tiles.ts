import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { latestCheckpoint, LOG_ID, logVerifierKey, type AppContext } from '../app/index.js';
import { journalRepo, logRepo } from '../store/index.js';
import { formatEntryBundle, MAX_ENTRY_BYTES, parseTilePath, TILE_WIDTH } from '../trust/index.js';
import { authenticate } from './credentials.js';
import { problem, PROBLEM_TYPE } from './problem.js';

/** Where the log is served as C2SP tlog-tiles: `<base URL>/log/checkpoint`, `<base URL>/log/tile/…`. */
export const TILES_PREFIX = '/log';

/** Full and partial tiles never change once served (nodes are append-only; a width fixes the content). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const TREE_LEVEL_LIMIT = 64;

function send(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply
    .code(status)
    .type(PROBLEM_TYPE)
    .send(problem(status, code, detail));
}

/**
 * The transparency log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles), for standard tlog clients,
 * monitors and witnesses:
 *
 * - `GET /log/checkpoint`: the latest checkpoint (signed note with witness cosignatures), no caching;
 * - `GET /log/key`: the log's verifier key (C2SP signed-note vkey), text;
 * - `GET /log/tile/<L>/<N>[.p/<W>]`: hash tiles — public, as the proofs are: hashes only;
 * - `GET /log/tile/entries/<N>[.p/<W>]`: entry bundles (each journal record's canonical bytes, the
 *   leaf data) — only for an operator-admin API key, since records are disclosed only to those
 *   party to them (docs/trust.md, least disclosure); compressed with gzip when the client accepts it.
 *
 * A tile is served only within the latest checkpoint's tree, at the width that tree gives it
 * (partial tiles for any earlier size too: their content is fixed). Unknown or non-canonical tile
 * paths are 404 problem+json.
 */
export function registerTiles(app: FastifyInstance, ctx: AppContext): void {
  app.get(`${TILES_PREFIX}/checkpoint`, async (_req, reply) => {
    const cp = await latestCheckpoint(ctx);
    if (cp === undefined) return send(reply, 404, 'NOT_FOUND', 'the log has no checkpoint yet');
    return reply.header('cache-control', 'no-cache').type('text/plain; charset=utf-8').send(cp.body);
  });
  app.get(`${TILES_PREFIX}/key`, async (_req, reply) => {
    const vkey = await logVerifierKey(ctx);
    return reply.header('cache-control', 'no-cache').type('text/plain; charset=utf-8').send(`${vkey}\n`);
  });
  app.get(`${TILES_PREFIX}/tile/*`, async (req, reply) => serveTile(ctx, req, reply));
}

async function serveTile(ctx: AppContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const rest = (req.params as { '*': string })['*'];
  const ref = parseTilePath(rest);
  if (ref === undefined) return send(reply, 404, 'NO_ROUTE', `not a tile path: ${TILES_PREFIX}/tile/${rest}`);
  if (ref.level === 'entries') {
    const principal = await authenticate(ctx, req.headers.authorization);
    if (principal === undefined) {
      const why = 'entry bundles disclose every record: they need an operator-admin API key (Authorization: Bearer …)';
      return send(reply, 401, 'UNAUTHENTICATED', why);
    }
    if (principal.role !== 'operator-admin') {
      return send(
        reply,
        403,
        'ROLE_FORBIDDEN',
        `role ${principal.role} may not read entry bundles (allowed: operator-admin)`,
      );
    }
  }
  const level = ref.level === 'entries' ? 0 : ref.level;
  const size = (await logRepo.getCheckpoint(ctx.store.db, LOG_ID))?.size ?? 0;
  const first = ref.index * TILE_WIDTH;
  // The tile's last hash must be a complete subtree within the published tree.
  if (level * 8 >= TREE_LEVEL_LIMIT || (first + ref.width) * TILE_WIDTH ** level > size) {
    const why = `${TILES_PREFIX}/tile/${rest} is beyond the log's published tree (size ${size})`;
    return send(reply, 404, 'NOT_FOUND', why);
  }
  let body: Uint8Array;
  if (ref.level === 'entries') {
    const rows = await journalRepo.read(ctx.store.db, { fromSeq: first + 1, limit: ref.width });
    const entries = rows.map((r) => Buffer.from(r.canonical, 'utf8'));
    const big = entries.findIndex((e) => e.length > MAX_ENTRY_BYTES);
    if (big >= 0) {
      const bytes = entries[big]?.length ?? 0;
      const detail = `entry ${first + big} is ${bytes} bytes: a tlog-tiles entry bundle carries at most ${MAX_ENTRY_BYTES} per entry`;
      return send(reply, 501, 'ENTRY_TOO_LARGE', detail);
    }
    body = formatEntryBundle(entries);
    void reply.header('cache-control', IMMUTABLE.replace('public', 'private'));
    void reply.header('vary', 'authorization, accept-encoding');
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      body = gzipSync(body);
      void reply.header('content-encoding', 'gzip');
    }
  } else {
    const hashes = await logRepo.nodes(ctx.store.db, level * 8, first, ref.width);
    if (hashes.length !== ref.width) {
      return send(reply, 404, 'NOT_FOUND', `${TILES_PREFIX}/tile/${rest} is not complete in the log`);
    }
    body = Buffer.concat(hashes);
    void reply.header('cache-control', IMMUTABLE);
  }
  return reply.type('application/octet-stream').send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}
