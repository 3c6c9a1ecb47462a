import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  exportAuditBundle,
  evaluateClassification,
  listParties,
  listPartyKeys,
  loadPacks,
  openApp,
  rebuild,
  recordClassification,
  registerParty,
  revokeSigningKey,
  rotateSigningKey,
  runDemo,
  type AppContext,
  type AppOptions,
} from '../app/index.js';
import { country, formatMass, isoDateValue, LodestoneError, ValidationError } from '../domain/index.js';
import { registerAlertCommands } from './alerts.js';
import { registerCertificateCommands } from './certificates.js';
import { registerEpcisCommands } from './epcis.js';
import { registerFederationCommands } from './federation.js';
import { readJsonFile, readTextFile } from './files.js';
import { viaServerOf } from './admin-socket.js';
import { registerAuditCommands } from './audit.js';
import { registerLicensingCommands } from './licensing.js';
import { registerScreeningCommands } from './screening.js';
import { registerServeCommands } from './serve.js';
import { registerTrustListCommands } from './trustlist.js';
import { journalRepo } from '../store/index.js';
import { VerifyError } from '../verify/index.js';
import { ASSUME_HELP, collect, fieldErrorLines, formatClassification } from './format.js';
import { parseReadings } from '../rules/index.js';
import { progress } from './progress.js';
import { AnswerStatus, EXIT } from './exit.js';

export { EXIT };

const CODE_EXIT: Readonly<Record<string, number>> = {
  INVALID_INPUT: EXIT.badInput,
  INVALID_RULE_PACK: EXIT.badInput,
  UNKNOWN_REFERENCE: EXIT.badInput,
  DUPLICATE_RULE_PACK: EXIT.badInput,
  BAD_KEY: EXIT.badInput,
  UNSUPPORTED_VALUE: EXIT.badInput,
  UNSAFE_INTEGER: EXIT.badInput,
  NOT_FOUND: EXIT.notFound,
  KEY_MISSING: EXIT.notFound,
  ALREADY_EXISTS: EXIT.conflict,
  REFUSED: EXIT.refused,
  CERTIFICATE_REFUSED: EXIT.refused,
  FORBIDDEN: EXIT.refused,
  CREDENTIAL_PRIVILEGE: EXIT.refused,
  CONFLICT: EXIT.conflict,
  STORE_LOCKED: EXIT.unavailable,
  CONNECTION_FAILED: EXIT.unavailable,
  STORE_UNAVAILABLE: EXIT.unavailable,
  STORAGE_FULL: EXIT.unavailable,
  JOURNAL_INVALID: EXIT.integrity,
  BAD_SIGNATURE: EXIT.integrity,
  MIGRATION_CHANGED: EXIT.integrity,
};

interface GlobalFlags {
  dataDir?: string;
  keysDir?: string;
  rulesDir?: string;
  logOrigin?: string;
  publicUrl?: string;
}

/** Runs a step on a file's content, prefixing any validation error with the file name. */
function fromFile<T>(path: string, fn: (input: unknown) => T): T {
  const input = readJsonFile(path);
  try {
    return fn(input);
  } catch (e) {
    if (e instanceof ValidationError)
      throw new ValidationError(
        `${path}: ${e.field ?? ''}`.replace(/: $/, ''),
        e.message.slice((e.field ?? '').length + 2),
      );
    throw e;
  }
}

