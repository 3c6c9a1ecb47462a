import {
  generateKeyPair,
  signerFromPem,
  signRecord,
  type KeyPair,
  type SignedRecord,
  type Signer,
} from '../../src/trust/index.js';

export interface TestParty {
  readonly id: string;
  readonly keys: KeyPair;
  readonly signer: Signer;
}

export function testParty(id: string): TestParty {
  const keys = generateKeyPair();
  return { id, keys, signer: signerFromPem(keys.privateKeyPem) };
}

const base = Date.parse('2025-10-09T08:30:00.000Z');

/** A signed record by `party`; `n` makes it unique (and sets its time to base + n ms). */
export function testRecord(party: TestParty, n: number, body: unknown = { n }, type = 'test.recorded'): SignedRecord {
  return signRecord({ v: 1, type, actor: party.id, at: new Date(base + n).toISOString(), body }, party.signer);
}
