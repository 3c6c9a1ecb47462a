/**
 * The verifier's step for a federated node's peer settings (src/verify/peer-check.ts): a
 * `federation.peer.followed` record counts only if it is the operator root key's (named in its body,
 * signed by it, made by operator-root); an import counts only after such a record pins its peer.
 * Pure: records signed here with real keys, no store. (The two-node e2e in test/federation checks
 * the same on a real exported bundle: edited pins, a left-out or edited record, disagreeing pins.)
 */
import { describe, expect, it } from 'vitest';
import {
  didWebFor,
  formatVerifierKey,
  generateKeyPair,
  keyReference,
  revocationListCredential,
  signCompactCredential,
  signerFromPem,
  signRecord,
  type KeyPair,
  type SignedRecord,
} from '../../src/trust/index.js';
import { checkPeerRecords, VerifyError, type AuditBundle } from '../../src/verify/index.js';

const root = generateKeyPair();
const log = generateKeyPair();
const inLog = generateKeyPair();
const origin = 'in.lodestone.example/log';
const url = 'https://in.lodestone.example';
const identity = {
  node: 'in',
  origin,
  logKey: formatVerifierKey({ name: origin, publicKey: inLog.publicKey }),
  witnessKey: formatVerifierKey({ name: `${origin}/witness`, publicKey: generateKeyPair().publicKey }),
  trustRoot: generateKeyPair().publicKey,
  url,
};
const at = '2026-12-01T09:00:00.000Z';

function settings(signer: KeyPair, opts: { actor?: string; named?: KeyPair; withoutUrl?: true } = {}): SignedRecord {
  const named = opts.named ?? root;
  const { url: _url, ...withoutUrl } = identity;
  return signRecord(
    {
      v: 1,
      type: 'federation.peer.followed',
      actor: opts.actor ?? 'operator-root',
      at,
      body: {
        identity: opts.withoutUrl === true ? withoutUrl : identity,
        countries: ['IN'],
        root: { algorithm: 'Ed25519', keyId: named.keyId, publicKey: named.publicKey },
      },
    },
    signerFromPem(signer.privateKeyPem),
  );
}

const bundle = { peers: [] } as unknown as AuditBundle;
const check = (records: SignedRecord[], trustRoot: string | undefined = root.publicKey, peerKey?: KeyPair) =>
  checkPeerRecords(
    bundle,
    records,
    records.map((_, i) => i),
    { name: 'cn.lodestone.example/log', publicKey: log.publicKey },
    { trustRoot, ...(peerKey === undefined ? {} : { peerKeys: [{ name: origin, publicKey: peerKey.publicKey }] }) },
  );
const refused = (records: SignedRecord[], pattern: RegExp, trustRoot?: string, peerKey?: KeyPair) => {
  let err: unknown;
  try {
    check(records, trustRoot, peerKey);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VerifyError);
  expect((err as VerifyError).code).toBe('PEER');
  expect((err as Error).message).toMatch(pattern);
};

describe("the verifier's check of a peer's root-signed settings", () => {
  it('accepts the record signed by the pinned root key', () => {
    const r = settings(root);
    expect(check([r]).effective).toEqual([r]);
  });

  it('refuses a record signed by another key (the log key), naming or not naming the root', () => {
    refused([settings(log)], /federation\.peer\.followed\): signed by key .*, not the trust root/);
    refused([settings(log, { named: log })], /names root key .*, not the trust root/);
  });

  it('refuses a record whose signature does not verify (signature bytes replaced)', () => {
    const r = settings(root);
    const sig = r.signature.sig;
    const forged = {
      ...r,
      signature: { ...r.signature, sig: sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11) },
    };
    refused([forged], /not signed by the trust root/);
  });

  it('refuses a record made by anyone but operator-root, and one checked under another pinned root', () => {
    refused([settings(root, { actor: 'lodestone-log' })], /made by the operator root key \(operator-root\) alone/);
    refused([settings(root)], /names root key .*, not the trust root/, generateKeyPair().publicKey);
  });

  it('refuses an import of a peer that no root-signed record pins before it', () => {
    const record = '{}';
    const recordHash = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'; // SHA-256 of record
    const imported = signRecord(
      {
        v: 1,
        type: 'federation.imported',
        actor: 'lodestone-log',
        at,
        body: { node: 'in', origin, peerSeq: 1, recordHash, record },
      },
      signerFromPem(log.privateKeyPem),
    );
    const missing =
      /imports a record of in, but no federation\.peer\.followed record signed by the operator root key pins in before it/;
    refused([imported], missing);
    refused([imported, settings(root)], missing);
  });
});

