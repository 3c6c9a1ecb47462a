/**
 * Screening commands: `lists import`, `lists list` and `screen`. Registered on the program by
 * `registerScreeningCommands(program, { io, withApp })` from main.ts.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  importList,
  listEffect,
  listFormat,
  listSnapshots,
  REVIEW_DECISIONS,
  reviewScreeningHit,
  screenNames,
  screenParty,
  screeningReviews,
  type ScreeningHit,
  screenNamesInFile,
  screeningThreshold,
  type AppContext,
  type NameScreening,
} from '../app/index.js';
import { count, country, ValidationError } from '../domain/index.js';
import { progress } from './progress.js';

export interface ScreeningCommandDeps {
  readonly io: { readonly out: NodeJS.WritableStream; readonly err: NodeJS.WritableStream };
  /** Opens the application context (store, keys) for the action and closes it after. */
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
}

/** Skipped rows printed one per line before the rest are summarised. */
const MAX_ROW_ERRORS = 20;

function line(out: NodeJS.WritableStream, text: string): void {
  out.write(`${text}\n`);
}

function readNames(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValidationError('--names', `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positive(s: string, field: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < 1)
    throw new ValidationError(field, `must be a positive whole number, got ${JSON.stringify(s)}`);
  return n;
}

export function registerScreeningCommands(program: Command, deps: ScreeningCommandDeps): void {
  const { io, withApp } = deps;
  const lists = program
    .command('lists')
    .description('restricted-party lists: import snapshots, show the ones in force');

  lists
    .command('import')
    .description(
      'import a restricted-party list as a new snapshot (journalled with its delta against the previous one); unchanged content is reported and not re-imported',
    )
    .argument('<file>', 'the list file (sdn.csv, the UN XML, FtM JSON lines, or the plain CSV)')
    .requiredOption('--format <format>', 'sdn-csv | un-xml | ftm-json | csv')
    .requiredOption('--list <name>', 'the list name, such as ofac-sdn or cn-mofcom-ecl')
    .requiredOption('--actor <party>', 'the registered party that signs the import record')
    .option('--alt <alt.csv>', 'OFAC alternate names (with --format sdn-csv)')
    .option('--add <add.csv>', 'OFAC addresses (with --format sdn-csv)')
    .option('--authority <name>', 'who issued the list, e.g. "MOFCOM" or "US Treasury OFAC"')
    .option(
      '--effect <effect>',
      "its legal effect: deny (e.g. China's Control List), review (its Concern List: case-by-case) or information (a foreign list; the default). deny and review need --country, and --actor listed in the trust list as licensing authority for it",
    )
    .option(
      '--country <CC>',
      'the export regime (ISO country) whose authority gives the list its effect (with --effect deny or review)',
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        file: string,
        opts: {
          format: string;
          list: string;
          actor: string;
          alt?: string;
          add?: string;
          authority?: string;
          effect?: string;
          country?: string;
          json?: boolean;
        },
      ) => {
        const format = listFormat(opts.format, '--format');
        const effect = opts.effect === undefined ? undefined : listEffect(opts.effect, '--effect');
        // Row-level progress on a terminal (nothing when stderr is piped): large lists take a while.
        const p = progress(`${opts.list}: rows parsed`, io.err);
        let r;
        try {
          r = await withApp((ctx) =>
            importList(ctx, {
              path: file,
              format,
              list: opts.list,
              actor: opts.actor,
              alt: opts.alt,
              add: opts.add,
              authority: opts.authority,
              effect,
              country: opts.country,
              onProgress: (done, total) => {
                p.update(done, total);
              },
            }),
          );
        } finally {
          p.finish();
        }
        for (const e of r.errors.slice(0, MAX_ROW_ERRORS))
          line(io.err, `${file}: line ${e.line}: ${e.reason} (row skipped)`);
        if (r.errors.length > MAX_ROW_ERRORS)
          line(io.err, `${file}: … and ${r.errors.length - MAX_ROW_ERRORS} more rows skipped`);
        if (opts.json) {
          line(io.out, JSON.stringify({ ...r, errors: r.errors }, null, 2));
          return;
        }
        const skipped = r.errors.length > 0 ? `, ${count(r.errors.length, 'row')} skipped` : '';
        const legal = `effect ${r.effect}${r.authority === undefined ? '' : `, issued by ${r.authority}`}`;
        if (r.status === 'unchanged')
          line(
            io.out,
            `${r.list}: unchanged (sha256 ${r.sha256}, ${count(r.entries, 'entry', 'entries')}${skipped}, ${legal}); nothing imported`,
          );
        else
          line(
            io.out,
            `${r.list}: imported ${count(r.entries, 'entry', 'entries')}${skipped} (${r.format}, sha256 ${r.sha256}, ${legal}) as journal entry ${r.seq ?? ''}; vs previous: +${r.added.length} −${r.removed.length} ~${r.changed.length}`,
          );
      },
    );

  lists
    .command('list')
    .description('the snapshot in force for each list')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const snaps = await withApp((ctx) => listSnapshots(ctx));
      if (opts.json) line(io.out, JSON.stringify(snaps, null, 2));
      else
        for (const s of snaps)
          line(
            io.out,
            `${s.list.padEnd(24)} ${s.format.padEnd(8)} ${String(s.entries).padStart(7)} entries  ${s.importedAt}  journal ${s.seq}  sha256 ${s.sha256.slice(0, 16)}…  effect ${s.effect}${s.authority === undefined ? '' : ` (${s.authority})`}`,
          );
    });

  program
    .command('screen')
    .description('screen names against the restricted-party lists in force (or a list file given with --list)')
    .argument('[names...]', 'names to screen')
    .option('--names <file>', 'also screen every line of this file')
    .option(
      '--country <CC>',
      "the parties' country (ISO 3166-1 alpha-2): a matching country raises a score, another lowers it",
    )
    .option('--threshold <x>', 'minimum score, above 0 and at most 1')
    .option('--limit <n>', 'at most this many hits per name', '10')
    .option(
      '--json',
      'print one JSON line per name: {"query", "hits": [{"list", "entryId", "name", "score", "explanation"}]}',
    )
    .option('--list <file>', 'screen against this list file instead of the store')
    .option('--format <format>', "the --list file's format: sdn-csv | un-xml | ftm-json | csv")
    .option('--alt <alt.csv>', 'OFAC alternate names for --list')
    .option('--add <add.csv>', 'OFAC addresses for --list')
    .action(
      async (
        names: string[],
        opts: {
          names?: string;
          country?: string;
          threshold?: string;
          limit: string;
          json?: boolean;
          list?: string;
          format?: string;
          alt?: string;
          add?: string;
        },
      ) => {
        const queries = [...names, ...(opts.names === undefined ? [] : readNames(opts.names))];
        if (queries.length === 0) throw new ValidationError('names', 'give at least one name, or --names FILE');
        const o = {
          country: opts.country === undefined ? undefined : country(opts.country.toUpperCase(), '--country'),
          threshold: opts.threshold === undefined ? undefined : screeningThreshold(opts.threshold, '--threshold'),
          limit: positive(opts.limit, '--limit'),
        };
        let results: readonly NameScreening[];
        if (opts.list !== undefined) {
          if (opts.format === undefined) throw new ValidationError('--format', 'is required with --list');
          results = screenNamesInFile(
            { path: opts.list, format: listFormat(opts.format, '--format'), alt: opts.alt, add: opts.add },
            queries,
            o,
          );
        } else {
          if (opts.format !== undefined) throw new ValidationError('--format', 'goes only with --list FILE');
          results = await withApp((ctx) => screenNames(ctx, queries, o));
        }
        for (const r of results) {
          if (opts.json) {
            line(
              io.out,
              JSON.stringify({
                query: r.query,
                hits: r.hits.map((h) => ({
                  list: h.list,
                  entryId: h.entryId,
                  name: h.name,
                  score: h.score,
                  explanation: h.explanation,
                  ...(h.review ? { review: h.review } : {}),
                })),
                ...(r.setAside ? { setAside: r.setAside } : {}),
              }),
            );
            continue;
          }
          line(
            io.out,
            `${r.query}: ${r.hits.length === 0 ? 'no hits' : `${r.hits.length} hit${r.hits.length === 1 ? '' : 's'}`}`,
          );
          printHits(io.out, r.hits, r.setAside);
        }
      },
    );

  const screening = program
    .command('screening')
    .description("screening review: a party's hits with their explanations, and reviewers' decisions on them");

  screening
    .command('party')
    .description(
      'screen a registered party now (name, aliases, identifiers, owners): hits, hits set aside as reviewed false positives, and the decisions recorded',
    )
    .argument('<party-id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const r = await withApp((ctx) => screenParty(ctx, id));
      if (opts.json) {
        line(io.out, JSON.stringify(r, null, 2));
        return;
      }
      line(
        io.out,
        `${r.name} (${r.partyId}): ${r.hits.length === 0 ? 'no hits' : count(r.hits.length, 'hit')}${r.setAside ? `, ${count(r.setAside.length, 'hit')} set aside as reviewed false positives` : ''} against ${r.snapshots.map((x) => x.list).join(', ') || 'no lists'}`,
      );
      printHits(io.out, r.hits, r.setAside);
    });

  screening
    .command('review')
    .description(
      'a licensing authority records its decision on one hit of a party (--party) or a free-text name (--name): false-positive (set aside on later screenings of the same subject, shown as reviewed) or true-match (stays a hit); journalled',
    )
    .requiredOption('--as <party>', 'the licensing authority recording the decision (named on the trust list)')
    .option('--party <id>', 'the registered party the hit was found for')
    .option('--name <text>', 'or the free-text name the hit was found for')
    .requiredOption('--list <list>', 'the list of the hit, e.g. ofac-sdn')
    .requiredOption('--entry <id>', "the list entry's id, as the hit shows it")
    .requiredOption('--decision <decision>', REVIEW_DECISIONS.join(' | '))
    .requiredOption('--reason <text>', 'why (e.g. "different date of birth and nationality")')
    .option('--json', 'print the review as JSON')
    .action(
      async (o: {
        as: string;
        party?: string;
        name?: string;
        list: string;
        entry: string;
        decision: string;
        reason: string;
        json?: boolean;
      }) => {
        if ((o.party === undefined) === (o.name === undefined))
          throw new ValidationError('--party', 'give --party ID or --name TEXT (one of them)');
        const r = await withApp((ctx) =>
          reviewScreeningHit(ctx, o.as, {
            partyId: o.party,
            name: o.name,
            list: o.list,
            entryId: o.entry,
            decision: o.decision,
            reason: o.reason,
          }),
        );
        if (o.json) {
          line(io.out, JSON.stringify(r, null, 2));
          return;
        }
        line(
          io.out,
          `${r.review.list} ${r.review.entryId} "${r.review.entryName}" for ${JSON.stringify(r.review.name)}: ${r.review.decision} (score ${r.review.score.toFixed(3)}), recorded by ${r.review.by} as journal entry ${r.review.seq}${r.review.decision === 'false-positive' ? '; set aside on later screenings' : '; stays a hit'}`,
        );
      },
    );

  screening
    .command('reviews')
    .description('the decisions recorded on a party (--party) or a free-text name (--name), newest first')
    .option('--party <id>', 'the registered party whose reviews to list')
    .option('--name <text>', 'the free-text name whose reviews to list (as it was screened)')
    .option('--json', 'print as JSON')
    .action(async (o: { party?: string; name?: string; json?: boolean }) => {
      if ((o.party === undefined) === (o.name === undefined))
        throw new ValidationError('--party', 'give --party ID or --name TEXT (one of them)');
      const rs = await withApp((ctx) =>
        screeningReviews(ctx, o.party !== undefined ? { partyId: o.party } : { name: o.name ?? '' }),
      );
      if (o.json) {
        line(io.out, JSON.stringify(rs, null, 2));
        return;
      }
      if (rs.length === 0) line(io.out, 'no decisions recorded');
      for (const r of rs)
        line(
          io.out,
          `${r.at}  ${r.decision.padEnd(14)} ${r.list} ${r.entryId} "${r.entryName}" by ${r.by} (journal entry ${r.seq}): ${r.reason}`,
        );
    });
}

function printHits(
  out: NodeJS.WritableStream,
  hits: readonly ScreeningHit[],
  setAside: readonly ScreeningHit[] | undefined,
): void {
  for (const h of hits) {
    line(out, `  ${h.score.toFixed(3)}  ${h.list} ${h.entryId}  ${h.name}\n         ${h.explanation}`);
    if (h.review)
      line(out, `         reviewed: true match by ${h.review.by} on ${h.review.at.slice(0, 10)} (${h.review.reason})`);
  }
  for (const h of setAside ?? [])
    line(out, `  ${h.score.toFixed(3)}  ${h.list} ${h.entryId}  ${h.name}  [set aside]\n         ${h.explanation}`);
}
