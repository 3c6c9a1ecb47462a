import { randomUUID } from 'node:crypto';
import {
  formatMoney,
  formatGrams,
  applicationSchema,
  approvalSchema,
  checkValidityNotPast,
  dayOfInstant,
  parse,
  validityProblem,
  ValidationError,
  type ApplicationInput,
  type Licence,
  todayUtc,
  type LineBalance,
} from '../domain/index.js';
import {
  classify,
  evaluatePolicies,
  listingInRegime,
  mergeAssumptions,
  type Assumption,
  type Classification,
  type PolicyEvaluation,
  type PolicyListing,
  type PolicyParty,
  type Readings,
} from '../rules/index.js';
import { applicationsRepo, licencesRepo, screeningRepo, type LicenceRow } from '../store/index.js';
import type { AppContext } from './context.js';
import { AppError, RefusedError } from './errors.js';
import { commit } from './journal.js';
import { screenPartiesInTx, type PartyScreening, type ScreeningHit } from './screening.js';
import { checkCertificate } from './certificates.js';
import { backApproval } from './certificate-backing.js';
import { journalPacks } from './classify.js';
import { requireParty } from './parties.js';
import { confirmPeerCertificate } from './status-fetch.js';
import { refuseSelfDecision, requireTrusted } from './trustlist.js';

/** What the system established about an application when it was submitted. */
export interface Assessment {
  readonly asOf: string;
  readonly lines: readonly { readonly ref: string; readonly classification: Classification }[];
  readonly controlled: boolean;
  readonly codes: readonly string[];
  readonly screening: readonly (PartyScreening & { readonly role: PolicyParty['role'] })[];
  readonly certificate?: { readonly id: string; readonly status: 'valid'; readonly countersignedBy?: string };
  readonly policy: PolicyEvaluation;
  readonly recommendation: 'approvable' | 'case-by-case' | 'deny';
  /** The reasons behind the recommendation, in words. */
  readonly reasons: readonly string[];
  /** Unverified facts the classification or the policy depends on, with the reading used (empty when none). */
  readonly assumptions?: readonly Assumption[];
  /** Readings the applicant chose instead of the packs' defaults (--assume), when any. */
  readonly readings?: Readings;
}

export interface SubmittedApplication {
  readonly id: string;
  readonly seq: number;
  readonly assessment: Assessment;
}

/**
 * An exporter applies for a licence: every party is screened, every item classified, the
 * certificate checked and the licensing policy of the packs evaluated — all recorded with the
 * application, in one transaction, signed by the applicant.
 */
