import {
  hashesEqual,
  leafHash,
  parseSubjectsExtension,
  partiesNeeded,
  scopeOf,
  subjectKey,
  subjectsOf,
  subjectValue,
  verifyInclusion,
  verifyMapProof,
  type Checkpoint,
  type SignedRecord,
  type SubjectLink,
} from '../trust/index.js';
import type { AuditBundle, SubjectProof, WithheldEntry } from './bundle.js';
import { VerifyError } from './errors.js';
import { isObject } from './json.js';

/**
 * Pure step: the bundle is complete (issue 18, item 6) and withholds only what it may (item 10).
 *
 * The log commits, in every checkpoint, the root of a map from each subject (licence:…,
 * application:…, alert:…, certificate:…) to its head — its newest entry — and every record links
 * to the previous entry of each subject it concerns (trust/subjects.ts, trust/smt.ts). So:
 *
 * 1. every shown entry's links must name exactly the subjects its body concerns (recomputed here),
 *    and entries written before links began (`since`) carry none;
 * 2. the covered subjects are derived here, not taken from the bundle: the licence, and the
 *    application, certificate and alerts its own records bring in, and the settings (`peer:<node>`)
 *    of every peer an import comes from;
 * 3. each covered subject's head is proved against the map root in the checkpoint's extension
 *    line, and its chain walked from the head back to its first entry: every entry on it must be
 *    shown, and every shown entry that concerns the subject must be on it;
 * 4. every withheld entry (a leaf hash only) is proved included, and no chain entry is withheld;
 * 5. every party an entry needs (its actor; the parties an application screened) is registered in the bundle.
 *
 * A log without the extension line (written before subject links) proves nothing of this: the
 * summary says so. Failures are VerifyError('INCOMPLETE').
 */

export interface SubjectCompleteness {
  readonly subject: string;
  /** The head's seq at the checkpoint (null: the subject has no linked entry). */
  readonly head: number | null;
  /** Entries walked on its chain (all shown). */
  readonly entries: number;
  /** Shown entries of the subject from before links began (not proved complete). */
  readonly legacy: number;
}

export interface Completeness {
  /** Whether the checkpoint commits subject heads (false: a log from before subject links; nothing proved). */
  readonly proved: boolean;
  readonly since: number | undefined;
  readonly subjects: readonly SubjectCompleteness[];
  readonly withheld: number;
}

function fail(message: string, cause?: unknown): never {
  throw new VerifyError('INCOMPLETE', message, cause === undefined ? {} : { cause });
}

const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

/** Shape of the bundle's `subjects` and `withheld` (hostile input). */
export function parseCompletenessFields(json: Record<string, unknown>): {
  subjects?: SubjectProof[];
  withheld?: WithheldEntry[];
} {
  const bad = (where: string, what: string): never => {
    throw new VerifyError('MALFORMED', `${where} must be ${what}`);
  };
  const list = (v: unknown, where: string): unknown[] => (Array.isArray(v) ? (v as unknown[]) : bad(where, 'an array'));
  const hex64 = (v: unknown, where: string): string =>
    typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v : bad(where, '64 lower-case hex digits');
  const seq = (v: unknown, where: string): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(where, 'a non-negative integer');
  const out: { subjects?: SubjectProof[]; withheld?: WithheldEntry[] } = {};
  if (json.subjects !== undefined) {
    out.subjects = list(json.subjects, 'subjects').map((s, i) => {
      if (!isObject(s) || typeof s.subject !== 'string') return bad(`subjects[${i}]`, 'an object with a subject');
      const h = s.head;
      const head =
        h === null
          ? null
          : isObject(h)
            ? {
                seq: seq(h.seq, `subjects[${i}].head.seq`),
                leafHash: hex64(h.leafHash, `subjects[${i}].head.leafHash`),
              }
            : bad(`subjects[${i}].head`, 'null or { seq, leafHash }');
      return { subject: s.subject, head, proof: s.proof };
    });
  }
  if (json.withheld !== undefined) {
    out.withheld = list(json.withheld, 'withheld').map((w, i) => {
      if (!isObject(w)) return bad(`withheld[${i}]`, 'an object');
      return {
        leafIndex: seq(w.leafIndex, `withheld[${i}].leafIndex`),
        leafHash: hex64(w.leafHash, `withheld[${i}].leafHash`),
        proof: list(w.proof, `withheld[${i}].proof`).map((p, j) =>
          typeof p === 'string' ? p : bad(`withheld[${i}].proof[${j}]`, 'a string'),
        ),
      };
    });
  }
  return out;
}

