import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  checkLog,
  exportAuditBundle,
  latestCheckpoint,
  logVerifier,
  logVerifierKey,
  witnessCheckpoint,
  type AppContext,
} from '../app/index.js';
import { ValidationError } from '../domain/index.js';
import { parseVerifierKey } from '../trust/index.js';
import { formatSummary, parsePeerPin, parseWitnessPin, verifyBundle } from '../verify/index.js';
import type { viaServerOf } from './admin-socket.js';

export interface AuditCliDeps {
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  /** Runs a read-only command in the serving process when `lodestone serve` holds the embedded store. */
  readonly viaServer: ReturnType<typeof viaServerOf>;
  readonly print: (text: string) => void;
}

/**
 * Transparency-log and audit commands: log checkpoint / log check, witness, audit export, verify.
 * `verify` opens no store: it needs only the bundle file (exit 1 naming the first failure).
 */
export function registerAuditCommands(program: Command, { withApp, viaServer, print }: AuditCliDeps): void {
  const log = program
    .command('log')
    .description(
      'the transparency log over the journal (a verifier pins its key, printed by ' +
        '`lodestone log key`, as `lodestone verify --log-key`)',
    );
  log
    .command('checkpoint')
    .description("print the log's latest signed checkpoint (C2SP signed note, with witness cosignatures)")
    .action(async () => {
      const body = await viaServer('log.checkpoint', {}, async (ctx) => (await latestCheckpoint(ctx))?.body ?? null);
      print(body ?? '(no checkpoint yet: the journal is empty)');
    });
  log
    .command('key')
    .description(
      "print the log's public key: as a C2SP signed-note verifier key (vkey: <origin>+<key id>+<key>) for tlog tools and `verify --log-key`, or --raw for the bare Ed25519 key (base64url)",
    )
    .option('--raw', 'print only the raw Ed25519 public key (base64url)')
    .action(async (o: { raw?: boolean }) => {
      const raw = o.raw === true;
      print(
        await viaServer('log.key', { raw }, async (ctx) =>
          raw ? (await logVerifier(ctx)).publicKey : logVerifierKey(ctx),
        ),
      );
    });
  log
    .command('check')
    .description('recompute the root from the journal leaves and check the stored subtrees and checkpoint agree')
    .action(async () => {
      const r = await withApp((ctx) => checkLog(ctx));
      print(`log consistent: ${r.size} leaves, root ${r.root}`);
    });

  program
    .command('witness')
    .description(
      "cosign the log's latest checkpoint as a witness, after checking it extends the last one this witness cosigned; refuses and reports a fork",
    )
    .requiredOption('--as <party>', 'the witnessing party (signs with its key from the keystore)')
    .option(
      '--state <file>',
      'where the witness keeps the last checkpoint it cosigned (default ./<party>.witness.json)',
    )
    .option('--checkpoint <file>', "the checkpoint the operator showed (signed note); default: the log's latest")
    .action(async (o: { as: string; state?: string; checkpoint?: string }) => {
      const shown = o.checkpoint === undefined ? undefined : readFileSync(o.checkpoint, 'utf8');
      const r = await withApp((ctx) =>
        witnessCheckpoint(ctx, o.as, o.state ?? `${o.as}.witness.json`, ctx.clock(), shown),
      );
      if (r.already === true) {
        print(
          `${o.as} had already cosigned ${r.checkpoint.origin} size ${r.checkpoint.size}: nothing added\n\n${r.cosignature}`,
        );
        return;
      }
      print(
        `${o.as} cosigned ${r.checkpoint.origin} size ${r.checkpoint.size}${r.previous ? ` (consistent with size ${r.previous.size})` : ' (first checkpoint seen)'}\n\n${r.cosignature}`,
      );
    });

  const audit = program.command('audit').description('audit bundles: everything about one licence, provable offline');
  audit
    .command('export')
    .description(
      "write one licence's records, inclusion proofs, checkpoint, cosignatures, keys and rule packs to a bundle",
    )
    .requiredOption('--licence <id>', 'the licence')
    .requiredOption('--out <file>', 'the bundle file (JSON)')
    .action(async (o: { licence: string; out: string }) => {
      const bundle = await withApp((ctx) => exportAuditBundle(ctx, o.licence));
      writeFileSync(o.out, `${JSON.stringify(bundle, null, 1)}\n`);
      print(
        `wrote ${o.out}: ${bundle.entries.length} records proved to checkpoint size ${bundle.checkpoint.split('\n')[1] ?? '?'}`,
      );
    });

  program
    .command('verify')
    .description(
      'verify an audit bundle offline (no database, no network): signatures, inclusion proofs, checkpoint signatures, pinned witnesses, the trust list and the roles it grants, balances replayed. Exit 0 with a summary; ' +
        'otherwise one line naming the first failure, exit 6 (2 if the file is not a bundle)',
    )
    .argument('<bundle.json>')
    .option(
      '--log-key <key>',
      "the log's key as you know it — pin it: its vkey (pins the origin too) or its raw Ed25519 public key in " +
        "base64url; without it the bundle's own key is trusted (the operator prints it with `lodestone log key`; docs/trust.md)",
    )
    .option(
      '--trust-root <base64url>',
      "the operator's trust-list root public key, as you know it (lodestone trust-list root-key; default: the bundle's own)",
    )
    .option(
      '--witness <name=base64url>',
      'a witness to trust and its Ed25519 public key (repeatable); only these cosignatures count',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--witness-quorum <n>',
      'how many of the --witness witnesses must have cosigned the checkpoint (default: all of them)',
    )
    .option(
      '--peer-key <origin=base64url|vkey>',
      "a federated peer node's log key (repeatable): its records imported by this node count as proved only under it; " +
        'without it the key the exporting node pinned is used and reported UNPINNED (docs/federation.md)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--peer-trust-root <origin=base64url>',
      "a federated peer node's trust-list root key (repeatable; default: the one the exporting node pinned)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(
      (
        file: string,
        o: {
          logKey?: string;
          trustRoot?: string;
          witness: string[];
          witnessQuorum?: string;
          peerKey: string[];
          peerTrustRoot: string[];
        },
      ) => {
        const pins = (flag: string, values: string[]) =>
          values.map((v) => {
            try {
              return parsePeerPin(v, parseVerifierKey);
            } catch (e) {
              throw new ValidationError(flag, (e as Error).message);
            }
          });
        const peerKeys = pins('--peer-key', o.peerKey);
        const peerTrustRoots = pins('--peer-trust-root', o.peerTrustRoot);
        const witnesses = o.witness.map((w) => {
          try {
            return parseWitnessPin(w);
          } catch (e) {
            throw new ValidationError('--witness', (e as Error).message);
          }
        });
        let logKey = o.logKey;
        let logOrigin: string | undefined;
        if (logKey !== undefined && logKey.includes('+')) {
          try {
            ({ name: logOrigin, publicKey: logKey } = parseVerifierKey(logKey));
          } catch (e) {
            throw new ValidationError('--log-key', (e as Error).message);
          }
        } else if (logKey !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(logKey)) {
          throw new ValidationError(
            '--log-key',
            'must be a vkey (<origin>+<key id>+<base64 key>) or a raw Ed25519 public key in base64url (43 characters)',
          );
        }
        if (o.trustRoot !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(o.trustRoot))
          throw new ValidationError('--trust-root', 'must be a raw Ed25519 public key in base64url (43 characters)');
        let witnessQuorum: number | undefined;
        if (o.witnessQuorum !== undefined) {
          witnessQuorum = Number(o.witnessQuorum);
          if (!/^\d+$/.test(o.witnessQuorum) || !Number.isSafeInteger(witnessQuorum))
            throw new ValidationError(
              '--witness-quorum',
              `must be a whole number, got ${JSON.stringify(o.witnessQuorum)}`,
            );
          if (witnessQuorum > witnesses.length)
            throw new ValidationError(
              '--witness-quorum',
              `${witnessQuorum} cannot be met by the ${witnesses.length} witness(es) given with --witness`,
            );
        }
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          throw new ValidationError('bundle', `cannot read ${file}: ${(e as Error).message}`);
        }
        print(
          formatSummary(
            verifyBundle(text, {
              logKey,
              logOrigin,
              trustRoot: o.trustRoot,
              witnesses,
              witnessQuorum,
              peerKeys,
              peerTrustRoots,
            }),
          ),
        );
      },
    );
}
