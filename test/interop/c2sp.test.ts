/**
 * Issue 20, point 3: Lodestone's log as C2SP speaks it, checked with code other than the parts
 * under test — the tessera test log (built by transparency-dev's Go code), node:crypto over the
 * specs' byte layouts, and the project's tile client (src/trust/tiles.ts) following both the
 * tessera log (files) and Lodestone's own log over a real listening server (both stores).
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApp,
  logOrigin,
  logVerifier,
  logVerifierKey,
  registerParty,
  witnessCheckpoint,
  type AppContext,
} from '../../src/app/index.js';
import { inTransaction } from '../../src/app/context.js';
import { EXIT, main } from '../../src/cli/main.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import { journalRepo } from '../../src/store/index.js';
import fc from 'fast-check';
import {
  entriesPath,
  followLog,
  formatNote,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  parseTilePath,
  parseVerifierKey,
  privateKeyFromSeed,
  signNote,
  tilePath,
  TrustError,
  type Checkpoint,
  type TileFetcher,
} from '../../src/trust/index.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';

const TESSERA = new URL('../fixtures/tessera-tlog-tiles/', import.meta.url);
interface TesseraKeys {
  origin: string;
  verifier_key: string;
  signer_key: string;
  entries_in_order: string[];
}
const keys = JSON.parse(readFileSync(new URL('test-log-keys.json', TESSERA), 'utf8')) as TesseraKeys;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** The tessera log's files, with `checkpoint` standing for checkpoint.N (the log as it was at size N). */
function tesseraAt(n: number | undefined, tamper?: (path: string, bytes: Buffer) => Buffer): TileFetcher {
  return (path) => {
    const file = path === 'checkpoint' && n !== undefined ? `log/checkpoint.${n}` : `log/${path}`;
    const bytes = readFileSync(new URL(file, TESSERA));
    return Promise.resolve(new Uint8Array(tamper ? tamper(path, bytes) : bytes));
  };
}

/** A C2SP key id: SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4] (signed-note, "Signatures"). */
const keyId = (name: string, type: number, key: Buffer) =>
  createHash('sha256').update(`${name}\n`).update(Uint8Array.of(type)).update(key).digest().subarray(0, 4);
const ed25519 = (raw: Buffer) =>
  createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
    format: 'der',
    type: 'spki',
  });