function b64(text: string, where: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || bytes.toString('base64') !== text)
    throw new VerifyError('MALFORMED', `${where} is not canonical base64`);
  return new Uint8Array(bytes);
}

function withheldIncluded(bundle: AuditBundle, checkpoint: Checkpoint): number {
  const shown = new Set(bundle.entries.map((e) => e.leafIndex));
  const seen = new Set<number>();
  for (const [i, w] of (bundle.withheld ?? []).entries()) {
    const where = `withheld[${i}] (leaf ${w.leafIndex})`;
    if (shown.has(w.leafIndex) || seen.has(w.leafIndex)) fail(`${where}: listed twice`);
    seen.add(w.leafIndex);
    if (w.leafIndex >= checkpoint.size)
      throw new VerifyError('INCLUSION', `${where}: beyond the checkpoint's tree size ${checkpoint.size}`);
    try {
      verifyInclusion(
        w.leafIndex,
        checkpoint.size,
        new Uint8Array(Buffer.from(w.leafHash, 'hex')),
        w.proof.map((p, j) => b64(p, `${where} proof[${j}]`)),
        checkpoint.root,
      );
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      throw new VerifyError('INCLUSION', `${where}: ${(e as Error).message}`, { cause: e });
    }
  }
  return seen.size;
}

export function checkCompleteness(
  bundle: AuditBundle,
  checkpoint: Checkpoint,
  records: readonly SignedRecord[],
  effective: readonly SignedRecord[] = records,
): Completeness {
  const withheld = withheldIncluded(bundle, checkpoint);
  // Parties and covered subjects come from the effective records (a peer's record in place of its
  // import); subject links and chains are this log's, so from the records as this log holds them.
  const registered = new Set(
    effective.filter((r) => r.payload.type === 'party.registered').map((r) => r.payload.actor),
  );
  effective.forEach((r, i) => {
    for (const p of partiesNeeded(r.payload.type, r.payload.actor, r.payload.body))
      if (!registered.has(p))
        fail(`entry ${i} (${r.payload.type}): needs party ${p}, whose party.registered record is not in the bundle`);
  });
  let commitment;
  try {
    commitment = parseSubjectsExtension(checkpoint.extensions ?? []);
  } catch (e) {
    return fail(`checkpoint: ${(e as Error).message}`, e);
  }
  if (commitment === undefined) return { proved: false, since: undefined, subjects: [], withheld };
  const { since, root } = commitment;
  // 1. Links name exactly the subjects each body concerns; none before links began.
  const subjectsAt = new Map<number, string[]>();
  const linksAt = new Map<number, Map<string, SubjectLink['prev']>>();
  const byIndex = new Map<number, { record: SignedRecord; text: string }>();
  records.forEach((r, i) => {
    const entry = bundle.entries[i];
    if (entry === undefined) return;
    const seq = entry.leafIndex + 1;
    const where = `entry ${i} (leaf ${entry.leafIndex}, ${r.payload.type})`;
    const subjects = subjectsOf(r.payload.type, r.payload.body);
    const links = r.payload.links;
    if (seq <= since) {
      if (links !== undefined) fail(`${where}: carries subject links, but the log's links begin after entry ${since}`);
    } else {
      const declared = (links ?? []).map((l) => l.subject);
      if (declared.join('\n') !== subjects.join('\n'))
        fail(
          `${where}: links name subjects [${declared.join(', ')}], but the record concerns [${subjects.join(', ')}]`,
        );
      linksAt.set(seq, new Map((links ?? []).map((l) => [l.subject, l.prev])));
    }
    subjectsAt.set(seq, subjects);
    byIndex.set(entry.leafIndex, { record: r, text: entry.record });
  });
  // 2. The covered subjects, derived from the shown records.
  const covered = new Set([`licence:${bundle.licence}`]);
  // The key history of every party an entry needs: a left-out rotation or revocation would make a key look valid.
  for (const r of effective)
    for (const p of partiesNeeded(r.payload.type, r.payload.actor, r.payload.body)) covered.add(`party:${p}`);
  // The root-signed settings of every peer an import comes from (federation): a left-out change of its pins would go unseen.
  for (const r of records) {
    const node = r.payload.type === 'federation.imported' && isObject(r.payload.body) ? r.payload.body.node : undefined;
    if (typeof node === 'string') covered.add(`peer:${node}`);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const r of effective) {
      if (!subjectsOf(r.payload.type, r.payload.body).some((s) => covered.has(s))) continue;
      for (const s of scopeOf(r.payload.type, r.payload.body, bundle.licence)) {
        if (!covered.has(s)) {
          covered.add(s);
          changed = true;
        }
      }
    }
  }
  // 3. Each covered subject's head, proved in the map; its chain walked back to its first entry.
  const proofs = new Map((bundle.subjects ?? []).map((p) => [p.subject, p]));
  const withheldAt = new Set((bundle.withheld ?? []).map((w) => w.leafIndex));
  const out: SubjectCompleteness[] = [];
  for (const subject of [...covered].sort()) {
    const p = proofs.get(subject);
    if (p === undefined)
      fail(`no proof of the head of ${subject} at the checkpoint: the bundle cannot show it is complete`);
    let value: Uint8Array | undefined;
    try {
      value = verifyMapProof(root, subjectKey(subject), p.proof);
    } catch (e) {
      return fail(`${subject}: ${(e as Error).message}`, e);
    }
    if (
      p.head === null ? value !== undefined : value === undefined || !hashesEqual(value, subjectValue(subject, p.head))
    ) {
      fail(
        `${subject}: the head the bundle gives (${p.head === null ? 'none' : `entry ${p.head.seq}`}) is not the one the checkpoint commits`,
      );
    }
    const onChain = new Set<number>();
    let cur = p.head;
    while (cur !== null) {
      if (cur.seq > checkpoint.size || cur.seq <= since)
        fail(
          `${subject}: its chain reaches entry ${cur.seq}, outside the linked entries ${since + 1}..${checkpoint.size}`,
        );
      const e = byIndex.get(cur.seq - 1);
      if (e === undefined)
        fail(
          `${subject}: entry ${cur.seq} (leaf ${cur.seq - 1}) is on its chain but ${withheldAt.has(cur.seq - 1) ? 'withheld' : 'missing from the bundle'}`,
        );
      if (hex(leafHash(e.text)) !== cur.leafHash)
        fail(`${subject}: entry ${cur.seq} is not the entry its chain names (leaf hash differs)`);
      const prev = linksAt.get(cur.seq)?.get(subject);
      if (prev === undefined) fail(`${subject}: entry ${cur.seq} is on its chain but does not link it`);
      if (prev !== null && prev.seq >= cur.seq)
        fail(`${subject}: entry ${cur.seq} links back to entry ${prev.seq}, not an earlier one`);
      onChain.add(cur.seq);
      cur = prev;
    }
    let legacy = 0;
    for (const [seq, subjects] of subjectsAt) {
      if (!subjects.includes(subject)) continue;
      if (seq <= since) legacy++;
      else if (!onChain.has(seq))
        fail(`${subject}: entry ${seq} concerns it but is not on its chain up to the committed head`);
    }
    out.push({ subject, head: p.head?.seq ?? null, entries: onChain.size, legacy });
  }
  return { proved: true, since, subjects: out, withheld };
}

