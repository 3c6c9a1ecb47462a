/**
 * A real listening server for the interoperability suite: its public URL is the address it listens
 * on, so the URLs it puts in certificates (status lists, did:web key references, the context)
 * resolve, and standard clients (fetch, jose's createRemoteJWKSet) are pointed at them unchanged.
 */
import { createServer as listenOnce } from 'node:net';
import { certificateSubject } from '../support/certificates.js';
import { freshStore, type StoreKind, type TestStore } from '../support/stores.js';
import { harness, type Caller, type Harness } from '../http/support.js';

export const END_USER = 'chakan-drive-systems';

/** A port free now (the server binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = listenOnce();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => {
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
  });
}

export interface Deployment {
  readonly base: string;
  readonly h: Harness;
  readonly endUser: Caller;
  /** Issues a certificate over the API as the end user; returns the response body (id, jws, …). */
  issue(): Promise<{ id: string; jws: { payload: string; signatures: { protected: string; signature: string }[] } }>;
  close(): Promise<void>;
}

export async function deploy(kind: StoreKind): Promise<Deployment> {
  const ts: TestStore = await freshStore(kind);
  const port = await freePort();
  const base = `http://127.0.0.1:${String(port)}`;
  const h = await harness(ts.store, { list: false, publicUrl: base });
  await h.app.listen({ host: '127.0.0.1', port });
  const endUser = await h.credential(END_USER, 'importer');
  return {
    base,
    h,
    endUser,
    async issue() {
      const r = await h.call(endUser, 'POST', '/v1/certificates', { body: certificateSubject });
      if (r.statusCode !== 201) throw new Error(`issue: ${String(r.statusCode)} ${r.body}`);
      return r.json();
    },
    async close() {
      await h.app.close();
      await ts.dispose();
    },
  };
}

/** The compact serialization of a General JWS's signature `i` (RFC 7515 §7.1). */
export function compactOf(
  jws: { payload: string; signatures: readonly { protected: string; signature: string }[] },
  i = 0,
): string {
  const s = jws.signatures[i];
  if (s === undefined) throw new Error(`no signature ${String(i)}`);
  return `${s.protected}.${jws.payload}.${s.signature}`;
}
