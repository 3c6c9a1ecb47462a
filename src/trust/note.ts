import { createHash, createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { TrustError } from './errors.js';
import { HASH_BYTES } from './merkle.js';
import { fromBase64url } from './base64url.js';
import { publicKeyFromRaw } from './keys.js';

/**
 * C2SP signed-note (https://c2sp.org/signed-note), C2SP tlog-checkpoint
 * (https://c2sp.org/tlog-checkpoint) and C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature),
 * Ed25519 only.
 *
 * A signed note is the text (UTF-8, ending in "\n"), a blank line, then one line per signature:
 * "— <key name> <base64(4-byte key id || signature)>\n". The key id is
 * SHA-256(<name> || "\n" || <alg byte> || <public key>)[:4]: alg 0x01 for an Ed25519 note
 * signature (over the text), 0x04 for a cosignature/v1 (over "cosignature/v1\ntime <t>\n" + text,
 * the signature being an 8-byte big-endian timestamp then the Ed25519 signature).
 */
export const NOTE_ALG_ED25519 = 0x01;
export const NOTE_ALG_COSIGNATURE_V1 = 0x04;
const EM_DASH_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100;
const MAX_NOTE_BYTES = 1_000_000;
const ED25519_SIGNATURE_BYTES = 64;

export interface NoteSignature {
  readonly name: string;
  /** The 4-byte key id. */
  readonly keyId: Uint8Array;
  /** The signature bytes after the key id. */
  readonly signature: Uint8Array;
  /** The line as it appears in the note, without the newline. */
  readonly line: string;
}

export interface Note {
  /** The note text, including its final newline (what is signed). */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /**
   * Extension lines after the root (C2SP tlog-checkpoint allows them; witnesses cosign them with
   * the rest of the note but make no statement about them). Lodestone writes one: the subject
   * map's root (`SUBJECTS_EXTENSION` in smt.ts).
   */
  readonly extensions?: readonly string[];
}

function bad(message: string): TrustError {
  return new TrustError('BAD_CHECKPOINT', message);
}

const utf8 = new TextEncoder();

export function noteKeyId(name: string, alg: number, publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update(name).update('\n').update(Uint8Array.of(alg)).update(publicKey).digest(),
  ).subarray(0, 4);
}

function checkName(name: string): void {
  if (name.length === 0 || /[\s+]/.test(name)) throw bad(`not a note key name: ${JSON.stringify(name)}`);
}

function strictBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

