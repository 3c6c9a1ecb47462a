import {
  assumptionLine,
  citeLine,
  describeItem,
  type Assumption,
  type Classification,
  type Finding,
  type InferenceNote,
} from '../rules/index.js';
import type { Item, ValidationError } from '../domain/index.js';

const MARK: Record<Finding['outcome'], string> = {
  applies: 'APPLIES',
  excluded: 'excluded',
  'not-yet-effective': 'not yet in force',
  expired: 'expired',
  suspended: 'suspended',
  'below-threshold': 'below threshold',
  'insufficient-data': 'UNDECIDED',
};

/** A classification for people: verdict first, then each finding with its facts and citation. */
export function formatClassification(item: Item, c: Classification): string {
  const lines: string[] = [];
  lines.push(item.description ?? describeItem(item));
  const to = c.destination === undefined ? '' : ` to ${c.destination}`;
  lines.push(`  ${describeItem(item)}, exported from ${c.exportFrom}${to}, as of ${c.asOf}`);
  if (c.domestic === true) {
    lines.push(`NOT AN EXPORT: a transfer within ${c.exportFrom}`);
    lines.push(`  ${c.summary}`);
    lines.push(`rules: ${c.packs.map((p) => `${p.id}@${p.version} (sha256 ${p.sha256.slice(0, 12)}…)`).join(', ')}`);
    return lines.join('\n');
  }
  const notModelled = c.notModelled;
  const modelled = c.modelled;
  lines.push(
    c.controlled
      ? `CONTROLLED: ${c.codes.join(', ')}`
      : c.undetermined
        ? 'UNDECIDED: more data needed'
        : !modelled
          ? 'NOT MODELLED: the packs cannot answer for this item'
          : 'NOT CONTROLLED',
  );
  lines.push(...formatAssumptions(c.assumptions), ...formatInferences(c.inferences));
  for (const f of c.findings) {
    lines.push(`  [${MARK[f.outcome]}] ${f.id}: ${f.title}`);
    for (const e of f.entries) lines.push(`      entry    ${e.ref} — ${e.title}`);
    if (f.facts.length > 0) lines.push(`      because  ${f.facts.join('; ')}`);
    if (f.outcome !== 'applies') lines.push(`      outcome  ${f.reason}`);
    lines.push(`      cite     ${citeLine(f.citation)} [${f.citation.confidence}]`);
  }
  for (const n of notModelled) {
    lines.push(`  [NOT MODELLED] ${n.id}: ${n.title}`);
    if (n.facts.length > 0) lines.push(`      because  ${n.facts.join('; ')}`);
    lines.push(`      why      ${n.reason}`);
    lines.push(`      cite     ${citeLine(n.citation)} [${n.citation.confidence}]`);
  }
  if (c.findings.length === 0 && notModelled.length === 0) lines.push(`  ${c.summary}`);
  lines.push(`rules: ${c.packs.map((p) => `${p.id}@${p.version} (sha256 ${p.sha256.slice(0, 12)}…)`).join(', ')}`);
  return lines.join('\n');
}

/** One prominent line per unverified fact the answer depends on (empty when none). */
export function formatAssumptions(assumptions: readonly Assumption[] | undefined): string[] {
  return (assumptions ?? []).map(
    (a) =>
      `${assumptionLine(a)}\n  (evaluate under another reading with --assume ${a.fact}=${a.alternatives[0]?.reading ?? ''})`,
  );
}

/** One line per inferred modelling choice an "applies" finding rests on. */
export function formatInferences(inferences: readonly InferenceNote[]): string[] {
  return inferences.map(
    (i) =>
      `INFERENCE ${i.id} (${i.entries.join(', ')}; ${i.pack} ${i.packVersion}): ${i.statement}; other reading: ${i.alternative}`,
  );
}

/** At most this many further faults of one input are printed, one line each; the rest are counted. */
export const MAX_FIELD_ERRORS = 20;

/**
 * The lines an input with several faults prints before its one-line summary (which names the first):
 * "field: reason" for each further fault, up to MAX_FIELD_ERRORS, then how many more there are. Empty
 * for an input with one fault. The HTTP API lists the same faults as problem details' `errors`.
 */
export function fieldErrorLines(e: ValidationError, max = MAX_FIELD_ERRORS): string[] {
  const rest = e.errors.slice(1);
  const lines = rest.slice(0, max).map((x) => `${x.field}: ${x.reason}`);
  if (rest.length > max) lines.push(`… and ${rest.length - max} more`);
  return lines;
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const ASSUME_HELP =
  'evaluate with this reading of an unverified fact instead of the pack default, e.g. ann70-after-2026-11-10=extended (repeatable; see `lodestone rules list`)';
