/**
 * EPCIS 2.0 commands: `epcis capture`, `epcis query`, `epcis export`, `epcis link`. Registered on the
 * program by `registerEpcisCommands(program, { io, withApp })` from main.ts.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  captureEpcis,
  exportEpcis,
  linkLotToEpc,
  queryEpcis,
  type AppContext,
  type CapturedEventOutcome,
  type EpcisQuery,
} from '../app/index.js';
import { ValidationError } from '../domain/index.js';
import { EPCIS_MAX_DOCUMENT_BYTES, EpcisSchemaError } from '../epcis/index.js';

export interface EpcisCommandDeps {
  readonly io: { readonly out: NodeJS.WritableStream; readonly err: NodeJS.WritableStream };
  /** Opens the application context (store, keys) for the action and closes it after. */
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
}

/** Documents larger than this are refused before they are read (the HTTP API answers 413). */
export const MAX_EPCIS_BYTES = EPCIS_MAX_DOCUMENT_BYTES;

function line(out: NodeJS.WritableStream, text: string): void {
  out.write(`${text}\n`);
}

/** Parses JSON text; a syntax error names the file, the line and the column. */
export function parseJsonAt(text: string, name: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg)?.[1];
    const lc = /line (\d+) column (\d+)/.exec(msg);
    let where: string;
    if (lc) where = `line ${lc[1] ?? '?'}, column ${lc[2] ?? '?'}`;
    else {
      const offset = pos === undefined ? text.length : Number(pos);
      const before = text.slice(0, offset);
      const l = before.split('\n').length;
      where = `line ${l}, column ${offset - before.lastIndexOf('\n')}`;
    }
    throw new ValidationError(
      name,
      `is not valid JSON at ${where} (${msg.replace(/ in JSON at position \d+.*$/, '').replace(/, "[\s\S]*" is not valid JSON$/, '')})`,
    );
  }
}

/** Reads an EPCIS document from a file: refused over 50 MB before reading, JSON errors with line and column. */
export function readEpcisFile(path: string): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new ValidationError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > MAX_EPCIS_BYTES)
    throw new ValidationError(
      path,
      `is ${(size / 1024 / 1024).toFixed(1)} MB; EPCIS documents over ${MAX_EPCIS_BYTES / 1024 / 1024} MB are refused (split it into smaller capture documents)`,
    );
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValidationError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseJsonAt(text, path);
}

const STATUS: Record<CapturedEventOutcome['status'], string> = {
  mapped: 'MAPPED',
  evidence: 'evidence',
  untracked: 'untracked',
  duplicate: 'duplicate',
  retraction: 'retraction',
};

function outcomeLine(e: CapturedEventOutcome): string {
  const what = `${e.eventType}${e.bizStep === undefined ? '' : ` ${e.bizStep}`}`;
  return `#${e.index} ${STATUS[e.status].padEnd(10)} ${what}${e.use === undefined ? '' : ` → ${e.use}`}: ${e.note}${e.seq === undefined ? '' : ` (journal entry ${e.seq})`}`;
}

const many = (v: string, prev: string[] = []) => [...prev, v];

