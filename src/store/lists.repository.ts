import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from './database.js';
import type { AlertRow } from './alerts.tables.js';
import type { CertificateRow } from './certificates.table.js';
import type { ApplicationRow, LicenceBalanceRow, LicenceRow, LotRow } from './licensing.tables.js';

type Db = Kysely<Database>;

/**
 * The caseload lists (applications, licences, certificates, alerts, lots) searched, filtered,
 * sorted, counted and paged by the database, with who may see a row decided in the same query.
 * Every list takes a `ListWindow`: the search words (each must occur, case-insensitively, in the
 * row's searchable text: ILIKE with the user's `%`, `_` and `\` matched literally), a sort key of
 * that list, the order, and the page (`limit` undefined: every matching row, for CSV). Text sort
 * keys order by `lower(…) collate "C"` so both stores order alike whatever their default collation;
 * ties keep journal order (the row's seq, ascending), so pages never overlap or skip.
 */
export interface ListWindow {
  readonly words: readonly string[];
  readonly sort: string;
  readonly order: 'asc' | 'desc';
  readonly limit: number | undefined;
  readonly offset: number;
}

export interface ListPage<T> {
  readonly rows: T[];
  /** Rows matching the visibility rule, the filters and the search (not only this page). */
  readonly total: number;
}

/** A LIKE pattern matching `word` anywhere, with LIKE's own characters (`%`, `_`, `\`) taken literally. */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `expr` as sort text: lower-cased, compared bytewise (the same order on PGlite and PostgreSQL). */
const text = (expr: RawBuilder<unknown>): RawBuilder<unknown> => sql`lower(coalesce(${expr}, '')) collate "C"`;
/** A party's registered name, or its id when it has none (as the lists show it). */
const nameOf = (id: RawBuilder<unknown>): RawBuilder<string> =>
  sql<string>`coalesce((select p.name from parties p where p.id = ${id}), ${id})`;
const col = (ref: string): RawBuilder<unknown> => sql.ref(ref);

interface ListSpec {
  /** The row's searchable text (fields joined by spaces: a search word has none). */
  readonly hay: RawBuilder<unknown>;
  readonly sorts: Readonly<Record<string, RawBuilder<unknown>>>;
  /** The tie-break after the sort key (journal order). */
  readonly then: readonly RawBuilder<unknown>[];
}

/** Adds the search, counts the matches, and reads the window's page in its order. */
async function windowed<DB, TB extends keyof DB, O>(
  base: SelectQueryBuilder<DB, TB, O>,
  w: ListWindow,
  spec: ListSpec,
): Promise<ListPage<O>> {
  let q = base;
  for (const word of w.words) q = q.where(sql<boolean>`${spec.hay} ilike ${containsPattern(word)} escape '\\'`);
  const sortBy = spec.sorts[w.sort];
  if (sortBy === undefined) throw new Error(`no sort key "${w.sort}"`);
  const dir = w.order === 'desc' ? sql`desc` : sql`asc`;
  const ordered = [sql`${sortBy} ${dir}`, ...spec.then];
  let page = q.orderBy(sql`${sql.join(ordered)}`);
  if (w.limit !== undefined) page = page.limit(w.limit);
  if (w.offset > 0) page = page.offset(w.offset);
  const [rows, count] = await Promise.all([
    page.execute(),
    q
      .clearSelect()
      .clearOrderBy()
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirst(),
  ]);
  return { rows, total: (count as { n?: number } | undefined)?.n ?? 0 };
}

export type ApplicationsStatusFilter =
  'pending' | 'decided' | 'all' | 'submitted' | 'approved' | 'denied' | 'info-requested';

interface AlertFilters {
  readonly severities?: readonly AlertRow['severity'][] | undefined;
  readonly status?: AlertRow['status'] | undefined;
  readonly rule?: string | undefined;
  readonly licence?: string | undefined;
}

