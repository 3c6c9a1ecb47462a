import type { Command } from 'commander';
import {
  checkExport,
  consumeLot,
  createLot,
  decideApplication,
  dispatchShipment,
  getLicence,
  impact,
  listAlerts,
  listLots,
  massBalance,
  receiveShipment,
  submitApplication,
  transformLots,
  type AppContext,
} from '../app/index.js';
import { count, formatMass, formatMoney, formatPpm, ValidationError } from '../domain/index.js';
import { AnswerStatus, EXIT } from './exit.js';
import { readJsonFile } from './files.js';
import { ASSUME_HELP, collect, formatAssumptions } from './format.js';
import { parseReadings } from '../rules/index.js';

export interface CliDeps {
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  readonly print: (text: string) => void;
}

/** A restriction's share of its lot: by mass, and by value when both values are known. */
function share(r: { licenceId: string; massSharePpm: number; valueSharePpm?: number }): string {
  const value = r.valueSharePpm === undefined ? 'value unknown' : `${formatPpm(r.valueSharePpm)} by value`;
  return `${r.licenceId} (${formatPpm(r.massSharePpm)} by mass, ${value})`;
}

function requireAs(as: string | undefined): string {
  if (as === undefined) throw new ValidationError('--as', 'is required: the party that acts (and signs)');
  return as;
}

