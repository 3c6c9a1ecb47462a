/**
 * Monitoring commands: `alerts` (list), `alerts scan`, `alerts show`, `alerts resolve`,
 * `alerts dismiss`, `alerts assign`, and `report file`. Registered on the program by `registerAlertCommands(program, deps)` from main.ts.
 */
import type { Command } from 'commander';
import {
  assignAlert,
  dismissAlert,
  fileReport,
  getAlert,
  listAlerts,
  resolveAlert,
  scanAlerts,
  type Alert,
  type AppContext,
} from '../app/index.js';
import { count, dateNotAfter, todayUtc, ValidationError } from '../domain/index.js';
import { readJsonFile } from './files.js';

export interface AlertCommandDeps {
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  readonly print: (text: string) => void;
}

function status(s: string | undefined): 'open' | 'resolved' | 'dismissed' | undefined {
  if (s === undefined || s === 'all') return undefined;
  if (s !== 'open' && s !== 'resolved' && s !== 'dismissed')
    throw new ValidationError('--status', `must be open, resolved, dismissed or all, got ${JSON.stringify(s)}`);
  return s;
}

function row(a: Alert): string {
  return `${a.id}  ${a.severity.toUpperCase().padEnd(8)} ${a.rule.padEnd(28)} ${(a.licenceId ?? '—').padEnd(24)} ${a.status.padEnd(8)} ${a.raisedAt.slice(0, 10)}\n    ${a.explanation}\n    evidence: journal ${a.evidence.seqs.join(', ') || '—'}; ${a.evidence.records.join('; ')}`;
}

function detail(a: Alert): string {
  const t = a.thresholdsInWords.join('; ');
  return [
    `${a.id} (journal entry ${a.seq}) ${a.severity.toUpperCase()} ${a.rule} — ${a.status}`,
    `  licence    ${a.licenceId ?? '—'}`,
    `  parties    ${a.parties.join(', ')}`,
    `  raised     ${a.raisedAt} by ${a.raisedBy} on ${a.trigger}, under ${a.ruleSet}`,
    `  why        ${a.explanation}`,
    `  evidence   journal entries ${a.evidence.seqs.join(', ') || '—'}`,
    ...a.evidence.records.map((r) => `             ${r}`),
    `  thresholds ${t || '—'}`,
    ...(a.assignment
      ? [`  assigned   to ${a.assignment.to} by ${a.assignment.by} (journal entry ${a.assignment.seq})`]
      : []),
    ...(a.resolution
      ? [`  ${a.status.padEnd(10)} by ${a.resolution.by} (journal entry ${a.resolution.seq}): ${a.resolution.note}`]
      : []),
  ].join('\n');
}

