import { citeLine, describeItem, type Classification, type Finding } from '../rules/index.js';
import type { Item } from '../domain/index.js';

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
  lines.push(c.controlled ? `CONTROLLED: ${c.codes.join(', ')}` : c.undetermined ? 'UNDECIDED: more data needed' : !modelled ? 'NOT MODELLED: the packs cannot answer for this item' : 'NOT CONTROLLED');
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
