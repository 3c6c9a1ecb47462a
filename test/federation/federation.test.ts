/**
 * Federated Lodestone end to end on loopback (issue 24): two nodes — `cn` (MOFCOM's) and `in`
 * (DGFT's) — each with its own PostgreSQL database, log key and origin, trust list and parties,
 * replicating over one NATS JetStream server that this test owns (so it can restart it). Plays the
 * seed scenario across the nodes, then the fault cases: a partition during which `in` revokes the
 * certificate, a NATS restart, a node closed and reopened, and every message redelivered.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  federationAlerts,
  federationEvidence,
  federationIdentity,
  federationStatus,
  issueCertificate,
  latestCheckpoint,
  listAlerts,
  rebuild,
  receiveShipment,
  registerParty,
  revokeCertificate,
  submitApplication,
  transformLots,
  type AppContext,
} from '../../src/app/index.js';
import { FederationNode, streamName, durableName } from '../../src/federation/index.js';
import { dumpProjections, licencesRepo, logRepo, shipmentsRepo } from '../../src/store/index.js';
import {
  importPrivateKey,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCosignature,
} from '../../src/trust/index.js';
import { formatSummary, verifyBundle, VerifyError, type AuditBundle } from '../../src/verify/index.js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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
import { converge as convergeNodes, startNats, type TestNats } from './support.js';

const PARTIES = readExample('scenario/parties.json') as { id: string }[];
const party = (id: string) => PARTIES.find((p) => p.id === id);

interface Node {
  name: 'cn' | 'in';
  ts: TestStore;
  keys: string;
  ctx: AppContext;
  fed: FederationNode;
}

describe('federation: cn and in over NATS JetStream, cross-witnessed', { timeout: 180_000 }, () => {
  let nats: TestNats;
  let cn: Node;
  let inn: Node;
  const tmp = mkdtempSync(join(tmpdir(), 'lodestone-fed-'));

  const open = (name: 'cn' | 'in', ts: TestStore, keys: string): AppContext =>
    createApp(ts.store, {
      keysDir: keys,
      logOrigin: `${name}.lodestone.example/log`,
      publicUrl: `https://${name}.lodestone.example`,
    });

  async function makeNode(name: 'cn' | 'in'): Promise<Node> {
    const ts = await freshStore('postgres');
    const keys = join(tmp, `${name}-keys`);
    const ctx = open(name, ts, keys);
    return { name, ts, keys, ctx, fed: new FederationNode(ctx, { node: name, servers: [nats.url] }) };
  }

  /** Rounds on both nodes until neither publishes, receives nor imports anything. */
  const converge = () => convergeNodes([cn.fed, inn.fed]);

  const journalSize = (ctx: AppContext) => logRepo.size(ctx.store.db);

  beforeAll(async () => {
    nats = await startNats();
    cn = await makeNode('cn');
    inn = await makeNode('in');
    // Each node: its own parties, its own trust list.
    for (const id of [EXPORTER, AUTHORITY]) await registerParty(cn.ctx, party(id));
    await ensureTrustListEntries(cn.ctx, [{ party: AUTHORITY, role: 'licensing-authority', country: 'CN' }]);
    for (const id of [IMPORTER, GOVERNMENT, 'deccan-mobility', 'lakeshore-ev']) await registerParty(inn.ctx, party(id));
    await ensureTrustListEntries(inn.ctx, [{ party: GOVERNMENT, role: 'countersigner', country: 'IN' }]);
    // Each pins the other: log key (and origin), witness key, trust-list root, and the countries it defers to.
    const cnId = await federationIdentity(cn.ctx, 'cn');
    const inId = await federationIdentity(inn.ctx, 'in');
    await addPeer(cn.ctx, {
      node: 'in',
      logKey: inId.logKey,
      witnessKey: inId.witnessKey,
      trustRoot: inId.trustRoot,
      countries: ['IN'],
    });
    await addPeer(inn.ctx, {
      node: 'cn',
      logKey: cnId.logKey,
      witnessKey: cnId.witnessKey,
      trustRoot: cnId.trustRoot,
      countries: ['CN'],
    });
    await cn.fed.start();
    await inn.fed.start();
  });

  afterAll(async () => {
    for (const n of [cn, inn] as (Node | undefined)[]) {
      await n?.fed.close();
      await n?.ts.dispose();
    }
    await (nats as TestNats | undefined)?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  let certificateId = '';
  let licenceId = '';

  it('plays the scenario across the nodes: certificate on in, licence and shipment on cn, receipt and refusal on in, evidence on cn', async () => {
    await converge();
    // Each node knows the other's parties by the home node's signed registration.
    const homes = await cn.ctx.store.db.selectFrom('federation_party_homes').selectAll().orderBy('party_id').execute();
    expect(homes.map((h) => [h.party_id, h.node])).toEqual([
      ['chakan-drive-systems', 'in'],
      ['deccan-mobility', 'in'],
      ['in-dgft', 'in'],
      ['lakeshore-ev', 'in'],
    ]);

    // The end user signs on in, India countersigns there.
    const cert = await issueCertificate(inn.ctx, IMPORTER, certificateInput({ grams: 2_000_000 }));
    await countersignCertificate(inn.ctx, GOVERNMENT, cert.id);
    certificateId = cert.id;
    // Before cn hears of it, an application on it is refused (cn does not know the certificate).
    await expect(submitApplication(cn.ctx, applicationInput({ certificateId, grams: 2_000_000 }))).rejects.toThrow(
      /certificate/i,
    );
    await converge();

    // cn: the application on in's certificate, judged by in's trust list for IN (in-dgft countersigns).
    const app = await submitApplication(cn.ctx, applicationInput({ certificateId, grams: 2_000_000 }));
    const decided = await decideApplication(cn.ctx, AUTHORITY, app.id, { decision: 'approve', conditions: CONDITIONS });
    expect(decided.licence?.certificateId).toBe(certificateId);
    licenceId = decided.licence?.id ?? '';
    await createLot(cn.ctx, EXPORTER, lotInput('lot-cn-1', 2_000_000));
    await dispatchShipment(cn.ctx, EXPORTER, shipmentInput('shp-fed-1', 'lot-cn-1', 1_000_000, licenceId));
    await converge();

    // in: the shipment is inbound, with the licence's restrictions; the importer receives it.
    const inbound = await shipmentsRepo.get(inn.ctx.store.db, 'shp-fed-1');
    expect(inbound?.status).toBe('in-transit');
    const received = await receiveShipment(inn.ctx, IMPORTER, {
      shipmentId: 'shp-fed-1',
      lotId: 'lot-in-1',
      receivedGrams: 1_000_000,
    });
    expect(
      received.lot.restrictions.some((r) => r.licenceId === licenceId && r.prohibitedDestinations.includes('US')),
    ).toBe(true);
    // The restrictions are enforced on in: re-export to the US is refused there, and writes nothing.
    const before = await journalSize(inn.ctx);
    await expect(
      dispatchShipment(inn.ctx, IMPORTER, {
        id: 'shp-in-us',
        fromLot: 'lot-in-1',
        to: 'lakeshore-ev',
        destination: 'US',
        grams: 10_000,
      }),
    ).rejects.toThrow(/US/);
    expect(await journalSize(inn.ctx)).toBe(before);
    // A transformation on in (magnets into motors) reaches cn as post-shipment evidence too.
    await transformLots(inn.ctx, IMPORTER, {
      id: 'tr-in-1',
      inputs: [{ lotId: 'lot-in-1', grams: 500_000 }],
      outputs: [
        {
          lotId: 'lot-in-motors',
          item: readExample('items/traction-motor.json'),
          massGrams: 500_000,
          embodies: [{ lotId: 'lot-in-1', grams: 500_000 }],
        },
      ],
    });
    await converge();

    const evidence = await federationEvidence(cn.ctx, 'shp-fed-1');
    expect(evidence.map((e) => e.record_type)).toEqual(['shipment.received', 'lot.transformed']);
    expect(evidence[1]?.lot_ids).toEqual(['lot-in-motors']);
    expect(evidence.find((e) => e.record_type === 'shipment.received')?.summary).toMatch(
      /received 1 t \(1,000,000 g\) of shipment shp-fed-1 into lot lot-in-1/,
    );
  });

  it("cross-witnesses: each node cosigns the other's checkpoints (C2SP tlog-cosignature/v1)", async () => {
    await converge();
    for (const [me, peer] of [
      [cn, inn],
      [inn, cn],
    ] as const) {
      const status = await federationStatus(me.ctx);
      const p = status.peers[0];
      const peerSize = await journalSize(peer.ctx);
      expect(p?.cosignedSize).toBe(peerSize);
      expect(p?.appliedSeq).toBe(peerSize);
      expect(p?.lag).toBe(0);
      // The peer's own checkpoint carries this node's cosignature, which verifies with this node's witness key.
      const cp = await latestCheckpoint(peer.ctx);
      const witness = parseVerifierKey((await federationIdentity(me.ctx, me.name)).witnessKey);
      const note = parseNote(cp?.body ?? '');
      expect(verifyCosignature(note, witness)).toBeGreaterThan(0);
      expect((await federationStatus(peer.ctx)).peers[0]?.cosignedOurs).toBe(cp?.checkpoint.size);
    }
  });

  it("a cn licence's audit bundle carries in's imported records and verifies offline, in's log key pinned", async () => {
    await converge();
    const bundle = await exportAuditBundle(cn.ctx, licenceId);
    const text = JSON.stringify(bundle);
    const cnLog = parseVerifierKey((await federationIdentity(cn.ctx, 'cn')).logKey);
    const inId = await federationIdentity(inn.ctx, 'in');
    const inLog = parseVerifierKey(inId.logKey);
    const pinned = {
      logKey: cnLog.publicKey,
      logOrigin: cnLog.name,
      peerKeys: [inLog],
      peerTrustRoots: [{ name: inLog.name, publicKey: inId.trustRoot }],
    };
    const s = verifyBundle(text, pinned);
    expect(s.peers).toEqual([
      expect.objectContaining({
        node: 'in',
        origin: 'in.lodestone.example/log',
        keyPinned: true,
        trustRootPinned: true,
      }),
    ]);
    // The importer's registration, the certificate, its countersignature by in-dgft and in's trust list came from in.
    expect(s.peers[0]?.records).toBeGreaterThanOrEqual(5);
    expect(s.certificates.certificates).toBe(1);
    expect(s.trustList.countersignatures).toBe(1);
    expect(formatSummary(s)).toMatch(/peer in .*pinned by --peer-key/);
    // Without the pin, in's key is the one cn pinned, and the summary says it is unpinned.
    const unpinned = verifyBundle(text, { logKey: cnLog.publicKey });
    expect(unpinned.peers[0]?.keyPinned).toBe(false);
    expect(formatSummary(unpinned)).toMatch(/UNPINNED/);
    // The pins come from cn's root-signed federation.peer.followed record in the bundle, on peer:in's chain.
    const settings = bundle.entries.filter(
      (e) => (JSON.parse(e.record) as { payload: { type: string } }).payload.type === 'federation.peer.followed',
    );
    expect(settings).toHaveLength(1);
    expect(s.completeness.subjects.map((c) => c.subject)).toContain('peer:in');
    expect(s.peers[0]?.settingsLeaf).toBe(settings[0]?.leafIndex);
    // The auditor's own pin of in's log key (cn's key instead) disagrees with the record's: refused, naming the peer.
    expect(() =>
      verifyBundle(text, { ...pinned, peerKeys: [{ name: inLog.name, publicKey: cnLog.publicKey }] }),
    ).toThrow(/peer in: --peer-key pins .* but the root-signed record at leaf \d+ pins/);
    expect(() =>
      verifyBundle(text, { ...pinned, peerTrustRoots: [{ name: inLog.name, publicKey: cnLog.publicKey }] }),
    ).toThrow(/peer in: --peer-trust-root pins/);
    // Another trust root pinned for cn: the peer record is not signed by it.
    expect(() => verifyBundle(text, { ...pinned, trustRoot: inId.trustRoot })).toThrow(
      /federation\.peer\.followed\): names root key .*, not the trust root/,
    );

    // The CLI, as an auditor runs it.
    const file = join(tmp, 'cn-licence.bundle.json');
    writeFileSync(file, text);
    const bin = fileURLToPath(new URL('../../bin/lodestone.js', import.meta.url));
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, 'verify', ...args], { encoding: 'utf8' });
    const ok = cli([file, '--log-key', (await federationIdentity(cn.ctx, 'cn')).logKey, '--peer-key', inId.logKey]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^OK/);
    expect(ok.stdout).toMatch(/peer in .*pinned by --peer-key/);
    const badPin = cli([file, '--peer-key', 'in.lodestone.example/log=not-a-key']);
    expect(badPin.status).toBe(2);
    expect(badPin.stderr).toMatch(/--peer-key/);

    const imports = (b: AuditBundle) =>
      b.entries.filter(
        (e) => (JSON.parse(e.record) as { payload: { type: string } }).payload.type === 'federation.imported',
      );
    const carrying = (b: AuditBundle, type: string) =>
      imports(b).find((e) => e.record.includes(`\\"type\\":\\"${type}\\"`));
    const fails = (b: unknown, pattern: RegExp) => {
      let err: unknown;
      try {
        verifyBundle(JSON.stringify(b), pinned);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as Error).message).toMatch(pattern);
    };
    // Dropping a peer record: the countersignature (the certificate's chain of imports) or the importer's registration.
    const countersigned = carrying(bundle, 'certificate.countersigned');
    expect(countersigned).toBeDefined();
    const drop = (e: unknown) => ({
      ...bundle,
      entries: bundle.entries.filter((x) => x !== e),
      leafIndexes: bundle.leafIndexes.filter((i) => i !== (e as { leafIndex: number }).leafIndex),
    });
    fails(drop(countersigned), /certificate:.*is on its chain but missing from the bundle/);
    const registered = imports(bundle).find(
      (e) => e.record.includes('chakan-drive-systems') && e.record.includes('party.registered'),
    );
    expect(registered).toBeDefined();
    fails(drop(registered), /chakan-drive-systems/);
    // Dropping in's proof of a record, or tampering with it: the record is not proved in in's log.
    const peer = bundle.peers?.[0];
    expect(peer).toBeDefined();
    if (peer === undefined) return;
    fails({ ...bundle, peers: [{ ...peer, proofs: peer.proofs.slice(1) }] }, /no inclusion proof of in's record/);
    const [first, ...rest] = peer.proofs;
    const flipped = { ...first, proof: [...(first?.proof ?? [])].reverse() };
    if ((first?.proof.length ?? 0) > 1)
      fails({ ...bundle, peers: [{ ...peer, proofs: [flipped, ...rest] }] }, /is not in in\.lodestone\.example\/log/);
    // Tampering with a peer record inside its import: no longer the record this log holds at that leaf.
    const tampered = bundle.entries.map((e) =>
      e === countersigned ? { ...e, record: e.record.replace('in-dgft', 'in-dgfx') } : e,
    );
    fails({ ...bundle, entries: tampered }, /leaf|inclusion|root|hash/i);
    // A forged peer checkpoint (another root, signed by the key the bundle claims for in): refused under the pin.
    const other = signCheckpoint(
      { origin: inLog.name, size: 1, root: new Uint8Array(32).fill(3) },
      inLog.name,
      importPrivateKey(cn.ctx.keystore.get('lodestone-log').privateKeyPem),
      cnLog.publicKey,
    );
    fails(
      { ...bundle, peers: [{ ...peer, log: { name: inLog.name, publicKey: cnLog.publicKey }, checkpoint: other }] },
      /peer in: its checkpoint is not signed by the pinned key/,
    );
    // Pins edited in the bundle's peers section: they are not what cn's root key signed.
    fails({ ...bundle, peers: [{ ...peer, countries: ['IN', 'CN'] }] }, /peers\[0\] \(in\): its countries \[IN, CN\]/);
    fails({ ...bundle, peers: [{ ...peer, trustRoot: cnLog.publicKey }] }, /peers\[0\] \(in\): its trust-list root/);
    fails(
      { ...bundle, peers: [{ ...peer, log: { name: inLog.name, publicKey: cnLog.publicKey } }] },
      /peers\[0\] \(in\): its log key/,
    );
    // The peer record left out, or edited inside (another country): refused.
    fails(drop(settings[0]), /no federation\.peer\.followed record signed by the operator root key pins in/);
    fails(
      {
        ...bundle,
        entries: bundle.entries.map((e) =>
          e === settings[0] ? { ...e, record: e.record.replace('"countries":["IN"]', '"countries":["CN","IN"]') } : e,
        ),
      },
      /leaf|inclusion|root|hash/i,
    );
  });

  it('partition: in revokes while cn is cut off; cn decides unaware, and flags that decision when it hears', async () => {
    // cn's consumer of in's stream is not read (partition); in revokes the certificate.
    await revokeCertificate(inn.ctx, IMPORTER, certificateId, 'end use changed');
    await inn.fed.sync();
    // cn has not heard: it still lets a shipment go under the licence.
    await dispatchShipment(cn.ctx, EXPORTER, shipmentInput('shp-fed-2', 'lot-cn-1', 200_000, licenceId));
    expect((await licencesRepo.get(cn.ctx.store.db, licenceId))?.status).toBe('active');
    // in's stream holds the revocation for cn.
    expect((await cn.fed.consumerLag()).in).toBeGreaterThan(0);
    await converge();
    // Heard: the licence is suspended, the shipment decided before is flagged, MOFCOM is alerted.
    expect((await licencesRepo.get(cn.ctx.store.db, licenceId))?.status).toBe('suspended');
    const flagged = await federationEvidence(cn.ctx, 'shp-fed-2');
    expect(flagged[0]?.record_type).toBe('certificate.revoked');
    expect(flagged[0]?.summary).toMatch(/before this node heard of it/);
    const shp2 = await shipmentsRepo.get(cn.ctx.store.db, 'shp-fed-2');
    expect(JSON.stringify(shp2?.restrictions)).toMatch(/certificateRevoked/);
    expect((await listAlerts(cn.ctx)).some((a) => a.rule === 'certificate-revoked')).toBe(true);
    await expect(
      dispatchShipment(cn.ctx, EXPORTER, shipmentInput('shp-fed-3', 'lot-cn-1', 100_000, licenceId)),
    ).rejects.toThrow(/CERTIFICATE_REVOKED|revoked|suspended/i);
  });

  it('a rebuild of either node replays its federation records into the same projections', async () => {
    for (const n of [cn, inn]) {
      const before = await dumpProjections(n.ctx.store.db);
      expect(before.federation_party_homes.length).toBeGreaterThan(0);
      await rebuild(n.ctx);
      expect(await dumpProjections(n.ctx.store.db)).toEqual(before);
    }
    expect((await dumpProjections(cn.ctx.store.db)).federation_evidence.length).toBeGreaterThanOrEqual(3);
  });

  it('NATS restarted and a node closed and reopened: both catch up through their durable consumers', async () => {
    await converge();
    await nats.stop();
    // in keeps working while NATS is down.
    await receiveShipment(inn.ctx, IMPORTER, { shipmentId: 'shp-fed-2', lotId: 'lot-in-2', receivedGrams: 200_000 });
    await expect(inn.fed.sync()).rejects.toThrow();
    await cn.fed.close();
    await inn.fed.close();
    // cn goes down too: its store is closed and opened again.
    await cn.ts.reopen();
    cn.ctx = open('cn', cn.ts, cn.keys);
    await nats.start();
    cn.fed = new FederationNode(cn.ctx, { node: 'cn', servers: [nats.url] });
    inn.fed = new FederationNode(inn.ctx, { node: 'in', servers: [nats.url] });
    await cn.fed.start();
    await inn.fed.start();
    await converge();
    const s = await federationStatus(cn.ctx);
    expect(s.peers[0]?.appliedSeq).toBe(await journalSize(inn.ctx));
    expect((await federationStatus(inn.ctx)).peers[0]?.appliedSeq).toBe(await journalSize(cn.ctx));
    expect(s.publishedSeq).toBe(await journalSize(cn.ctx));
    // The receipt made while NATS was down reached cn.
    expect((await federationEvidence(cn.ctx, 'shp-fed-2')).map((e) => e.record_type)).toContain('shipment.received');
  });

  it('every message delivered again (a crash before the acks): nothing is applied twice', async () => {
    await converge();
    const sizes = [await journalSize(cn.ctx), await journalSize(inn.ctx)];
    const evidence = (await federationEvidence(cn.ctx)).length;
    // Forget cn's consumer of in's stream: every message of in comes again, as after a crash before any ack.
    const nc = await connect({ servers: [nats.url] });
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete(streamName('in'), durableName('cn', 'in'));
    await nc.close();
    await cn.fed.close();
    cn.fed = new FederationNode(cn.ctx, { node: 'cn', servers: [nats.url] });
    await cn.fed.start();
    const r = await cn.fed.sync();
    expect(r.received.in).toBeGreaterThan(sizes[1] ?? 0);
    await converge();
    expect([await journalSize(cn.ctx), await journalSize(inn.ctx)]).toEqual(sizes);
    expect((await federationEvidence(cn.ctx)).length).toBe(evidence);
    expect(await applyPeerRecords(cn.ctx, 'in')).toEqual({ imported: 0, skipped: 0 });
  });

  it("split view: in shows a checkpoint inconsistent with the one cn cosigned; cn alerts with both and refuses in's records", async () => {
    await converge();
    const cosigned = (await federationStatus(cn.ctx)).peers[0];
    // A fork of in's log at the size cn cosigned: same size, another root, signed with in's log key.
    const key = inn.ctx.keystore.get('lodestone-log');
    const forged = signCheckpoint(
      { origin: 'in.lodestone.example/log', size: cosigned?.cosignedSize ?? 0, root: new Uint8Array(32).fill(7) },
      'in.lodestone.example/log',
      importPrivateKey(key.privateKeyPem),
      key.publicKey,
    );
    const nc = await connect({ servers: [nats.url] });
    await jetstream(nc).publish('lodestone.in.checkpoint', JSON.stringify({ body: forged }));
    await nc.close();
    const r = await cn.fed.sync();
    expect(r.splitViews.join('\n')).toMatch(/split view|records it published give/);
    const [alert] = await federationAlerts(cn.ctx);
    expect(alert?.node).toBe('in');
    expect(alert?.cosigned).toBe(cosigned?.cosigned);
    expect(alert?.shown).toBe(forged);
    // in's later records are refused on cn.
    await registerParty(inn.ctx, party('gulf-horizon-trading'));
    const applied = (await federationStatus(cn.ctx)).peers[0]?.appliedSeq;
    await inn.fed.sync();
    await cn.fed.sync();
    expect((await federationStatus(cn.ctx)).peers[0]?.appliedSeq).toBe(applied);
    expect((await federationStatus(cn.ctx)).peers[0]?.splitAlertSeq).toBe(alert?.seq);
  });
});