export function registerAlertCommands(program: Command, { withApp, print }: AlertCommandDeps): void {
  const alerts = program
    .command('alerts')
    .description(
      'diversion red flags raised as alerts: list them, scan for new ones as of a date, assign, resolve or dismiss them',
    );
  alerts
    .command('list', { isDefault: true })
    .description('list alerts (the default: `lodestone alerts [--licence ID] [--severity S]`)')
    .option('--licence <id>', 'only alerts about this licence')
    .option('--severity <level>', 'at least this severity: info, warning, high or critical')
    .option('--status <status>', 'open, resolved, dismissed or all', 'all')
    .option('--json', 'print one JSON object per line')
    .action(async (o: { licence?: string; severity?: string; status?: string; json?: boolean }) => {
      const all = await withApp((ctx) =>
        listAlerts(ctx, { licenceId: o.licence, severity: o.severity, status: status(o.status) }),
      );
      if (o.json) {
        for (const a of all) print(JSON.stringify(a));
        return;
      }
      if (all.length === 0) {
        print('no alerts');
        return;
      }
      for (const a of all) print(row(a));
      print(`${all.length} alert${all.length === 1 ? '' : 's'}`);
    });
  alerts
    .command('scan')
    .description(
      'run every red-flag detector over every licence as of a date (default today) and raise the new findings as alerts',
    )
    .option(
      '--as-of <YYYY-MM-DD>',
      'judge dates (report deadlines, the annual window) as of this day, today or earlier',
    )
    .option('--licence <id>', 'only this licence')
    .option('--json', 'print the result as JSON')
    .action(async (o: { asOf?: string; licence?: string; json?: boolean }) => {
      const asOf = o.asOf === undefined ? undefined : dateNotAfter(o.asOf, todayUtc(), '--as-of');
      const r = await withApp((ctx) => scanAlerts(ctx, { asOf, licenceId: o.licence }));
      if (o.json) {
        print(JSON.stringify(r, null, 2));
        return;
      }
      print(
        `scanned ${r.licences} licence${r.licences === 1 ? '' : 's'} and ${count(r.shipments, 'shipment')} as of ${r.asOf}: ${count(r.findings, 'finding')}, ${r.raised.length} new alert${r.raised.length === 1 ? '' : 's'}, ${r.duplicates} already raised${r.deferred > 0 ? `, ${r.deferred} not raised here (the licensing authority's key is not on this node)` : ''}`,
      );
      for (const a of r.raised) print(row(a));
    });
  alerts
    .command('show')
    .description('show one alert with its evidence and thresholds')
    .argument('<alert-id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const a = await withApp((ctx) => getAlert(ctx, id));
      print(o.json ? JSON.stringify(a, null, 2) : detail(a));
    });
  alerts
    .command('resolve')
    .description('an officer of the licensing authority closes an alert with a note (journalled)')
    .argument('<alert-id>')
    .requiredOption('--as <party>', 'the authority resolving the alert')
    .requiredOption('--note <text>', 'what was found and done')
    .action(async (id: string, o: { as: string; note: string }) => {
      const r = await withApp((ctx) => resolveAlert(ctx, o.as, id, o.note));
      print(`alert ${r.alert.id} resolved by ${o.as} (journal entry ${r.seq})`);
    });
  alerts
    .command('dismiss')
    .description('an officer of the licensing authority closes an alert as no concern, with the reason (journalled)')
    .argument('<alert-id>')
    .requiredOption('--as <party>', 'the authority dismissing the alert')
    .requiredOption('--reason <text>', 'why it is no concern (a false positive, an explained gap)')
    .action(async (id: string, o: { as: string; reason: string }) => {
      const r = await withApp((ctx) => dismissAlert(ctx, o.as, id, o.reason));
      print(`alert ${r.alert.id} dismissed by ${o.as} (journal entry ${r.seq})`);
    });
  alerts
    .command('assign')
    .description('the licensing authority gives an open alert to a person to work (journalled)')
    .argument('<alert-id>')
    .requiredOption('--as <party>', 'the authority assigning the alert')
    .requiredOption('--to <person>', 'who works it: a name or e-mail')
    .option('--note <text>', 'why, or what to look at')
    .action(async (id: string, o: { as: string; to: string; note?: string }) => {
      const r = await withApp((ctx) => assignAlert(ctx, o.as, id, o.to, o.note));
      print(`alert ${r.alert.id} assigned to ${o.to} by ${o.as} (journal entry ${r.seq})`);
    });

  const report = program.command('report').description('reports that licences require of importers and end users');
  report
    .command('file')
    .description(
      'file a post-shipment (delivery verification) report (JSON: shipmentId, receivedGrams, installedIn?, location, date, kind?, note?); a late one raises an alert',
    )
    .argument('<report.json>')
    .requiredOption('--as <party>', 'the consignee or end user filing it (and signing)')
    .option('--json', 'print as JSON')
    .action(async (file: string, o: { as: string; json?: boolean }) => {
      const input = readJsonFile(file);
      const r = await withApp((ctx) => fileReport(ctx, o.as, input));
      if (o.json) {
        print(JSON.stringify(r, null, 2));
        return;
      }
      print(
        `report ${r.id} on shipment ${r.shipmentId}${r.licenceId ? ` (licence ${r.licenceId})` : ''} filed (journal entry ${r.seq})`,
      );
      for (const a of r.alerts) print(row(a));
    });
}