export async function submitApplication(
  ctx: AppContext,
  input: unknown,
  opts: { readings?: Readings } = {},
): Promise<SubmittedApplication> {
  const readings = opts.readings ?? {};
  const a = parse(applicationSchema, input, 'application');
  const packs = ctx.packs();
  const asOf = todayUtc(ctx.clock);
  // A peer's certificate: its bit in the peer's published status list first (status-fetch.ts).
  if (a.certificateId !== undefined) await confirmPeerCertificate(ctx, { certificateId: a.certificateId }, 'approval');
  return ctx.store.transaction(async (tx) => {
    const authority = await requireParty(tx, a.authority, 'application.authority');
    const roles: [PolicyParty['role'], string, string][] = [
      ['applicant', a.applicant, 'application.applicant'],
      ['importer', a.importer, 'application.importer'],
      ['end-user', a.endUser, 'application.endUser'],
    ];
    if (a.consignee !== undefined) roles.push(['consignee', a.consignee, 'application.consignee']);
    const parties = await Promise.all(
      roles.map(async ([role, id, field]) => ({ role, party: await requireParty(tx, id, field) })),
    );
    const applicant = parties[0]?.party;
    if (applicant === undefined) throw new ValidationError('application.applicant', 'is required');
    // The authority is whoever the trust list names for the export's country — never the applicant's own choice.
    refuseSelfDecision(authority.id, a);
    await requireTrusted(tx, authority.id, 'licensing-authority', applicant.country, 'TRUST_LIST_AUTHORITY');
    const lines = a.lines.map((l) => ({
      ref: l.ref,
      classification: classify(l.item, packs, {
        asOf,
        exportFrom: applicant.country,
        destination: a.destination,
        readings,
      }),
    }));
    const codes = [...new Set(lines.flatMap((l) => l.classification.codes))].sort();
    const screenings = await screenPartiesInTx(
      tx,
      parties.map((p) => p.party),
    );
    // Each list carries its issuing authority and legal effect (deny / review / information), as imported;
    // recorded with each hit so that a verifier re-runs the policy on the same facts.
    const lists = new Map(
      (await screeningRepo.currentImports(tx)).map((r) => [
        r.list,
        { authority: r.authority ?? undefined, effect: r.effect, regime: r.country ?? undefined },
      ]),
    );
    const withEffect = (h: ScreeningHit): ScreeningHit => {
      const l = lists.get(h.list);
      return {
        ...h,
        effect: l?.effect ?? 'information',
        ...(l?.authority === undefined ? {} : { authority: l.authority }),
        ...(l?.regime === undefined ? {} : { regime: l.regime }),
      };
    };
    const screening = screenings.map((s, i) => ({
      ...s,
      hits: s.hits.map(withEffect),
      role: parties[i]?.role ?? 'applicant',
    }));
    let certificate: Assessment['certificate'];
    if (a.certificateId !== undefined) {
      const c = await checkCertificate(tx, a.certificateId, {
        asOf,
        exporter: a.applicant,
        importer: a.importer,
        endUser: a.endUser,
        items: a.lines.map((l) => ({ hsCode: l.item.hsCode, quantityGrams: l.quantityGrams })),
      });
      certificate = {
        id: a.certificateId,
        status: 'valid',
        ...(c.countersignedBy === null ? {} : { countersignedBy: c.countersignedBy }),
      };
    }
    const hitText = (hit: ScreeningHit) =>
      `listed on ${hit.list} as "${hit.name}" (score ${hit.score.toFixed(2)}${hit.via ? `, via ${hit.via.join('; ')}` : ''})`;
    const policyParties: PolicyParty[] = parties.map(({ role, party: p }) => {
      const hits = screening.find((s) => s.partyId === p.id)?.hits ?? [];
      const hit = hits[0];
      const listings: PolicyListing[] = hits.map((h) => ({
        list: h.list,
        ...(h.authority === undefined ? {} : { authority: h.authority }),
        effect: h.effect ?? 'information',
        ...(h.regime === undefined ? {} : { regime: h.regime }),
        viaOwners: h.via !== undefined,
        text: hitText(h),
      }));
      return {
        role,
        id: p.id,
        name: p.name,
        country: p.country,
        ...(p.sector === undefined ? {} : { sector: p.sector }),
        ...(hit ? { listed: hitText(hit), listings } : {}),
      };
    });
    // The authority applies its own law: the packs of its jurisdiction (MOFCOM: CN), also to an overseas
    // exporter's application (Ann. 61), which the items' classification (exported from the applicant's country)
    // puts under Ann. 61 rules; `lodestone verify` re-evaluates the policy with the same packs.
    const jurisdictionPacks = packs.filter((p) => p.jurisdiction === authority.country);
    // The rules each item is controlled under: policies stated for some rules only (Ann. 61's) govern only those exports.
    const underRules = [
      ...new Set(
        lines.flatMap((l) => l.classification.findings.filter((f) => f.outcome === 'applies').map((f) => f.id)),
      ),
    ].sort();
    const origins = [...new Set(a.lines.map((l) => l.item.origin))];
    const policy = evaluatePolicies(
      {
        asOf,
        destination: a.destination,
        purposes: a.endUse.purposes,
        parties: policyParties,
        rules: underRules,
        origins,
        readings,
      },
      jurisdictionPacks,
    );
    const reasons: string[] = [];
    let recommendation = policy.recommendation;
    for (const f of policy.findings.filter((x) => x.outcome === 'applies'))
      reasons.push(
        `${f.decision === 'deny' ? 'Deny' : 'Review case by case'}: ${f.title} (${f.citation.clause}) — ${f.facts.join('; ')}`,
      );
    // A hit on a list whose effect is information (a foreign list), or deny / review under another
    // country's export regime, is for the officer: no legal consequence under the packs.
    for (const pp of policyParties) {
      for (const l of pp.listings ?? []) {
        const foreign =
          l.effect !== 'information' && !jurisdictionPacks.some((p) => listingInRegime(l, p.jurisdiction));
        if (l.effect === 'information' || foreign)
          reasons.push(
            `Information for the officer (no legal consequence under ${jurisdictionPacks.map((p) => p.id).join(', ') || 'the packs'}): ${pp.role} ${pp.name} ${l.text}, list ${l.list}${l.authority ? ` issued by ${l.authority}` : ''}${foreign ? `, effect ${l.effect} under ${l.regime ?? ''}'s export regime` : ''}.`,
          );
      }
    }
    if (a.certificateId === undefined && codes.length > 0) {
      reasons.push('No end-user certificate is attached: MOFCOM requires one for controlled items.');
      if (recommendation === 'approvable') recommendation = 'case-by-case';
    }
    if (certificate !== undefined && certificate.countersignedBy === undefined) {
      reasons.push(
        `End-user certificate ${certificate.id} is valid as signed by the end user but not yet countersigned by the importing ` +
          `government (lodestone certificates countersign ${certificate.id} --as GOVERNMENT).`,
      );
    }
    if (codes.length === 0) reasons.push('No item is controlled as of today: no licence is needed.');
    if (reasons.length === 0) {
      const cert =
        certificate?.countersignedBy === undefined
          ? 'no certificate'
          : `certificate valid, countersigned by ${certificate.countersignedBy}`;
      reasons.push(
        `Controlled under ${codes.join(', ')}; parties screened clear; ${cert}; no licensing policy objects.`,
      );
    }
    const assumptions = mergeAssumptions([...lines.map((l) => l.classification.assumptions), policy.assumptions]);
    const chosen = Object.keys(readings).length > 0 ? { readings: { ...readings } } : {};
    const assessment: Assessment = {
      asOf,
      lines,
      controlled: codes.length > 0,
      codes,
      screening,
      ...(certificate ? { certificate } : {}),
      policy,
      recommendation,
      reasons,
      assumptions,
      ...chosen,
    };
    await journalPacks(tx, ctx, a.applicant, packs);
    const id = `app-${randomUUID().slice(0, 8)}`;
    const c = await commit(tx, ctx, 'application.submitted', a.applicant, { id, application: a, assessment });
    // The assessment (classification, certificate expiry) is as of the server's day of the record's `at`; a verifier re-checks it.
    if (dayOfInstant(c.record.payload.at) !== asOf)
      throw new RefusedError([
        {
          rule: 'DAY_CHANGED',
          message: `the server's date changed from ${asOf} while the application was assessed; submit it again`,
        },
      ]);
    return { id, seq: c.seq, assessment };
  });
}

