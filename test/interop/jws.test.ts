/**
 * Certificates checked with a JOSE implementation that is not ours (`jose`): the general, flattened
 * and compact serializations of an issued certificate verify with keys fetched from the server's
 * published JWKS (createRemoteJWKSet against a real listener) or its did:web DID document; jwtVerify
 * checks `iss` and `typ`; and a JWS made by `jose` with its header members in another order, in any
 * serialization, is accepted by the server (RFC 7515 §5.2: verified over the header as received).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  base64url,
  compactVerify,
  createRemoteJWKSet,
  FlattenedSign,
  flattenedVerify,
  generalVerify,
  importJWK,
  importPKCS8,
  jwtVerify,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCertificateCommands } from '../../src/cli/certificates.js';
import { journalRepo } from '../../src/store/index.js';
import { certificateSubject } from '../support/certificates.js';
import { STORES } from '../support/stores.js';
import { compactOf, deploy, END_USER, type Deployment } from './support.js';

/**
 * RFC 8785 canonical JSON for what a credential holds (objects, arrays, strings, safe integers,
 * booleans): members sorted by name, no spaces; for these values JSON.stringify's escaping is JCS's.
 */
function jcs(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${jcs(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const utf8 = new TextEncoder();
type Jws = Awaited<ReturnType<Deployment['issue']>>['jws'];
type Report = { ok: boolean; refusals: { rule: string; message: string }[] };

describe.each(STORES)('certificates verify with jose, and jose-made JWS are accepted (%s)', (kind) => {
  let d: Deployment;
  let issued: { id: string; jws: Jws };
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    d = await deploy(kind);
    issued = await d.issue();
    jwks = createRemoteJWKSet(new URL(`${d.base}/parties/${END_USER}/jwks.json`));
  }, 120_000);
  afterAll(async () => d.close());

  it('general, flattened and compact verify with the JWKS fetched from the server; jwtVerify checks iss and typ', async () => {
    const [sig] = issued.jws.signatures;
    if (sig === undefined) throw new Error('no signature');
    const general = await generalVerify({ payload: issued.jws.payload, signatures: issued.jws.signatures }, jwks, {
      algorithms: ['EdDSA'],
    });
    const flattened = await flattenedVerify({ payload: issued.jws.payload, ...sig }, jwks, { algorithms: ['EdDSA'] });
    const compact = await compactVerify(compactOf(issued.jws), jwks, { algorithms: ['EdDSA'] });
    for (const r of [general, flattened, compact])
      expect(new TextDecoder().decode(r.payload)).toBe(new TextDecoder().decode(base64url.decode(issued.jws.payload)));

    const issuer = `urn:lodestone:party:${END_USER}`;
    const jwt = await jwtVerify(compactOf(issued.jws), jwks, { issuer, typ: 'vc+jwt', algorithms: ['EdDSA'] });
    expect(jwt.payload).toMatchObject({ iss: issuer, issuer, id: issued.id });
    // kid is a did:web DID URL of this deployment naming the end user's key.
    const host = `127.0.0.1%3A${new URL(d.base).port}`;
    expect(jwt.protectedHeader.kid).toMatch(
      new RegExp(`^did:web:${host}:parties:${END_USER}#ed25519:[A-Za-z0-9_-]{22}$`),
    );
    // The wrong issuer is refused by jose itself.
    await expect(
      jwtVerify(compactOf(issued.jws), jwks, { issuer: 'urn:lodestone:party:someone-else' }),
    ).rejects.toThrow(/iss/);
  });

  it('the kid resolves through the did:web DID document (did:web §3.2.1: host and path from the DID)', async () => {
    const compact = compactOf(issued.jws);
    const kid = (JSON.parse(new TextDecoder().decode(base64url.decode(compact.split('.')[0] ?? ''))) as { kid: string })
      .kid;
    const did = kid.slice(0, kid.indexOf('#'));
    // did:web resolves over https; this test server listens on http at the same host and path.
    const docUrl = `http://${decodeURIComponent(did.split(':')[2] ?? '')}/${did.split(':').slice(3).join('/')}/did.json`;
    const res = await fetch(docUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/did\+json/);
    const doc = (await res.json()) as {
      id: string;
      verificationMethod: { id: string; controller: string; publicKeyJwk: Record<string, string> }[];
      assertionMethod: string[];
    };
    expect(doc.id).toBe(did);
    const method = doc.verificationMethod.find((m) => m.id === kid);
    expect(method?.controller).toBe(did);
    expect(doc.assertionMethod).toContain(kid);
    const key = await importJWK(method?.publicKeyJwk ?? {}, 'EdDSA');
    await expect(compactVerify(compact, key)).resolves.toBeDefined();
  });

  it('serves the credentials @context the certificates name, as JSON-LD', async () => {
    const credential = JSON.parse(new TextDecoder().decode(base64url.decode(issued.jws.payload))) as {
      '@context': string[];
      type: string[];
    };
    expect(credential['@context'][0]).toBe('https://www.w3.org/ns/credentials/v2');
    const url = credential['@context'][1] ?? '';
    expect(url).toBe(`${d.base}/ns/credentials/v1`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    const ctx = ((await res.json()) as { '@context': Record<string, unknown> })['@context'];
    expect(ctx['@vocab']).toBe(`${url}#`);
    expect(ctx.EndUserCertificate).toBe(`${url}#EndUserCertificate`);
  });

  it('accepts a certificate jose signed with its header members in another order, in compact, flattened and general form', async () => {
    const prepared = await d.h.call(d.endUser, 'POST', '/v1/certificates/prepare', { body: certificateSubject });
    expect(prepared.statusCode, prepared.body).toBe(200);
    const credential = prepared.json<Record<string, unknown>>();
    const keyId = d.h.ctx.keystore.get(END_USER).keyId;
    const kid = `did:web:127.0.0.1%3A${new URL(d.base).port}:parties:${END_USER}#${keyId}`;
    const key = await importPKCS8(d.h.ctx.keystore.get(END_USER).privateKeyPem, 'EdDSA');
    // typ first, no cty: not canonical order, so only a verifier that uses the received bytes accepts it.
    const signed = await new FlattenedSign(utf8.encode(jcs(credential)))
      .setProtectedHeader({ typ: 'vc+jwt', kid, alg: 'EdDSA' })
      .sign(key);
    const headerText = new TextDecoder().decode(base64url.decode(signed.protected ?? ''));
    expect(headerText).toBe(`{"typ":"vc+jwt","kid":"${kid}","alg":"EdDSA"}`);
    const compact = `${signed.protected ?? ''}.${signed.payload}.${signed.signature}`;

    // The verify endpoint takes each serialization (it is not recorded yet: verified, then "not recorded").
    for (const jws of [
      compact,
      { payload: signed.payload, protected: signed.protected, signature: signed.signature },
      { payload: signed.payload, signatures: [{ protected: signed.protected, signature: signed.signature }] },
    ]) {
      const r = await d.h.call(d.endUser, 'POST', '/v1/certificates/verify', { body: { jws } });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json<Report>().refusals.map((x) => x.rule)).toEqual(['certificate.record']);
    }

    const submitted = await d.h.call(d.endUser, 'POST', '/v1/certificates/signed', { body: { jws: compact } });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const recorded = submitted.json<{ id: string; jws: Jws }>();
    expect(recorded.id).toBe(credential.id);
    expect(recorded.jws.signatures[0]?.protected).toBe(signed.protected); // kept byte for byte
    for (const jws of [compact, compactOf(recorded.jws)]) {
      const r = await d.h.call(d.endUser, 'POST', '/v1/certificates/verify', { body: { jws } });
      expect(r.json<Report>()).toMatchObject({ ok: true, refusals: [] });
    }

    // The CLI takes the compact form from a file.
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-interop-'));
    const file = join(dir, 'certificate.jwt');
    writeFileSync(file, `${compact}\n`);
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const program = new Command('lodestone')
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    registerCertificateCommands(program, { io: { out: sink, err: sink }, withApp: (fn) => fn(d.h.ctx) });
    await program.parseAsync(['node', 'lodestone', 'certificates', 'verify', file]);
    expect(out).toMatch(/: VALID as of /);
    expect(readFileSync(file, 'utf8')).toContain(compact);
  });

  it('refuses, writing nothing: a header member named twice, an unprotected header, a forged signature, a malformed compact JWS', async () => {
    const prepared = (await d.h.call(d.endUser, 'POST', '/v1/certificates/prepare', { body: certificateSubject })).json<
      Record<string, unknown>
    >();
    const key = await importPKCS8(d.h.ctx.keystore.get(END_USER).privateKeyPem, 'EdDSA');
    const keyId = d.h.ctx.keystore.get(END_USER).keyId;
    const payload = utf8.encode(jcs(prepared));
    const good = await new FlattenedSign(payload)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'vc+jwt', kid: keyId })
      .sign(key);
    const before = await journalRepo.count(d.h.ctx.store.db);
    const dupHeader = base64url.encode(`{"alg":"EdDSA","typ":"vc+jwt","kid":"${keyId}","kid":"${keyId}"}`);
    const cases: [unknown, RegExp][] = [
      [
        `${dupHeader}.${good.payload}.${good.signature}`,
        /^jws\.signatures\[0\]\.protected\.kid: is a member name that appears twice/,
      ],
      [{ ...good, header: { kid: keyId } }, /^jws\.header: unknown field/],
      [
        `${good.protected ?? ''}.${good.payload}.${good.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`,
        /forged or tampered: signatures\[0\]: signature by ed25519:\S+ does not verify/,
      ],
      [`${good.protected ?? ''}.${good.payload}`, /^jws: a compact JWS is three base64url parts/],
    ];
    for (const [jws, message] of cases) {
      const r = await d.h.call(d.endUser, 'POST', '/v1/certificates/signed', { body: { jws } });
      expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
      expect(r.json<{ detail: string }>().detail).toMatch(message);
    }
    expect(await journalRepo.count(d.h.ctx.store.db)).toBe(before);
    // The untampered one, with a bare key id (as before DID key references), is accepted.
    const ok = await d.h.call(d.endUser, 'POST', '/v1/certificates/signed', { body: { jws: good } });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});