/** Splits a signed note into its text and signature lines, refusing anything malformed. */
export function parseNote(signed: string): Note {
  if (signed.length > MAX_NOTE_BYTES) throw bad('signed note is too large');
  if (!signed.endsWith('\n')) throw bad('signed note does not end with a newline');
  const split = signed.lastIndexOf('\n\n');
  if (split < 0) throw bad('signed note has no blank line before its signatures');
  const text = signed.slice(0, split + 1);
  const lines = signed.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw bad(`signed note has more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line, i): NoteSignature => {
    if (!line.startsWith(EM_DASH_PREFIX)) throw bad(`signature line ${i + 1} does not start with "— "`);
    const parts = line.slice(EM_DASH_PREFIX.length).split(' ');
    if (parts.length !== 2) throw bad(`signature line ${i + 1} is not "— <name> <base64>"`);
    const [name, b64] = parts as [string, string];
    checkName(name);
    const bytes = strictBase64(b64);
    if (bytes === undefined || bytes.length < 5)
      throw bad(`signature line ${i + 1} (${name}): not a base64 key id and signature`);
    return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4), line };
  });
  if (signatures.length === 0) throw bad('signed note has no signatures');
  return { text, signatures };
}

export function formatNote(note: Note): string {
  return `${note.text}\n${note.signatures.map((s) => `${s.line}\n`).join('')}`;
}

function signatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): NoteSignature {
  const bytes = new Uint8Array(4 + signature.length);
  bytes.set(keyId, 0);
  bytes.set(signature, 4);
  return { name, keyId, signature, line: `${EM_DASH_PREFIX}${name} ${Buffer.from(bytes).toString('base64')}` };
}

function rawPublicKeyBytes(publicKeyRaw: string): Uint8Array {
  const bytes = fromBase64url(publicKeyRaw);
  if (bytes?.length !== 32) throw new TrustError('BAD_KEY', 'an Ed25519 public key is 32 bytes of unpadded base64url');
  return bytes;
}

/** Adds an Ed25519 note signature by `name` (the key's public half is derived from the private key). */
export function signNote(text: string, name: string, privateKey: KeyObject, publicKeyRaw: string): NoteSignature {
  checkName(name);
  if (!text.endsWith('\n')) throw bad('note text must end with a newline');
  const sig = new Uint8Array(sign(null, utf8.encode(text), privateKey));
  return signatureLine(name, noteKeyId(name, NOTE_ALG_ED25519, rawPublicKeyBytes(publicKeyRaw)), sig);
}

/** A party's note-signing key: its name in notes and its raw Ed25519 public key (base64url). */
export interface NoteVerifier {
  readonly name: string;
  readonly publicKey: string;
}

/** The signature line of `note` made by `verifier` (matched by name and key id), or undefined. */
export function findSignature(note: Note, verifier: NoteVerifier, alg: number): NoteSignature | undefined {
  const keyId = noteKeyId(verifier.name, alg, rawPublicKeyBytes(verifier.publicKey));
  return note.signatures.find((s) => s.name === verifier.name && Buffer.compare(s.keyId, keyId) === 0);
}

/**
 * A C2SP signed-note verifier key ("vkey") for an Ed25519 key: `<name>+<hex key id>+<base64(0x01 ‖ key)>`
 * (https://c2sp.org/signed-note, "Verifier keys").
 */
export function formatVerifierKey(verifier: NoteVerifier): string {
  checkName(verifier.name);
  const key = rawPublicKeyBytes(verifier.publicKey);
  const id = Buffer.from(noteKeyId(verifier.name, NOTE_ALG_ED25519, key)).toString('hex');
  return `${verifier.name}+${id}+${Buffer.concat([Uint8Array.of(NOTE_ALG_ED25519), key]).toString('base64')}`;
}

/**
 * Parses an Ed25519 vkey: the name, the key id (which must be the one the name and key give) and the
 * key. Throws BAD_KEY naming what is wrong.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const badKey = (why: string) =>
    new TrustError('BAD_KEY', `not an Ed25519 verifier key (<name>+<key id>+<base64 key>): ${why}`);
  // The name has no "+" and the key id is hex; the base64 key may contain "+".
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey);
  if (m === null) throw badKey('it needs three parts separated by "+"');
  const [, name, idHex, b64] = m as unknown as [string, string, string, string];
  if (name.length === 0 || /\s/u.test(name)) throw badKey('the name must be non-empty with no spaces');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw badKey('the key id must be 8 lower-case hex digits');
  const bytes = strictBase64(b64);
  if (bytes?.length !== 33) throw badKey('the key must be base64 of 33 bytes (0x01 and a 32-byte Ed25519 key)');
  if (bytes[0] !== NOTE_ALG_ED25519)
    throw badKey(`signature type 0x${(bytes[0] ?? 0).toString(16).padStart(2, '0')} is not Ed25519 (0x01)`);
  const key = bytes.subarray(1);
  if (Buffer.from(noteKeyId(name, NOTE_ALG_ED25519, key)).toString('hex') !== idHex)
    throw badKey('the key id is not the one its name and key give');
  return { name, publicKey: Buffer.from(key).toString('base64url') };
}

/** Checks the Ed25519 note signature of `verifier`; throws BAD_CHECKPOINT if it is missing or does not verify. */
export function verifyNoteSignature(note: Note, verifier: NoteVerifier): void {
  const s = findSignature(note, verifier, NOTE_ALG_ED25519);
  if (s === undefined)
    throw bad(
      `note is not signed by ${verifier.name} with key ${Buffer.from(noteKeyId(verifier.name, NOTE_ALG_ED25519, rawPublicKeyBytes(verifier.publicKey))).toString('hex')}`,
    );
  if (
    s.signature.length !== ED25519_SIGNATURE_BYTES ||
    !verify(null, utf8.encode(note.text), publicKeyFromRaw(verifier.publicKey), s.signature)
  ) {
    throw bad(`note signature by ${verifier.name} does not verify`);
  }
}

function cosignedMessage(text: string, timestamp: bigint): Uint8Array {
  return utf8.encode(`cosignature/v1\ntime ${timestamp.toString()}\n${text}`);
}

/** A C2SP tlog-cosignature/v1 over a checkpoint's text at `timestamp` (seconds since the epoch). */
export function cosignNote(
  text: string,
  name: string,
  privateKey: KeyObject,
  publicKeyRaw: string,
  timestamp: number,
): NoteSignature {
  checkName(name);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw bad('cosignature timestamp must be a non-negative integer');
  const ts = BigInt(timestamp);
  const sig = sign(null, cosignedMessage(text, ts), privateKey);
  const body = new Uint8Array(8 + ED25519_SIGNATURE_BYTES);
  new DataView(body.buffer).setBigUint64(0, ts);
  body.set(sig, 8);
  return signatureLine(name, noteKeyId(name, NOTE_ALG_COSIGNATURE_V1, rawPublicKeyBytes(publicKeyRaw)), body);
}

/** Checks a cosignature/v1 by `verifier`; returns its timestamp. */
export function verifyCosignature(note: Note, verifier: NoteVerifier): number {
  const s = findSignature(note, verifier, NOTE_ALG_COSIGNATURE_V1);
  if (s === undefined) throw bad(`checkpoint is not cosigned by ${verifier.name}`);
  if (s.signature.length !== 8 + ED25519_SIGNATURE_BYTES)
    throw bad(`cosignature by ${verifier.name} has the wrong length`);
  const ts = new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`cosignature by ${verifier.name} has an impossible timestamp`);
  if (!verify(null, cosignedMessage(note.text, ts), publicKeyFromRaw(verifier.publicKey), s.signature.subarray(8))) {
    throw bad(`cosignature by ${verifier.name} does not verify`);
  }
  return Number(ts);
}

/** The checkpoint body: origin, decimal size, base64 root, each on its own line. */
export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes('\n')) throw bad('checkpoint origin must be one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw bad('checkpoint size must be a non-negative integer');
  if (c.root.length !== HASH_BYTES) throw bad(`checkpoint root must be ${HASH_BYTES} bytes`);
  for (const e of c.extensions ?? [])
    if (!isExtensionLine(e)) throw bad('checkpoint extension lines must be non-empty text without control characters');
  return `${c.origin}\n${c.size}\n${Buffer.from(c.root).toString('base64')}\n${(c.extensions ?? []).map((e) => `${e}\n`).join('')}`;
}

const MAX_EXTENSIONS = 16;

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const isExtensionLine = (l: string): boolean => l.length > 0 && l.length <= 1000 && !/[\u0000-\u001f\u007f]/.test(l);

/** Parses a checkpoint body: origin, size and root lines, then any extension lines (at most 16). */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.length < 4 || lines.at(-1) !== '')
    throw bad('checkpoint body is not origin, size and root lines (then extension lines)');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  const extensions = lines.slice(3, -1);
  if (extensions.length > MAX_EXTENSIONS) throw bad(`checkpoint has more than ${MAX_EXTENSIONS} extension lines`);
  if (!extensions.every(isExtensionLine))
    throw bad('checkpoint extension lines must be non-empty text without control characters');
  if (origin.length === 0) throw bad('checkpoint origin line is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw bad(`checkpoint size is not a decimal integer: ${JSON.stringify(sizeText.slice(0, 40))}`);
  const root = strictBase64(rootText);
  if (root?.length !== HASH_BYTES) throw bad(`checkpoint root is not ${HASH_BYTES} bytes of base64`);
  return { origin, size: Number(sizeText), root, ...(extensions.length === 0 ? {} : { extensions }) };
}

/** Signs a checkpoint as a signed note. */
export function signCheckpoint(c: Checkpoint, name: string, privateKey: KeyObject, publicKeyRaw: string): string {
  const text = formatCheckpoint(c);
  return formatNote({ text, signatures: [signNote(text, name, privateKey, publicKeyRaw)] });
}

/** Opens a signed checkpoint: parses it and checks the log's signature (others may be present). */
export function openCheckpoint(
  signed: string,
  log: NoteVerifier,
): { readonly note: Note; readonly checkpoint: Checkpoint } {
  const note = parseNote(signed);
  verifyNoteSignature(note, log);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== log.name)
    throw bad(`checkpoint origin "${checkpoint.origin}" is not the log "${log.name}"`);
  return { note, checkpoint };
}

/** An Ed25519 private key from its 32-byte seed (RFC 8032), e.g. a Go note signer key's. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TrustError('BAD_KEY', 'an Ed25519 seed is 32 bytes');
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}