function print(out: NodeJS.WritableStream, text: string): void {
  out.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * How a program that embeds the CLI runs its commands: `openApp` opens the application for each
 * command that needs the store (default: the app's `openApp`, the store the flags and environment
 * name; the command closes the context when it is done). A host that keeps a store open across
 * commands gives a context over it whose `close` leaves the store open.
 */
export interface CliHost {
  readonly openApp?: (flags: AppOptions) => Promise<AppContext>;
}

export function buildProgram(
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr },
  host: CliHost = {},
): Command {
  const program = new Command('lodestone')
    .description('Export-control and end-use assurance for rare-earth materials and magnets.')
    .version('0.1.0')
    .addOption(
      new Option(
        '--data-dir <dir>',
        'embedded store directory (default .lodestone/, or LODESTONE_DATA_DIR); ignored when DATABASE_URL is set',
      ),
    )
    .addOption(new Option('--keys-dir <dir>', 'private signing keys (default <data-dir>/keys, or LODESTONE_KEYS_DIR)'))
    .addOption(
      new Option('--rules-dir <dir>', 'rule packs (default: the packs shipped in rules/, or LODESTONE_RULES_DIR)'),
    )
    .addOption(
      new Option(
        '--log-origin <origin>',
        "the log's checkpoint origin, a schema-less URL such as lodestone.example.org/log (or LODESTONE_LOG_ORIGIN); stored with the first checkpoint and fixed after",
      ),
    )
    .addOption(
      new Option(
        '--public-url <url>',
        'public base URL of this deployment: status lists, did:web keys and the credentials context are published under it (default http://localhost:8080, or LODESTONE_PUBLIC_URL)',
      ),
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .exitOverride();

  const flags = (): AppOptions => {
    const g = program.opts<GlobalFlags>();
    return {
      dataDir: g.dataDir,
      keysDir: g.keysDir,
      rulesDir: g.rulesDir,
      logOrigin: g.logOrigin,
      publicUrl: g.publicUrl,
    };
  };
  const withApp = async <T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> => {
    const ctx = await (host.openApp ?? openApp)(flags());
    try {
      return await fn(ctx);
    } finally {
      await ctx.close();
    }
  };

  program
    .command('demo')
    .description(
      'play the non-diversion scenario on the store: certificate, application, screening, licence, shipments, magnets into motors, refused re-exports; prints the narrative',
    )
    .option(
      '--out <dir>',
      'also write report.md (licence utilisation, mass balance, decisions, refusals) into this directory',
    )
    .action(async (opts: { out?: string }) => {
      await withApp(async (ctx) => {
        const r = await runDemo(ctx, (e) => {
          print(io.out, `\n${e.outcome.toUpperCase()}  ${e.step} (${e.actor})\n  ${e.detail}`);
          for (const x of e.reasons ?? []) print(io.out, `    · ${x}`);
        });
        const l = r.report.licences[0];
        if (l) {
          const b = l.balance[0];
          print(
            io.out,
            `\nLicence ${l.licence.id}: ${b ? `${formatMass({ grams: b.shippedGrams })} of ${formatMass({ grams: b.ceilingGrams })} shipped` : ''}; holders' books ${l.massBalance.holders.every((h) => h.gap === 0) ? 'balance' : `out of balance for ${l.massBalance.holders.filter((h) => h.gap !== 0).length}`}; lost between shipment and receipt: ${formatMass({ grams: l.massBalance.receiptDiscrepancyGrams })}; the journal holds ${r.report.journalEntries} signed records.`,
          );
        }
        if (opts.out !== undefined) {
          mkdirSync(opts.out, { recursive: true });
          writeFileSync(join(opts.out, 'report.md'), r.markdown);
          print(io.out, `report written to ${join(opts.out, 'report.md')}`);
          if (l) {
            writeFileSync(
              join(opts.out, 'audit-bundle.json'),
              `${JSON.stringify(await exportAuditBundle(ctx, l.licence.id), null, 1)}\n`,
            );
            print(io.out, `audit bundle for ${l.licence.id} written to ${join(opts.out, 'audit-bundle.json')}`);
          }
        }
      });
    });

  program
    .command('classify')
    .description('classify an item (JSON file) against the rule packs: controlled or not, under which codes, and why')
    .argument(
      '<item.json>',
      'the item: form, hsCode, composition (element → ppm), origin, and optionally magnetFamily, components …',
    )
    .option('--as-of <YYYY-MM-DD>', 'evaluate the rules as of this date (default: today, UTC)')
    .option('--from <country>', 'the country the item is exported from (default: its origin)')
    .option(
      '--to <country>',
      'the country it goes to (rules such as Ann. 61 cover only some destinations; the --from country itself is a domestic transfer, not an export)',
    )
    .option('--json', 'print the classification as JSON')
    .option('--record', 'record the classification in the signed journal (needs --actor)')
    .option('--actor <party>', 'the registered party that records the classification')
    .option('--label <text>', 'a label for the recorded classification')
    .option('--assume <fact=reading>', ASSUME_HELP, collect, [])
    .action(
      async (
        file: string,
        opts: {
          asOf?: string;
          from?: string;
          to?: string;
          json?: boolean;
          record?: boolean;
          actor?: string;
          label?: string;
          assume: string[];
        },
      ) => {
        const asOf = opts.asOf === undefined ? undefined : isoDateValue(opts.asOf, '--as-of');
        const exportFrom = opts.from === undefined ? undefined : country(opts.from, '--from');
        const destination = opts.to === undefined ? undefined : country(opts.to, '--to');
        const readings = parseReadings(loadPacks(flags()), opts.assume, '--assume');
        const req = (input: unknown) => ({ item: input, asOf, exportFrom, destination, readings });
        if (opts.record) {
          if (opts.actor === undefined) throw new ValidationError('--actor', 'is required with --record');
          const actor = opts.actor;
          const input = readJsonFile(file);
          fromFile(file, (i) => evaluateClassification(loadPacks(flags()), req(i)));
          const r = await withApp((ctx) => recordClassification(ctx, actor, { ...req(input), label: opts.label }));
          print(
            io.out,
            opts.json
              ? JSON.stringify({ id: r.id, seq: r.seq, ...r.classification }, null, 2)
              : `${formatClassification(r.item, r.classification)}\nrecorded as ${r.id}, journal entry ${r.seq}`,
          );
          return;
        }
        const r = fromFile(file, (i) => evaluateClassification(loadPacks(flags()), req(i)));
        print(
          io.out,
          opts.json ? JSON.stringify(r.classification, null, 2) : formatClassification(r.item, r.classification),
        );
      },
    );

  program
    .command('rebuild')
    .description('drop the projections and replay the signed journal into fresh ones, re-verifying every entry')
    .action(async () => {
      await withApp(async (ctx) => {
        const p = progress('replaying journal');
        const started = Date.now();
        const r = await rebuild(ctx, (d, t) => {
          p.update(d, t);
        });
        p.finish();
        print(
          io.out,
          `rebuilt the projections from ${r.entries} journal entries in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      });
    });

  const parties = program
    .command('parties')
    .description('parties: the organisations and authorities that sign records');
  parties
    .command('register')
    .description('register one party or an array of parties from a JSON file, creating a signing key for each')
    .argument('<parties.json>')
    .action(async (file: string) => {
      const input = readJsonFile(file);
      const list = Array.isArray(input) ? (input as unknown[]) : [input];
      await withApp(async (ctx) => {
        const p = progress('registering parties');
        for (const [i, one] of list.entries()) {
          try {
            const r = await registerParty(ctx, one);
            print(
              io.out,
              `registered ${r.party.id} (${r.party.name}, ${r.party.country}) with key ${r.keyId}, journal entry ${r.seq}`,
            );
          } catch (e) {
            if (e instanceof ValidationError)
              throw new ValidationError(
                `${file}: ${Array.isArray(input) ? `[${i}].` : ''}${e.field ?? ''}`,
                e.message.slice((e.field ?? '').length + 2),
              );
            throw e;
          }
          p.update(i + 1, list.length);
        }
        p.finish();
      });
    });
  parties
    .command('list')
    .description('list the registered parties')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(async (ctx) => {
        const all = await listParties(ctx);
        if (opts.json) print(io.out, JSON.stringify(all, null, 2));
        else
          for (const p of all)
            print(io.out, `${p.id.padEnd(30)} ${p.country}  ${(p.sector ?? '').padEnd(22)} ${p.name}`);
      });
    });

  const keys = program.command('keys').description('signing keys');
  keys
    .command('import')
    .description('use an existing Ed25519 private key (PKCS #8 PEM) for a party, before registering it')
    .argument('<party>')
    .argument('<key.pem>')
    .action(async (party: string, pemFile: string) => {
      const pem = readTextFile(pemFile);
      await withApp((ctx) => {
        const k = ctx.keystore.import(party, pem);
        print(io.out, `key ${k.keyId} stored for ${party}`);
        return Promise.resolve();
      });
    });

  keys
    .command('rotate')
    .description(
      "replace a party's signing key (the key in the keystore signs the rotation; the new key — NEW_KEY.pem, PKCS #8 Ed25519, or a fresh one — proves possession and becomes the keystore's key); journalled as party.key.rotated",
    )
    .argument('<party>')
    .argument('[new-key.pem]')
    .action(async (party: string, pemFile: string | undefined) => {
      const pem = pemFile === undefined ? undefined : readTextFile(pemFile);
      const r = await withApp((ctx) => rotateSigningKey(ctx, party, pem === undefined ? {} : { newKeyPem: pem }));
      print(
        io.out,
        r.resumed === true
          ? `finished the rotation of ${party}'s key to ${r.keyId} (journal entry ${r.seq}): the keystore now holds it`
          : `rotated ${party}'s key ${r.previousKeyId} → ${r.keyId}, journal entry ${r.seq}; the old key signs nothing after it`,
      );
    });
  keys
    .command('revoke')
    .description(
      "revoke one of a party's signing keys (signed with its key in force); from that journal entry on the key signs nothing — records and signed requests with it are refused. Journalled as party.key.revoked",
    )
    .argument('<party>')
    .argument('<key-id>')
    .requiredOption('--reason <text>', 'why (recorded in the journal)')
    .option(
      '--compromised-at <time>',
      'when the key is believed to have been compromised (ISO-8601; recorded as declared)',
    )
    .action(async (party: string, keyId: string, opts: { reason: string; compromisedAt?: string }) => {
      const r = await withApp((ctx) =>
        revokeSigningKey(ctx, party, keyId, {
          reason: opts.reason,
          ...(opts.compromisedAt === undefined ? {} : { compromisedAt: opts.compromisedAt }),
        }),
      );
      print(
        io.out,
        `revoked ${party}'s key ${r.keyId} at journal entry ${r.seq} (${r.reason})${r.noKeyLeft ? `; ${party} has no key in force now and can sign nothing` : ''}`,
      );
    });
  keys
    .command('list')
    .description("a party's signing keys with their validity windows (journal entries)")
    .argument('<party>')
    .option('--json', 'print as JSON')
    .action(async (party: string, opts: { json?: boolean }) => {
      const list = await withApp((ctx) => listPartyKeys(ctx, party));
      if (opts.json) print(io.out, JSON.stringify(list, null, 2));
      else
        for (const k of list)
          print(
            io.out,
            `${k.keyId}  entries ${k.validFromSeq}..${k.validUntilSeq ?? ''}  ${k.inForce ? 'in force' : k.revokedSeq !== null ? `revoked at ${k.revokedSeq}: ${k.revocationReason ?? ''}` : `replaced by ${k.replacedBy ?? '?'}`}`,
          );
    });

  program
    .command('journal')
    .description('show journal entries (the signed records) in order')
    .option('--from <seq>', 'first entry', '1')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--json', 'print the signed records as JSON lines')
    .action(async (opts: { from: string; limit: string; json?: boolean }) => {
      const fromSeq = positiveInt(opts.from, '--from');
      const limit = positiveInt(opts.limit, '--limit');
      await withApp(async (ctx) => {
        const rows = await journalRepo.read(ctx.store.db, { fromSeq, limit });
        for (const r of rows) {
          print(
            io.out,
            opts.json
              ? r.canonical
              : `${String(r.seq).padStart(6)}  ${new Date(r.recorded_at).toISOString()}  ${r.type.padEnd(18)} ${r.actor.padEnd(28)} ${r.record_hash.slice(0, 16)}…`,
          );
        }
      });
    });

  const rules = program.command('rules').description('rule packs');
  rules
    .command('list')
    .description('validate and list the rule packs with their rules and dates')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const packs = loadPacks(flags());
      if (opts.json) {
        print(
          io.out,
          JSON.stringify(
            packs.map(({ text: _t, ...p }) => p),
            null,
            2,
          ),
        );
        return;
      }
      for (const p of packs) {
        print(
          io.out,
          `${p.id}@${p.version}  ${p.title}\n  file ${p.file}, sha256 ${p.sha256}\n  ${p.entries.length} entries, ${p.rules.length} rules, ${p.exclusions.length} exclusions, ${p.policies.length} policies, ${p.notModelled.length} measures not modelled`,
        );
        for (const r of p.rules) {
          const susp = r.suspensions.map((s) => `suspended ${s.from}..${s.to ?? ''} (${s.id})`).join(', ');
          print(
            io.out,
            `  ${r.id.padEnd(26)} from ${r.window.from}${r.window.to ? ` to ${r.window.to}` : ''}${susp ? `; ${susp}` : ''} — ${r.citation.clause}`,
          );
        }
        if (p.notModelled.length > 0)
          print(io.out, '  NOT MODELLED (named by the sources; answered "not modelled", never "not controlled"):');
        for (const n of p.notModelled) {
          print(io.out, `  ${n.id.padEnd(26)} ${n.title} — ${n.citation.clause}\n  ${' '.repeat(26)} why: ${n.reason}`);
        }
        for (const f of p.facts) {
          print(
            io.out,
            `  UNVERIFIED FACT ${f.id}: ${f.question} (default reading: ${f.default}; affects ${f.affects.join(', ')})`,
          );
          for (const r of f.readings) print(io.out, `    ${r.id === f.default ? '*' : ' '} ${r.id}: ${r.meaning}`);
        }
        for (const i of p.inferences)
          print(io.out, `  INFERENCE ${i.id}: ${i.statement}; other reading: ${i.alternative}`);
      }
    });

  registerLicensingCommands(program, {
    withApp,
    print: (t) => {
      print(io.out, t);
    },
  });
  registerAuditCommands(program, {
    withApp,
    viaServer: viaServerOf(flags, withApp),
    print: (t) => {
      print(io.out, t);
    },
  });
  registerCertificateCommands(program, { io, withApp });
  registerScreeningCommands(program, { io, withApp });
  registerEpcisCommands(program, { io, withApp });
  registerServeCommands(program, {
    flags,
    withApp,
    print: (t) => {
      print(io.out, t);
    },
  });
  registerAlertCommands(program, {
    withApp,
    print: (t) => {
      print(io.out, t);
    },
  });
  registerTrustListCommands(program, {
    withApp,
    print: (t) => {
      print(io.out, t);
    },
  });
  registerFederationCommands(program, {
    withApp,
    print: (t) => {
      print(io.out, t);
    },
  });

  return program;
}

function positiveInt(s: string, field: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < 1)
    throw new ValidationError(field, `must be a positive whole number, got ${JSON.stringify(s)}`);
  return n;
}

/** Runs the CLI and returns the exit status (never calls process.exit, so it is testable in-process). */
export async function main(
  argv: readonly string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr },
  host: CliHost = {},
): Promise<number> {
  const program = buildProgram(io, host);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof AnswerStatus) return e.status;
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return EXIT.ok;
      return EXIT.badInput;
    }
    if (e instanceof LodestoneError) {
      if (e instanceof ValidationError) for (const l of fieldErrorLines(e)) io.err.write(`lodestone: ${l}\n`);
      io.err.write(`lodestone: ${e.message}\n`);
      // verify: a bundle that is not one is bad input; one that does not prove what it claims is an integrity failure.
      if (e instanceof VerifyError) return e.code === 'MALFORMED' ? EXIT.badInput : EXIT.integrity;
      const code: string = (e as LodestoneError).code;
      return CODE_EXIT[code] ?? EXIT.failure;
    }
    io.err.write(`lodestone: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failure;
  }
}
