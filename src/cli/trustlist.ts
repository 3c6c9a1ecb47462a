import type { Command } from 'commander';
import { getTrustList, publishTrustList, trustRootKey, type AppContext, type TrustList } from '../app/index.js';
import { ValidationError } from '../domain/index.js';
import { readJsonFile } from './files.js';

export interface TrustListCliDeps {
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  readonly print: (text: string) => void;
}

function formatTrustList(t: TrustList): string {
  return [
    `trust list version ${t.version} (journal entry ${t.seq}, ${t.publishedAt})`,
    `  root key   ${t.root.keyId} ${t.root.publicKey}`,
    `  previous   ${t.previous ?? '(none: first version)'}`,
    `  record     sha256 ${t.recordHash}`,
    ...(t.entries.length === 0
      ? ['  (no entries: nobody may license or countersign)']
      : t.entries.map(
          (e) => `  ${e.role.padEnd(20)} ${e.country}  ${e.party}${e.note === undefined ? '' : `  — ${e.note}`}`,
        )),
  ].join('\n');
}

/**
 * The trust list: who may license exports from which country and who may countersign end-user
 * certificates for which country. Changed only here, with the operator's root key in the keystore.
 */
export function registerTrustListCommands(program: Command, { withApp, print }: TrustListCliDeps): void {
  const tl = program
    .command('trust-list')
    .description(
      "the trust list of roles (licensing authorities, certificate countersigners), signed with the operator's root key",
    );
  tl.command('set')
    .description(
      'publish a new version of the trust list from a JSON file { "entries": [{ "party", "role": "licensing-authority" | "countersigner", "country" }] }, signed with the operator root key',
    )
    .argument('<file.json>')
    .action(async (file: string) => {
      const input = readJsonFile(file);
      const t = await withApp(async (ctx) => {
        try {
          return await publishTrustList(ctx, input);
        } catch (e) {
          if (e instanceof ValidationError)
            throw new ValidationError(
              `${file}: ${e.field ?? ''}`.replace(/: $/, ''),
              e.message.slice((e.field ?? '').length + 2),
            );
          throw e;
        }
      });
      print(`published ${formatTrustList(t)}`);
    });
  tl.command('show')
    .description('show the trust list in force')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const t = await withApp((ctx) => getTrustList(ctx));
      if (o.json) print(JSON.stringify(t ?? null, null, 2));
      else
        print(
          t === undefined
            ? '(no trust list published: nobody may license or countersign; publish one with lodestone trust-list set)'
            : formatTrustList(t),
        );
    });
  tl.command('root-key')
    .description(
      "print the operator root key's public key (base64url) — what an auditor pins with lodestone verify --trust-root (created on first use)",
    )
    .action(async () => {
      const k = await withApp((ctx) => Promise.resolve(trustRootKey(ctx)));
      print(k.publicKey);
    });
}
