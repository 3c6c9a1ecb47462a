import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cosignNote,
  formatCheckpoint,
  formatNote,
  generateKeyPair,
  importPrivateKey,
  leafHash,
  openCheckpoint,
  parseCheckpoint,
  parseNote,
  privateKeyFromSeed,
  rootFromLeafHashes,
  signCheckpoint,
  signNote,
  toBase64url,
  TrustError,
  verifyCosignature,
  verifyNoteSignature,
  type NoteVerifier,
} from '../../src/trust/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/merkle');

/** A Go/C2SP verifier key "<name>+<hex key hash>+base64(0x01 || public key)". */
function verifierFromVkey(vkey: string): NoteVerifier {
  const [name, , bytes] = splitKey(vkey);
  expect(bytes[0]).toBe(1);
  return { name, publicKey: toBase64url(bytes.subarray(1)) };
}

/** "<name>+<hash>+<base64>", where the base64 may itself hold '+'. */
function splitKey(key: string): [string, string, Buffer] {
  const a = key.indexOf('+');
  const b = key.indexOf('+', a + 1);
  return [key.slice(0, a), key.slice(a + 1, b), Buffer.from(key.slice(b + 1), 'base64')];
}

function code(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(TrustError);
    return `${(e as TrustError).code}: ${(e as Error).message}`;
  }
}

interface GoVectors {
  keys: { name: string; verifier_key: string; signer_key: string | null }[];
  notes: { text: string; signed_note: string }[];
}
const go = JSON.parse(readFileSync(join(FIXTURES, 'go_signed_note_vectors.json'), 'utf8')) as GoVectors;
const peter = verifierFromVkey(go.keys[0]!.verifier_key);
const enoch = verifierFromVkey(go.keys[1]!.verifier_key);

describe('C2SP signed notes (Go sumdb/note vectors)', () => {
  it('verifies the Go signed notes, with one and with two signatures', () => {
    for (const n of go.notes) {
      const note = parseNote(n.signed_note);
      expect(note.text).toBe(n.text);
      verifyNoteSignature(note, peter);
      expect(formatNote(note)).toBe(n.signed_note);
    }
    verifyNoteSignature(parseNote(go.notes[1]!.signed_note), enoch);
  });

  it('re-signing with the Go signer key reproduces the golden note byte for byte (Ed25519 is deterministic)', () => {
    const seed = splitKey(go.keys[0]!.signer_key!.replace('PRIVATE+KEY+', ''))[2].subarray(1);
    const line = signNote(go.notes[0]!.text, 'PeterNeumann', privateKeyFromSeed(seed), peter.publicKey);
    expect(formatNote({ text: go.notes[0]!.text, signatures: [line] })).toBe(go.notes[0]!.signed_note);
  });

  it('refuses a changed text, an unknown key and malformed notes with precise messages', () => {
    const signed = go.notes[0]!.signed_note;
    expect(
      code(() => {
        verifyNoteSignature(parseNote(signed.replace('answer', 'Answer')), peter);
      }),
    ).toMatch(/BAD_CHECKPOINT: note signature by PeterNeumann does not verify/);
    expect(
      code(() => {
        verifyNoteSignature(parseNote(signed), enoch);
      }),
    ).toMatch(/not signed by EnochRoot/);
    expect(code(() => parseNote(signed.slice(0, -1)))).toMatch(/does not end with a newline/);
    expect(code(() => parseNote(`${signed}garbage\n`))).toMatch(/signature line 2 does not start/);
    expect(code(() => parseNote(signed.replace('— ', '- ')))).toMatch(/does not start with "— "/);
    expect(code(() => parseNote('no blank line\n'))).toMatch(/no blank line/);
  });
});

describe('C2SP checkpoints (tessera test log)', () => {
  const keys = JSON.parse(readFileSync(join(FIXTURES, 'tessera/test-log-keys.json'), 'utf8')) as {
    verifier_key: string;
    entries_in_order: string[];
  };
  const log = verifierFromVkey(keys.verifier_key);

  it('opens all 16 checkpoints and each root is the RFC 6962 root of the first N entries', () => {
    for (let n = 0; n <= 15; n++) {
      const { checkpoint } = openCheckpoint(readFileSync(join(FIXTURES, `tessera/checkpoint.${n}`), 'utf8'), log);
      expect(checkpoint.size).toBe(n);
      expect(Buffer.from(checkpoint.root).toString('hex')).toBe(
        Buffer.from(rootFromLeafHashes(keys.entries_in_order.slice(0, n).map((e) => leafHash(e)))).toString('hex'),
      );
    }
  });

  it('refuses malformed checkpoint bodies', () => {
    expect(code(() => parseCheckpoint('o\n01\nAAAA\n'))).toMatch(/size is not a decimal/);
    expect(code(() => parseCheckpoint('o\n1\nAAAA\n'))).toMatch(/root is not 32 bytes/);
    expect(code(() => parseCheckpoint('o\n1\n'))).toMatch(/not origin, size and root lines/);
    const root = Buffer.alloc(32).toString('base64');
    expect(code(() => parseCheckpoint(`o\n1\n${root}\next\u0001\n`))).toMatch(/extension lines must be/);
    expect(code(() => parseCheckpoint(`o\n1\n${root}\n${'x\n'.repeat(17)}`))).toMatch(/more than 16 extension lines/);
  });

  it('accepts and round-trips extension lines after the root (C2SP tlog-checkpoint)', () => {
    const root = Buffer.alloc(32).toString('base64');
    const c = parseCheckpoint(`o\n1\n${root}\nlodestone-subjects/v1 0 ${root}\nother ext\n`);
    expect(c.extensions).toEqual([`lodestone-subjects/v1 0 ${root}`, 'other ext']);
    expect(formatCheckpoint(c)).toBe(`o\n1\n${root}\nlodestone-subjects/v1 0 ${root}\nother ext\n`);
    expect(parseCheckpoint(`o\n1\n${root}\n`).extensions).toBeUndefined();
    expect(code(() => parseCheckpoint(`\n1\n${Buffer.alloc(32).toString('base64')}\n`))).toMatch(
      /origin line is empty/,
    );
  });

  it('signs and cosigns (tlog-cosignature/v1) our own checkpoints', () => {
    const opKey = generateKeyPair();
    const wKey = generateKeyPair();
    const signed = signCheckpoint(
      { origin: 'lodestone-log', size: 3, root: rootFromLeafHashes([leafHash('a'), leafHash('b'), leafHash('c')]) },
      'lodestone-log',
      importPrivateKey(opKey.privateKeyPem),
      opKey.publicKey,
    );
    const opened = openCheckpoint(signed, { name: 'lodestone-log', publicKey: opKey.publicKey });
    const cosig = cosignNote(
      opened.note.text,
      'mofcom',
      importPrivateKey(wKey.privateKeyPem),
      wKey.publicKey,
      1_700_000_000,
    );
    const cosigned = parseNote(formatNote({ text: opened.note.text, signatures: [...opened.note.signatures, cosig] }));
    expect(verifyCosignature(cosigned, { name: 'mofcom', publicKey: wKey.publicKey })).toBe(1_700_000_000);
    expect(code(() => openCheckpoint(signed, { name: 'lodestone-log', publicKey: wKey.publicKey }))).toMatch(
      /not signed by lodestone-log/,
    );
    // A cosignature is not a note signature: the alg byte in the key id differs.
    expect(
      code(() => {
        verifyNoteSignature(cosigned, { name: 'mofcom', publicKey: wKey.publicKey });
      }),
    ).toMatch(/not signed by mofcom/);
  });
});