export const listsRepo = {
  /** An authority's applications (only its own). */
  async applications(
    db: Db,
    authority: string,
    f: { status: ApplicationsStatusFilter; recommendation?: string | undefined; destination?: string | undefined },
    w: ListWindow,
  ): Promise<ListPage<ApplicationRow>> {
    let q = db.selectFrom('applications as a').selectAll('a').where('a.authority', '=', authority);
    if (f.status === 'pending') q = q.where('a.status', 'in', ['submitted', 'info-requested']);
    else if (f.status === 'decided') q = q.where('a.status', 'in', ['approved', 'denied']);
    else if (f.status !== 'all') q = q.where('a.status', '=', f.status);
    if (f.recommendation !== undefined)
      q = q.where('a.recommendation', '=', f.recommendation as ApplicationRow['recommendation']);
    if (f.destination !== undefined) q = q.where(sql<string>`a.application->>'destination'`, '=', f.destination);
    const party = (key: string) => sql`a.application->>${key}`;
    const involved = [col('a.applicant'), party('importer'), party('endUser'), party('consignee')];
    return windowed(q, w, {
      hay: sql`concat_ws(' ', a.id, a.status, a.recommendation, a.application->>'destination',
        a.application->>'certificateId',
        ${sql.join(involved.flatMap((id) => [id, nameOf(id)]))},
        (select string_agg(concat_ws(' ', l->>'ref', l->'item'->>'description', l->'item'->>'hsCode'), ' ')
           from jsonb_array_elements(a.application->'lines') l))`,
      sorts: {
        submitted: col('a.seq'),
        applicant: text(nameOf(col('a.applicant'))),
        status: text(col('a.status')),
        recommendation: text(col('a.recommendation')),
        destination: text(sql`a.application->>'destination'`),
      },
      then: [sql`a.seq asc`],
    });
  },

  /** The licences naming `party` as authority, holder, importer, consignee or end user, filtered (unsorted, unpaged). */
  licencesQuery(
    db: Db,
    party: string,
    f: { status?: string | undefined; destination?: string | undefined; holder?: string | undefined },
  ) {
    let q = db
      .selectFrom('licences as l')
      .selectAll('l')
      .where((eb) =>
        eb.or([
          eb('l.authority', '=', party),
          eb('l.holder', '=', party),
          eb(sql<string>`l.licence->>'importer'`, '=', party),
          eb('l.consignee', '=', party),
          eb('l.end_user', '=', party),
        ]),
      );
    if (f.status !== undefined) q = q.where('l.status', '=', f.status as LicenceRow['status']);
    if (f.destination !== undefined) q = q.where('l.destination', '=', f.destination);
    if (f.holder !== undefined) q = q.where('l.holder', '=', f.holder);
    return q;
  },

  /** The licences naming `party`, searched, sorted and paged. */
  async licences(
    db: Db,
    party: string,
    f: { status?: string | undefined; destination?: string | undefined; holder?: string | undefined },
    w: ListWindow,
  ): Promise<ListPage<LicenceRow>> {
    const q = this.licencesQuery(db, party, f);
    return windowed(q, w, {
      hay: sql`concat_ws(' ', l.id, l.status, l.destination, l.application_id, l.holder, l.consignee,
        ${nameOf(col('l.authority'))}, ${nameOf(col('l.holder'))}, ${nameOf(col('l.consignee'))}, ${nameOf(col('l.end_user'))})`,
      sorts: {
        decided: col('l.seq'),
        id: text(col('l.id')),
        status: text(col('l.status')),
        holder: text(nameOf(col('l.holder'))),
        destination: text(col('l.destination')),
        validUntil: col('l.valid_until'),
        // Shipped over granted grams, exact (numeric); 0 for a licence granting nothing.
        utilisation: sql`(select case when coalesce(sum(b.ceiling_grams), 0) = 0 then 0
            else sum(b.shipped_grams)::numeric / sum(b.ceiling_grams) end
          from licence_balances b where b.licence_id = l.id)`,
      },
      then: [sql`l.seq asc`],
    });
  },

  /** The balance rows of these licences, by licence and line. */
  async balancesOf(db: Db, licenceIds: readonly string[]): Promise<LicenceBalanceRow[]> {
    if (licenceIds.length === 0) return [];
    return db
      .selectFrom('licence_balances')
      .selectAll()
      .where('licence_id', 'in', [...licenceIds])
      .orderBy('licence_id')
      .orderBy('line_ref')
      .execute();
  },

  /**
   * The certificates `party` may see: those naming it (issuer, exporter, importer, end user,
   * countersigning government, consent authority in the undertakings) and, for a government
   * (`governs`: its country), those of importers registered in that country.
   */
  async certificates(
    db: Db,
    party: string,
    governs: string | undefined,
    f: { status?: string | undefined; countersigned?: 'yes' | 'no' | undefined },
    w: ListWindow,
  ): Promise<ListPage<CertificateRow>> {
    let q = db
      .selectFrom('certificates as c')
      .selectAll('c')
      .where((eb) =>
        eb.or([
          eb('c.issuer', '=', party),
          eb('c.exporter', '=', party),
          eb('c.importer', '=', party),
          eb('c.end_user', '=', party),
          eb('c.countersigned_by', '=', party),
          eb(sql<string>`c.subject->'undertakings'->>'consentAuthority'`, '=', party),
          ...(governs === undefined
            ? []
            : [eb('c.importer', 'in', eb.selectFrom('parties').select('id').where('country', '=', governs))]),
        ]),
      );
    if (f.status !== undefined) q = q.where('c.status', '=', f.status as CertificateRow['status']);
    if (f.countersigned === 'yes') q = q.where('c.countersigned_by', 'is not', null);
    if (f.countersigned === 'no') q = q.where('c.countersigned_by', 'is', null);
    return windowed(q, w, {
      hay: sql`concat_ws(' ', c.id, c.status, c.issuer, c.exporter, c.importer, c.end_user,
        ${nameOf(col('c.issuer'))}, ${nameOf(col('c.exporter'))}, ${nameOf(col('c.importer'))},
        ${nameOf(col('c.end_user'))}, ${nameOf(col('c.countersigned_by'))})`,
      sorts: {
        issued: col('c.seq'),
        status: text(col('c.status')),
        issuer: text(nameOf(col('c.issuer'))),
        validUntil: col('c.valid_until'),
      },
      then: [sql`c.seq asc`],
    });
  },

  /** These certificates (those that exist). */
  async certificatesByIds(db: Db, ids: readonly string[]): Promise<CertificateRow[]> {
    if (ids.length === 0) return [];
    return db
      .selectFrom('certificates')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
  },

  /** Alerts on the licences `authority` issued, filtered (unsorted, unpaged). */
  alertsQuery(db: Db, authority: string, f: AlertFilters) {
    let q = db
      .selectFrom('alerts as al')
      .selectAll('al')
      .where('al.licence_id', 'in', (eb) => eb.selectFrom('licences').select('id').where('authority', '=', authority));
    if (f.severities !== undefined) q = q.where('al.severity', 'in', [...f.severities]);
    if (f.status !== undefined) q = q.where('al.status', '=', f.status);
    if (f.rule !== undefined) q = q.where('al.rule', '=', f.rule);
    if (f.licence !== undefined) q = q.where('al.licence_id', '=', f.licence);
    return q;
  },

  /** Alerts on the licences `authority` issued, searched, sorted and paged. */
  async alerts(db: Db, authority: string, f: AlertFilters, w: ListWindow): Promise<ListPage<AlertRow>> {
    const q = this.alertsQuery(db, authority, f);
    return windowed(q, w, {
      hay: sql`concat_ws(' ', al.id, al.rule, al.severity, al.status, al.licence_id, al.explanation,
        array_to_string(al.parties, ' '))`,
      sorts: {
        raised: col('al.seq'),
        severity: sql`case al.severity when 'info' then 0 when 'warning' then 1 when 'high' then 2 else 3 end`,
        rule: text(col('al.rule')),
        licence: text(col('al.licence_id')),
      },
      then: [sql`al.seq asc`],
    });
  },

  /** The lots `holder` holds. */
  async lots(
    db: Db,
    holder: string,
    f: { licence?: string | undefined; location?: string | undefined; restricted?: 'yes' | 'no' | undefined },
    w: ListWindow,
  ): Promise<ListPage<LotRow>> {
    let q = db.selectFrom('lots as lt').selectAll('lt').where('lt.holder', '=', holder);
    if (f.licence !== undefined) q = q.where(sql<boolean>`${f.licence} = any(lt.licence_ids)`);
    if (f.location !== undefined) q = q.where('lt.location', '=', f.location);
    if (f.restricted !== undefined)
      q = q.where(sql<boolean>`(jsonb_array_length(lt.restrictions) > 0) = ${f.restricted === 'yes'}`);
    return windowed(q, w, {
      hay: sql`concat_ws(' ', lt.id, lt.location, lt.item->>'form', lt.item->>'description',
        (select string_agg(r->>'licenceId', ' ') from jsonb_array_elements(lt.restrictions) r))`,
      sorts: {
        id: text(col('lt.id')),
        mass: col('lt.mass_grams'),
        location: text(col('lt.location')),
        form: text(sql`lt.item->>'form'`),
      },
      then: [sql`lt.created_seq asc`, sql`lt.id asc`],
    });
  },
};
