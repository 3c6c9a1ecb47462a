/**
 * A holder learns that a certificate was revoked with standard tools only: fetch the URL in its
 * credentialStatus (W3C Bitstring Status List v1.0), verify the status list credential with `jose`
 * against the deployment's published JWKS (createRemoteJWKSet, a real listener), decode the
 * multibase base64url `encodedList` and GUNZIP it with node:zlib, and read the bit at
 * statusListIndex (index 0 = the most significant bit of the first byte, §3.2).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import { base64url, createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuild } from '../../src/app/index.js';
import { registerCertificateCommands } from '../../src/cli/certificates.js';
import { STORES } from '../support/stores.js';
import { deploy, END_USER, type Deployment } from './support.js';

interface StatusEntry {
  id: string;
  type: string;
  statusPurpose: string;
  statusListIndex: string;
  statusListCredential: string;
}
interface ListCredential {
  id: string;
  type: string[];
  issuer: string;
  credentialSubject: { id: string; type: string; statusPurpose: string; encodedList: string };
}

const credentialOf = (jws: { payload: string }) =>
  JSON.parse(new TextDecoder().decode(base64url.decode(jws.payload))) as { credentialStatus: StatusEntry };

/** What a holder does, with fetch, jose and zlib: is the certificate's bit set? */
async function revokedPerStandardTools(
  base: string,
  status: StatusEntry,
): Promise<{ revoked: boolean; bytes: number; list: ListCredential }> {
  const res = await fetch(status.statusListCredential);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const did = `did:web:127.0.0.1%3A${new URL(base).port}`;
  const { payload, protectedHeader } = await jwtVerify(await res.text(), jwks, {
    issuer: did,
    typ: 'vc+jwt',
    algorithms: ['EdDSA'],
  });
  expect(protectedHeader.kid).toMatch(new RegExp(`^${did}#ed25519:`));
  const list = payload as unknown as ListCredential;
  expect(list).toMatchObject({
    id: status.statusListCredential,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: did,
  });
  expect(list.credentialSubject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: status.statusPurpose });
  expect(list.credentialSubject.encodedList.startsWith('u')).toBe(true); // Multibase base64url, no padding
  const bits = gunzipSync(Buffer.from(list.credentialSubject.encodedList.slice(1), 'base64url'));
  const i = Number(status.statusListIndex);
  return { revoked: ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0, bytes: bits.length, list };
}

describe.each(STORES)('published revocation status lists (%s)', (kind) => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy(kind);
  }, 120_000);
  afterAll(async () => d.close());

  it('a revoked certificate is revoked, another is not, per fetch + jose + zlib; the list is cached, and rebuild reproduces it', async () => {
    const kept = await d.issue();
    const revoked = await d.issue();
    const keptStatus = credentialOf(kept.jws).credentialStatus;
    const status = credentialOf(revoked.jws).credentialStatus;
    const url = `${d.base}/status-lists/${END_USER}/revocation`;
    expect(status).toMatchObject({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListCredential: url,
      id: `${url}#${status.statusListIndex}`,
    });

    const before = await revokedPerStandardTools(d.base, status);
    expect(before.revoked).toBe(false);
    expect(before.bytes * 8).toBeGreaterThanOrEqual(131_072);
    const first = await fetch(url);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);

    const r = await d.h.call(d.endUser, 'POST', `/v1/certificates/${encodeURIComponent(revoked.id)}/revoke`, {
      body: { reason: 'order cancelled' },
    });
    expect(r.statusCode, r.body).toBe(201);

    const after = await revokedPerStandardTools(d.base, status);
    expect(after.revoked).toBe(true);
    expect((await revokedPerStandardTools(d.base, keptStatus)).revoked).toBe(false);
    const changed = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200); // the list changed, so the old tag no longer matches
    const served = await changed.text();
    const newTag = changed.headers.get('etag');
    expect(newTag).not.toBe(etag);

    // The bit comes from the journal: rebuilding the projections publishes the same bytes.
    await rebuild(d.h.ctx);
    const rebuilt = await fetch(url);
    expect(await rebuilt.text()).toBe(served);
    expect(rebuilt.headers.get('etag')).toBe(newTag);

    // `lodestone certificates status-list` exports exactly what is served, for offline use.
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-status-'));
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const cli = () => {
      const program = new Command('lodestone')
        .exitOverride()
        .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
      registerCertificateCommands(program, { io: { out: sink, err: sink }, withApp: (fn) => fn(d.h.ctx) });
      return program;
    };
    await cli().parseAsync([
      'node',
      'lodestone',
      'certificates',
      'status-list',
      '--issuer',
      END_USER,
      '--out',
      join(dir, 'list.jwt'),
    ]);
    expect(readFileSync(join(dir, 'list.jwt'), 'utf8')).toBe(`${served}\n`);
    out = '';
    await cli().parseAsync(['node', 'lodestone', 'certificates', 'status-list']);
    expect(JSON.parse(out)).toEqual({ [url]: served });
  });

  it('answers an unknown party with 404 problem+json, and publishes keys and the list without an API key', async () => {
    const missing = await fetch(`${d.base}/status-lists/no-such-party/revocation`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
    expect((await fetch(`${d.base}/status-lists/NOT%20AN%20ID/revocation`)).status).toBe(404);
    const jwks = (await (await fetch(`${d.base}/.well-known/jwks.json`)).json()) as {
      keys: { kty: string; crv: string; kid: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const doc = (await (await fetch(`${d.base}/.well-known/did.json`)).json()) as {
      id: string;
      assertionMethod: string[];
    };
    expect(doc.id).toBe(`did:web:127.0.0.1%3A${new URL(d.base).port}`);
    expect(doc.assertionMethod).toEqual([jwks.keys[0]?.kid]);
  });
});