describe('the tile client follows the tessera test log (C2SP tlog-tiles, built by Go code)', () => {
  const verifier = parseVerifierKey(keys.verifier_key);

  it("reads the tessera vkey: its key id is SHA-256(name ‖ '\\n' ‖ 0x01 ‖ key)[:4]", () => {
    expect(verifier.name).toBe(keys.origin);
    expect(keys.verifier_key.split('+')[1]).toBe(
      keyId(keys.origin, 1, Buffer.from(verifier.publicKey, 'base64url')).toString('hex'),
    );
    expect(() => parseVerifierKey(keys.verifier_key.replace('+33d7b496+', '+33d7b497+'))).toThrow(
      /key id is not the one/,
    );
    expect(() => parseVerifierKey('no-plus-signs')).toThrow(/three parts/);
  });

  it('follows it checkpoint by checkpoint: signature, root from tiles, consistency, every entry proved included', async () => {
    let previous: Checkpoint | undefined;
    const entries: string[] = [];
    for (let n = 0; n <= 15; n++) {
      const got = await followLog(tesseraAt(n), { verifier, previous });
      expect(got.checkpoint.size).toBe(n);
      entries.push(...got.entries.map(text));
      previous = got.checkpoint;
    }
    expect(entries).toEqual(keys.entries_in_order);
    const latest = await followLog(tesseraAt(undefined), { verifier, entriesFrom: 0 });
    expect(latest.entries.map(text)).toEqual(keys.entries_in_order);
  });

  it('refuses a flipped tile bit, a changed entry, a foreign key and a checkpoint it cannot extend', async () => {
    const flip = (p: string, b: Buffer) =>
      p === 'tile/0/000.p/15' ? Buffer.concat([b.subarray(0, 40), Buffer.from([b[40]! ^ 1]), b.subarray(41)]) : b;
    await expect(followLog(tesseraAt(15, flip), { verifier })).rejects.toThrow(/the tiles give root/);
    const entry = (p: string, b: Buffer) =>
      p === 'tile/entries/000.p/15' ? Buffer.from(b.toString('latin1').replace('fivten', 'fivtem'), 'latin1') : b;
    await expect(followLog(tesseraAt(15, entry), { verifier })).rejects.toThrow(
      /does not hash to the level-0 tile's leaf 14/,
    );
    const short = (p: string, b: Buffer) => (p === 'tile/entries/000.p/15' ? b.subarray(0, b.length - 1) : b);
    await expect(followLog(tesseraAt(15, short), { verifier })).rejects.toThrow(/runs past the end/);
    const other = { name: keys.origin, publicKey: Buffer.alloc(32, 9).toString('base64url') };
    await expect(followLog(tesseraAt(15), { verifier: other })).rejects.toThrow(TrustError);
    const seven = parseCheckpoint(parseNote(readFileSync(new URL('log/checkpoint.7', TESSERA), 'utf8')).text);
    await expect(
      followLog(tesseraAt(15), { verifier, previous: { ...seven, root: new Uint8Array(32) } }),
    ).rejects.toThrow(TrustError);
    await expect(
      followLog(tesseraAt(7), {
        verifier,
        previous: parseCheckpoint(parseNote(readFileSync(new URL('log/checkpoint.9', TESSERA), 'utf8')).text),
      }),
    ).rejects.toThrow(/went back from size 9 to 7/);
  });

  it('accepts a checkpoint with extension lines (signed here with the published tessera TEST key)', async () => {
    const seed = Buffer.from(/\+[0-9a-f]{8}\+(.+)$/.exec(keys.signer_key)![1]!, 'base64').subarray(1);
    const body = readFileSync(new URL('log/checkpoint', TESSERA), 'utf8');
    const withExt = `${parseNote(body).text}ext one\nsomething/else 42 =+/\n`;
    const signed = formatNote({
      text: withExt,
      signatures: [signNote(withExt, keys.origin, privateKeyFromSeed(seed), verifier.publicKey)],
    });
    expect(openCheckpoint(signed, verifier).checkpoint.extensions).toEqual(['ext one', 'something/else 42 =+/']);
    const fetcher: TileFetcher = (p) =>
      p === 'checkpoint' ? Promise.resolve(new Uint8Array(Buffer.from(signed))) : tesseraAt(undefined)(p);
    const got = await followLog(fetcher, { verifier });
    expect(got.checkpoint.extensions).toHaveLength(2);
    expect(got.entries).toHaveLength(15);
  });
});

describe('tile paths (C2SP tlog-tiles "<N>" encoding)', () => {
  it('round-trip for every index and width, and only the canonical spelling parses', () => {
    expect(tilePath(0, 1234067)).toBe('tile/0/x001/x234/067');
    expect(entriesPath(5, 7)).toBe('tile/entries/005.p/7');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 0, max: 63 }),
        (index, width, level) => {
          expect(parseTilePath(tilePath(level, index, width).slice('tile/'.length))).toEqual({ level, index, width });
          expect(parseTilePath(entriesPath(index, width).slice('tile/'.length))).toEqual({
            level: 'entries',
            index,
            width,
          });
        },
      ),
    );
    for (const bad of [
      '0/x000/005',
      '0/5',
      '0/005.p/0',
      '0/005.p/256',
      '0/005.p/07',
      '64/000',
      '01/000',
      '0/005/',
      'x/005',
    ])
      expect(parseTilePath(bad), bad).toBeUndefined();
  });
});

const ORIGIN = 'lodestone.example.org/log';

