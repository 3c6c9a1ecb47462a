import { countryName, type CountryCode, type EndUsePurpose, type Sector } from '../domain/index.js';
import { resolveCitation, type ResolvedCitation } from './classify.js';
import { assumptionsFor, suspensionOn, type Assumption, type Readings } from './assumptions.js';
import { formatWindow } from './dates.js';
import type { CountrySet, ListEffect, PartyRole, Policy, RulePack } from './model.js';

/** One hit of a party on a restricted-party list, with the list's issuing authority and legal effect. */
export interface PolicyListing {
  readonly list: string;
  readonly authority?: string;
  readonly effect: ListEffect;
  /**
   * The export regime (ISO country) a deny or review list has its effect under. A pack's policies count
   * only listings of their own jurisdiction's regime (or of none stated: imports from before lists named one).
   */
  readonly regime?: string;
  /** The party is listed through ≥ 50 % owners, not by itself. */
  readonly viaOwners: boolean;
  /** The hit in words. */
  readonly text: string;
}

export interface PolicyParty {
  readonly role: PartyRole;
  readonly id: string;
  readonly name: string;
  readonly country: CountryCode;
  readonly sector?: Sector;
  /** On a restricted list (directly or through ≥ 50 % ownership), and why. */
  readonly listed?: string;
  /** Every list hit, with its list's legal effect. */
  readonly listings?: readonly PolicyListing[];
}

export interface PolicyFacts {
  readonly asOf: string;
  readonly destination: CountryCode;
  readonly purposes: readonly EndUsePurpose[];
  readonly parties: readonly PolicyParty[];
  /** The ids of the rules under which the items are controlled (for policies with `under`). */
  readonly rules?: readonly string[];
  /** The items' countries of origin (for policies with an `origin` condition). */
  readonly origins?: readonly CountryCode[];
  /** A licence application or a transfer: only the policies evaluated on that occasion are. Default application. */
  readonly occasion?: 'application' | 'transfer';
  /** Readings of unverified facts to use instead of the packs' defaults. */
  readonly readings?: Readings;
}

export interface PolicyFinding {
  readonly pack: string;
  readonly id: string;
  readonly title: string;
  readonly decision: 'deny' | 'case-by-case';
  /** not-applicable: its conditions match but it governs other applications (its `under` rules do not apply). */
  readonly outcome: 'applies' | 'not-yet-effective' | 'expired' | 'suspended' | 'not-applicable';
  readonly citation: ResolvedCitation;
  readonly facts: readonly string[];
  readonly reason: string;
  readonly dependsOn?: readonly { readonly fact: string; readonly reading: string }[];
}

export interface PolicyEvaluation {
  /** deny if any deny policy applies; case-by-case if any review policy applies; otherwise approvable. */
  readonly recommendation: 'deny' | 'case-by-case' | 'approvable';
  readonly findings: readonly PolicyFinding[];
  /** Unverified facts the recommendation depends on (empty when none). */
  readonly assumptions: readonly Assumption[];
}

function inSet(c: CountryCode, s: CountrySet): boolean {
  return 'in' in s ? s.in.includes(c) : !s.notIn.includes(c);
}

/** A listing has legal effect under a pack when its list's regime is the pack's jurisdiction (or not stated). */
export const listingInRegime = (l: PolicyListing, jurisdiction: string): boolean =>
  l.regime === undefined || l.regime === jurisdiction;

