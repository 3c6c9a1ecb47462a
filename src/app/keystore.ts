import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateKeyPair,
  keyIdFor,
  rawPublicKey,
  importPrivateKey,
  signerFromPem,
  type Signer,
} from '../trust/index.js';
import { AppError } from './errors.js';

/** A party's signing key as kept on disk. */
export interface StoredKey {
  readonly partyId: string;
  readonly keyId: string;
  readonly publicKey: string;
  readonly privateKeyPem: string;
}

/**
 * Private signing keys, one file per party (`<party>.key.json`, mode 0600), kept apart from the
 * database so that whoever holds the database alone cannot sign a party's records. For the
 * embedded default it lives in `.lodestone/keys/`; point `--keys-dir` / LODESTONE_KEYS_DIR
 * elsewhere to keep keys on another volume.
 */
export class Keystore {
  /**
   * Keys read so far with their parsed signer, per party, valid while the file's mtime and size are
   * unchanged (a stat per use instead of reading and parsing the PEM on every signature).
   */
  private readonly cache = new Map<string, { readonly stamp: string; readonly key: StoredKey; signer?: Signer }>();

  constructor(readonly dir: string) {}

  private cached(
    partyId: string,
    p: string,
  ): { readonly stamp: string; readonly key: StoredKey; signer?: Signer } | undefined {
    const hit = this.cache.get(partyId);
    if (hit === undefined) return undefined;
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isFile() !== true || `${st.mtimeMs}/${st.size}` !== hit.stamp) {
      this.cache.delete(partyId);
      return undefined;
    }
    return hit;
  }

  private path(partyId: string): string {
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(partyId))
      throw new AppError('NOT_FOUND', `not a party id: ${JSON.stringify(partyId)}`);
    return join(this.dir, `${partyId}.key.json`);
  }

  has(partyId: string): boolean {
    return existsSync(this.path(partyId));
  }

  get(partyId: string): StoredKey {
    return this.entry(partyId).key;
  }

  private entry(partyId: string): { readonly stamp: string; readonly key: StoredKey; signer?: Signer } {
    const p = this.path(partyId);
    const hit = this.cached(partyId, p);
    if (hit !== undefined) return hit;
    const st = statSync(p, { throwIfNoEntry: false });
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      throw new AppError('KEY_MISSING', `no signing key for party "${partyId}" in ${this.dir}`);
    }
    let k: Partial<StoredKey>;
    try {
      k = JSON.parse(text) as Partial<StoredKey>;
    } catch {
      throw new AppError('KEY_MISSING', `${p}: not valid JSON`);
    }
    if (
      k.partyId !== partyId ||
      typeof k.privateKeyPem !== 'string' ||
      typeof k.publicKey !== 'string' ||
      typeof k.keyId !== 'string'
    ) {
      throw new AppError('KEY_MISSING', `${p}: not a key file for party "${partyId}"`);
    }
    const entry = { stamp: st === undefined ? '' : `${st.mtimeMs}/${st.size}`, key: k as StoredKey };
    if (st !== undefined) this.cache.set(partyId, entry);
    return entry;
  }

  /** The party's signer (its private key parsed once, while the key file is unchanged). */
  signer(partyId: string): Signer {
    const e = this.entry(partyId);
    e.signer ??= signerFromPem(e.key.privateKeyPem);
    return e.signer;
  }

  /** Returns the party's key, creating one if it has none yet. */
  ensure(partyId: string): StoredKey {
    if (this.cached(partyId, this.path(partyId)) !== undefined || this.has(partyId)) return this.get(partyId);
    const kp = generateKeyPair();
    return this.write({ partyId, ...kp });
  }

  /** Stores an existing Ed25519 private key (PKCS #8 PEM) for a party; refuses to overwrite a different one. */
  import(partyId: string, privateKeyPem: string): StoredKey {
    const publicKey = rawPublicKey(importPrivateKey(privateKeyPem));
    const key: StoredKey = { partyId, keyId: keyIdFor(publicKey), publicKey, privateKeyPem };
    if (this.has(partyId) && this.get(partyId).keyId !== key.keyId) {
      throw new AppError(
        'ALREADY_EXISTS',
        `party "${partyId}" already has a different key (${this.get(partyId).keyId})`,
      );
    }
    return this.write(key);
  }

  private nextPath(partyId: string): string {
    return this.path(partyId).replace(/\.key\.json$/, '.next.key.json');
  }

  /**
   * Stages the party's next key for a rotation (a given PKCS #8 PEM, or a fresh key) beside its
   * current one (`<party>.next.key.json`, mode 0600), without touching the current key: the rotation
   * is signed with the current key, and the staged one becomes current (`promoteNext`) only once the
   * rotation is committed. A staged key left over by an interrupted rotation is replaced.
   */
  stageNext(partyId: string, privateKeyPem?: string): StoredKey {
    const kp =
      privateKeyPem === undefined
        ? generateKeyPair()
        : (() => {
            const publicKey = rawPublicKey(importPrivateKey(privateKeyPem));
            return { keyId: keyIdFor(publicKey), publicKey, privateKeyPem };
          })();
    const key: StoredKey = { partyId, ...kp };
    this.writeFile(this.nextPath(partyId), key);
    return key;
  }

  /** The staged next key, if there is one. */
  staged(partyId: string): StoredKey | undefined {
    const p = this.nextPath(partyId);
    if (!existsSync(p)) return undefined;
    const k = JSON.parse(readFileSync(p, 'utf8')) as StoredKey;
    return k.partyId === partyId && typeof k.keyId === 'string' ? k : undefined;
  }

  /** Makes the staged key (which must be `keyId`) the party's current key; the retired private key is dropped. */
  promoteNext(partyId: string, keyId: string): StoredKey {
    const next = this.staged(partyId);
    if (next?.keyId !== keyId)
      throw new AppError('KEY_MISSING', `no staged key ${keyId} for party "${partyId}" in ${this.dir}`);
    renameSync(this.nextPath(partyId), this.path(partyId));
    this.cache.delete(partyId);
    return next;
  }

  /** Drops a staged key (a rotation that was refused). */
  discardNext(partyId: string): void {
    rmSync(this.nextPath(partyId), { force: true });
  }

  private write(key: StoredKey): StoredKey {
    this.writeFile(this.path(key.partyId), key);
    this.cache.delete(key.partyId);
    return key;
  }

  private writeFile(p: string, key: StoredKey): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, p);
  }
}
