import { formatMass, formatMoney, formatPpm, type Licence } from '../domain/index.js';
import type { Alert } from './alerts.js';
import type { MassBalance } from './custody.js';
import type { LicenceStatus } from './licensing.js';

export interface NarrativeEvent {
  readonly step: string;
  readonly actor: string;
  readonly outcome: 'accepted' | 'refused' | 'approved' | 'denied' | 'info';
  readonly detail: string;
  readonly reasons?: readonly string[];
}

export interface ScenarioReport {
  readonly generatedAt: string;
  readonly licences: readonly (LicenceStatus & { readonly massBalance: MassBalance })[];
  readonly events: readonly NarrativeEvent[];
  readonly journalEntries: number;
  /** Red flags raised as alerts during the scenario. */
  readonly alerts?: readonly Alert[];
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function utilisation(l: LicenceStatus): string[] {
  const rows = [
    '| Line | Item | Codes | Shipped | Ceiling | Used | Value shipped | Value ceiling | Shipments |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const b of l.balance) {
    const line = l.licence.lines.find((x) => x.ref === b.ref);
    const pct = b.ceilingGrams === 0 ? 0 : Number((BigInt(b.shippedGrams) * 1_000_000n) / BigInt(b.ceilingGrams));
    rows.push(
      `| ${b.ref} | ${esc(line?.description ?? '')} | ${line?.controlCodes.join(', ') ?? ''} | ${formatMass({ grams: b.shippedGrams })} | ${formatMass({ grams: b.ceilingGrams })} | ${formatPpm(pct)} | ${formatMoney({ currency: b.currency, minor: b.shippedValueMinor })} | ${formatMoney({ currency: b.currency, minor: b.ceilingValueMinor })} | ${b.shipments} |`,
    );
  }
  return rows;
}

function conditions(l: Licence): string[] {
  return [
    `- **Holder** ${l.holder} → **consignee** ${l.consignee}, **end user** ${l.endUser}, **destination** ${l.destination}`,
    `- **End use** ${esc(l.endUse.description)} (${l.endUse.purposes.join(', ')})`,
    `- **Valid** ${l.validFrom} to ${l.validUntil} (${l.type} licence)`,
    `- **No re-export to** ${l.prohibitedReexportDestinations.join(', ') || '—'}${l.useOnlyIn ? `; **use only in** ${l.useOnlyIn} (re-export needs ${l.authority}'s consent)` : ''}; undertakings ${l.extendsToIncorporatingProducts ? 'extend' : 'do not extend'} to products that incorporate the items`,
    ...(l.certificateId ? [`- **End-user certificate** ${l.certificateId}`] : []),
    ...l.reportingDuties.map((d) => `- **Reporting** ${d.kind} to ${d.to} within ${d.withinDays} days`),
    ...l.conditions.map((c) => `- ${esc(c)}`),
  ];
}

function balance(m: MassBalance): string[] {
  const rows = [
    '| Holder | Lot | Received | Transformed in | Shipped | of which in transit | of which short at receipt | Transformed out | Consumed ' +
      '| On hand | Gap in own books |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const g = (n: number) => formatMass({ grams: n });
  for (const r of [...m.holders.map((h) => ({ ...h, lotId: '(all)' })), ...m.lots]) {
    rows.push(
      `| ${r.holder} | ${r.lotId ?? ''} | ${g(r.received)} | ${g(r.transformedIn)} | ${g(r.shipped)} | ${g(r.inTransit)} | ${r.shortAtReceipt === 0 ? '0 g' : `**${g(r.shortAtReceipt)}**`} | ${g(r.transformedOut)} | ${g(r.consumed)} | ${g(r.onHand)} | ${r.gap === 0 ? '0' : `**${r.gap} g**`} |`,
    );
  }
  rows.push(
    '',
    `In transit: ${g(m.inTransitGrams)}. Shortfall recorded at receipt: ${g(m.receiptDiscrepancyGrams)}${m.receiptDiscrepancyGrams > 0 ? ' (material shipped that its consignee did not receive: see "short at receipt" for who sent it)' : ''}. "Gap in own books" is what a holder cannot account for among its own receipts, shipments, transformations, consumption and stock. Quantities are grams of the licensed material, wherever it now sits (magnets, or magnets inside motors).`,
  );
  return rows;
}

function alertSection(alerts: readonly Alert[]): string[] {
  const out = [
    '## Alerts',
    '',
    alerts.length === 0
      ? 'No red flag was raised.'
      : '| Alert | Severity | Red flag | Status | Parties | Explanation | Evidence |',
    ...(alerts.length === 0 ? [] : ['|---|---|---|---|---|---|---|']),
  ];
  for (const a of alerts) {
    const t = Object.entries(a.thresholds)
      .map(([k, v]) => `${k} ${Array.isArray(v) ? (v as unknown[]).join(', ') : String(v)}`)
      .join('; ');
    out.push(
      `| ${a.id} | ${a.severity} | ${a.rule} | ${a.status} | ${a.parties.join(', ')} | ${esc(a.explanation)} | journal ${a.evidence.seqs.join(', ') || '—'}<br>${a.evidence.records.map(esc).join('<br>')}<br>thresholds: ${esc(t)}<br>rules: ${a.ruleSet} |`,
    );
  }
  out.push('');
  return out;
}

/** The scenario report for a compliance officer, as Markdown. */
export function renderReport(r: ScenarioReport): string {
  const out: string[] = [
    '# Lodestone — licence and custody report',
    '',
    `Generated ${r.generatedAt}. The journal holds ${r.journalEntries} signed records.`,
    '',
  ];
  for (const l of r.licences) {
    out.push(
      `## Licence ${l.licence.id} (${l.status})`,
      '',
      ...conditions(l.licence),
      '',
      '### Utilisation',
      '',
      ...utilisation(l),
      '',
      '### Mass balance',
      '',
      ...balance(l.massBalance),
      '',
    );
  }
  if (r.alerts !== undefined) out.push(...alertSection(r.alerts));
  out.push('## Steps and decisions', '', '| Step | By | Outcome | Detail |', '|---|---|---|---|');
  for (const e of r.events.filter((x) => x.outcome !== 'refused'))
    out.push(
      `| ${esc(e.step)} | ${e.actor} | ${e.outcome} | ${esc(e.detail)}${e.reasons?.length ? `<br>${e.reasons.map((x) => `· ${esc(x)}`).join('<br>')}` : ''} |`,
    );
  out.push('', '## Refusals', '');
  for (const e of r.events.filter((x) => x.outcome === 'refused')) {
    out.push(
      `### ${e.step}`,
      '',
      `Requested by ${e.actor}: ${esc(e.detail)}`,
      '',
      ...(e.reasons ?? []).map((x) => `- ${x}`),
      '',
    );
  }
  return `${out.join('\n')}\n`;
}
