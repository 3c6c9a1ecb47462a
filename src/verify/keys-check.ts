import { keyIdFor, verifyKeyPossession, type SignedRecord } from '../trust/index.js';
import { VerifyError } from './errors.js';
import { isObject } from './json.js';

/**
 * The verifier's view of the parties' signing keys (issue 18, item 9): each key's validity window in
 * journal entries, built from the bundle's records in log order — `party.registered` and
 * `party.key.rotated` open a key's window at their entry; `party.key.rotated` (for the key it
 * retires) and `party.key.revoked` close it at theirs. A record (or the signed request inside it) at
 * entry `seq` must be signed with a key of its actor whose window holds `seq`. What a bundle says
 * about keys is proved like any entry (inclusion under the checkpoint, signatures), never taken on
 * its own word: a rotation must be signed with the key it retires and carry the new key's proof of
 * possession; a revocation must be signed by a key of the party in force.
 */

export interface KeyHolder {
  readonly party: string;
  readonly publicKey: string;
}

interface Window extends KeyHolder {
  readonly from: number;
  until: number | undefined;
  revoked: { readonly seq: number; readonly reason: string } | undefined;
}

function fail(message: string): never {
  throw new VerifyError('SIGNATURE', message);
}

export class KeyWindows {
  private readonly keys = new Map<string, Window>();

  /** A key registered by the party.registered record at entry `seq`. */
  register(keyId: string, holder: KeyHolder, seq: number, where: string): void {
    if (this.keys.has(keyId)) fail(`${where}: key ${keyId} was registered before; a key is never registered twice`);
    this.keys.set(keyId, { ...holder, from: seq, until: undefined, revoked: undefined });
  }

  /**
   * The holder of `keyId` for a record of `actor` at entry `seq`: the key must be registered earlier
   * in the bundle, be the actor's, and be in force at `seq` (not replaced or revoked before it).
   */
  holderAt(keyId: string, actor: string, seq: number, where: string, how: 'signed' | 'requested'): KeyHolder {
    const k = this.keys.get(keyId);
    if (k === undefined)
      return fail(
        `${where}: ${how} with key ${keyId}, which no earlier party.registered or party.key.rotated record in the bundle holds`,
      );
    if (k.party !== actor) fail(`${where}: key ${keyId} belongs to ${k.party}`);
    if (seq < k.from) fail(`${where}: ${how} with key ${keyId} before its registration at entry ${k.from}`);
    if (k.until !== undefined && seq > k.until) {
      fail(
        `${where}: ${how} with key ${keyId} after its validity ended at entry ${k.until} (${k.revoked !== undefined && k.revoked.seq === k.until ? `revoked: ${k.revoked.reason}` : 'replaced by a rotation'})`,
      );
    }
    return k;
  }

  /**
   * Applies a key record at entry `seq` whose signature (or request) verified with `partyKeyId`:
   * checks what only a key record needs, then moves the windows. Other records pass untouched.
   */
  apply(r: SignedRecord, seq: number, partyKeyId: string, where: string): void {
    const type = r.payload.type;
    if (type !== 'party.key.rotated' && type !== 'party.key.revoked') return;
    const b = isObject(r.payload.body) ? r.payload.body : {};
    if (b.party !== r.payload.actor) fail(`${where}: a party manages only its own keys`);
    if (type === 'party.key.rotated') {
      const key = isObject(b.key) ? b.key : {};
      if (b.previousKeyId !== partyKeyId)
        fail(
          `${where}: a rotation must be signed with the key it retires (${String(b.previousKeyId)}), not ${partyKeyId}`,
        );
      if (typeof key.publicKey !== 'string' || typeof key.keyId !== 'string' || typeof b.proof !== 'string')
        fail(`${where}: a rotation names the new key and its proof of possession`);
      try {
        if (keyIdFor(key.publicKey) !== key.keyId) fail(`${where}: the new key's id is not its public key's`);
        verifyKeyPossession(
          { party: r.payload.actor, previousKeyId: partyKeyId, keyId: key.keyId },
          key.publicKey,
          b.proof,
        );
      } catch (e) {
        if (e instanceof VerifyError) throw e;
        fail(`${where}: ${(e as Error).message}`);
      }
      const old = this.keys.get(partyKeyId);
      if (old !== undefined) old.until = seq;
      this.register(key.keyId, { party: r.payload.actor, publicKey: key.publicKey }, seq, where);
      return;
    }
    const keyId = typeof b.keyId === 'string' ? b.keyId : '';
    const target = this.keys.get(keyId);
    if (target?.party !== r.payload.actor)
      fail(`${where}: revokes key ${keyId}, which is not a key of ${r.payload.actor} registered earlier in the bundle`);
    if (target.revoked !== undefined) fail(`${where}: key ${keyId} was already revoked at entry ${target.revoked.seq}`);
    target.revoked = { seq, reason: typeof b.reason === 'string' ? b.reason : '' };
    if (target.until === undefined) target.until = seq;
  }
}
