import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPackSet, parsePack, RulePackError, type RulePack } from '../rules/index.js';

/** The packs shipped with Lodestone (top-level rules/), found from both src/app and dist/app. */
export const DEFAULT_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));

/** A pack with the exact text it was parsed from, which the journal keeps for auditors. */
export interface LoadedPack extends RulePack {
  readonly file: string;
  readonly text: string;
}

/** Reads one rule-pack file and validates it. */
export function loadRulePackFile(path: string, displayName = path): LoadedPack {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new RulePackError(
      'INVALID_RULE_PACK',
      `${displayName}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');
  return { ...parsePack(text, displayName, sha256), file: basename(path), text };
}

/** Loads every `*.yaml` / `*.yml` pack of a directory, in file-name order. */
export function loadRulePacks(dir: string = DEFAULT_RULES_DIR): readonly LoadedPack[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
  } catch (e) {
    throw new RulePackError(
      'INVALID_RULE_PACK',
      `${dir}: cannot read the rules directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  if (names.length === 0) throw new RulePackError('INVALID_RULE_PACK', `${dir}: no rule packs (*.yaml)`);
  const packs = names.map((n) => loadRulePackFile(join(dir, n), `rules/${n}`));
  checkPackSet(packs);
  return packs;
}
