import {
  findSignature,
  NOTE_ALG_COSIGNATURE_V1,
  NOTE_ALG_ED25519,
  parseNote,
  verifyCosignature,
  type Note,
} from '../trust/index.js';
import type { BundleKey } from './bundle.js';
import { VerifyError } from './errors.js';

/**
 * Witnesses are pinned (issue 18 item 7): a cosignature counts only when it verifies under a key the
 * auditor gave (`--witness NAME=KEY`); the bundle's own `witnesses` list and the names on the
 * checkpoint's signature lines are claims. Any other cosignature is reported as unverified, never
 * as a witness; fewer verified witnesses than the quorum fails verification.
 */

export interface WitnessPolicy {
  /** The witnesses the auditor trusts, with their Ed25519 public keys (base64url). */
  readonly witnesses?: readonly BundleKey[] | undefined;
  /** How many of them must have cosigned the checkpoint (default: every pinned witness). */
  readonly quorum?: number | undefined;
}

export interface WitnessCheck {
  /** Pinned witnesses whose cosignature verified. */
  readonly cosigners: readonly string[];
  /** Names on other signature lines of the checkpoint (not the log's, not a pinned witness's verified cosignature). */
  readonly unverified: readonly string[];
  readonly pinned: number;
  readonly quorum: number;
}

function fail(message: string): never {
  throw new VerifyError('WITNESS', message);
}

/** The policy's quorum, checked against the pinned witnesses. */
function quorumOf(policy: WitnessPolicy, pinned: readonly BundleKey[]): number {
  const names = new Set<string>();
  for (const w of pinned) {
    if (names.has(w.name)) fail(`witness ${w.name} is pinned twice`);
    names.add(w.name);
  }
  const q = policy.quorum ?? pinned.length;
  if (!Number.isSafeInteger(q) || q < 0) fail(`the witness quorum must be a whole number, got ${String(q)}`);
  if (q > pinned.length) fail(`a quorum of ${q} cannot be met by the ${pinned.length} pinned witness(es)`);
  return q;
}

function verifies(note: Note, w: BundleKey): boolean {
  try {
    verifyCosignature(note, w);
    return true;
  } catch {
    return false;
  }
}

/** Checks the checkpoint's cosignatures against the pinned witnesses and the quorum. */
export function checkWitnesses(checkpointText: string, log: BundleKey, policy: WitnessPolicy): WitnessCheck {
  const pinned = policy.witnesses ?? [];
  const quorum = quorumOf(policy, pinned);
  const note = parseNote(checkpointText);
  const logLine = findSignature(note, log, NOTE_ALG_ED25519);
  const cosigners: string[] = [];
  const counted = new Set<string>();
  for (const w of pinned) {
    let line;
    try {
      line = findSignature(note, w, NOTE_ALG_COSIGNATURE_V1);
    } catch (e) {
      return fail(`pinned witness ${w.name}: ${(e as Error).message}`);
    }
    if (line !== undefined && verifies(note, w)) {
      cosigners.push(w.name);
      counted.add(line.line);
    }
  }
  const unverified = note.signatures.filter((s) => s !== logLine && !counted.has(s.line)).map((s) => s.name);
  if (cosigners.length < quorum) {
    const claimed =
      unverified.length === 0
        ? ''
        : `; cosignatures not verified by a pinned key: ${[...new Set(unverified)].join(', ')}`;
    fail(
      `witness quorum not met: ${cosigners.length} of the ${quorum} required pinned witness(es) cosigned the checkpoint (${cosigners.join(', ') || 'none'})${claimed}`,
    );
  }
  return { cosigners, unverified: [...new Set(unverified)], pinned: pinned.length, quorum };
}

/** Parses `NAME=KEY` (a pinned witness on the command line); throws an Error saying what is wrong. */
export function parseWitnessPin(text: string): BundleKey {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq);
  const publicKey = eq < 0 ? '' : text.slice(eq + 1);
  if (!/^[^\s+=]+$/.test(name) || !/^[A-Za-z0-9_-]{43}$/.test(publicKey)) {
    throw new Error(
      `must be NAME=KEY, KEY the witness's raw Ed25519 public key in base64url (43 characters), got ${JSON.stringify(text)}`,
    );
  }
  return { name, publicKey };
}