export type DecisionInput =
  | { readonly decision: 'approve'; readonly conditions: unknown }
  | { readonly decision: 'deny'; readonly reasons: readonly string[] }
  | { readonly decision: 'request-info'; readonly questions: readonly string[] };

export interface DecisionResult {
  readonly applicationId: string;
  readonly decision: 'approved' | 'denied' | 'info-requested';
  readonly licence?: Licence;
  readonly seq: number;
  /** Unverified facts the assessment decided on depended on (recorded with the decision). */
  readonly assumptions: readonly Assumption[];
}

/** The licensing authority decides an application: approve with conditions, deny with reasons, or ask for more. */
export async function decideApplication(
  ctx: AppContext,
  authorityId: string,
  applicationId: string,
  input: DecisionInput,
): Promise<DecisionResult> {
  if (input.decision === 'approve') {
    const certificateId = (
      (await applicationsRepo.get(ctx.store.db, applicationId))?.application as ApplicationInput | undefined
    )?.certificateId;
    if (certificateId !== undefined) await confirmPeerCertificate(ctx, { certificateId }, 'approval');
  }
  return ctx.store.transaction(async (tx) => {
    const row = await applicationsRepo.lock(tx, applicationId);
    if (!row || row.authority !== authorityId)
      throw new AppError('NOT_FOUND', `no application "${applicationId}" before ${authorityId}`, {
        field: 'applicationId',
      });
    if (row.status === 'approved' || row.status === 'denied')
      throw new AppError('ALREADY_EXISTS', `application ${applicationId} was already ${row.status}`);
    const a = row.application as ApplicationInput;
    const assessment = row.assessment as Assessment;
    const assumptions = [...(assessment.assumptions ?? [])];
    const dep = assumptions.length > 0 ? { assumptions } : {};
    refuseSelfDecision(authorityId, a);
    const trustList = await requireTrusted(
      tx,
      authorityId,
      'licensing-authority',
      (await requireParty(tx, a.applicant, 'application.applicant')).country,
      'TRUST_LIST_AUTHORITY',
    );
    if (input.decision === 'deny') {
      if (input.reasons.length === 0)
        throw new ValidationError('decision.reasons', 'a denial must give at least one reason');
      const c = await commit(tx, ctx, 'application.decided', authorityId, {
        applicationId,
        decision: 'denied',
        reasons: [...input.reasons],
        trustList,
        ...dep,
      });
      return { applicationId, decision: 'denied', seq: c.seq, assumptions };
    }
    if (input.decision === 'request-info') {
      if (input.questions.length === 0)
        throw new ValidationError('decision.questions', 'must ask at least one question');
      const c = await commit(tx, ctx, 'application.decided', authorityId, {
        applicationId,
        decision: 'info-requested',
        reasons: [...input.questions],
        trustList,
        ...dep,
      });
      return { applicationId, decision: 'info-requested', seq: c.seq, assumptions };
    }
    const cond = parse(approvalSchema, input.conditions, 'conditions');
    if (assessment.recommendation === 'deny') {
      throw new AppError(
        'FORBIDDEN',
        `application ${applicationId} cannot be approved: ${assessment.reasons.filter((r) => r.startsWith('Deny')).join(' ')}`,
      );
    }
    const validFrom = cond.validFrom ?? a.validFrom;
    const validUntil = cond.validUntil ?? a.validUntil;
    const problem = validityProblem(a.licenceType, validFrom, validUntil);
    if (problem) throw new ValidationError('conditions.validUntil', problem);
    const past = checkValidityNotPast(validUntil, todayUtc(ctx.clock)); // judged at the server's day (issue 18, item 12)
    if (past.length > 0) throw new RefusedError(past);
    for (const ref of Object.keys(cond.ceilings ?? {})) {
      if (!a.lines.some((l) => l.ref === ref))
        throw new ValidationError(`conditions.ceilings.${ref}`, 'no such line in the application');
    }
    const lines = a.lines.map((l) => {
      const c = cond.ceilings?.[l.ref];
      if (c?.grams !== undefined && c.grams > l.quantityGrams)
        throw new ValidationError(
          `conditions.ceilings.${l.ref}.grams`,
          `cannot exceed the ${formatGrams(l.quantityGrams)} applied for, got ${formatGrams(c.grams)}`,
        );
      if (c?.valueMinor !== undefined && c.valueMinor > l.value.minor)
        throw new ValidationError(
          `conditions.ceilings.${l.ref}.valueMinor`,
          `cannot exceed the ${formatMoney(l.value)} (${l.value.minor} minor units) applied for, got ${c.valueMinor} minor units`,
        );
      const codes = assessment.lines.find((x) => x.ref === l.ref)?.classification.codes ?? [];
      return {
        ref: l.ref,
        description: l.item.description ?? l.item.form,
        controlCodes: codes,
        item: l.item,
        ceilingGrams: c?.grams ?? l.quantityGrams,
        ceilingValue: { currency: l.value.currency, minor: c?.valueMinor ?? l.value.minor },
      };
    });
    const year = validFrom.slice(0, 4);
    const proposed: Licence = {
      id: `LIC-${(await requireParty(tx, authorityId, 'authority')).country}-${year}-${randomUUID().slice(0, 6).toUpperCase()}`,
      applicationId,
      authority: authorityId,
      holder: a.applicant,
      importer: a.importer,
      consignee: a.consignee ?? a.importer,
      endUser: a.endUser,
      destination: a.destination,
      endUse: a.endUse,
      type: a.licenceType,
      validFrom,
      validUntil,
      lines,
      prohibitedReexportDestinations: [...cond.prohibitedReexportDestinations],
      ...(cond.useOnlyIn === undefined ? {} : { useOnlyIn: cond.useOnlyIn }),
      extendsToIncorporatingProducts: cond.extendsToIncorporatingProducts ?? true,
      reportingDuties: [...(cond.reportingDuties ?? [])],
      ...(a.certificateId === undefined ? {} : { certificateId: a.certificateId }),
      conditions: [...(cond.conditions ?? [])],
    };
    // The certificate checked again, its undertakings joined in, its quantities claimed (issue 18, items 3 and 4).
    const { licence, claim } = await backApproval(tx, proposed, todayUtc(ctx.clock));
    const c = await commit(tx, ctx, 'application.decided', authorityId, {
      applicationId,
      decision: 'approved',
      reasons:
        licence.conditions.length > 0 ? [...licence.conditions] : ['approved with the conditions of the licence'],
      licence,
      ...(claim === undefined ? {} : { claim }),
      trustList,
      ...dep,
    });
    return { applicationId, decision: 'approved', licence, seq: c.seq, assumptions };
  });
}