export function registerEpcisCommands(program: Command, { io, withApp }: EpcisCommandDeps): void {
  const epcis = program
    .command('epcis')
    .description(
      "GS1 EPCIS 2.0: capture events (custody ones mapped onto lots and shipments), query them, export a licence's custody chain",
    );

  epcis
    .command('capture')
    .description(
      'capture an EPCIS 2.0 JSON / JSON-LD document (EPCISDocument, EPCISQueryDocument or one event) as PARTY: validated against the official schema, then each event mapped onto custody, kept as evidence, or answered as a duplicate; all or nothing',
    )
    .argument('<file>', 'the EPCIS document (at most 50 MB)')
    .requiredOption('--as <party>', 'the registered party that captures (and signs)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { as: string; json?: boolean }) => {
      const doc = readEpcisFile(file);
      let r;
      try {
        r = await withApp((ctx) => captureEpcis(ctx, o.as, doc));
      } catch (e) {
        // Every violation, each naming the file: main prints the further ones, one line each, before this summary.
        if (e instanceof EpcisSchemaError)
          throw new ValidationError(
            `${file}: ${e.field ?? 'document'}`,
            e.message.slice((e.field ?? '').length + 2),
            e.errors.slice(1).map((x) => ({ field: `${file}: ${x.field}`, reason: x.reason })),
          );
        throw e;
      }
      if (o.json) {
        line(io.out, JSON.stringify(r, null, 2));
        return;
      }
      for (const e of r.events) line(io.out, outcomeLine(e));
      const count = (s: CapturedEventOutcome['status']) => r.events.filter((e) => e.status === s).length;
      line(
        io.out,
        `${r.events.length} event${r.events.length === 1 ? '' : 's'}: ${count('mapped')} mapped onto custody, ${count('evidence')} kept as evidence, ${count('untracked')} untracked, ${count('retraction')} error declaration${count('retraction') === 1 ? '' : 's'}, ${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}`,
      );
    });

  epcis
    .command('query')
    .description(
      'captured events matching EPCIS 2.0 query parameters (eventType, EQ_bizStep, MATCH_epc / MATCH_anyEPC, GE_eventTime / LT_eventTime, EQ_bizLocation); repeat an option for OR',
    )
    .option(
      '--event-type <type>',
      'ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent',
      many,
    )
    .option('--biz-step <step>', 'a CBV term (shipping) or IRI', many)
    .option('--epc <id>', 'an EPC URN, Digital Link or class pattern (urn:epc:idpat:sgtin:CP.IR.*): MATCH_epc', many)
    .option('--any-epc <id>', 'as --epc, also parent, input and output identifiers: MATCH_anyEPC', many)
    .option('--from <iso>', 'events at or after this time (GE_eventTime)')
    .option('--to <iso>', 'events before this time (LT_eventTime)')
    .option('--biz-location <id>', 'EQ_bizLocation (SGLN URN or GLN Digital Link)', many)
    .option('--limit <n>', 'at most this many events', '1000')
    .option('--json', 'print the events as JSON')
    .action(
      async (o: {
        eventType?: string[];
        bizStep?: string[];
        epc?: string[];
        anyEpc?: string[];
        from?: string;
        to?: string;
        bizLocation?: string[];
        limit: string;
        json?: boolean;
      }) => {
        const limit = Number(o.limit);
        if (!/^\d+$/.test(o.limit) || limit < 1)
          throw new ValidationError('--limit', `must be a positive whole number, got ${JSON.stringify(o.limit)}`);
        const q: EpcisQuery = {
          ...(o.eventType ? { eventType: o.eventType } : {}),
          ...(o.bizStep ? { EQ_bizStep: o.bizStep } : {}),
          ...(o.epc ? { MATCH_epc: o.epc } : {}),
          ...(o.anyEpc ? { MATCH_anyEPC: o.anyEpc } : {}),
          ...(o.from === undefined ? {} : { GE_eventTime: o.from }),
          ...(o.to === undefined ? {} : { LT_eventTime: o.to }),
          ...(o.bizLocation ? { EQ_bizLocation: o.bizLocation } : {}),
          limit,
        };
        const r = await withApp((ctx) => queryEpcis(ctx, q));
        if (o.json) {
          line(io.out, JSON.stringify(r, null, 2));
          return;
        }
        for (const e of r.events)
          line(
            io.out,
            `${e.eventTime}  ${e.eventType.padEnd(19)} ${(e.bizStep ?? '').padEnd(22)} ${e.disposition.padEnd(9)}${e.retracted ? ' RETRACTED' : ''}${e.kind === 'error-declaration' ? ' (error declaration)' : ''}  ${e.capturedBy}  ${e.hashId}`,
          );
        line(io.out, `${r.events.length} event${r.events.length === 1 ? '' : 's'}`);
      },
    );

  epcis
    .command('export')
    .description(
      "write the licence's whole custody chain (lot creations, shipments, receipts, transformations, consumption) as an EPCIS 2.0 document, validated against the official schema",
    )
    .requiredOption('--licence <id>', 'the licence')
    .option('--out <file>', 'write the document here (default: standard output)')
    .action(async (o: { licence: string; out?: string }) => {
      const doc = await withApp((ctx) => exportEpcis(ctx, o.licence));
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (o.out === undefined) {
        io.out.write(text);
        return;
      }
      writeFileSync(o.out, text);
      const n = (doc as { epcisBody: { eventList: unknown[] } }).epcisBody.eventList.length;
      line(io.out, `${n} event${n === 1 ? '' : 's'} of licence ${o.licence} written to ${o.out}`);
    });

  epcis
    .command('link')
    .description(
      'link a lot PARTY holds to an EPC identifier (LGTIN or SGTIN, as an EPC URN or GS1 Digital Link), so EPCIS events about it are mapped onto custody',
    )
    .argument('<lot>')
    .argument('<epc>')
    .requiredOption('--as <party>', 'the holder of the lot')
    .option(
      '--since <iso>',
      'the time from which the lot exists (events before it are refused); not after now, at most 3 days before the lot was recorded (the default)',
    )
    .action(async (lot: string, epc: string, o: { as: string; since?: string }) => {
      const since = o.since === undefined ? undefined : new Date(o.since);
      if (since !== undefined && Number.isNaN(since.getTime()))
        throw new ValidationError('--since', `must be an ISO 8601 date-time, got ${JSON.stringify(o.since)}`);
      const r = await withApp((ctx) =>
        linkLotToEpc(ctx, o.as, { lotId: lot, epc, ...(since === undefined ? {} : { since: since.toISOString() }) }),
      );
      line(io.out, `lot ${lot} linked to ${r.epc} (journal entry ${r.seq})`);
    });
}
