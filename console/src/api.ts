/**
 * The console's API client: API key as `Authorization: Bearer`, an Idempotency-Key on every POST,
 * and, on routes that record, a `Lodestone-Signature` made here with WebCrypto Ed25519 from the
 * private key the officer imported (kept in this page's memory only, never sent).
 */

export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly field?: string;
  readonly refusals?: readonly { rule: string; message: string; chain?: readonly string[] }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export interface RequestSigner {
  readonly keyId: string;
  readonly publicKey: string;
  readonly key: CryptoKey;
}

export interface Me {
  readonly credentialId: string;
  readonly role: string;
  readonly partyId: string | null;
  readonly party: { id: string; name: string; country: string; sector: string } | null;
}

const utf8 = new TextEncoder();

export function b64url(bytes: Uint8Array | ArrayBuffer): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The key id of a raw Ed25519 public key: "ed25519:" + base64url(SHA-256(raw)) cut to 22 characters (as src/trust/keys.ts). */
export async function keyIdFor(publicKey: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', fromB64url(publicKey) as BufferSource);
  return `ed25519:${b64url(digest).slice(0, 22)}`;
}

/**
 * Imports an Ed25519 private key: PKCS #8 PEM text, or a keystore file (`<party>.key.json`, whose
 * `privateKeyPem` holds it). The key is imported non-extractable; its public half (for the key id)
 * is read once from a short-lived extractable copy.
 */
export async function importSigner(text: string): Promise<RequestSigner> {
  let pem = text.trim();
  if (pem.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(pem);
    } catch {
      throw new Error('the key file is not valid JSON');
    }
    const p = (parsed as { privateKeyPem?: unknown }).privateKeyPem;
    if (typeof p !== 'string') throw new Error('the key file has no privateKeyPem');
    pem = p.trim();
  }
  const m = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  if (!m) throw new Error('not a PKCS #8 PEM private key ("-----BEGIN PRIVATE KEY-----")');
  const der = Uint8Array.from(atob((m[1] ?? '').replace(/\s+/g, '')), (c) => c.charCodeAt(0));
  let jwk: JsonWebKey;
  let key: CryptoKey;
  try {
    const extractable = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
    jwk = await crypto.subtle.exportKey('jwk', extractable);
    key = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
  } catch (e) {
    throw new Error(`not an Ed25519 private key (${(e as Error).message})`);
  }
  if (typeof jwk.x !== 'string') throw new Error('the key has no public component');
  return { keyId: await keyIdFor(jwk.x), publicKey: jwk.x, key };
}

/** The detached compact JWS of src/trust/request.ts: EdDSA over base64url(header) + "." + base64url(body). */
export async function signRequest(signer: RequestSigner, method: string, path: string, body: string): Promise<string> {
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(18)));
  const header = {
    alg: 'EdDSA',
    kid: signer.keyId,
    typ: 'lodestone-request+jws',
    htm: method.toUpperCase(),
    htu: path,
    iat: Math.floor(Date.now() / 1000),
    nonce,
  };
  const h = b64url(utf8.encode(JSON.stringify(header)));
  const p = b64url(utf8.encode(body));
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, signer.key, utf8.encode(`${h}.${p}`));
  return `${h}..${b64url(sig)}`;
}

export class Api {
  constructor(
    readonly apiKey: string,
    readonly signer: RequestSigner | null,
  ) {}

  private async send<T>(method: 'GET' | 'POST', path: string, body?: unknown, signed = false): Promise<T> {
    return (await this.exchange<T>(method, path, body, signed)).json;
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON's type, as with get<T>
  private async exchange<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    signed = false,
    accept = 'application/json',
  ): Promise<{ json: T; res: Response; raw: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept };
    let text: string | undefined;
    if (method === 'POST') {
      // A route that takes no body gets none; the signature then covers the empty body.
      text = body === undefined ? '' : JSON.stringify(body);
      if (body !== undefined) headers['content-type'] = 'application/json';
      headers['idempotency-key'] = crypto.randomUUID();
      if (signed) {
        if (this.signer === null)
          throw new ApiError({
            status: 0,
            code: 'NO_SIGNING_KEY',
            detail: 'this action makes a signed record: import your party’s private key at sign-in first',
          });
        headers['lodestone-signature'] = await signRequest(this.signer, method, path, text);
      }
    }
    let res: Response;
    try {
      res = await fetch(path, { method, headers, ...(text === undefined || text === '' ? {} : { body: text }) });
    } catch (e) {
      throw new ApiError({ status: 0, code: 'NETWORK', detail: `the server did not answer (${(e as Error).message})` });
    }
    const raw = await res.text();
    if (res.ok && accept !== 'application/json') return { json: undefined as T, res, raw };
    let json: unknown;
    try {
      json = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const p = (json ?? {}) as Partial<Problem>;
      throw new ApiError({
        status: res.status,
        code: p.code ?? `HTTP_${res.status}`,
        detail: p.detail ?? (raw.slice(0, 300) || res.statusText),
        ...(p.field === undefined ? {} : { field: p.field }),
        ...(p.refusals === undefined ? {} : { refusals: p.refusals }),
      });
    }
    return { json: json as T, res, raw };
  }

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>('POST', path, body, false);
  }
  /** One page of a list route: its rows and how many rows match in all (X-Total-Count). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON's type, as with get<T>
  async list<T>(path: string): Promise<{ items: T[]; total: number }> {
    const { json, res } = await this.exchange<T[]>('GET', path);
    const total = Number(res.headers.get('x-total-count') ?? json.length);
    return { items: json, total: Number.isFinite(total) ? total : json.length };
  }
  /** A list route's CSV (every matching row), as text. */
  async csv(path: string): Promise<string> {
    return (await this.exchange<undefined>('GET', path, undefined, false, 'text/csv')).raw;
  }
  /** A POST that makes a journal record: signed with the imported key. */
  record<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>('POST', path, body, true);
  }
}
