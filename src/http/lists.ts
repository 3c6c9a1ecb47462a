import { z } from 'zod';
import { listAlerts, listLots, massBalance, type AppContext } from '../app/index.js';
import { formatPpm, type Money, type Party } from '../domain/index.js';
import { applicationsRepo, certificatesRepo, licencesRepo, partiesRepo } from '../store/index.js';
import { CsvAnswer, listAnswer, listQuery, toCsv, type ListParams } from './listing.js';

/**
 * The caseload lists (applications, licences, certificates, alerts, lots) and the mass-balance
 * CSV: each list's filters, sort keys, searchable text and CSV columns. The routes in routes.ts and
 * console-routes.ts call these; listing.ts does the searching, sorting, paging and CSV.
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

/** Names, countries and ownership facts of every registered party (for showing names rather than ids). */
export async function partyFacts(ctx: AppContext): Promise<Map<string, PartyFacts>> {
  const rows = await partiesRepo.list(ctx.store.db);
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
  const status = query.status ?? 'pending';
  const rows = (await applicationsRepo.list(ctx.store.db, { authority })).filter((r) =>
    status === 'all'
      ? true
      : status === 'pending'
        ? r.status === 'submitted' || r.status === 'info-requested'
        : status === 'decided'
          ? r.status === 'approved' || r.status === 'denied'
          : r.status === status,
  );
  const parties = await partyFacts(ctx);
  const certificates = new Map((await certificatesRepo.list(ctx.store.db)).map((c) => [c.id, c]));
  const items = rows
    .filter((r) => query.recommendation === undefined || r.recommendation === query.recommendation)
    .filter(
      (r) => query.destination === undefined || (r.application as ApplicationDoc).destination === query.destination,
    )
    .map((r) => {
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
  return listAnswer(
    items,
    query,
    {
      sorts: {
        submitted: (i) => i.seq,
        applicant: (i) => nameOf(parties, i.applicant),
        status: (i) => i.status,
        recommendation: (i) => i.recommendation,
        destination: (i) => doc(i).destination,
      },
      defaultSort: 'submitted',
      text: (i) => [
        i.id,
        i.status,
        i.recommendation,
        doc(i).destination,
        ...Object.values(i.parties).flatMap((p) => [p.id, p.name]),
        ...doc(i).lines.flatMap((l) => [l.ref, l.item.description, l.item.hsCode]),
        i.certificate?.id,
      ],
      csv: {
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
    },
    { path: `/v1/authorities/${encodeURIComponent(authority)}/applications`, accept },
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

interface LicenceDoc {
  authority: string;
  holder: string;
  importer: string;
  consignee: string;
  endUser: string;
}

/** The licences naming the caller, with utilisation (granted, shipped and remaining grams over every line). */
export async function licencesList(ctx: AppContext, party: string, query: LicencesQuery, accept?: string) {
  const parties = await partyFacts(ctx);
  const rows = (await licencesRepo.list(ctx.store.db)).filter((r) => {
    const l = r.licence as LicenceDoc;
    return [l.authority, l.holder, l.importer, l.consignee, l.endUser].includes(party);
  });
  const filtered = rows.filter(
    (r) =>
      (query.status === undefined || r.status === query.status) &&
      (query.destination === undefined || r.destination === query.destination) &&
      (query.holder === undefined || r.holder === query.holder),
  );
  const items = await Promise.all(
    filtered.map(async (r) => {
      const balances = await licencesRepo.balances(ctx.store.db, r.id);
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
    }),
  );
  type Item = (typeof items)[number];
  const used = (i: Item) =>
    i.utilisation.grantedGrams === 0 ? 0 : i.utilisation.shippedGrams / i.utilisation.grantedGrams;
  return listAnswer(
    items,
    query,
    {
      sorts: {
        decided: (i) => i.seq,
        id: (i) => i.id,
        status: (i) => i.status,
        holder: (i) => i.names.holder,
        destination: (i) => i.destination,
        validUntil: (i) => i.validUntil,
        utilisation: used,
      },
      defaultSort: 'decided',
      text: (i) => [i.id, i.status, i.destination, i.applicationId, ...Object.values(i.names), i.holder, i.consignee],
      csv: {
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
    },
    { path: '/v1/console/licences', accept },
  );
}

// ── Certificates ────────────────────────────────────────────────────────────────────────────

export const certificatesQuery = listQuery(['issued', 'status', 'issuer', 'validUntil'], {
  status: z.enum(['active', 'revoked']).optional(),
  countersigned: z.enum(['yes', 'no']).optional(),
});
export type CertificatesQuery = z.infer<typeof certificatesQuery>;

/** Certificates the caller may see (decided by the caller's route), searched, sorted and paged. */
export async function certificatesList(
  ctx: AppContext,
  visible: (row: Awaited<ReturnType<typeof certificatesRepo.list>>[number]) => boolean,
  query: CertificatesQuery,
  accept?: string,
) {
  const parties = await partyFacts(ctx);
  const items = (await certificatesRepo.list(ctx.store.db))
    .filter(visible)
    .filter((r) => query.status === undefined || r.status === query.status)
    .filter(
      (r) => query.countersigned === undefined || (r.countersigned_by !== null) === (query.countersigned === 'yes'),
    )
    .map((r) => ({
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
  return listAnswer(
    items,
    query,
    {
      sorts: {
        issued: (i) => i.seq,
        status: (i) => i.status,
        issuer: (i) => i.names.issuer,
        validUntil: (i) => i.validUntil,
      },
      defaultSort: 'issued',
      text: (i) => [i.id, i.status, i.issuer, i.exporter, i.importer, i.endUser, ...Object.values(i.names)],
      csv: {
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
    },
    { path: '/v1/console/certificates', accept },
  );
}

// ── Alerts ──────────────────────────────────────────────────────────────────────────────────

const SEVERITY_ORDER = { info: 0, warning: 1, high: 2, critical: 3 } as const;
export const alertsQuery = listQuery(['raised', 'severity', 'rule', 'licence'], {
  severity: z.enum(['info', 'warning', 'high', 'critical']).optional().describe('at least this severity'),
  status: z.enum(['open', 'resolved']).optional(),
  rule: z.string().min(1).max(100).optional(),
  licence: z.string().min(1).max(200).optional(),
});
export type AlertsQuery = z.infer<typeof alertsQuery>;
type AlertRow = Awaited<ReturnType<typeof listAlerts>>[number];

/** Alerts on the licences `mine` holds, searched, filtered, sorted and paged. */
export async function alertsList(ctx: AppContext, mine: ReadonlySet<string>, query: AlertsQuery, accept?: string) {
  const rows = (
    await listAlerts(ctx, {
      ...(query.severity === undefined ? {} : { severity: query.severity }),
      ...(query.status === undefined ? {} : { status: query.status }),
    })
  ).filter(
    (a) =>
      a.licenceId !== undefined &&
      mine.has(a.licenceId) &&
      (query.rule === undefined || a.rule === query.rule) &&
      (query.licence === undefined || a.licenceId === query.licence),
  );
  return listAnswer<AlertRow>(
    rows,
    query,
    {
      sorts: {
        raised: (a) => a.seq,
        severity: (a) => SEVERITY_ORDER[a.severity],
        rule: (a) => a.rule,
        licence: (a) => a.licenceId ?? '',
      },
      defaultSort: 'raised',
      defaultOrder: 'desc',
      text: (a) => [a.id, a.rule, a.severity, a.status, a.licenceId, a.explanation, ...a.parties],
      csv: {
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
    },
    { path: '/v1/console/alerts', accept },
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
  const rows = (await listLots(ctx, { holder })).filter(
    (l) =>
      (query.licence === undefined || l.restrictions.some((r) => r.licenceId === query.licence)) &&
      (query.location === undefined || l.location === query.location) &&
      (query.restricted === undefined || l.restrictions.length > 0 === (query.restricted === 'yes')),
  );
  type LotRow = (typeof rows)[number];
  return listAnswer<LotRow>(
    rows,
    query,
    {
      sorts: { id: (l) => l.id, mass: (l) => l.massGrams, location: (l) => l.location, form: (l) => l.item.form },
      defaultSort: 'id',
      text: (l) => [l.id, l.location, l.item.form, l.item.description, ...l.restrictions.map((r) => r.licenceId)],
      csv: {
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
    },
    { path: '/v1/lots', accept },
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
