import { countryName, type CountryCode, type EndUsePurpose, type Sector } from '../domain/index.js';
import { resolveCitation, type ResolvedCitation } from './classify.js';
import { assumptionsFor, suspensionOn, type Assumption, type Readings } from './assumptions.js';
import { formatWindow } from './dates.js';
import type { CountrySet, PartyRole, Policy, RulePack } from './model.js';

export interface PolicyParty {
  readonly role: PartyRole;
  readonly id: string;
  readonly name: string;
  readonly country: CountryCode;
  readonly sector?: Sector;
  /** On a restricted list (directly or through ≥ 50 % ownership), and why. */
  readonly listed?: string;
}

export interface PolicyFacts {
  readonly asOf: string;
  readonly destination: CountryCode;
  readonly purposes: readonly EndUsePurpose[];
  readonly parties: readonly PolicyParty[];
  /** Readings of unverified facts to use instead of the packs' defaults. */
  readonly readings?: Readings;
}

export interface PolicyFinding {
  readonly pack: string;
  readonly id: string;
  readonly title: string;
  readonly decision: 'deny' | 'case-by-case';
  readonly outcome: 'applies' | 'not-yet-effective' | 'expired' | 'suspended';
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

function match(p: Policy, f: PolicyFacts): string[] | null {
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
  if (w.destination) {
    if (!inSet(f.destination, w.destination)) return null;
    facts.push(`destination is ${countryName(f.destination)} (${f.destination})`);
  }
  return facts;
}

/** Evaluates the packs' licensing policies against an application's facts, as of a date. Pure. */
export function evaluatePolicies(facts: PolicyFacts, packs: readonly RulePack[]): PolicyEvaluation {
  const findings: PolicyFinding[] = [];
  for (const pack of packs) {
    for (const p of pack.policies) {
      const matched = match(p, facts);
      if (matched === null) continue;
      const base = { pack: pack.id, id: p.id, title: p.title, decision: p.decision, citation: resolveCitation(pack, p.citation), facts: matched };
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