/** The key histories of the parties a bundle needs, in one line (there are many, each short). */
function partyLine(parties: readonly SubjectCompleteness[]): string[] {
  if (parties.length === 0) return [];
  const entries = parties.reduce((n, s) => n + s.entries, 0);
  const legacy = parties.reduce((n, s) => n + s.legacy, 0);
  return [
    `                  key histories of ${parties.length} part${parties.length === 1 ? 'y' : 'ies'} (party:…): ${entries} entr${entries === 1 ? 'y' : 'ies'}${legacy > 0 ? ` (+${legacy} from before links, not proved)` : ''}`,
  ];
}

/** One line for the summary. */
export function formatCompleteness(c: Completeness): string {
  if (!c.proved)
    return `    complete    NOT proved: the checkpoint commits no subject heads (a log from before subject links)${c.withheld > 0 ? `; ${c.withheld} entries withheld (leaf hash only)` : ''}`;
  const legacy = c.subjects.reduce((n, s) => n + s.legacy, 0);
  return [
    `    complete    ${c.subjects.length} subject(s) proved complete to the heads the checkpoint commits (links since entry ${c.since ?? 0}):`,
    ...c.subjects
      .filter((s) => !s.subject.startsWith('party:'))
      .map(
        (s) =>
          `                  ${s.subject}: ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}, head ${s.head === null ? 'none' : `entry ${s.head}`}${s.legacy > 0 ? ` (+${s.legacy} from before links, not proved)` : ''}`,
      ),
    ...partyLine(c.subjects.filter((s) => s.subject.startsWith('party:'))),
    `    withheld    ${c.withheld} other entr${c.withheld === 1 ? 'y' : 'ies'} proved included by leaf hash only${legacy > 0 ? `; ${legacy} legacy entries` : ''}`,
  ].join('\n');
}