export function licenceOf(row: LicenceRow): Licence {
  return row.licence as Licence;
}

export interface LicenceStatus {
  readonly licence: Licence;
  readonly status: LicenceRow['status'];
  /** Why a suspended licence is suspended: its certificate's revocation (journal entry and reason). */
  readonly suspension?: { readonly seq: number; readonly reason: string; readonly certificateId?: string };
  readonly balance: readonly (LineBalance & {
    readonly ceilingGrams: number;
    readonly ceilingValueMinor: number;
    readonly currency: string;
    readonly shipments: number;
  })[];
}

export async function getLicence(ctx: AppContext, id: string): Promise<LicenceStatus> {
  const row = await licencesRepo.get(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `no licence "${id}"`, { field: 'licence' });
  const balance = (await licencesRepo.balances(ctx.store.db, id)).map((b) => ({
    ref: b.line_ref,
    shippedGrams: b.shipped_grams,
    shippedValueMinor: b.shipped_value_minor,
    ceilingGrams: b.ceiling_grams,
    ceilingValueMinor: b.ceiling_value_minor,
    currency: b.currency,
    shipments: b.shipments,
  }));
  const licence = licenceOf(row);
  const suspension =
    row.suspended_seq === null
      ? undefined
      : {
          seq: row.suspended_seq,
          reason: row.suspension_reason ?? '',
          ...(licence.certificateId === undefined ? {} : { certificateId: licence.certificateId }),
        };
  return { licence, status: row.status, ...(suspension === undefined ? {} : { suspension }), balance };
}
