/**
 * An HTTP test harness: a fresh store, the scenario's parties registered, a credential for each
 * (party, role) asked for, and `call` that sends a request as a party — with its API key, an
 * Idempotency-Key on POSTs and, on routes that make records, a Lodestone-Signature made with the
 * party's key (from the test keystore, standing in for the party's own client).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp, ensureTrustListEntries, registerParty, signRequest, type AppContext } from '../../src/app/index.js';
import { example, EXAMPLES_DIR, importDemoList } from '../../src/app/scenario.js';
import { createServer, issueCredential, SERVED_ROUTES, type Role, type ServerOptions } from '../../src/http/index.js';
import type { Store } from '../../src/store/index.js';
import type { Signer } from '../../src/trust/index.js';

export const EXAMPLES = EXAMPLES_DIR;
export { example };
export const TODAY = '2026-11-24';
export const clock = () => new Date(`${TODAY}T10:00:00Z`);

export interface Caller {
  readonly party: string | null;
  readonly role: Role;
  readonly key: string;
  readonly credentialId: string;
}

export interface CallOptions {
  readonly body?: unknown;
  /** Raw body text instead of JSON.stringify(body). */
  readonly raw?: string;
  readonly idempotencyKey?: string | null;
  /** Sign (default: when the route makes records). */
  readonly sign?: boolean;
  readonly signature?: string;
  readonly headers?: Record<string, string>;
  /** Another server over the same context (default: the harness's). */
  readonly app?: FastifyInstance;
}

export interface Harness {
  readonly ctx: AppContext;
  readonly app: FastifyInstance;
  credential(party: string | null, role: Role): Promise<Caller>;
  call(as: Caller | null, method: 'GET' | 'POST', url: string, o?: CallOptions): Promise<LightMyRequestResponse>;
  /** A party whose private key the client holds (registered over the API), not the test keystore. */
  useSigner(party: string, signer: Signer): void;
}

const recordingRoutes = SERVED_ROUTES.filter((r) => r.records).map((r) => ({
  method: r.method,
  re: new RegExp(`^${r.url.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`),
}));
export const makesRecords = (method: string, url: string): boolean =>
  recordingRoutes.some((r) => r.method === method && r.re.test(url.split('?')[0] ?? ''));

export async function harness(
  store: Store,
  opts: { parties?: boolean; list?: boolean; trustList?: boolean; server?: ServerOptions; publicUrl?: string } = {},
): Promise<Harness> {
  const ctx = createApp(store, {
    keysDir: mkdtempSync(join(tmpdir(), 'lodestone-http-')),
    clock,
    publicUrl: opts.publicUrl,
  });
  if (opts.parties !== false)
    for (const p of example('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
  if (opts.parties !== false && opts.trustList !== false)
    await ensureTrustListEntries(ctx, (example('scenario/trust-list.json') as { entries: unknown[] }).entries);
  if (opts.list !== false && opts.parties !== false) await importDemoList(ctx);
  const app = await createServer(ctx, { rateLimit: false, ...opts.server });
  const cache = new Map<string, Caller>();
  const signers = new Map<string, Signer>();
  return {
    ctx,
    app,
    async credential(party, role) {
      const k = `${party ?? ''}/${role}`;
      let c = cache.get(k);
      if (!c) {
        const issued = await issueCredential(ctx, { partyId: party ?? undefined, role });
        c = { party, role, key: issued.key, credentialId: issued.id };
        cache.set(k, c);
      }
      return c;
    },
    useSigner(party, signer) {
      signers.set(party, signer);
    },
    async call(as, method, url, o = {}) {
      const payload = o.raw ?? (o.body === undefined ? '' : JSON.stringify(o.body));
      const headers: Record<string, string> = { ...(payload === '' ? {} : { 'content-type': 'application/json' }) };
      if (as) headers.authorization = `Bearer ${as.key}`;
      if (method === 'POST' && o.idempotencyKey !== null) headers['idempotency-key'] = o.idempotencyKey ?? randomUUID();
      if (o.signature !== undefined) headers['lodestone-signature'] = o.signature;
      else if ((o.sign ?? makesRecords(method, url)) && as?.party) {
        headers['lodestone-signature'] = signRequest(signers.get(as.party) ?? ctx.keystore.signer(as.party), {
          method,
          path: url,
          body: payload,
          now: clock(),
        });
      }
      return (o.app ?? app).inject({
        method,
        url,
        headers: { ...headers, ...o.headers },
        ...(payload === '' ? {} : { payload }),
      });
    },
  };
}