/*
 * The verifier's check of `federation.status-revoked` evidence: a node's record that it saw a peer's
 * certificate revoked counts only if the peer's status list it carries holds without trusting that
 * node — the peer pinned before it (with its public URL), the issuer's list at that URL, signed by
 * the peer's pinned log key (and the auditor's --peer-key, if given), valid at the record's time, the
 * bit set. test/federation/status-list.test.ts verifies the bundle of a real revocation seen this way;
 * test/verify/certificates-check.test.ts ties the bit to the certificate and flags later shipments.
 */
const did = didWebFor(url);
const ISSUER = 'chakan-drive-systems';
const listUrl = `${url}/status-lists/${ISSUER}/revocation`;

/** in's list for ISSUER with `revoked` set, signed by `key` (in's log key unless said). */
async function list(
  revoked: number[],
  opts: { key?: KeyPair; id?: string; validUntil?: string } = {},
): Promise<string> {
  const key = opts.key ?? inLog;
  const credential = {
    ...revocationListCredential(opts.id ?? listUrl, did, revoked),
    ...(opts.validUntil === undefined ? {} : { validUntil: opts.validUntil }),
  };
  return signCompactCredential(credential, signerFromPem(key.privateKeyPem), keyReference(did, key.keyId));
}

function statusRevoked(statusList: string, body: Record<string, unknown> = {}): SignedRecord {
  return signRecord(
    {
      v: 1,
      type: 'federation.status-revoked',
      actor: 'lodestone-log',
      at,
      body: {
        node: 'in',
        origin,
        certificateId: 'urn:uuid:0b7a4f3e-6f0a-4a53-9a4e-2f1d1c1e7a10',
        issuer: ISSUER,
        statusListUrl: listUrl,
        statusIndex: 7,
        statusList,
        fetchedAt: '2026-12-01T08:59:59.000Z',
        licences: ['lic-1'],
        ...body,
      },
    },
    signerFromPem(log.privateKeyPem),
  );
}

describe('the verifier checks the peer status list a federation.status-revoked record carries', () => {
  it("accepts in's own list, signed with its pinned key, with the bit set — the auditor's --peer-key too", async () => {
    const records = [settings(root), statusRevoked(await list([7]))];
    expect(check(records).effective).toEqual(records);
    expect(check(records, root.publicKey, inLog).effective).toEqual(records);
  });

  it('refuses a list the node made up: signed by another key, or by its own log key', async () => {
    refused(
      [settings(root), statusRevoked(await list([7], { key: generateKeyPair() }))],
      /evidence is not in's: its signature does not verify with in's log key pinned at leaf 0/,
    );
    refused(
      [settings(root), statusRevoked(await list([7], { key: log }))],
      /evidence is not in's: its signature does not verify with in's log key pinned at leaf 0/,
    );
  });

  it('refuses a list of in whose bit is not set: in never said the certificate was revoked', async () => {
    refused([settings(root), statusRevoked(await list([6, 8]))], /bit 7 is not set in the status list it carries/);
  });

  it('refuses the evidence of another list (another issuer, another URL) and a list expired at the record', async () => {
    const other = `${url}/status-lists/another-party/revocation`;
    refused(
      [settings(root), statusRevoked(await list([7], { id: other }), { statusListUrl: other })],
      /its status list .*another-party.* is not chakan-drive-systems's list at in/,
    );
    refused(
      [settings(root), statusRevoked(await list([7], { id: other }))],
      /evidence is not in's: its id is .*another-party.*, not https:\/\/in\.lodestone\.example\/status-lists\/chakan-drive-systems\/revocation/,
    );
    refused(
      [settings(root), statusRevoked(await list([7], { validUntil: '2026-12-01T08:00:00Z' }))],
      /evidence is not in's: expired at 2026-12-01T08:00:00Z/,
    );
    refused(
      [settings(root), statusRevoked(await list([7]), { fetchedAt: '2026-12-01T09:00:01.000Z' })],
      /fetched at 2026-12-01T09:00:01.000Z, after the record's own time/,
    );
  });

  it('refuses a revocation of a peer no root-signed record pins before it, or pins without a URL', async () => {
    const evidence = statusRevoked(await list([7]));
    refused([evidence], /no federation\.peer\.followed record signed by the operator root key pins in before it/);
    refused([evidence, settings(root)], /no federation\.peer\.followed record .* pins in before it/);
    refused([settings(root, { withoutUrl: true }), evidence], /pins no public URL for in/);
  });

  it("refuses when the auditor's --peer-key for in is not the key the root-signed record pins", async () => {
    refused(
      [settings(root), statusRevoked(await list([7]))],
      /--peer-key pins .* for in\.lodestone\.example\/log, but the root-signed record at leaf 0 pins/,
      root.publicKey,
      generateKeyPair(),
    );
  });
});
