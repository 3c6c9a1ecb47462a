/**
 * End users and governments that keep their own keys: the server never holds them, so a
 * certificate is prepared by the server, signed by the end user where its key is, submitted, and
 * countersigned by the government with its own signature over the same payload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countersignCredential,
  generateKeyPair,
  signCredential,
  signerFromPem,
  signRequest,
  type CredentialJws,
  type EndUserCertificateCredential,
  type Signer,
} from '../../src/trust/index.js';
import { journalRepo } from '../../src/store/index.js';
import { ensureTrustListEntries } from '../../src/app/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { certificateBody, IMPORTER } from './fixture.js';
import { clock, harness, type Caller, type Harness } from './support.js';

const END_USER = 'nagpur-ev-works';
const MINISTRY = 'in-heavy-industries';

describe.each(STORES)('certificates with keys the server does not hold (%s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  const keys = { endUser: generateKeyPair(), ministry: generateKeyPair() };
  let endUser: Caller;
  let ministry: Caller;
  const journal = () => journalRepo.count(h.ctx.store.db);

  /** The operator admin registers a party with the public key it brings, the request signed by that key. */
  async function register(party: Record<string, unknown>, key: ReturnType<typeof generateKeyPair>): Promise<Signer> {
    const admin = await h.credential(null, 'operator-admin');
    const raw = JSON.stringify({ party, publicKey: key.publicKey });
    const signer = signerFromPem(key.privateKeyPem);
    const r = await h.call(admin, 'POST', '/v1/parties', {
      raw,
      signature: signRequest(signer, { method: 'POST', path: '/v1/parties', body: raw, now: clock() }),
    });
    expect(r.statusCode, r.body).toBe(201);
    h.useSigner(party.id as string, signer);
    return signer;
  }

  const body = () => ({ ...certificateBody(), importer: END_USER, endUser: END_USER });

  beforeAll(async () => {
    ts = await freshStore(kind);
    h = await harness(ts.store);
    await register(
      { id: END_USER, name: 'Nagpur EV Works Pvt Ltd', country: 'IN', sector: 'automotive' },
      keys.endUser,
    );
    await register(
      { id: MINISTRY, name: 'Ministry of Heavy Industries, Government of India', country: 'IN', sector: 'government' },
      keys.ministry,
    );
    // The operator names the ministry as a countersigner for India (roles come from the trust list).
    await ensureTrustListEntries(h.ctx, [{ party: MINISTRY, role: 'countersigner', country: 'IN' }]);
    endUser = await h.credential(END_USER, 'importer');
    ministry = await h.credential(MINISTRY, 'importing-government');
  }, 120_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });

  it("prepare → sign where the key is → submit → countersign with the government's own signature → verifies", async () => {
    // The one-step issue needs the key on the server, which does not have it.
    const direct = await h.call(endUser, 'POST', '/v1/certificates', { body: body() });
    expect(direct.statusCode).toBe(409);
    expect(direct.json()).toMatchObject({ code: 'KEY_MISSING' });

    const before = await journal();
    const prepared = await h.call(endUser, 'POST', '/v1/certificates/prepare', { body: body() });
    expect(prepared.statusCode, prepared.body).toBe(200);
    const credential = prepared.json<EndUserCertificateCredential>();
    expect(credential.issuer).toBe(`urn:lodestone:party:${END_USER}`);
    expect(await journal()).toBe(before); // preparing records nothing

    const jws = await signCredential(credential, signerFromPem(keys.endUser.privateKeyPem));
    const submitted = await h.call(endUser, 'POST', '/v1/certificates/signed', { body: { jws } });
    expect(submitted.statusCode, submitted.body).toBe(201);
    expect(submitted.json()).toMatchObject({
      id: credential.id,
      issuer: END_USER,
      status: 'active',
      countersignedBy: null,
    });
    expect(await journal()).toBeGreaterThan(before);

    // The government opens the pending certificate it is to countersign (issue 22, item 1): it is not yet
    // party to it, but it is the trust list's countersigner for the importer's country. A party of that
    // country in another role is not shown it (404: ids do not leak).
    const url = `/v1/certificates/${encodeURIComponent(credential.id)}`;
    const opened = await h.call(ministry, 'GET', url);
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json()).toMatchObject({ id: credential.id, countersignedBy: null });
    expect((await h.call(ministry, 'GET', `${url}/verification`)).statusCode).toBe(200);
    const holder = await h.credential('deccan-mobility', 'downstream-holder');
    expect((await h.call(holder, 'GET', url)).statusCode).toBe(404);

    const recorded = opened.json<{ jws: CredentialJws }>().jws;
    const countersigned = await countersignCredential(recorded, signerFromPem(keys.ministry.privateKeyPem));
    const signature = countersigned.signatures.at(-1);
    const cs = await h.call(ministry, 'POST', `/v1/certificates/${encodeURIComponent(credential.id)}/countersign`, {
      body: { signature },
    });
    expect(cs.statusCode, cs.body).toBe(201);
    expect(cs.json()).toMatchObject({ countersignedBy: MINISTRY });

    const report = await h.call(endUser, 'GET', `/v1/certificates/${encodeURIComponent(credential.id)}/verification`);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toMatchObject({ ok: true });
  });

  it("refuses, writing nothing: someone else's credential, a forged signature, a second submission, a taken status index, a countersignature by the wrong key", async () => {
    const prepare = async () =>
      (
        await h.call(endUser, 'POST', '/v1/certificates/prepare', { body: body() })
      ).json<EndUserCertificateCredential>();
    const first = await prepare();
    const second = await prepare(); // the same next status-list index as `first`
    expect(second.credentialStatus.statusListIndex).toBe(first.credentialStatus.statusListIndex);
    const signed = await signCredential(first, signerFromPem(keys.endUser.privateKeyPem));
    const before = await journal();

    // Another importer submits the end user's credential as its own.
    const other = await h.call(await h.credential(IMPORTER, 'importer'), 'POST', '/v1/certificates/signed', {
      body: { jws: signed },
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'FORBIDDEN', field: 'jws.payload.issuer' });
    // Signed with a key that is not the end user's registered key.
    const forged = await signCredential(first, signerFromPem(generateKeyPair().privateKeyPem));
    const f = await h.call(endUser, 'POST', '/v1/certificates/signed', { body: { jws: forged } });
    expect(f.statusCode).toBe(422);
    expect(f.json()).toMatchObject({ code: 'CERTIFICATE_REFUSED' });
    // Signed by the ministry's (registered) key, not the end user's.
    const wrongParty = await signCredential(first, signerFromPem(keys.ministry.privateKeyPem));
    const w = await h.call(endUser, 'POST', '/v1/certificates/signed', { body: { jws: wrongParty } });
    expect(w.statusCode).toBe(422);
    expect(w.json<{ detail: string }>().detail).toMatch(
      /the first signature must be the issuer's \("nagpur-ev-works"\), but key .* belongs to "in-heavy-industries"/,
    );
    // A malformed JWS (the fuzz test's find: an empty protected header) is bad input, not a server fault.
    const empty = await h.call(endUser, 'POST', '/v1/certificates/signed', {
      body: {
        jws: {
          payload: signed.payload,
          signatures: [{ protected: '', signature: signed.signatures[0]?.signature ?? '' }],
        },
      },
    });
    expect(empty.statusCode, empty.body).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'jws.signatures[0].protected' });
    expect(await journal()).toBe(before);

    expect((await h.call(endUser, 'POST', '/v1/certificates/signed', { body: { jws: signed } })).statusCode).toBe(201);
    const after = await journal();
    const again = await h.call(endUser, 'POST', '/v1/certificates/signed', { body: { jws: signed } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'ALREADY_EXISTS' });
    const raced = await h.call(endUser, 'POST', '/v1/certificates/signed', {
      body: { jws: await signCredential(second, signerFromPem(keys.endUser.privateKeyPem)) },
    });
    expect(raced.statusCode).toBe(409);
    expect(raced.json<{ detail: string }>().detail).toMatch(/prepare it again/);

    // A "countersignature" the ministry submits, made with another registered party's key.
    const bad = await countersignCredential(signed, h.ctx.keystore.signer(IMPORTER));
    const cs = await h.call(ministry, 'POST', `/v1/certificates/${encodeURIComponent(first.id)}/countersign`, {
      body: { signature: bad.signatures.at(-1) },
    });
    expect(cs.statusCode).toBe(422);
    expect(cs.json<{ detail: string }>().detail).toMatch(
      /countersignature is by chakan-drive-systems, not by in-heavy-industries/,
    );
    expect(await journal()).toBe(after);
  });
});
