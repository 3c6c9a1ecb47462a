import { isoDateValue, type Item, type Licence, todayUtc } from '../domain/index.js';
import {
  classify,
  parseReadings,
  type Assumption,
  type Classification,
  type Finding,
  type Readings,
  type RulePack,
} from '../rules/index.js';
import { classificationsRepo, licencesRepo, lotsRepo, partiesRepo } from '../store/index.js';
import type { AppContext } from './context.js';
import { loadRulePacks } from './rulepacks.js';

export interface ImpactChange {
  readonly kind: 'classification' | 'lot' | 'licence';
  /** The classification id, lot id or licence id (with the line). */
  readonly ref: string;
  readonly description: string;
  readonly exportFrom: string;
  readonly before: { readonly controlled: boolean; readonly codes: readonly string[] };
  readonly after: { readonly controlled: boolean; readonly codes: readonly string[] };
  /** The rules whose outcome differs, e.g. "cn-ann57: suspended → applies (Announcement No. 57 [2025], Annex)". */
  readonly rules: readonly string[];
  /** The unverified facts each side's answer rests on, with the reading used. */
  readonly assumptionsBefore: readonly Assumption[];
  readonly assumptionsAfter: readonly Assumption[];
}

export interface ImpactReport {
  readonly from: string;
  readonly to: string;
  readonly packsBefore: readonly string[];
  readonly packsAfter: readonly string[];
  /** Readings of unverified facts used for the later side (--assume); the packs' defaults otherwise. */
  readonly readingsAfter: Readings;
  readonly examined: number;
  readonly changes: readonly ImpactChange[];
}

function ruleChanges(a: Classification, b: Classification): string[] {
  const key = (f: Finding) => `${f.pack}/${f.id}`;
  const before = new Map(a.findings.map((f) => [key(f), f]));
  const after = new Map(b.findings.map((f) => [key(f), f]));
  const out: string[] = [];
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    const x = before.get(k);
    const y = after.get(k);
    if (x?.outcome === y?.outcome && x?.codes.join() === y?.codes.join()) continue;
    const f = y ?? x;
    if (!f) continue;
    out.push(
      `${f.id}: ${x?.outcome ?? 'not relevant'} → ${y?.outcome ?? 'not relevant'} (${f.citation.clause}${y?.outcome === 'applies' ? `; ${y.codes.join(', ')}` : ''})`,
    );
  }
  return out;
}

/**
 * What changes between today and a date (and, optionally, with a new rule-pack version or another
 * reading of an unverified fact): every
 * recorded classification, open lot and licence line whose classification changes, with the rules
 * that change it — e.g. the end of a suspension bringing Ho-bearing magnets and the 0.1 % rule in.
 */
export async function impact(
  ctx: AppContext,
  opts: { asOf?: string; from?: string; newRulesDir?: string; assume?: readonly string[] },
): Promise<ImpactReport> {
  const from = opts.from === undefined ? todayUtc(ctx.clock) : isoDateValue(opts.from, '--from-date');
  const to = opts.asOf === undefined ? from : isoDateValue(opts.asOf, '--as-of');
  const before: readonly RulePack[] = ctx.packs();
  const after: readonly RulePack[] = opts.newRulesDir === undefined ? before : loadRulePacks(opts.newRulesDir);
  const readings = parseReadings(after, opts.assume ?? [], '--assume');
  const subjects: { kind: ImpactChange['kind']; ref: string; item: Item; exportFrom: string }[] = [];
  for (const c of await classificationsRepo.list(ctx.store.db, { limit: 100_000 })) {
    const item = c.item as Item;
    const result = c.result as Classification;
    subjects.push({ kind: 'classification', ref: c.id, item, exportFrom: result.exportFrom });
  }
  for (const l of await lotsRepo.list(ctx.store.db)) {
    if (l.mass_grams === 0) continue;
    subjects.push({ kind: 'lot', ref: l.id, item: l.item as Item, exportFrom: l.location });
  }
  for (const row of await licencesRepo.list(ctx.store.db)) {
    if (row.status !== 'active' || row.valid_until < from) continue;
    const lic = row.licence as Licence;
    // A licence's items leave from the holder's country.
    const holder = await partiesRepo.get(ctx.store.db, lic.holder);
    for (const line of lic.lines)
      subjects.push({
        kind: 'licence',
        ref: `${lic.id} line ${line.ref}`,
        item: line.item,
        exportFrom: holder?.country ?? line.item.origin,
      });
  }
  const changes: ImpactChange[] = [];
  for (const s of subjects) {
    const a = classify(s.item, before, { asOf: from, exportFrom: s.exportFrom });
    const b = classify(s.item, after, { asOf: to, exportFrom: s.exportFrom, readings });
    const rules = ruleChanges(a, b);
    if (a.codes.join() === b.codes.join() && a.controlled === b.controlled && rules.length === 0) continue;
    changes.push({
      kind: s.kind,
      ref: s.ref,
      description: s.item.description ?? s.item.form,
      exportFrom: s.exportFrom,
      before: { controlled: a.controlled, codes: a.codes },
      after: { controlled: b.controlled, codes: b.codes },
      rules,
      assumptionsBefore: a.assumptions,
      assumptionsAfter: b.assumptions,
    });
  }
  const packsBefore = before.map((p) => `${p.id}@${p.version}`);
  const packsAfter = after.map((p) => `${p.id}@${p.version}`);
  return { from, to, packsBefore, packsAfter, readingsAfter: readings, examined: subjects.length, changes };
}