function match(p: Policy, f: PolicyFacts, jurisdiction: string): string[] | null {
  const w = p.when;
  const facts: string[] = [];
  const parties = f.parties.filter((x) => w.roles === undefined || w.roles.includes(x.role));
  if (w.endUseAny) {
    const hit = f.purposes.filter((u) => w.endUseAny?.includes(u));
    if (hit.length === 0) return null;
    facts.push(`declared end use includes ${hit.join(', ')}`);
  }
  if (w.partySectorAny) {
    const hit = parties.filter((x) => x.sector !== undefined && w.partySectorAny?.includes(x.sector));
    if (hit.length === 0) return null;
    facts.push(...hit.map((x) => `${x.role} ${x.name} is in the ${x.sector ?? ''} sector`));
  }
  if (w.partyListed !== undefined) {
    const hit = parties.filter((x) => (x.listed !== undefined) === w.partyListed);
    if (hit.length === 0) return null;
    if (w.partyListed) facts.push(...hit.map((x) => `${x.role} ${x.name}: ${x.listed ?? ''}`));
  }
  if (w.partyListEffect) {
    const effects = w.partyListEffect;
    const hits = parties.flatMap((x) =>
      (x.listings ?? [])
        .filter((l) => effects.includes(l.effect) && listingInRegime(l, jurisdiction) && (p.partyListViaOwners || !l.viaOwners))
        .map((l) => ({ x, l })),
    );
    if (hits.length === 0) return null;
    facts.push(...hits.map(({ x, l }) => `${x.role} ${x.name}: ${l.text} (list ${l.list}${l.authority ? `, issued by ${l.authority}` : ''}, effect ${l.effect})`));
  }
  if (w.destination) {
    if (!inSet(f.destination, w.destination)) return null;
    facts.push(`destination is ${countryName(f.destination)} (${f.destination})`);
  }
  if (w.origin) {
    const set = w.origin;
    const hit = (f.origins ?? []).filter((c) => inSet(c, set));
    if (hit.length === 0) return null;
    facts.push(`the item is of ${[...new Set(hit)].map((c) => `${countryName(c)} (${c})`).join(', ')} origin`);
  }
  return facts;
}

/** Evaluates the packs' licensing policies against an application's facts, as of a date. Pure. */
export function evaluatePolicies(facts: PolicyFacts, packs: readonly RulePack[]): PolicyEvaluation {
  const findings: PolicyFinding[] = [];
  for (const pack of packs) {
    for (const p of pack.policies) {
      if (!p.occasions.includes(facts.occasion ?? 'application')) continue;
      const matched = match(p, facts, pack.jurisdiction);
      if (matched === null) continue;
      const base = { pack: pack.id, id: p.id, title: p.title, decision: p.decision, citation: resolveCitation(pack, p.citation), facts: matched };
      const under = p.under;
      if (under !== undefined && !under.some((r) => facts.rules?.includes(r))) {
        const actual = facts.rules === undefined || facts.rules.length === 0 ? 'no rule' : facts.rules.join(', ');
        findings.push({ ...base, outcome: 'not-applicable', reason: `governs only exports under ${under.join(', ')}; this one is under ${actual}` });
        continue;
      }
      if (facts.asOf < p.window.from) {
        findings.push({ ...base, outcome: 'not-yet-effective', reason: `not yet in force on ${facts.asOf} (${formatWindow(p.window)})` });
      } else if (p.window.to !== undefined && facts.asOf > p.window.to) {
        findings.push({ ...base, outcome: 'expired', reason: `no longer in force on ${facts.asOf} (${formatWindow(p.window)})` });
      } else {
        const s = suspensionOn(pack, p.suspensions, facts.asOf, facts.readings ?? {});
        const dep = s.dependsOn.length > 0 ? { dependsOn: s.dependsOn } : {};
        if (s.reason !== undefined) findings.push({ ...base, outcome: 'suspended', reason: s.reason, ...dep });
        else findings.push({ ...base, outcome: 'applies', reason: `${p.decision === 'deny' ? 'denied in principle' : 'reviewed case by case'}: ${p.title}`, ...dep });
      }
    }
  }
  const applies = findings.filter((x) => x.outcome === 'applies');
  const recommendation = applies.some((x) => x.decision === 'deny') ? 'deny' : applies.some((x) => x.decision === 'case-by-case') ? 'case-by-case' : 'approvable';
  const assumptions = assumptionsFor(packs, findings.flatMap((f) => (f.dependsOn ?? []).map((d) => ({ pack: f.pack, fact: d.fact, rule: f.id }))), facts.readings ?? {});
  return { recommendation, findings, assumptions };
}
