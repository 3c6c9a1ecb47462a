import { parseItem, type EndUsePurpose } from '../domain/index.js';
import {
  classify,
  evaluatePolicies,
  parsePack,
  type PolicyListing,
  type PolicyParty,
  type RulePack,
} from '../rules/index.js';
import { sha256Hex, type SignedRecord } from '../trust/index.js';
import { VerifyError } from './errors.js';
import { isObject, list, str, type JsonObject } from './json.js';

/**
 * Pure step 5: every application's assessment and every decision in the bundle, re-checked against
 * the rules the bundle carries (its `rulepack.loaded` records hold each pack's exact text): each
 * line re-classified as of the assessment's date, the licensing policy re-evaluated with the
 * parties' registered countries and sectors and the recorded screening hits, the recommendation
 * recomputed; an approval must not contradict a "deny", a licence's control codes must be the
 * re-computed ones, and a denial must give its reasons. Screening itself is not re-run (the lists
 * are not in the bundle): the recorded hits are taken as they were signed.
 */

export interface RulesCheck {
  readonly applications: number;
  readonly approvals: number;
  readonly denials: number;
}

function fail(message: string, cause?: unknown): never {
  throw new VerifyError('REPLAY', message, cause === undefined ? {} : { cause });
}

export function recheckRules(records: readonly SignedRecord[]): RulesCheck {
  const packs: RulePack[] = [];
  const parties = new Map<string, JsonObject>();
  const recommendations = new Map<string, { recommendation: string; codes: readonly string[] }>();
  let applications = 0;
  let approvals = 0;
  let denials = 0;
  records.forEach((r, i) => {
    const b = isObject(r.payload.body) ? r.payload.body : {};
    const where = `entry ${i} (${r.payload.type})`;
    switch (r.payload.type) {
      case 'party.registered':
        if (isObject(b.party)) parties.set(str(b.party.id), b.party);
        break;
      case 'rulepack.loaded': {
        const text = str(b.yaml);
        if (sha256Hex(text) !== b.sha256)
          fail(`${where}: the pack text does not hash to its recorded SHA-256 ${str(b.sha256)}`);
        try {
          packs.push(parsePack(text, str(b.file), str(b.sha256)));
        } catch (e) {
          fail(`${where}: the pack ${str(b.packId)}@${str(b.version)} does not parse: ${(e as Error).message}`, e);
        }
        break;
      }
      case 'application.submitted': {
        applications++;
        const a = isObject(b.application) ? b.application : {};
        const as = isObject(b.assessment) ? b.assessment : {};
        const asOf = str(as.asOf);
        const applicant = parties.get(str(a.applicant));
        if (applicant === undefined)
          fail(`${where}: the applicant ${str(a.applicant)} is not registered in the bundle`);
        const exportFrom = str(applicant.country);
        // Readings the applicant chose (--assume) are re-applied; the pack defaults otherwise.
        const readings: Record<string, string> = {};
        if (isObject(as.readings)) for (const [k, v] of Object.entries(as.readings)) readings[k] = str(v);
        const recorded = new Map(
          list(as.lines)
            .filter(isObject)
            .map((l) => [str(l.ref), isObject(l.classification) ? list(l.classification.codes).map(str) : []]),
        );
        const codes = new Set<string>();
        const underRules = new Set<string>();
        const origins = new Set<string>();
        for (const line of list(a.lines).filter(isObject)) {
          let item;
          try {
            item = parseItem(line.item, `${where} line ${str(line.ref)} item`);
          } catch (e) {
            return fail(`${where}: ${(e as Error).message}`, e);
          }
          const c = classify(item, packs, {
            asOf,
            exportFrom,
            readings,
            ...(typeof a.destination === 'string' ? { destination: str(a.destination) } : {}),
          });
          const got = c.codes;
          for (const f of c.findings) if (f.outcome === 'applies') underRules.add(f.id);
          origins.add(item.origin);
          const want = recorded.get(str(line.ref)) ?? [];
          if (got.join(',') !== [...want].join(',')) {
            fail(
              `${where}: line ${str(line.ref)} re-classifies as [${got.join(', ')}] under the bundle's rule packs as of ${asOf}, but the assessment recorded [${want.join(', ')}]`,
            );
          }
          for (const c of got) codes.add(c);
        }
        // The licensing policy, with the recorded screening hits as facts.
        const screening = list(as.screening).filter(isObject);
        const policyParties: PolicyParty[] = screening.map((s) => {
          const p = parties.get(str(s.partyId)) ?? {};
          const hits = list(s.hits).filter(isObject);
          const hit = hits[0];
          // Each hit's list effect as the assessment recorded it (assessments before lists carried one: information).
          const listings = hits.map((h): PolicyListing => ({
            list: str(h.list),
            ...(typeof h.authority === 'string' ? { authority: h.authority } : {}),
            effect: h.effect === 'deny' || h.effect === 'review' ? h.effect : 'information',
            ...(typeof h.regime === 'string' ? { regime: h.regime } : {}),
            viaOwners: h.via !== undefined,
            text: `listed on ${str(h.list)}`,
          }));
          return {
            role: str(s.role) as PolicyParty['role'],
            id: str(s.partyId),
            name: str(p.name),
            country: str(p.country),
            ...(typeof p.sector === 'string' ? { sector: p.sector as NonNullable<PolicyParty['sector']> } : {}),
            ...(hit ? { listed: `listed on ${str(hit.list)}`, listings } : {}),
          };
        });
        const authority = parties.get(str(a.authority));
        const endUse = isObject(a.endUse) ? a.endUse : {};
        const policy = evaluatePolicies(
          {
            asOf,
            destination: str(a.destination),
            purposes: list(endUse.purposes).map(str) as EndUsePurpose[],
            parties: policyParties,
            rules: [...underRules].sort(),
            origins: [...origins],
            readings,
          },
          packs.filter((p) => p.jurisdiction === authority?.country),
        );
        let recommendation: string = policy.recommendation;
        if (a.certificateId === undefined && codes.size > 0 && recommendation === 'approvable')
          recommendation = 'case-by-case';
        if (recommendation !== as.recommendation)
          fail(
            `${where}: the rules recommend "${recommendation}", but the assessment recorded "${str(as.recommendation)}"`,
          );
        recommendations.set(str(b.id), { recommendation, codes: [...codes].sort() });
        break;
      }
      case 'application.decided': {
        const assessed = recommendations.get(str(b.applicationId));
        if (b.decision === 'approved') {
          approvals++;
          if (assessed === undefined)
            fail(`${where}: approves application ${str(b.applicationId)}, whose assessment is not in the bundle`);
          if (assessed.recommendation === 'deny')
            fail(`${where}: approves application ${str(b.applicationId)}, which the rules say to deny`);
          const lic = isObject(b.licence) ? b.licence : {};
          for (const line of list(lic.lines).filter(isObject)) {
            const codes = list(line.controlCodes).map(str).sort();
            const bad = codes.filter((c) => !assessed.codes.includes(c));
            if (bad.length > 0)
              fail(
                `${where}: licence line ${str(line.ref)} names control codes [${bad.join(', ')}] that the rules do not give the application's items`,
              );
          }
        } else if (b.decision === 'denied') {
          denials++;
          if (list(b.reasons).length === 0) fail(`${where}: a denial must give its reasons`);
        }
        break;
      }
      default:
        break;
    }
  });
  return { applications, approvals, denials };
}
