/**
 * Issue 24: a certificate issued and countersigned on `in`, relied on by a licence on `cn`, is checked
 * against `in`'s published status list over HTTP (src/app/status-fetch.ts) — verified with the log key
 * `cn` pinned for `in`, cached, revalidated with If-None-Match. Two nodes over a NATS JetStream server
 * this test owns (as federation.test.ts); `in` serves its published routes (src/http) behind a small
 * front that this test can close (`in` unreachable) or make lie (another key's list, a tampered list).
 */
import { createServer as httpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { compactVerify, CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPeer,
  applyPeerRecords,
  countersignCertificate,
  createApp,
  createLot,
  decideApplication,
  dispatchShipment,
  ensureTrustListEntries,
  exportAuditBundle,
  federationIdentity,
  federationStatus,
  ingestCustodyEvents,
  issueCertificate,
  listAlerts,
  LOG_ID,
  peerStatusList,
  rebuild,
  RefusedError,
  registerParty,
  revokeCertificate,
  statusListPolicy,
  submitApplication,
  verifyPeerStatusList,
  type AppContext,
  type FederationIdentity,
} from '../../src/app/index.js';
import { FederationNode } from '../../src/federation/index.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import {
  certificatesRepo,
  dumpProjections,
  federationRepo,
  licencesRepo,
  logRepo,
  lotsRepo,
  shipmentsRepo,
} from '../../src/store/index.js';
import {
  canonicalJson,
  decodeStatusList,
  didWebFor,
  encodeStatusList,
  generateKeyPair,
  getStatusBit,
  importPrivateKey,
  keyReference,
  parseVerifierKey,
  publicKeyFromRaw,
  revocationListCredential,
  signCompactCredential,
  signRequest,
} from '../../src/trust/index.js';
import { verifyBundle } from '../../src/verify/index.js';
import { freshStore, type TestStore } from '../support/stores.js';
import {
  applicationInput,
  AUTHORITY,
  certificateInput,
  CONDITIONS,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
  lotInput,
  readExample,
  shipmentInput,
} from '../support/scenario.js';
import { converge as convergeNodes, freePort, startNats, type TestNats } from './support.js';

const PARTIES = readExample('scenario/parties.json') as { id: string }[];
const party = (id: string) => PARTIES.find((p) => p.id === id);

type Mode = 'pass' | 'tamper' | 'other-key' | 'unavailable';

/** `in`'s published routes on loopback, through a front this test controls. */
class Front {
  mode: Mode = 'pass';
  /** Each status-list request: the If-None-Match it carried and the status answered. */
  readonly seen: { ifNoneMatch: string | undefined; status: number }[] = [];
  private server: Server | undefined;
  constructor(
    readonly port: number,
    private readonly app: FastifyInstance,
    private readonly forge: (url: string) => Promise<string>,
  ) {}

