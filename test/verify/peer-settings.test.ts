/**
 * The verifier's step for a federated node's peer settings (src/verify/peer-check.ts): a
 * `federation.peer.followed` record counts only if it is the operator root key's (named in its body,
 * signed by it, made by operator-root); an import counts only after such a record pins its peer.
 * Pure: records signed here with real keys, no store. (The two-node e2e in test/federation checks
 * the same on a real exported bundle: edited pins, a left-out or edited record, disagreeing pins.)
 */
import { describe, expect, it } from 'vitest';
import {
  formatVerifierKey,
  generateKeyPair,
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
const identity = {
  node: 'in',
  origin,
  logKey: formatVerifierKey({ name: origin, publicKey: inLog.publicKey }),
  witnessKey: formatVerifierKey({ name: `${origin}/witness`, publicKey: generateKeyPair().publicKey }),
  trustRoot: generateKeyPair().publicKey,
};
const at = '2026-12-01T09:00:00.000Z';

function settings(signer: KeyPair, opts: { actor?: string; named?: KeyPair } = {}): SignedRecord {
  const named = opts.named ?? root;
  return signRecord(
    {
      v: 1,
      type: 'federation.peer.followed',
      actor: opts.actor ?? 'operator-root',
      at,
      body: {
        identity,
        countries: ['IN'],
        root: { algorithm: 'Ed25519', keyId: named.keyId, publicKey: named.publicKey },
      },
    },
    signerFromPem(signer.privateKeyPem),
  );
}

const bundle = { peers: [] } as unknown as AuditBundle;
const check = (records: SignedRecord[], trustRoot: string | undefined = root.publicKey) =>
  checkPeerRecords(
    bundle,
    records,
    records.map((_, i) => i),
    { name: 'cn.lodestone.example/log', publicKey: log.publicKey },
    { trustRoot },
  );
const refused = (records: SignedRecord[], pattern: RegExp, trustRoot?: string) => {
  let err: unknown;
  try {
    check(records, trustRoot);
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