describe.each(STORES)("Lodestone's own log over a real listening server as C2SP tlog-tiles (%s)", (kind) => {
  let ts: TestStore;
  let ctx: AppContext;
  let app: FastifyInstance;
  let base = '';
  let admin = '';
  let auditor = '';
  let keysDir = '';
  const get = async (path: string, key?: string) =>
    fetch(`${base}/log/${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  const fetcher: TileFetcher = async (path) => {
    const r = await get(path, path.startsWith('tile/entries/') ? admin : undefined);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  /** Registers parties from … to - 1 in one transaction (one checkpoint). */
  const register = (from: number, to: number) =>
    ctx.store.transaction(async (tx) => {
      const inTx = inTransaction(ctx, tx);
      for (let i = from; i < to; i++)
        await registerParty(inTx, { id: `party-${i}`, name: `Party ${i}`, country: 'IN' });
    });

  beforeAll(async () => {
    ts = await freshStore(kind);
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-c2sp-'));
    ctx = createApp(ts.store, { keysDir, logOrigin: ORIGIN });
    await register(0, 270); // past one full level-0 tile (256 leaves)
    admin = (await issueCredential(ctx, { role: 'operator-admin' })).key;
    auditor = (await issueCredential(ctx, { partyId: 'party-0', role: 'auditor' })).key;
    app = await createServer(ctx, { rateLimit: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }, 180_000);
  afterAll(async () => {
    await app.close();
    await ts.dispose();
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('serves the vkey; the checkpoint carries the configured origin, signed under it', async () => {
    const vkey = (await (await get('key')).text()).trim();
    expect(vkey).toBe(await logVerifierKey(ctx));
    expect(vkey).toMatch(/^lodestone\.example\.org\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const pub = Buffer.from(vkey.split('+').slice(2).join('+'), 'base64');
    expect(pub[0]).toBe(1);
    expect(vkey.split('+')[1]).toBe(keyId(ORIGIN, 1, pub.subarray(1)).toString('hex'));
    const r = await get('checkpoint');
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const note = await r.text();
    expect(note).toMatch(
      /^lodestone\.example\.org\/log\n\d+\n[A-Za-z0-9+/]{43}=\nlodestone-subjects\/v1 \d+ [A-Za-z0-9+/]{43}=\n\n— lodestone\.example\.org\/log /,
    );
    // The log's Ed25519 signature, checked with node:crypto from the signed-note layout: key id ‖ signature over the text.
    const sig = Buffer.from(note.split('\n— ')[1]!.split(' ')[1]!.trim(), 'base64');
    expect(sig.subarray(0, 4).toString('hex')).toBe(vkey.split('+')[1]);
    expect(
      verify(null, Buffer.from(note.slice(0, note.indexOf('\n\n') + 1)), ed25519(pub.subarray(1)), sig.subarray(4)),
    ).toBe(true);
  });

  it('the tile client follows it: root from tiles, every entry (journal record) proved included; then consistency as it grows', async () => {
    const verifier = parseVerifierKey((await (await get('key')).text()).trim());
    const first = await followLog(fetcher, { verifier });
    const n = first.checkpoint.size;
    expect(n).toBeGreaterThan(256);
    const journal = await journalRepo.read(ts.store.db, { limit: n });
    expect(first.entries.map(text)).toEqual(journal.map((r) => r.canonical));
    await register(270, 275);
    const next = await followLog(fetcher, { verifier, previous: first.checkpoint });
    expect(next.checkpoint.size).toBe(n + 5);
    expect(next.entries.map(text)).toEqual(
      (await journalRepo.read(ts.store.db, { fromSeq: n + 1 })).map((r) => r.canonical),
    );
    next.entries.forEach((e, i) => {
      expect(text(e)).toContain(`"party-27${i}"`);
    });
  });

  it('full tiles are immutable and cacheable; partial ones fixed by their width; beyond the tree or malformed: 404 problem', async () => {
    const full = await get('tile/0/000');
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await full.arrayBuffer()).byteLength).toBe(8192);
    const partial = await get('tile/1/000.p/1');
    expect(partial.status).toBe(200);
    expect((await partial.arrayBuffer()).byteLength).toBe(32);
    for (const path of [
      'tile/0/001',
      'tile/0/005.p/3',
      'tile/2/000.p/1',
      'tile/0/x000/001',
      'tile/0/1',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/64/000',
      'tile/00/000',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
  });

  it('entry bundles disclose records: an operator-admin key only (401 without a key, 403 for another role); gzip on request', async () => {
    const none = await get('tile/entries/000');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    expect((await get('tile/entries/000', auditor)).status).toBe(403);
    const ok = await fetch(`${base}/log/tile/entries/000`, {
      headers: { authorization: `Bearer ${admin}`, 'accept-encoding': 'gzip' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-encoding')).toBe('gzip');
    expect(ok.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
  });

  it('a witness cosignature is C2SP tlog-cosignature/v1, checked with node:crypto from the spec byte layout', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'lodestone-witness-'));
    try {
      const w = await witnessCheckpoint(ctx, 'party-1', join(stateDir, 'w.json'), new Date('2026-12-07T12:00:00Z'));
      const note = await (await get('checkpoint')).text();
      const line = note.split('\n').find((l) => l.startsWith('— party-1 '))!;
      const bytes = Buffer.from(line.split(' ')[2]!, 'base64');
      const witnessKey = Buffer.from(ctx.keystore.get('party-1').publicKey, 'base64url');
      // key id (4) ‖ timestamp (8, big-endian seconds) ‖ Ed25519 signature (64); key id with type 0x04.
      expect(bytes.length).toBe(76);
      expect(bytes.subarray(0, 4)).toEqual(keyId('party-1', 4, witnessKey));
      const time = bytes.readBigUInt64BE(4);
      expect(time).toBe(BigInt(Date.parse('2026-12-07T12:00:00Z') / 1000));
      const body = note.slice(0, note.indexOf('\n\n') + 1);
      expect(body).toBe(parseNote(w.cosignature).text);
      const signed = Buffer.from(`cosignature/v1\ntime ${time}\n${body}`);
      expect(verify(null, signed, ed25519(witnessKey), bytes.subarray(12))).toBe(true);
      expect(
        verify(
          null,
          Buffer.from(`cosignature/v1\ntime ${time + 1n}\n${body}`),
          ed25519(witnessKey),
          bytes.subarray(12),
        ),
      ).toBe(false);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('the origin is stored with the log: another configured origin is refused, none means the stored one', async () => {
    const other = createApp(ts.store, { keysDir, logOrigin: 'elsewhere.example/log' });
    await expect(logOrigin(other)).rejects.toThrow(
      /the log's origin is "lodestone\.example\.org\/log" .*cannot be changed to "elsewhere\.example\/log"/,
    );
    const unset = createApp(ts.store, { keysDir });
    expect((await logVerifier(unset)).name).toBe(ORIGIN);
    expect(() => createApp(ts.store, { keysDir, logOrigin: 'https://x.example/log' })).toThrow(/schema-less/);
    expect(() => createApp(ts.store, { keysDir, logOrigin: 'x.example/log/' })).toThrow(/must not end with "\/"/);
    expect(() => createApp(ts.store, { keysDir, logOrigin: 'x example' })).toThrow(/no spaces/);
  });
});

describe('lodestone log key, --log-origin and verify --log-key <vkey> (CLI, embedded store)', () => {
  let dir = '';
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await main(['node', 'lodestone', '--data-dir', join(dir, 'data'), ...args], {
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
    });
    return { code, out, err };
  }
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-c2sp-cli-'));
    await seedPgliteDataDir(join(dir, 'data')); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the vkey under the configured origin, refuses to change it, and verify pins origin and key with it', async () => {
    const demo = await run('--log-origin', 'demo.example.org/lodestone', 'demo', '--out', join(dir, 'out'));
    expect(demo.code, demo.err).toBe(EXIT.ok);
    const key = await run('log', 'key');
    expect(key.code, key.err).toBe(EXIT.ok);
    const vkey = key.out.trim();
    expect(vkey).toMatch(/^demo\.example\.org\/lodestone\+[0-9a-f]{8}\+/);
    expect((await run('log', 'key', '--raw')).out.trim()).toBe(parseVerifierKey(vkey).publicKey);
    const changed = await run('--log-origin', 'other.example/log', 'log', 'key');
    expect(changed.code).toBe(EXIT.badInput);
    expect(changed.err).toMatch(/logOrigin .*cannot be changed to "other\.example\/log"/);
    const bundle = join(dir, 'out', 'audit-bundle.json');
    const ok = await run('verify', bundle, '--log-key', vkey);
    expect(ok.code, ok.err).toBe(EXIT.ok);
    expect(ok.out).toMatch(/pinned by --log-key \(origin demo\.example\.org\/lodestone\)/);
    // The same key under another origin name: its key id no longer matches, so the vkey is refused…
    const renamed = vkey.replace(/^[^+]*/, 'elsewhere.example/log');
    expect((await run('verify', bundle, '--log-key', renamed)).err).toMatch(/--log-key.*key id is not the one/);
    expect((await run('verify', bundle, '--log-key', 'not-a-key')).code).toBe(EXIT.badInput);
  }, 300_000);
});
