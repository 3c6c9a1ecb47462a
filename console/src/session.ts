import { createContext, useContext, useEffect, useState } from 'react';
import { Api, ApiError, type Me, type RequestSigner } from './api.js';

/** The signed-in party: its API client and who it is (App.tsx provides it; every screen reads it). */
export interface Session {
  readonly api: Api;
  readonly me: Me;
}

export const SessionContext = createContext<Session | null>(null);

/** The session of the screen being drawn (a screen is only drawn signed in). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('no session');
  return s;
}

/**
 * Where a session survives a reload:
 *
 * - the API key in sessionStorage (this tab only, gone when the tab closes or on sign-out);
 * - the party's private signing key in IndexedDB as a non-extractable WebCrypto CryptoKey, stored
 *   once at import: the page can sign with it but no script can read its bytes, and it is never
 *   sent anywhere. It is kept across sign-outs (so it need not be pasted again) until "Forget the
 *   signing keys stored in this browser".
 */
const API_KEY = 'lodestone.apiKey';
const DB = 'lodestone-console';
const STORE = 'signing-keys';

interface StoredSigner extends RequestSigner {
  readonly partyId: string;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'partyId' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'));
  });
}

async function tx<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const r = op(db.transaction(STORE, mode).objectStore(STORE));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

/** Keeps the party's signing key (a non-extractable CryptoKey) in IndexedDB. */
export async function storeSigner(partyId: string, signer: RequestSigner): Promise<void> {
  if (signer.key.extractable) throw new Error('only a non-extractable key is stored');
  const row: StoredSigner = { partyId, keyId: signer.keyId, publicKey: signer.publicKey, key: signer.key };
  await tx('readwrite', (s) => s.put(row));
}

/** The signing key stored for a party, if any. */
export async function storedSigner(partyId: string): Promise<RequestSigner | null> {
  try {
    const row = (await tx('readonly', (s) => s.get(partyId))) as StoredSigner | undefined;
    return row === undefined ? null : { keyId: row.keyId, publicKey: row.publicKey, key: row.key };
  } catch {
    return null;
  }
}

/** The parties whose signing keys this browser holds. */
export async function storedSignerParties(): Promise<string[]> {
  try {
    return (await tx('readonly', (s) => s.getAllKeys())).map(String);
  } catch {
    return [];
  }
}

export async function forgetSigners(): Promise<void> {
  await tx('readwrite', (s) => s.clear());
}

export function rememberApiKey(key: string): void {
  sessionStorage.setItem(API_KEY, key);
}
export function forgetApiKey(): void {
  sessionStorage.removeItem(API_KEY);
}

/**
 * Checks a signing key is a live registered key of the party (before using or storing it): a stale
 * key would make every signed action fail later with a less clear message.
 */
export async function checkSigner(api: Api, me: Me, signer: RequestSigner): Promise<void> {
  const keys =
    await api.get<{ partyId: string; keyId: string; revoked: boolean; inForce: boolean }[]>('/v1/console/keys');
  const k = keys.find((x) => x.keyId === signer.keyId);
  if (!k || k.partyId !== me.partyId || k.revoked || !k.inForce)
    throw new Error(`the private key (${signer.keyId}) is not a live registered key of ${String(me.partyId)}`);
}

/** Signs in with an API key, using `signer` or else the key stored for the party (if still live). */
export async function openSession(apiKey: string, signer: RequestSigner | null): Promise<Session> {
  const probe = new Api(apiKey, null);
  const me = await probe.get<Me>('/v1/console/me');
  let use = signer;
  if (me.partyId !== null) {
    if (use !== null) {
      await checkSigner(probe, me, use);
      await storeSigner(me.partyId, use).catch(() => undefined);
    } else {
      const stored = await storedSigner(me.partyId);
      if (stored !== null)
        use = await checkSigner(probe, me, stored).then(
          () => stored,
          () => null,
        );
    }
  }
  return { api: new Api(apiKey, use), me };
}

/**
 * The session, restored after a reload from the API key in sessionStorage (and the stored signing
 * key): `undefined` while restoring, null when signed out.
 */
export function useStoredSession(): [Session | null | undefined, (s: Session | null) => void] {
  const [session, setSession] = useState<Session | null | undefined>(() =>
    sessionStorage.getItem(API_KEY) === null ? null : undefined,
  );
  useEffect(() => {
    const key = sessionStorage.getItem(API_KEY);
    if (key === null) return;
    let live = true;
    openSession(key, null).then(
      (s) => live && setSession(s),
      (e: unknown) => {
        // A key that is no longer accepted is forgotten; a server that does not answer keeps it for the next reload.
        if (e instanceof ApiError && e.problem.status === 401) forgetApiKey();
        if (live) setSession(null);
      },
    );
    return () => {
      live = false;
    };
  }, []);
  const set = (s: Session | null) => {
    if (s === null) forgetApiKey();
    else rememberApiKey(s.api.apiKey);
    setSession(s);
  };
  return [session, set];
}
