import { z } from 'zod';
import { massBalance, toAlert, toLot, type AppContext } from '../app/index.js';
import { formatPpm, type Money, type Party } from '../domain/index.js';
import { listsRepo, partiesRepo, type LicenceBalanceRow, type PartyRow } from '../store/index.js';
import { CsvAnswer, listQuery, listWindow, pageAnswer, toCsv, type ListParams } from './listing.js';

/**
 * The caseload lists (applications, licences, certificates, alerts, lots) and the mass-balance
 * CSV: each list's filters and CSV columns, and the shape of a row. The routes in routes.ts and
 * console-routes.ts call these; the store (listsRepo) searches, filters, sorts, counts and pages in
 * SQL, with who may see a row in the same query; listing.ts turns the page into headers or CSV.
 */

/** Exact kilograms of whole grams, as a decimal string ("1250.5"): for CSV cells a spreadsheet reads. */
export function kgText(grams: number): string {
  const neg = grams < 0;
  const g = BigInt(Math.abs(grams));
  const frac = (g % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${(g / 1000n).toString()}${frac === '' ? '' : `.${frac}`}`;
}

/** Money as an exact decimal in its currency's major unit ("12500.00"), without the currency. */
function majorText(m: Money, digits: number): string {
  const s = m.minor.toString().padStart(digits + 1, '0');
  return digits === 0 ? s : `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}
const digitsOf = (currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;

export interface PartyFacts {
  readonly id: string;
  readonly name: string;
  readonly country: string;
  /** "60 % owned by Lakeshore EV Drivetrains Inc., a US company" — one per direct owner. */
  readonly ownership: readonly string[];
}

/** Names, countries and ownership facts of these parties (for showing names rather than ids). */
export async function partyFacts(
  ctx: AppContext,
  ids: Iterable<string | null | undefined>,
): Promise<Map<string, PartyFacts>> {
  const wanted = [...new Set([...ids].filter((x): x is string => typeof x === 'string'))];
  const rows: PartyRow[] = await partiesRepo.byIds(ctx.store.db, wanted);
  return new Map(
    rows.map((r) => {
      const p = r.party as Party;
      return [
        r.id,
        {
          id: r.id,
          name: p.name,
          country: p.country,
          ownership: (p.owners ?? []).map(
            (o) => `${formatPpm(o.sharePpm)} owned by ${o.name}${o.country ? `, a ${o.country} company` : ''}`,
          ),
        },
      ];
    }),
  );
}

const nameOf = (parties: Map<string, PartyFacts>, id: string | null | undefined) =>
  id === null || id === undefined ? '' : (parties.get(id)?.name ?? id);

// ── Applications ────────────────────────────────────────────────────────────────────────────

const APPLICATION_STATUSES = ['submitted', 'approved', 'denied', 'info-requested'] as const;
export const applicationsQuery = listQuery(['submitted', 'applicant', 'status', 'recommendation', 'destination'], {
  status: z
    .enum(['pending', 'decided', 'all', ...APPLICATION_STATUSES])
    .optional()
    .describe('pending (default: submitted or info-requested), decided (approved or denied), all, or one status'),
  recommendation: z.enum(['approvable', 'case-by-case', 'deny']).optional(),
  destination: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
    .optional(),
});
export type ApplicationsQuery = z.infer<typeof applicationsQuery>;

interface ApplicationDoc {
  authority: string;
  importer: string;
  endUser: string;
  consignee?: string;
  destination: string;
  certificateId?: string;
  lines: { ref: string; quantityGrams: number; value: Money; item: { description?: string; hsCode?: string } }[];
}

/** An authority's applications, with party names, ownership facts and the certificate each relies on. */
export async function applicationsList(ctx: AppContext, authority: string, query: ApplicationsQuery, accept?: string) {
  const window = listWindow(query, { defaultSort: 'submitted' }, accept);
  const { rows, total } = await listsRepo.applications(
    ctx.store.db,
    authority,
    { status: query.status ?? 'pending', recommendation: query.recommendation, destination: query.destination },
    window,
  );
  const docs = rows.map((r) => r.application as ApplicationDoc);
  const certificates = new Map(
    (
      await listsRepo.certificatesByIds(
        ctx.store.db,
        docs.flatMap((d) => d.certificateId ?? []),
      )
    ).map((c) => [c.id, c]),
  );
  const parties = await partyFacts(ctx, [
    ...rows.flatMap((r, i) => [r.applicant, docs[i]?.importer, docs[i]?.endUser, docs[i]?.consignee]),
    ...[...certificates.values()].map((c) => c.countersigned_by),
  ]);
  const items = rows.map((r) => {
    const a = r.application as ApplicationDoc;
    const cert = a.certificateId === undefined ? undefined : certificates.get(a.certificateId);
    const involved = [r.applicant, a.importer, a.endUser, a.consignee].filter((x): x is string => x !== undefined);
    return {
      id: r.id,
      status: r.status,
      applicant: r.applicant,
      recommendation: r.recommendation,
      application: r.application,
      assessment: r.assessment,
      decision: r.decision,
      seq: r.seq,
      submittedAt: new Date(r.submitted_at).toISOString(),
      parties: Object.fromEntries(
        involved.map((id) => [id, parties.get(id) ?? { id, name: id, country: '', ownership: [] }]),
      ),
      certificate:
        cert === undefined
          ? null
          : {
              id: cert.id,
              status: cert.status,
              countersignedBy: cert.countersigned_by,
              countersignedByName: cert.countersigned_by === null ? null : nameOf(parties, cert.countersigned_by),
              validFrom: cert.valid_from,
              validUntil: cert.valid_until,
              undertakings: (cert.subject as { undertakings?: unknown }).undertakings ?? null,
            },
    };
  });
  type Item = (typeof items)[number];
  const doc = (i: Item) => i.application as ApplicationDoc;
  return pageAnswer(
    items,
    total,
    query,
    window,
    {
      filename: `applications-${authority}`,
      columns: [
        { header: 'application', value: (i) => i.id },
        { header: 'status', value: (i) => i.status },
        { header: 'recommendation', value: (i) => i.recommendation },
        { header: 'applicant', value: (i) => nameOf(parties, i.applicant) },
        { header: 'importer', value: (i) => nameOf(parties, doc(i).importer) },
        { header: 'end user', value: (i) => nameOf(parties, doc(i).endUser) },
        { header: 'destination', value: (i) => doc(i).destination },
        { header: 'quantity (kg)', value: (i) => kgText(doc(i).lines.reduce((t, l) => t + l.quantityGrams, 0)) },
        { header: 'certificate', value: (i) => i.certificate?.id ?? '' },
        { header: 'countersigned by', value: (i) => i.certificate?.countersignedByName ?? '' },
        { header: 'submitted at', value: (i) => i.submittedAt },
      ],
    },
    { path: `/v1/authorities/${encodeURIComponent(authority)}/applications` },
  );
}

// ── Licences ────────────────────────────────────────────────────────────────────────────────

export const licencesQuery = listQuery(
  ['decided', 'id', 'status', 'holder', 'destination', 'validUntil', 'utilisation'],
  {
    status: z.enum(['active', 'suspended', 'revoked']).optional(),
    destination: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
      .optional(),
    holder: z.string().min(1).max(200).optional(),
  },
);
export type LicencesQuery = z.infer<typeof licencesQuery>;

/** The licences naming the caller, with utilisation (granted, shipped and remaining grams over every line). */
export async function licencesList(ctx: AppContext, party: string, query: LicencesQuery, accept?: string) {
  const window = listWindow(query, { defaultSort: 'decided' }, accept);
  const { rows, total } = await listsRepo.licences(
    ctx.store.db,
    party,
    { status: query.status, destination: query.destination, holder: query.holder },
    window,
  );
  const parties = await partyFacts(
    ctx,
    rows.flatMap((r) => [r.authority, r.holder, r.consignee, r.end_user]),
  );
  const balancesOf = new Map<string, LicenceBalanceRow[]>();
  for (const b of await listsRepo.balancesOf(
    ctx.store.db,
    rows.map((r) => r.id),
  ))
    balancesOf.set(b.licence_id, [...(balancesOf.get(b.licence_id) ?? []), b]);
  const items = rows.map((r) => {
    const balances = balancesOf.get(r.id) ?? [];
    const grantedGrams = balances.reduce((t, b) => t + b.ceiling_grams, 0);
    const shippedGrams = balances.reduce((t, b) => t + b.shipped_grams, 0);
    return {
      id: r.id,
      status: r.status,
      authority: r.authority,
      holder: r.holder,
      consignee: r.consignee,
      endUser: r.end_user,
      destination: r.destination,
      validFrom: r.valid_from,
      validUntil: r.valid_until,
      applicationId: r.application_id,
      seq: r.seq,
      names: {
        authority: nameOf(parties, r.authority),
        holder: nameOf(parties, r.holder),
        consignee: nameOf(parties, r.consignee),
        endUser: nameOf(parties, r.end_user),
      },
      utilisation: {
        grantedGrams,
        shippedGrams,
        remainingGrams: grantedGrams - shippedGrams,
        shipments: balances.reduce((t, b) => t + b.shipments, 0),
        // Per-line value ceilings stay per currency: a licence's lines may be in different currencies.
        lines: balances.map((b) => ({
          ref: b.line_ref,
          ceilingGrams: b.ceiling_grams,
          shippedGrams: b.shipped_grams,
          ceilingValueMinor: b.ceiling_value_minor,
          shippedValueMinor: b.shipped_value_minor,
          currency: b.currency,
        })),
      },
    };
  });
  return pageAnswer(
    items,
    total,
    query,
    window,
    {
      filename: 'licences',
      columns: [
        { header: 'licence', value: (i) => i.id },
        { header: 'status', value: (i) => i.status },
        { header: 'authority', value: (i) => i.names.authority },
        { header: 'holder', value: (i) => i.names.holder },
        { header: 'consignee', value: (i) => i.names.consignee },
        { header: 'end user', value: (i) => i.names.endUser },
        { header: 'destination', value: (i) => i.destination },
        { header: 'valid from', value: (i) => i.validFrom },
        { header: 'valid until', value: (i) => i.validUntil },
        { header: 'granted (kg)', value: (i) => kgText(i.utilisation.grantedGrams) },
        { header: 'shipped (kg)', value: (i) => kgText(i.utilisation.shippedGrams) },
        { header: 'remaining (kg)', value: (i) => kgText(i.utilisation.remainingGrams) },
        {
          header: 'value shipped of ceiling',
          value: (i) =>
            i.utilisation.lines
              .map(
                (l) =>
                  `${l.ref}: ${l.currency} ${majorText({ currency: l.currency, minor: l.shippedValueMinor }, digitsOf(l.currency))} of ${majorText({ currency: l.currency, minor: l.ceilingValueMinor }, digitsOf(l.currency))}`,
              )
              .join('; '),
        },
        { header: 'shipments', value: (i) => i.utilisation.shipments },
      ],
    },
    { path: '/v1/console/licences' },
  );
}

// ── Certificates ────────────────────────────────────────────────────────────────────────────

export const certificatesQuery = listQuery(['issued', 'status', 'issuer', 'validUntil'], {
  status: z.enum(['active', 'revoked']).optional(),
  countersigned: z.enum(['yes', 'no']).optional(),
});
export type CertificatesQuery = z.infer<typeof certificatesQuery>;

/**
 * Certificates `party` may see: those naming it, and for a government (`governs`: its country) those
 * of importers registered there (decided in the query, see listsRepo.certificates).
 */
export async function certificatesList(
  ctx: AppContext,
  party: string,
  governs: string | undefined,
  query: CertificatesQuery,
  accept?: string,
) {
  const window = listWindow(query, { defaultSort: 'issued' }, accept);
  const { rows, total } = await listsRepo.certificates(
    ctx.store.db,
    party,
    governs,
    { status: query.status, countersigned: query.countersigned },
    window,
  );
  const parties = await partyFacts(
    ctx,
    rows.flatMap((r) => [r.issuer, r.exporter, r.importer, r.end_user, r.countersigned_by]),
  );
  const items = rows.map((r) => ({
    id: r.id,
    seq: r.seq,
    status: r.status,
    issuer: r.issuer,
    exporter: r.exporter,
    importer: r.importer,
    endUser: r.end_user,
    countersignedBy: r.countersigned_by,
    validFrom: r.valid_from,
    validUntil: r.valid_until,
    names: {
      issuer: nameOf(parties, r.issuer),
      exporter: nameOf(parties, r.exporter),
      importer: nameOf(parties, r.importer),
      endUser: nameOf(parties, r.end_user),
      countersignedBy: nameOf(parties, r.countersigned_by),
    },
  }));
  return pageAnswer(
    items,
    total,
    query,
    window,
    {
      filename: 'certificates',
      columns: [
        { header: 'certificate', value: (i) => i.id },
        { header: 'status', value: (i) => i.status },
        { header: 'end user (issuer)', value: (i) => i.names.issuer },
        { header: 'exporter', value: (i) => i.names.exporter },
        { header: 'importer', value: (i) => i.names.importer },
        { header: 'countersigned by', value: (i) => i.names.countersignedBy },
        { header: 'valid from', value: (i) => i.validFrom },
        { header: 'valid until', value: (i) => i.validUntil },
      ],
    },
    { path: '/v1/console/certificates' },
  );
}

// ── Alerts ──────────────────────────────────────────────────────────────────────────────────

const SEVERITIES = ['info', 'warning', 'high', 'critical'] as const;
export const alertsQuery = listQuery(['raised', 'severity', 'rule', 'licence'], {
  severity: z.enum(SEVERITIES).optional().describe('at least this severity'),
  status: z.enum(['open', 'resolved']).optional(),
  rule: z.string().min(1).max(100).optional(),
  licence: z.string().min(1).max(200).optional(),
});
export type AlertsQuery = z.infer<typeof alertsQuery>;

/** Alerts on the licences `authority` issued, searched, filtered, sorted and paged. */
export async function alertsList(ctx: AppContext, authority: string, query: AlertsQuery, accept?: string) {
  const window = listWindow(query, { defaultSort: 'raised', defaultOrder: 'desc' }, accept);
  const atLeast = query.severity === undefined ? undefined : SEVERITIES.indexOf(query.severity);
  const page = await listsRepo.alerts(
    ctx.store.db,
    authority,
    {
      severities: atLeast === undefined ? undefined : SEVERITIES.slice(atLeast),
      status: query.status,
      rule: query.rule,
      licence: query.licence,
    },
    window,
  );
  const rows = page.rows.map(toAlert);
  const total = page.total;
  return pageAnswer(
    rows,
    total,
    query,
    window,
    {
      filename: 'alerts',
      columns: [
        { header: 'alert', value: (a) => a.id },
        { header: 'severity', value: (a) => a.severity },
        { header: 'status', value: (a) => a.status },
        { header: 'rule', value: (a) => a.rule },
        { header: 'licence', value: (a) => a.licenceId ?? '' },
        { header: 'parties', value: (a) => a.parties.join(' ') },
        { header: 'raised at', value: (a) => a.raisedAt },
        { header: 'explanation', value: (a) => a.explanation },
        { header: 'evidence (journal entries)', value: (a) => a.evidence.seqs.join(' ') },
      ],
    },
    { path: '/v1/console/alerts' },
  );
}

// ── Lots ────────────────────────────────────────────────────────────────────────────────────

export const lotsQuery = listQuery(['id', 'mass', 'location', 'form'], {
  licence: z.string().min(1).max(200).optional().describe('lots carrying this licence’s restriction'),
  location: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
    .optional(),
  restricted: z.enum(['yes', 'no']).optional(),
});
export type LotsQuery = z.infer<typeof lotsQuery>;

/** The caller's lots, searched, filtered, sorted and paged. */
export async function lotsList(ctx: AppContext, holder: string, query: LotsQuery, accept?: string) {
  const window = listWindow(query, { defaultSort: 'id' }, accept);
  const page = await listsRepo.lots(
    ctx.store.db,
    holder,
    { licence: query.licence, location: query.location, restricted: query.restricted },
    window,
  );
  const rows = page.rows.map(toLot);
  const total = page.total;
  return pageAnswer(
    rows,
    total,
    query,
    window,
    {
      filename: `lots-${holder}`,
      columns: [
        { header: 'lot', value: (l) => l.id },
        { header: 'location', value: (l) => l.location },
        { header: 'form', value: (l) => l.item.form },
        { header: 'description', value: (l) => l.item.description },
        { header: 'mass (kg)', value: (l) => kgText(l.massGrams) },
        { header: 'units', value: (l) => l.units },
        { header: 'licences', value: (l) => l.restrictions.map((r) => r.licenceId).join(' ') },
      ],
    },
    { path: '/v1/lots' },
  );
}

// ── Mass balance ────────────────────────────────────────────────────────────────────────────

export const massBalanceQuery = z.object({ format: z.enum(['json', 'csv']).optional() }).strict();

/** A licence's mass balance as JSON, or as CSV (one row per holder, then one per lot). */
export async function massBalanceAnswer(
  ctx: AppContext,
  licenceId: string,
  query: Pick<ListParams, 'format'>,
  accept?: string,
) {
  const mb = await massBalance(ctx, licenceId);
  const csv = query.format === 'csv' || (query.format === undefined && /(^|,)\s*text\/csv\b/i.test(accept ?? ''));
  if (!csv) return mb;
  const rows = [...mb.holders.map((r) => ({ level: 'holder', ...r })), ...mb.lots.map((r) => ({ level: 'lot', ...r }))];
  type Row = (typeof rows)[number];
  const kg = (f: (r: Row) => number) => (r: Row) => kgText(f(r));
  return new CsvAnswer(
    toCsv(rows, [
      { header: 'level', value: (r) => r.level },
      { header: 'holder', value: (r) => r.holder },
      { header: 'lot', value: (r) => r.lotId ?? '' },
      { header: 'received (kg)', value: kg((r) => r.received) },
      { header: 'transformed in (kg)', value: kg((r) => r.transformedIn) },
      { header: 'shipped (kg)', value: kg((r) => r.shipped) },
      { header: 'transformed out (kg)', value: kg((r) => r.transformedOut) },
      { header: 'consumed (kg)', value: kg((r) => r.consumed) },
      { header: 'on hand (kg)', value: kg((r) => r.onHand) },
      { header: 'gap (kg)', value: kg((r) => r.gap) },
      { header: 'in transit (kg)', value: kg((r) => r.inTransit) },
      { header: 'short at receipt (kg)', value: kg((r) => r.shortAtReceipt) },
    ]),
    `mass-balance-${licenceId}`,
  );
}
