/**
 * A status-list index is unique in its status list, not across the database: a certificate imported
 * from a peer carries the peer's list URL and its index there, which may be one a local certificate
 * holds in this node's list. Two nodes over a NATS JetStream server this test owns (as
 * federation.test.ts), on PostgreSQL as the other federation tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPeer,
  createApp,
  ensureTrustListEntries,
  federationIdentity,
  issueCertificate,
  publishedStatusList,
  rebuild,
  registerParty,
  revokeCertificate,
  statusListUrl,
  verifyStoredCertificate,
  type AppContext,
} from '../../src/app/index.js';
import { FederationNode } from '../../src/federation/index.js';
import { certificatesRepo, dumpProjections } from '../../src/store/index.js';
import { getStatusBit, decodeStatusList } from '../../src/trust/index.js';
import { freshStore, type StoreKind, type TestStore } from '../support/stores.js';
import { AUTHORITY, certificateInput, EXPORTER, GOVERNMENT, IMPORTER, readExample } from '../support/scenario.js';
import { converge as convergeNodes, startNats, type TestNats } from './support.js';

const PARTIES = readExample('scenario/parties.json') as { id: string }[];
const party = (id: string) => PARTIES.find((p) => p.id === id);
/** An end user registered on cn only, whose certificates are cn's own. */
const LOCAL_END_USER = 'lakeshore-ev';
const CN_URL = 'https://cn.lodestone.example';
const IN_URL = 'https://in.lodestone.example';

describe.each<StoreKind>(['postgres'])(
  'federation on %s: a peer certificate with an index a local certificate holds',
  { timeout: 180_000 },
  (kind) => {
    let nats: TestNats;
    let cnTs: TestStore;
    let inTs: TestStore;
    let cn: AppContext;
    let inn: AppContext;
    let cnFed: FederationNode;
    let inFed: FederationNode;
    const tmp = mkdtempSync(join(tmpdir(), 'lodestone-status-index-'));
    const converge = () => convergeNodes([cnFed, inFed]);
    const localInput = () => ({
      ...certificateInput({ grams: 100_000 }),
      importer: LOCAL_END_USER,
      endUser: LOCAL_END_USER,
    });

    beforeAll(async () => {
      nats = await startNats();
      [cnTs, inTs] = [await freshStore(kind), await freshStore(kind)];
      cn = createApp(cnTs.store, {
        keysDir: join(tmp, 'cn'),
        logOrigin: 'cn.lodestone.example/log',
        publicUrl: CN_URL,
      });
      inn = createApp(inTs.store, {
        keysDir: join(tmp, 'in'),
        logOrigin: 'in.lodestone.example/log',
        publicUrl: IN_URL,
      });
      for (const id of [EXPORTER, AUTHORITY, LOCAL_END_USER]) await registerParty(cn, party(id));
      await ensureTrustListEntries(cn, [{ party: AUTHORITY, role: 'licensing-authority', country: 'CN' }]);
      for (const id of [IMPORTER, GOVERNMENT]) await registerParty(inn, party(id));
      await ensureTrustListEntries(inn, [{ party: GOVERNMENT, role: 'countersigner', country: 'IN' }]);
      await addPeer(cn, { ...(await federationIdentity(inn, 'in')), countries: ['IN'] });
      await addPeer(inn, { ...(await federationIdentity(cn, 'cn')), countries: ['CN'] });
      cnFed = new FederationNode(cn, { node: 'cn', servers: [nats.url] });
      inFed = new FederationNode(inn, { node: 'in', servers: [nats.url] });
      await cnFed.start();
      await inFed.start();
      await converge();
    });

    afterAll(async () => {
      await cnFed.close();
      await inFed.close();
      await cnTs.dispose();
      await inTs.dispose();
      await nats.dispose();
      rmSync(tmp, { recursive: true, force: true });
    });

    it('imports it beside the local one, keeps allocating the local list on its own, and rebuilds the same', async () => {
      // cn's own certificate: entry 0 of cn's list for its end user.
      const local = await issueCertificate(cn, LOCAL_END_USER, localInput());
      expect(local.statusIndex).toBe(0);
      // in's certificates: entries 0, 1 and 2 of in's list for its end user.
      const peerCerts = [];
      for (let i = 0; i < 3; i++)
        peerCerts.push(await issueCertificate(inn, IMPORTER, certificateInput({ grams: 100_000 })));
      expect(peerCerts.map((c) => c.statusIndex)).toEqual([0, 1, 2]);
      await converge();

      // cn imported all three, each with in's list and its index there (0 as cn's own certificate).
      for (const c of peerCerts) {
        const row = await certificatesRepo.get(cn.store.db, c.id);
        expect(row?.status_index).toBe(c.statusIndex);
        expect(row?.issuer).toBe(IMPORTER);
        expect(c.credential.credentialStatus.statusListCredential).toBe(statusListUrl(IN_URL, IMPORTER));
      }
      expect(local.credential.credentialStatus.statusListCredential).toBe(statusListUrl(CN_URL, LOCAL_END_USER));

      // The next local certificate takes the next entry of its own list (1), whatever in's indexes.
      const next = await issueCertificate(cn, LOCAL_END_USER, localInput());
      expect(next.statusIndex).toBe(1);

      // cn's published list for its end user has its own revocations only.
      await revokeCertificate(cn, LOCAL_END_USER, next.id, 'end use changed');
      const published = decodeStatusList(
        (await publishedStatusList(cn, LOCAL_END_USER)).credential.credentialSubject.encodedList,
      );
      expect([0, 1, 2].map((i) => getStatusBit(published, i))).toEqual([false, true, false]);

      // in revokes its entry 0: cn's own entry 0 is not revoked for it (each issuer's list is its own).
      await revokeCertificate(inn, IMPORTER, peerCerts[0]?.id ?? '', 'end use changed');
      await converge();
      expect((await certificatesRepo.get(cn.store.db, peerCerts[0]?.id ?? ''))?.status).toBe('revoked');
      expect((await verifyStoredCertificate(cn, local.id)).refusals).toEqual([]);
      expect((await verifyStoredCertificate(cn, peerCerts[1]?.id ?? '')).refusals).toEqual([]);
      expect((await verifyStoredCertificate(cn, peerCerts[0]?.id ?? '')).refusals.map((r) => r.rule)).toEqual([
        'certificate.revoked',
      ]);

      const before = await dumpProjections(cn.store.db);
      await rebuild(cn);
      expect(await dumpProjections(cn.store.db)).toEqual(before);
    });
  },
);