  async open(): Promise<void> {
    const server = httpServer((req, res) => {
      void this.answer(req.url ?? '/', req.headers).then(({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(body);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }

  private async answer(url: string, headers: IncomingHttpHeaders) {
    const ifNoneMatch = typeof headers['if-none-match'] === 'string' ? headers['if-none-match'] : undefined;
    const r = await this.app.inject({
      method: 'GET',
      url,
      // A party in the middle answers in full, whatever the client holds.
      headers: ifNoneMatch === undefined || this.mode !== 'pass' ? {} : { 'if-none-match': ifNoneMatch },
    });
    let status = r.statusCode;
    let body = r.body;
    const etag = typeof r.headers.etag === 'string' ? r.headers.etag : undefined;
    if (this.mode === 'unavailable') {
      status = 503;
      body = '';
    } else if (this.mode === 'other-key') {
      status = 200;
      body = await this.forge(`http://127.0.0.1:${this.port}${url}`);
    } else if (this.mode === 'tamper' && status === 200) body = tamper(body);
    if (url.startsWith('/status-lists/')) this.seen.push({ ifNoneMatch, status });
    return {
      status,
      headers: { 'content-type': 'application/vc+jwt', ...(etag === undefined ? {} : { etag }) },
      body: status === 304 ? undefined : body,
    };
  }
}

/** The list with every bit of its first bytes set, the signature left as it was. */
function tamper(jws: string): string {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const c = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as {
    credentialSubject: { encodedList: string };
  };
  const list = decodeStatusList(c.credentialSubject.encodedList);
  list.fill(0xff, 0, 64);
  c.credentialSubject.encodedList = encodeStatusList(list);
  return `${h}.${Buffer.from(canonicalJson(c)).toString('base64url')}.${s}`;
}

describe('federation: cn checks in’s published status list over HTTP', { timeout: 180_000 }, () => {
  let nats: TestNats;
  let cnTs: TestStore;
  let inTs: TestStore;
  let cn: AppContext;
  let inn: AppContext;
  let cnFed: FederationNode;
  let inFed: FederationNode;
  let inHttp: FastifyInstance;
  let front: Front;
  let inUrl = '';
  let inId: FederationIdentity;
  const tmp = mkdtempSync(join(tmpdir(), 'lodestone-statuslist-'));

  const converge = () => convergeNodes([cnFed, inFed]);

  const journalSize = (ctx: AppContext) => logRepo.size(ctx.store.db);
  const recordsOf = async (ctx: AppContext, type: string) =>
    ctx.store.db.selectFrom('journal').select(['seq', 'canonical']).where('type', '=', type).orderBy('seq').execute();
  const inLogKey = () => publicKeyFromRaw(parseVerifierKey(inId.logKey).publicKey);

  /** A certificate issued and countersigned on in, known on cn; a licence on cn relying on it, and a lot to ship from. */
  async function licensed(lot: string): Promise<{ certificateId: string; licenceId: string }> {
    const cert = await issueCertificate(inn, IMPORTER, certificateInput({ grams: 500_000 }));
    await countersignCertificate(inn, GOVERNMENT, cert.id);
    await converge();
    const app = await submitApplication(cn, applicationInput({ certificateId: cert.id, grams: 500_000 }));
    const decided = await decideApplication(cn, AUTHORITY, app.id, { decision: 'approve', conditions: CONDITIONS });
    await createLot(cn, EXPORTER, lotInput(lot, 500_000));
    return { certificateId: cert.id, licenceId: decided.licence?.id ?? '' };
  }

  beforeAll(async () => {
    nats = await startNats();
    const port = await freePort();
    inUrl = `http://127.0.0.1:${port}`;
    [cnTs, inTs] = [await freshStore('postgres'), await freshStore('postgres')];
    cn = createApp(cnTs.store, {
      keysDir: join(tmp, 'cn-keys'),
      logOrigin: 'cn.lodestone.example/log',
      publicUrl: 'https://cn.lodestone.example',
    });
    inn = createApp(inTs.store, {
      keysDir: join(tmp, 'in-keys'),
      logOrigin: 'in.lodestone.example/log',
      publicUrl: inUrl,
    });
    for (const id of [EXPORTER, AUTHORITY]) await registerParty(cn, party(id));
    await ensureTrustListEntries(cn, [{ party: AUTHORITY, role: 'licensing-authority', country: 'CN' }]);
    for (const id of [IMPORTER, GOVERNMENT, 'deccan-mobility']) await registerParty(inn, party(id));
    await ensureTrustListEntries(inn, [{ party: GOVERNMENT, role: 'countersigner', country: 'IN' }]);
    inId = await federationIdentity(inn, 'in');
    // The identity JSON carries the node's public URL; cn pins it with the rest.
    expect(inId.url).toBe(inUrl);
    await addPeer(cn, { ...inId, countries: ['IN'] });
    await addPeer(inn, { ...(await federationIdentity(cn, 'cn')), countries: ['CN'] });
    expect((await federationRepo.peer(cn.store.db, 'in'))?.public_url).toBe(inUrl);
    cnFed = new FederationNode(cn, { node: 'cn', servers: [nats.url] });
    inFed = new FederationNode(inn, { node: 'in', servers: [nats.url] });
    await cnFed.start();
    await inFed.start();
    inHttp = await createServer(inn);
    const other = generateKeyPair();
    const did = didWebFor(inUrl);
    front = new Front(port, inHttp, (url) =>
      signCompactCredential(
        revocationListCredential(url, did, [0, 1, 2, 3, 4, 5, 6, 7]),
        { keyId: other.keyId, privateKey: importPrivateKey(other.privateKeyPem) },
        keyReference(did, other.keyId),
      ),
    );
    await front.open();
    // Each node knows the other's parties (the certificate names cn's exporter).
    await converge();
  });

  afterAll(async () => {
    await front.close();
    await inHttp.close();
    await cnFed.close();
    await inFed.close();
    await cnTs.dispose();
    await inTs.dispose();
    await nats.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('an application and its approval fetch in’s list; the second request is a 304 and uses the cache', async () => {
    const before = front.seen.length;
    const { certificateId, licenceId } = await licensed('lot-sl-1');
    const asked = front.seen.slice(before);
    // The submission fetched it (200); the approval sent the cached entity tag back and got a 304.
    expect(asked.map((s) => s.status)).toEqual([200, 304]);
    expect(asked[0]?.ifNoneMatch).toBeUndefined();
    expect(asked[1]?.ifNoneMatch).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const cached = await cn.store.db.selectFrom('federation_status_lists').selectAll().execute();
    expect(cached.map((c) => [c.node, c.party_id, c.url])).toEqual([
      ['in', IMPORTER, `${inUrl}/status-lists/${IMPORTER}/revocation`],
    ]);
    // Asked directly: the 304 answer is the cached list, verified again.
    const peer = await federationRepo.peer(cn.store.db, 'in');
    if (peer === undefined) throw new Error('no peer');
    const list = await peerStatusList(cn, peer, IMPORTER, 'approval');
    expect(list.source).toBe('not-modified');
    expect(list.jws).toBe(cached[0]?.jws);
    const index = (await certificatesRepo.get(cn.store.db, certificateId))?.status_index ?? -1;
    expect(getStatusBit(list.list, index)).toBe(false);
    await dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-1', 'lot-sl-1', 100_000, licenceId));
  });

  it('partition: in revokes, cn’s consumer is not read; cn’s next shipment is refused from in’s list, the licence suspended; the NATS import later applies nothing twice', async () => {
    const { certificateId, licenceId } = await licensed('lot-sl-2');
    await dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-2', 'lot-sl-2', 100_000, licenceId));
    await converge();
    // Partition: cn's consumer of in's stream is not read from here on; in revokes and publishes.
    await revokeCertificate(inn, IMPORTER, certificateId, 'end use changed');
    await inFed.sync();
    expect((await cnFed.consumerLag()).in).toBeGreaterThan(0);
    const size = await journalSize(cn);
    await expect(
      dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-3', 'lot-sl-2', 100_000, licenceId)),
    ).rejects.toThrow(/CERTIFICATE_REVOKED[\s\S]*in's status list/);
    // Found via HTTP: one record with in's signed list as evidence, verifiable with in's log key alone.
    const seen = await recordsOf(cn, 'federation.status-revoked');
    expect(seen).toHaveLength(1);
    const body = (JSON.parse(seen[0]?.canonical ?? '{}') as { payload: { body: Record<string, unknown> } }).payload
      .body as { certificateId: string; statusList: string; statusIndex: number; node: string };
    expect(body.certificateId).toBe(certificateId);
    expect(body.node).toBe('in');
    const { payload } = await compactVerify(body.statusList, inLogKey());
    const credential = JSON.parse(new TextDecoder().decode(payload)) as { credentialSubject: { encodedList: string } };
    expect(getStatusBit(decodeStatusList(credential.credentialSubject.encodedList), body.statusIndex)).toBe(true);
    // In the same transaction: the licence suspended, the certificate revoked here, MOFCOM alerted.
    const licence = await licencesRepo.get(cn.store.db, licenceId);
    expect(licence?.status).toBe('suspended');
    expect(licence?.suspended_seq).toBe(seen[0]?.seq);
    expect((await certificatesRepo.get(cn.store.db, certificateId))?.revoked_seq).toBe(seen[0]?.seq);
    const alerts = (await listAlerts(cn)).filter((a) => a.rule === 'certificate-revoked' && a.licenceId === licenceId);
    expect(alerts).toHaveLength(1);
    expect(await journalSize(cn)).toBeGreaterThan(size);
    // Refused again, and nothing more is recorded: the certificate is revoked here now.
    const after = await journalSize(cn);
    await expect(
      dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-4', 'lot-sl-2', 100_000, licenceId)),
    ).rejects.toThrow(/CERTIFICATE_REVOKED/);
    expect(await journalSize(cn)).toBe(after);
    // The record's subjects are the certificate and the licence it suspended: before in's own
    // certificate.revoked arrives, the licence's audit bundle carries it and verifies, and a bundle
    // without it fails the completeness check.
    expect(JSON.parse(seen[0]?.canonical ?? '{}')).toMatchObject({
      payload: {
        body: { licences: [licenceId] },
        links: [{ subject: `certificate:${certificateId}` }, { subject: `licence:${licenceId}` }],
      },
    });
    const cnKey = parseVerifierKey((await federationIdentity(cn, 'cn')).logKey);
    const pins = { logKey: cnKey.publicKey, logOrigin: cnKey.name, peerKeys: [parseVerifierKey(inId.logKey)] };
    const early = await exportAuditBundle(cn, licenceId);
    const evidence = early.entries.find((e) => e.record.includes('"type":"federation.status-revoked"'));
    expect(evidence).toBeDefined();
    expect(verifyBundle(JSON.stringify(early), pins).completeness.subjects.map((c) => c.subject)).toEqual(
      expect.arrayContaining([`certificate:${certificateId}`, `licence:${licenceId}`]),
    );
    const without = {
      ...early,
      entries: early.entries.filter((e) => e !== evidence),
      leafIndexes: early.leafIndexes.filter((i) => i !== evidence?.leafIndex),
    };
    expect(() => verifyBundle(JSON.stringify(without), pins)).toThrow(
      /(certificate|licence):.*is on its chain but missing from the bundle/,
    );

    // Heal: the NATS import of in's certificate.revoked is recorded, and applies nothing twice.
    const projections = await dumpProjections(cn.store.db);
    await converge();
    const imports = (await recordsOf(cn, 'federation.imported'))
      .map((r) => (JSON.parse(r.canonical) as { payload: { body: { record: string; effect: unknown } } }).payload.body)
      .filter((b) => (JSON.parse(b.record) as { payload: { type: string } }).payload.type === 'certificate.revoked');
    expect(imports.at(-1)?.effect).toEqual({ kind: 'certificate', seenInStatusList: seen[0]?.seq });
    expect((await licencesRepo.get(cn.store.db, licenceId))?.suspended_seq).toBe(seen[0]?.seq);
    expect((await certificatesRepo.get(cn.store.db, certificateId))?.revoked_seq).toBe(seen[0]?.seq);
    expect(
      (await listAlerts(cn)).filter((a) => a.rule === 'certificate-revoked' && a.licenceId === licenceId),
    ).toHaveLength(1);
    const healed = await dumpProjections(cn.store.db);
    expect(healed.licences).toEqual(projections.licences);
    expect(healed.certificates).toEqual(projections.certificates);
    expect(healed.alerts).toEqual(projections.alerts);
    // Both nodes converge; a rebuild of cn replays the status record and the import into the same projections.
    expect((await federationStatus(cn)).peers[0]?.appliedSeq).toBe(await journalSize(inn));
    expect((await federationStatus(inn)).peers[0]?.appliedSeq).toBe(await journalSize(cn));
    expect(await applyPeerRecords(cn, 'in')).toEqual({ imported: 0, skipped: 0 });
    const now = await dumpProjections(cn.store.db);
    await rebuild(cn);
    expect(await dumpProjections(cn.store.db)).toEqual(now);
    // The licence's audit bundle still verifies offline, in's key pinned: the revocation shown is in's own record.
    const cnLog = parseVerifierKey((await federationIdentity(cn, 'cn')).logKey);
    const summary = verifyBundle(JSON.stringify(await exportAuditBundle(cn, licenceId)), {
      logKey: cnLog.publicKey,
      logOrigin: cnLog.name,
      peerKeys: [parseVerifierKey(inId.logKey)],
    });
    expect(summary.certificates.revocations).toBe(1);
    expect(summary.peers[0]).toMatchObject({ node: 'in', keyPinned: true });
  });

  it('a custody batch asks in’s list before its transaction opens: in revoked, the batch is refused naming its event, and the revocation found stays recorded', async () => {
    const { certificateId, licenceId } = await licensed('lot-sl-8');
    // in revokes; cn has not applied in's record yet (its consumer is read only at converge()).
    await revokeCertificate(inn, IMPORTER, certificateId, 'end use changed');
    await inFed.sync();
    expect((await cnFed.consumerLag()).in).toBeGreaterThan(0);
    // A first event is appended (taking the journal lock) before the shipment under the licence.
    const refused = await ingestCustodyEvents(cn, EXPORTER, [
      { kind: 'lot', input: lotInput('lot-sl-8b', 1_000) },
      { kind: 'shipment', input: shipmentInput('shp-sl-8', 'lot-sl-8', 100_000, licenceId) },
    ]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).refusals).toEqual([
      expect.objectContaining({
        rule: 'CERTIFICATE_REVOKED',
        message: expect.stringMatching(/^events\[1\]: licence .* is suspended since journal entry \d+/) as string,
      }),
    ]);
    // Nothing of the batch is written; the revocation cn found in in's list, asked before the batch's
    // transaction, is journalled on its own and stays: the licence suspended, the certificate revoked.
    expect(await lotsRepo.get(cn.store.db, 'lot-sl-8b')).toBeUndefined();
    expect(await shipmentsRepo.get(cn.store.db, 'shp-sl-8')).toBeUndefined();
    const seen = (await recordsOf(cn, 'federation.status-revoked')).filter((r) => r.canonical.includes(certificateId));
    expect(seen).toHaveLength(1);
    expect((await licencesRepo.get(cn.store.db, licenceId))?.status).toBe('suspended');
    expect((await certificatesRepo.get(cn.store.db, certificateId))?.revoked_seq).toBe(seen[0]?.seq);
    await converge();
  });

  it('through the API: in revoked, a signed shipment request is refused (422 CERTIFICATE_REVOKED) and the revocation cn found is recorded as the log operator’s own record, not refused as one made on the exporter’s request (403 before)', async () => {
    const { certificateId, licenceId } = await licensed('lot-sl-9');
    await revokeCertificate(inn, IMPORTER, certificateId, 'end use changed');
    await inFed.sync();
    const cnHttp = await createServer(cn, { rateLimit: false });
    try {
      const { key } = await issueCredential(cn, { partyId: EXPORTER, role: 'exporter' });
      const body = JSON.stringify(shipmentInput('shp-sl-9', 'lot-sl-9', 100_000, licenceId));
      const res = await cnHttp.inject({
        method: 'POST',
        url: '/v1/shipments',
        payload: body,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'idempotency-key': 'shp-sl-9',
          'lodestone-signature': signRequest(cn.keystore.signer(EXPORTER), {
            method: 'POST',
            path: '/v1/shipments',
            body,
          }),
        },
      });
      expect(res.statusCode).toBe(422);
      expect(res.body).toMatch(/CERTIFICATE_REVOKED[\s\S]*in's status list/);
    } finally {
      await cnHttp.close();
    }
    expect(await shipmentsRepo.get(cn.store.db, 'shp-sl-9')).toBeUndefined();
    const seen = (await recordsOf(cn, 'federation.status-revoked')).filter((r) => r.canonical.includes(certificateId));
    expect(seen).toHaveLength(1);
    expect((await licencesRepo.get(cn.store.db, licenceId))?.suspended_seq).toBe(seen[0]?.seq);
    await converge();
  });

  it('a status list signed by another key, or tampered with, is refused naming in and why; nothing is recorded', async () => {
    const cert = await issueCertificate(inn, IMPORTER, certificateInput({ grams: 500_000 }));
    await countersignCertificate(inn, GOVERNMENT, cert.id);
    await converge();
    const size = await journalSize(cn);
    try {
      front.mode = 'other-key';
      await expect(
        submitApplication(cn, applicationInput({ certificateId: cert.id, grams: 500_000 })),
      ).rejects.toMatchObject({ code: 'CERTIFICATE_REFUSED', field: 'certificate.status-list' });
      await expect(submitApplication(cn, applicationInput({ certificateId: cert.id, grams: 500_000 }))).rejects.toThrow(
        /peer "in": .*does not verify with in's pinned log key/,
      );
      front.mode = 'tamper';
      await expect(submitApplication(cn, applicationInput({ certificateId: cert.id, grams: 500_000 }))).rejects.toThrow(
        /peer "in": .*does not verify with in's pinned log key/,
      );
    } finally {
      front.mode = 'pass';
    }
    expect(await journalSize(cn)).toBe(size);
    expect((await certificatesRepo.get(cn.store.db, cert.id))?.status).toBe('active');
  });

  it('in unreachable: approvals are refused naming in; shipments use the cached list within its maximum age, then are refused as stale', async () => {
    const { certificateId, licenceId } = await licensed('lot-sl-5');
    await dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-5', 'lot-sl-5', 100_000, licenceId));
    // in overloaded (503): the same as unreachable.
    front.mode = 'unavailable';
    await expect(submitApplication(cn, applicationInput({ certificateId, grams: 100_000 }))).rejects.toThrow(
      /peer "in": status list .* could not be fetched \(HTTP 503\); an approval needs the peer’s current list/,
    );
    await dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-5b', 'lot-sl-5', 10_000, licenceId));
    front.mode = 'pass';
    await front.close();
    const saved = process.env.LODESTONE_STATUS_LIST_MAX_AGE_S;
    try {
      await expect(submitApplication(cn, applicationInput({ certificateId, grams: 100_000 }))).rejects.toThrow(
        /peer "in": status list .* could not be fetched .*an approval needs the peer’s current list/,
      );
      // A shipment relies on the list cached a moment ago.
      await dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-6', 'lot-sl-5', 100_000, licenceId));
      // Past the maximum age, it is stale: refused, naming in.
      process.env.LODESTONE_STATUS_LIST_MAX_AGE_S = '0';
      await expect(
        dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-7', 'lot-sl-5', 100_000, licenceId)),
      ).rejects.toThrow(/peer "in": status list .* could not be fetched .*is stale/);
    } finally {
      if (saved === undefined) delete process.env.LODESTONE_STATUS_LIST_MAX_AGE_S;
      else process.env.LODESTONE_STATUS_LIST_MAX_AGE_S = saved;
      await front.open();
    }
    // in back: the shipment goes.
    await dispatchShipment(cn, EXPORTER, shipmentInput('shp-sl-7', 'lot-sl-5', 100_000, licenceId));
  });

  it('verifyPeerStatusList refuses a list of in’s own key that is wrong: issuer, id, validity, kid, payload', async () => {
    const peer = await federationRepo.peer(cn.store.db, 'in');
    if (peer === undefined) throw new Error('no peer');
    const signer = inn.keystore.signer(LOG_ID);
    const did = didWebFor(inUrl);
    const kid = keyReference(did, signer.keyId);
    const url = `${inUrl}/status-lists/${IMPORTER}/revocation`;
    const now = new Date('2026-12-01T00:00:00Z');
    const sign = (c: object, k = kid) => signCompactCredential(c, signer, k);
    const good = revocationListCredential(url, did, []);
    expect(verifyPeerStatusList(peer, url, await sign(good), now)).toMatchObject({ url });
    const refused = (jws: string, why: RegExp) => {
      expect(() => verifyPeerStatusList(peer, url, jws, now)).toThrow(why);
    };
    refused(await sign({ ...good, issuer: 'did:web:elsewhere.example', iss: 'did:web:elsewhere.example' }), /issuer/);
    refused(await sign(revocationListCredential(`${url}x`, did, [])), /its id is/);
    refused(await sign({ ...good, validUntil: '2026-11-30T00:00:00Z' }), /expired at 2026-11-30/);
    refused(await sign({ ...good, validFrom: '2026-12-02T00:00:00Z' }), /not valid before 2026-12-02/);
    refused(await sign(good, keyReference('did:web:elsewhere.example', signer.keyId)), /signed under kid/);
    refused(
      await sign({ ...good, credentialSubject: { ...good.credentialSubject, encodedList: 'uAAAA' } }),
      /encodedList/,
    );
    const nonCanonical = await new CompactSign(new TextEncoder().encode(JSON.stringify(good, null, 1)))
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'vc+jwt' })
      .sign(signer.privateKey);
    refused(nonCanonical, /not canonical JSON/);
    refused('not a jws', /not a compact JWS/);
    expect(statusListPolicy({ LODESTONE_STATUS_LIST_MAX_AGE_S: '60' }).maxAgeSeconds).toBe(60);
    expect(() => statusListPolicy({ LODESTONE_STATUS_LIST_TIMEOUT_MS: 'soon' })).toThrow(
      /LODESTONE_STATUS_LIST_TIMEOUT_MS: must be a whole number/,
    );
  });
});
