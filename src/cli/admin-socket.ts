/**
 * The admin socket: while `lodestone serve` holds the embedded store, the operator's `credentials`
 * commands and the read-only `log key` and `log checkpoint` run inside the serving process instead of
 * failing with "data dir is in use".
 *
 * `serve` on PGlite listens on a Unix socket `admin.sock` in the data directory (mode 0600: only the
 * data directory's owner can connect, who could read the whole store anyway). A client writes one JSON
 * line `{"op": "credentials.issue", "args": {...}}` and reads one JSON line back: `{"ok": true,
 * "result": …}` or `{"ok": false, "code": "…", "message": "…"}` (the error the command would have
 * raised locally, so the exit status is the same). Only the operations in ADMIN_OPS are served.
 */
import { chmod, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import {
  latestCheckpoint,
  logVerifier,
  logVerifierKey,
  resolveOptions,
  type AppContext,
  type AppOptions,
} from '../app/index.js';
import { StoreError } from '../store/index.js';
import { LodestoneError, ValidationError } from '../domain/index.js';

/** The credential use cases live in the HTTP module (Fastify, ~0.1–0.2 s to load): imported on first use. */
const http = () => import('../http/index.js');

export const ADMIN_SOCKET = 'admin.sock';

/** The operations the socket serves, each a use case on the serving process's store. */
const ADMIN_OPS = {
  'credentials.issue': async (ctx: AppContext, a: Record<string, unknown>) =>
    (await http()).issueCredential(ctx, { partyId: str(a.partyId), role: str(a.role) ?? '', label: str(a.label) }),
  'credentials.rotate': async (ctx: AppContext, a: Record<string, unknown>) =>
    (await http()).rotateCredential(ctx, str(a.id) ?? ''),
  'credentials.revoke': async (ctx: AppContext, a: Record<string, unknown>) =>
    (await http()).revokeCredential(ctx, str(a.id) ?? ''),
  'credentials.list': async (ctx: AppContext, a: Record<string, unknown>) => {
    const partyId = str(a.partyId);
    return (await http()).listCredentials(ctx, partyId === undefined ? {} : { partyId });
  },
  'log.key': async (ctx: AppContext, a: Record<string, unknown>) =>
    a.raw === true ? (await logVerifier(ctx)).publicKey : logVerifierKey(ctx),
  'log.checkpoint': async (ctx: AppContext) => (await latestCheckpoint(ctx))?.body ?? null,
} as const;

export type AdminOp = keyof typeof ADMIN_OPS;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The socket path for a data directory (Unix sockets are limited to 107 bytes: undefined when longer). */
export function adminSocketPath(dataDir: string): string | undefined {
  const path = join(dataDir, ADMIN_SOCKET);
  return Buffer.byteLength(path) <= 107 ? path : undefined;
}

/** An error from the serving process, with the code it had there (so the CLI's exit status is the same). */
export class RemoteError extends LodestoneError {}

/**
 * Listens on the data directory's admin socket for the serving process. Returns undefined (and serves
 * nothing) when the path is too long for a Unix socket. A socket file left by a process that died is
 * replaced: the data directory's lock, held by this process, says no one else serves it.
 */
export async function listenAdmin(
  ctx: AppContext,
  dataDir: string,
): Promise<{ path: string; close(): Promise<void> } | undefined> {
  const path = adminSocketPath(dataDir);
  if (path === undefined) return undefined;
  await unlink(path).catch(() => undefined);
  const server: Server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 65_536) socket.destroy();
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const line = buffer.slice(0, nl);
      void answer(ctx, line).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  server.unref(); // the HTTP server keeps the process alive; this socket alone must not
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function answer(ctx: AppContext, line: string): Promise<unknown> {
  try {
    const req = JSON.parse(line) as { op?: unknown; args?: unknown };
    const op =
      typeof req.op === 'string' && Object.hasOwn(ADMIN_OPS, req.op) ? ADMIN_OPS[req.op as AdminOp] : undefined;
    if (op === undefined) throw new ValidationError('op', `is not an admin operation: ${JSON.stringify(req.op)}`);
    const args = typeof req.args === 'object' && req.args !== null ? (req.args as Record<string, unknown>) : {};
    const result: unknown = await op(ctx, args);
    return { ok: true, result };
  } catch (e) {
    if (e instanceof LodestoneError) return { ok: false, code: (e as LodestoneError).code, message: e.message };
    return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether a serving process offers the admin socket for this data directory. */
export function adminSocketExists(dataDir: string): boolean {
  const path = adminSocketPath(dataDir);
  return path !== undefined && existsSync(path);
}

/**
 * A runner for commands the admin socket serves: `local` on the store, or — when `lodestone serve`
 * holds the embedded store (STORE_LOCKED, and its socket is there) — `op` in the serving process.
 */
export function viaServerOf(
  flags: () => AppOptions,
  withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>,
): <T>(op: AdminOp, args: Record<string, unknown>, local: (ctx: AppContext) => Promise<T>) => Promise<T> {
  return async <T>(op: AdminOp, args: Record<string, unknown>, local: (ctx: AppContext) => Promise<T>) => {
    try {
      return await withApp(local);
    } catch (e) {
      const o = resolveOptions(flags());
      if (
        e instanceof StoreError &&
        e.code === 'STORE_LOCKED' &&
        o.databaseUrl === undefined &&
        adminSocketExists(o.dataDir)
      )
        return callAdmin<T>(o.dataDir, op, args);
      throw e;
    }
  };
}

/** Runs `op` in the process serving `dataDir`; its errors are rethrown as RemoteError with their code. */
export async function callAdmin<T>(dataDir: string, op: AdminOp, args: Record<string, unknown>): Promise<T> {
  const path = adminSocketPath(dataDir);
  if (path === undefined) throw new RemoteError('STORE_LOCKED', `no admin socket for ${dataDir}`);
  const text = await new Promise<string>((resolve, reject) => {
    let data = '';
    const socket = createConnection(path, () => {
      socket.write(`${JSON.stringify({ op, args })}\n`);
    });
    socket.setEncoding('utf8');
    socket.setTimeout(30_000, () => {
      socket.destroy(new Error('the serving process did not answer within 30 s'));
    });
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('end', () => {
      resolve(data);
    });
    socket.on('error', (e) => {
      reject(
        new RemoteError('STORE_UNAVAILABLE', `cannot reach the serving process on ${path}: ${e.message}`, { cause: e }),
      );
    });
  });
  const reply = JSON.parse(text) as { ok: boolean; result?: T; code?: string; message?: string };
  if (!reply.ok) throw new RemoteError(reply.code ?? 'INTERNAL', reply.message ?? 'the serving process refused');
  return reply.result as T;
}
