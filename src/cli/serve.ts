import type { Command } from 'commander';
import { openApp, resolveOptions, type AppContext, type AppOptions } from '../app/index.js';
import { ValidationError } from '../domain/index.js';
import { listenAdmin, viaServerOf } from './admin-socket.js';
import type { ServerOptions } from '../http/index.js';

/** The HTTP module (Fastify and its plugins, ~0.1–0.2 s to load), imported by the commands that use it, not by every command. */
const http = () => import('../http/index.js');

export interface ServeDeps {
  readonly flags: () => AppOptions;
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  readonly print: (text: string) => void;
}

function port(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n > 65535)
    throw new ValidationError('--port', `must be a port number 0–65535, got ${JSON.stringify(s)}`);
  return n;
}

/**
 * Runs the API until SIGTERM or SIGINT, then shuts down gracefully: stops accepting connections,
 * lets in-flight requests finish (Fastify's close; up to `graceMs`, default 30 s), and only then closes
 * the store.
 * Resolves when the server is closed. `onListening` gets the bound address (for tests).
 */
export async function serve(
  ctx: AppContext,
  o: {
    host: string;
    port: number;
    server?: ServerOptions;
    onListening?: (url: string) => void;
    signals?: readonly NodeJS.Signals[];
    graceMs?: number;
    /** Run after the HTTP server has closed and before the store closes (the admin socket's close). */
    beforeStoreClose?: () => Promise<void>;
  },
): Promise<void> {
  const graceMs = o.graceMs ?? 30_000;
  const { createServer, rateLimitFromEnv } = await http();
  const app = await createServer(ctx, {
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
    rateLimit: rateLimitFromEnv(process.env),
    ...o.server,
  });
  // While shutting down, answers close their connection: a client on a keep-alive connection gets its
  // in-flight response and then no idle socket holds the server open (Fastify's keepAliveTimeout is 72 s).
  let closing = false;
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  const url = await app.listen({ host: o.host, port: o.port });
  o.onListening?.(url);
  await new Promise<void>((resolve, reject) => {
    const signals = o.signals ?? ['SIGTERM', 'SIGINT'];
    const stop = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, stop);
      closing = true;
      app.log.info({ signal }, 'shutting down: finishing in-flight requests');
      // Requests still running after the grace period are cut off, so a stuck one cannot hold the process.
      const force = setTimeout(() => {
        app.log.warn(`requests still running after ${graceMs} ms: closing their connections`);
        app.server.closeAllConnections();
      }, graceMs);
      force.unref();
      app
        .close()
        .finally(() => {
          clearTimeout(force);
        })
        .then(() => o.beforeStoreClose?.())
        .then(() => ctx.close())
        .then(() => {
          app.log.info('stopped');
          resolve();
        }, reject);
    };
    for (const s of signals) process.on(s, stop);
  });
}

export function registerServeCommands(program: Command, { flags, withApp, print }: ServeDeps): void {
  program
    .command('serve')
    .description(
      'run the HTTP API (OpenAPI at /openapi.json, reference at /docs) on the embedded store, or PostgreSQL with DATABASE_URL; SIGTERM/SIGINT finish in-flight requests, then close the store',
    )
    .option('--port <n>', 'TCP port (default 8080, or PORT)', process.env.PORT ?? '8080')
    .option('--host <h>', 'address to bind (default 127.0.0.1, or HOST)', process.env.HOST ?? '127.0.0.1')
    .action(async (o: { port: string; host: string }) => {
      const p = port(o.port);
      const ctx = await openApp(flags());
      let admin: Awaited<ReturnType<typeof listenAdmin>>;
      try {
        // On the embedded store this process holds the data dir: credentials commands reach it through the admin socket.
        if (ctx.store.kind === 'pglite') admin = await listenAdmin(ctx, resolveOptions(flags()).dataDir);
        await serve(ctx, {
          host: o.host,
          port: p,
          beforeStoreClose: async () => {
            await admin?.close();
          },
        });
      } catch (e) {
        await admin?.close();
        await ctx.close();
        throw e;
      }
    });

  /** A credentials use case on the store, or — when `lodestone serve` holds the embedded store — in the serving process. */
  const viaServer = viaServerOf(flags, withApp);
  const creds = program
    .command('credentials')
    .description('API keys for the HTTP API (operator state; keys are shown once and stored only as SHA-256 hashes)');
  creds
    .command('issue')
    .description(
      'issue an API key for a party with a role (or, with --role operator-admin and no --party, for an operator administrator)',
    )
    .option('--party <id>', 'the party the key acts for')
    .requiredOption(
      '--role <role>',
      'exporter | licensing-authority | importer | importing-government | downstream-holder | auditor | operator-admin',
    )
    .option('--label <text>', 'a note for the operator (who holds the key)')
    .action(async (o: { party?: string; role: string; label?: string }) => {
      const c = await viaServer('credentials.issue', { partyId: o.party, role: o.role, label: o.label }, async (ctx) =>
        (await http()).issueCredential(ctx, { partyId: o.party, role: o.role, label: o.label }),
      );
      print(
        `credential ${c.id} (${c.role}${c.partyId === null ? '' : ` for ${c.partyId}`})\nAPI key (shown once, store it now): ${c.key}`,
      );
    });
  creds
    .command('rotate <id>')
    .description('replace the key of a credential; the old key stops working at once')
    .action(async (id: string) => {
      const c = await viaServer('credentials.rotate', { id }, async (ctx) => (await http()).rotateCredential(ctx, id));
      print(`credential ${c.id} rotated\nAPI key (shown once, store it now): ${c.key}`);
    });
  creds
    .command('revoke <id>')
    .description('revoke a credential')
    .action(async (id: string) => {
      const c = await viaServer('credentials.revoke', { id }, async (ctx) => (await http()).revokeCredential(ctx, id));
      print(`credential ${c.id} revoked at ${c.revokedAt ?? ''}`);
    });
  creds
    .command('list')
    .description('list credentials (never their keys)')
    .option('--party <id>', "only this party's")
    .action(async (o: { party?: string }) => {
      const list = await viaServer('credentials.list', o.party === undefined ? {} : { partyId: o.party }, async (ctx) =>
        (await http()).listCredentials(ctx, o.party === undefined ? {} : { partyId: o.party }),
      );
      print(
        list.length === 0
          ? '(no credentials)'
          : list
              .map(
                (c) =>
                  `${c.id}\t${c.role}\t${c.partyId ?? '-'}\t${c.revokedAt === null ? 'live' : `revoked ${c.revokedAt}`}\t${c.label ?? ''}`,
              )
              .join('\n'),
      );
    });
}