/** Licensing and custody commands: apply, decide, licence, lots, ship, receive, transform, consume, check, mass-balance. */
export function registerLicensingCommands(program: Command, { withApp, print }: CliDeps): void {
  program
    .command('apply')
    .description(
      'an exporter applies for a licence (application JSON: authority, applicant, importer, endUser, destination, endUse, licenceType, lines, certificateId, validFrom, validUntil); prints the assessment',
    )
    .argument('<application.json>')
    .option('--json', 'print as JSON')
    .option('--assume <fact=reading>', ASSUME_HELP, collect, [])
    .action(async (file: string, o: { json?: boolean; assume: string[] }) => {
      const input = readJsonFile(file);
      const r = await withApp((ctx) =>
        submitApplication(ctx, input, { readings: parseReadings(ctx.packs(), o.assume, '--assume') }),
      );
      if (o.json) {
        print(JSON.stringify(r, null, 2));
        return;
      }
      print(
        [
          `application ${r.id} (journal entry ${r.seq}): recommendation ${r.assessment.recommendation.toUpperCase()}`,
          ...formatAssumptions(r.assessment.assumptions),
          ...r.assessment.reasons.map((x) => `  - ${x}`),
        ].join('\n'),
      );
    });

  program
    .command('decide')
    .description(
      'the licensing authority decides an application: --approve CONDITIONS.json, --deny REASON…, or --request-info QUESTION…',
    )
    .argument('<application-id>')
    .requiredOption('--as <authority>', 'the authority deciding')
    .option(
      '--approve <conditions.json>',
      'approve with these conditions (prohibitedReexportDestinations, useOnlyIn, validUntil, ceilings, reportingDuties, conditions)',
    )
    .option('--deny <reason...>', 'deny, with reasons')
    .option('--request-info <question...>', 'ask the applicant for more information')
    .option('--json', 'print as JSON')
    .action(
      async (
        id: string,
        o: { as: string; approve?: string; deny?: string[]; requestInfo?: string[]; json?: boolean },
      ) => {
        const chosen = [o.approve, o.deny, o.requestInfo].filter((x) => x !== undefined).length;
        if (chosen !== 1)
          throw new ValidationError('decision', 'give exactly one of --approve, --deny, --request-info');
        const input =
          o.approve !== undefined
            ? { decision: 'approve' as const, conditions: readJsonFile(o.approve) }
            : o.deny !== undefined
              ? { decision: 'deny' as const, reasons: o.deny }
              : { decision: 'request-info' as const, questions: o.requestInfo ?? [] };
        const r = await withApp((ctx) => decideApplication(ctx, o.as, id, input));
        print(
          o.json
            ? JSON.stringify(r, null, 2)
            : [
                `application ${id}: ${r.decision}${r.licence ? ` — licence ${r.licence.id}, valid ${r.licence.validFrom} to ${r.licence.validUntil}` : ''} (journal entry ${r.seq})`,
                ...formatAssumptions(r.assumptions),
              ].join('\n'),
        );
      },
    );

  program
    .command('licence')
    .description(
      'show a licence: conditions, balance per line, the mass balance of the licensed material (in transit, ' +
        'short at receipt) and its alerts',
    )
    .argument('<licence-id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withApp(async (ctx) => {
        const l = await getLicence(ctx, id);
        const m = await massBalance(ctx, id);
        const alerts = await listAlerts(ctx, { licenceId: id });
        if (o.json) {
          print(JSON.stringify({ ...l, massBalance: m, alerts }, null, 2));
          return;
        }
        const L = l.licence;
        print(
          `${L.id} (${l.status}) ${L.holder} → ${L.consignee} (${L.destination}), end user ${L.endUser}; valid ${L.validFrom} to ${L.validUntil}`,
        );
        if (l.suspension)
          print(
            `  SUSPENDED since journal entry ${l.suspension.seq}: ${l.suspension.reason}; no shipment under it is accepted`,
          );
        print(
          `  no re-export to ${L.prohibitedReexportDestinations.join(', ') || '—'}${L.useOnlyIn ? `; use only in ${L.useOnlyIn}` : ''}`,
        );
        for (const b of l.balance) {
          const pct = b.ceilingGrams === 0 ? 0 : Number((BigInt(b.shippedGrams) * 1_000_000n) / BigInt(b.ceilingGrams));
          print(
            `  line ${b.ref}: ${formatMass({ grams: b.shippedGrams })} of ${formatMass({ grams: b.ceilingGrams })} shipped (${formatPpm(pct)}), ${formatMoney({ currency: b.currency, minor: b.shippedValueMinor })} of ${formatMoney({ currency: b.currency, minor: b.ceilingValueMinor })}, ${count(b.shipments, 'shipment')}`,
          );
        }
        const g = (grams: number) => formatMass({ grams });
        for (const h of m.holders) {
          const sent =
            h.inTransit + h.shortAtReceipt === 0
              ? ''
              : ` (of the shipped: ${g(h.inTransit)} in transit, ${g(h.shortAtReceipt)} short at receipt)`;
          print(
            `  mass balance ${h.holder}: in ${g(h.received + h.transformedIn)}, out ${g(h.shipped + h.transformedOut + h.consumed)}${sent}, ` +
              `on hand ${g(h.onHand)}, gap in own books ${g(h.gap)}`,
          );
        }
        print(`  between holders: ${g(m.inTransitGrams)} in transit, ${g(m.receiptDiscrepancyGrams)} short at receipt`);
        const open = alerts.filter((a) => a.status === 'open').length;
        print(
          `  ${count(alerts.length, 'alert')}${alerts.length === 0 ? '' : ` (${open} open)`}${alerts.length === 0 ? '' : ':'}`,
        );
        for (const a of alerts)
          print(`    ${a.id} ${a.severity.toUpperCase()} ${a.rule} (${a.status}): ${a.explanation}`);
      });
    });

  const lots = program.command('lots').description("lots: quantities of an item in one holder's custody");
  lots
    .command('create')
    .description('register stock a party holds (lot JSON: id, holder, location, item, massGrams, units?, value?)')
    .argument('<lot.json>')
    .requiredOption('--as <party>', 'the holder')
    .action(async (file: string, o: { as: string }) => {
      const input = readJsonFile(file);
      const lot = await withApp((ctx) => createLot(ctx, o.as, input));
      print(`lot ${lot.id}: ${formatMass({ grams: lot.massGrams })} held by ${lot.holder} in ${lot.location}`);
    });
  lots
    .command('list')
    .description('list lots with the restrictions they carry')
    .option('--holder <party>', 'only the lots this party holds')
    .option('--licence <id>', "only the lots that carry this licence's restrictions")
    .option('--json', 'print as JSON')
    .action(async (o: { holder?: string; licence?: string; json?: boolean }) => {
      const all = await withApp((ctx) =>
        listLots(ctx, {
          ...(o.holder === undefined ? {} : { holder: o.holder }),
          ...(o.licence === undefined ? {} : { licenceId: o.licence }),
        }),
      );
      if (o.json) {
        print(JSON.stringify(all, null, 2));
        return;
      }
      for (const l of all)
        print(
          `${l.id.padEnd(20)} ${l.holder.padEnd(28)} ${l.location} ${formatMass({ grams: l.massGrams }).padStart(10)}  ${l.restrictions.map(share).join(', ')}`,
        );
    });

  const custody = (
    name: string,
    description: string,
    argName: string,
    fn: (ctx: AppContext, actor: string, input: unknown) => Promise<unknown>,
    summary: (r: never) => string,
  ) => {
    program
      .command(name)
      .description(description)
      .argument(argName)
      .option('--as <party>', 'the party that acts and signs')
      .option('--json', 'print as JSON')
      .action(async (file: string, o: { as?: string; json?: boolean }) => {
        const actor = requireAs(o.as);
        const input = readJsonFile(file);
        const r = await withApp((ctx) => fn(ctx, actor, input));
        print(o.json ? JSON.stringify(r, null, 2) : summary(r as never));
      });
  };
  custody(
    'ship',
    'ship part of a lot (shipment JSON: id, fromLot, to, destination, grams, value?, licenceId?, lineRef?); refused with the rule and the chain when any upstream undertaking, licence condition or rule forbids it',
    '<shipment.json>',
    dispatchShipment,
    (r: { shipmentId: string; seq: number; checks: string[] }) =>
      `shipment ${r.shipmentId} dispatched (journal entry ${r.seq})\n${r.checks.map((c) => `  ✓ ${c}`).join('\n')}`,
  );
  custody(
    'receive',
    'take custody of a shipment (receipt JSON: shipmentId, lotId, receivedGrams)',
    '<receipt.json>',
    receiveShipment,
    (r: { lot: { id: string; massGrams: number }; discrepancyGrams: number }) =>
      `lot ${r.lot.id}: ${formatMass({ grams: r.lot.massGrams })} received${r.discrepancyGrams !== 0 ? `; discrepancy ${r.discrepancyGrams} g recorded` : ''}`,
  );
  custody(
    'transform',
    'turn input lots into output lots (transformation JSON: id, inputs, otherInputsGrams, outputs with embodies)',
    '<transformation.json>',
    transformLots,
    (r: { outputs: { id: string; massGrams: number }[] }) =>
      `made ${r.outputs.map((o) => `${o.id} (${formatMass({ grams: o.massGrams })})`).join(', ')}`,
  );
  custody(
    'consume',
    'use up material (consumption JSON: lotId, grams, purpose)',
    '<consumption.json>',
    consumeLot,
    (r: { seq: number }) => `consumed (journal entry ${r.seq})`,
  );

  program
    .command('check')
    .description(
      'may this lot go to this party in this country? Prints the answer and the explanation chain; ' +
        'writes nothing. Exit 0 when ALLOWED, 7 when REFUSED',
    )
    .argument('<lot-id>', 'the lot to send (lodestone lots list)')
    .requiredOption('--to <party>', 'the registered party that would receive it')
    .requiredOption('--destination <country>', 'the country it would go to (ISO 3166-1 alpha-2)')
    .option('--grams <n>', 'how much of the lot, in whole grams (default: all of it)')
    .option('--json', 'print the answer as JSON (same exit statuses)')
    .option('--assume <fact=reading>', ASSUME_HELP, collect, [])
    .action(
      async (
        lotId: string,
        o: { to: string; destination: string; grams?: string; json?: boolean; assume: string[] },
      ) => {
        const grams = o.grams === undefined ? undefined : Number(o.grams);
        if (grams !== undefined && (!Number.isSafeInteger(grams) || grams <= 0))
          throw new ValidationError('--grams', `must be a positive whole number, got ${JSON.stringify(o.grams)}`);
        const r = await withApp((ctx) =>
          checkExport(ctx, {
            lotId,
            to: o.to,
            destination: o.destination,
            readings: parseReadings(ctx.packs(), o.assume, '--assume'),
            ...(grams === undefined ? {} : { grams }),
          }),
        );
        if (o.json) {
          print(JSON.stringify(r, null, 2));
          if (!r.allowed) throw new AnswerStatus(EXIT.refused);
          return;
        }
        print(
          r.allowed
            ? `ALLOWED: ${lotId} → ${o.to} (${o.destination})`
            : `REFUSED: ${lotId} → ${o.to} (${o.destination})`,
        );
        for (const a of formatAssumptions(r.assumptions)) print(a);
        for (const x of r.refusals) print(`  ✗ ${x.rule}: ${x.message}`);
        for (const c of r.checks) print(`  ✓ ${c}`);
        if (!r.allowed) throw new AnswerStatus(EXIT.refused);
      },
    );

  program
    .command('impact')
    .description(
      'what changes between today and a date, with a new rule-pack version (--new-rules) or under another reading of an unverified fact (--assume): every recorded classification, open lot and licence line whose classification changes, with the rules that change it',
    )
    .option('--as-of <YYYY-MM-DD>', 'the date to compare with (default: the from-date)')
    .option('--from-date <YYYY-MM-DD>', 'compare from this date instead of today')
    .option('--new-rules <dir>', 'evaluate the later side with the rule packs in this directory (a new pack version)')
    .option(
      '--assume <fact=reading>',
      'evaluate the later side with this reading of an unverified fact (repeatable)',
      collect,
      [],
    )
    .option('--json', 'print as JSON')
    .action(async (o: { asOf?: string; fromDate?: string; newRules?: string; assume: string[]; json?: boolean }) => {
      const r = await withApp((ctx) =>
        impact(ctx, {
          assume: o.assume,
          ...(o.asOf === undefined ? {} : { asOf: o.asOf }),
          ...(o.fromDate === undefined ? {} : { from: o.fromDate }),
          ...(o.newRules === undefined ? {} : { newRulesDir: o.newRules }),
        }),
      );
      if (o.json) {
        print(JSON.stringify(r, null, 2));
        return;
      }
      const assumed = Object.entries(r.readingsAfter)
        .map(([f, v]) => `${f} = ${v}`)
        .join(', ');
      print(
        `${r.changes.length} of ${r.examined} items change between ${r.from} (${r.packsBefore.join(', ')}) and ${r.to} (${r.packsAfter.join(', ')}${assumed ? `, assuming ${assumed}` : ''})`,
      );
      for (const c of r.changes) {
        print(
          `  ${c.kind} ${c.ref}: ${c.description} (from ${c.exportFrom}): ${c.before.controlled ? c.before.codes.join(', ') : 'not controlled'} → ${c.after.controlled ? c.after.codes.join(', ') : 'not controlled'}`,
        );
        for (const x of c.rules) print(`      ${x}`);
      }
    });
}
