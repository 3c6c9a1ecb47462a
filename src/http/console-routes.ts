import { z } from 'zod';
import { listAlerts, listLots, type AppContext } from '../app/index.js';
import type { Restriction } from '../domain/index.js';
import { ledgerRepo, licencesRepo, lotsRepo, partiesRepo, partyKeysRepo, shipmentsRepo } from '../store/index.js';
import { isLicenceAuthority, mayReadAuditBundle } from './ownership.js';
import { ROLES, type Role } from './roles.js';
import { route, type AnyRoute } from './route.js';
import { LIST_HEADERS, LIST_REQUEST_HEADERS } from './listing.js';
import {
  alertsList,
  alertsQuery,
  certificatesList,
  certificatesQuery,
  licencesList,
  licencesQuery,
  type AlertsQuery,
  type CertificatesQuery,
  type LicencesQuery,
} from './lists.js';

/**
 * Read-only routes the web console needs that the main table does not have: the caller's
 * licences, a licence's drawdowns over time and custody graph, its alerts, a holder's lots and
 * alerts, and the public keys the
 * browser verifies signatures with. Same pattern as routes.ts (schemas, roles, an ownership rule
 * built from ownership.ts); nothing here records.
 */

const EVERYONE: readonly Role[] = ROLES;
const TRADE: readonly Role[] = [
  'exporter',
  'licensing-authority',
  'importer',
  'importing-government',
  'downstream-holder',
];
const HOLDERS: readonly Role[] = ['exporter', 'importer', 'downstream-holder'];
const idParam = z.object({ id: z.string().min(1).max(200) }).strict();
const obj = z.looseObject({});
const own = (p: { partyId: string | null }) => p.partyId ?? '';
const n = (v: unknown): number => Number(v);

/** The licence's authority or holder (as for its mass balance and audit bundle). */
const authorityOrHolder = async (c: AppContext, p: { partyId: string | null }, id: string) =>
  (await isLicenceAuthority(c, own(p), id)) || (await mayReadAuditBundle(c, own(p), id));

export interface CustodyNode {
  readonly id: string;
  readonly kind: 'lot' | 'in-transit';
  readonly holder: string;
  readonly country: string;
  readonly form: string;
  /** Licensed grams the lot holds now (0 once shipped, transformed or consumed). */
  readonly heldGrams: number;
}

export interface CustodyLink {
  readonly source: string;
  readonly target: string;
  readonly kind: 'shipment' | 'transformation';
  /** Licensed grams that moved along the link. */
  readonly grams: number;
  readonly ref: string;
  readonly destination?: string;
}

/** The custody graph of one licence, in licensed grams: lots as nodes, shipments and transformations as links. */
export async function custodyGraph(
  ctx: AppContext,
  licenceId: string,
): Promise<{ nodes: CustodyNode[]; links: CustodyLink[] }> {
  const db = ctx.store.db;
  const [ledger, lots, shipments] = await Promise.all([
    ledgerRepo.forLicence(db, licenceId),
    lotsRepo.list(db, { licenceId }),
    shipmentsRepo.carrying(db, [licenceId]),
  ]);
  const lotIds = new Set(ledger.map((r) => r.lot_id));
  for (const l of lots) lotIds.add(l.id);
  const nodes = new Map<string, CustodyNode>();
  for (const id of lotIds) {
    const row = await lotsRepo.get(db, id);
    if (!row) continue;
    // What the lot holds now: its restriction's licensed grams (as the mass balance's "on hand").
    const heldGrams = (row.restrictions as Restriction[])
      .filter((r) => r.licenceId === licenceId)
      .reduce((t, r) => t + n(r.licensedGrams), 0);
    nodes.set(id, {
      id,
      kind: 'lot',
      holder: row.holder,
      country: row.location,
      form: (row.item as { form?: string }).form ?? '',
      heldGrams,
    });
  }
  const links: CustodyLink[] = [];
  const shippedGrams = new Map(
    ledger.filter((r) => r.kind === 'shipped').map((r) => [`${r.seq}:${r.lot_id}`, n(r.grams)]),
  );
  for (const s of shipments) {
    if (!lotIds.has(s.from_lot)) continue;
    const carries = (s.restrictions as Restriction[]).find((r) => r.licenceId === licenceId);
    const grams = shippedGrams.get(`${s.seq}:${s.from_lot}`) ?? (carries ? n(carries.licensedGrams) : 0);
    if (grams <= 0) continue;
    let target = s.receiving_lot;
    if (target === null) {
      target = `transit:${s.id}`;
      nodes.set(target, {
        id: target,
        kind: 'in-transit',
        holder: s.to_party,
        country: s.destination,
        form: 'in transit',
        heldGrams: grams,
      });
    }
    links.push({ source: s.from_lot, target, kind: 'shipment', grams, ref: s.id, destination: s.destination });
  }
  const bySeq = new Map<number, { ins: { lot: string; grams: number }[]; outs: { lot: string; grams: number }[] }>();
  for (const r of ledger) {
    if (r.kind !== 'transformed-in' && r.kind !== 'transformed-out') continue;
    // The ledger books a transformation from the lots' side: "transformed-out" leaves an input lot, "transformed-in" enters an output lot.
    const e = bySeq.get(r.seq) ?? { ins: [], outs: [] };
    (r.kind === 'transformed-out' ? e.ins : e.outs).push({ lot: r.lot_id, grams: n(r.grams) });
    bySeq.set(r.seq, e);
  }
  for (const [seq, { ins, outs }] of bySeq) {
    const totalOut = outs.reduce((a, o) => a + o.grams, 0);
    for (const i of ins) {
      for (const o of outs) {
        // Licensed grams of each input split over the outputs by what each output received (exact when there is one output).
        const grams = totalOut === 0 ? 0 : Number((BigInt(i.grams) * BigInt(o.grams)) / BigInt(totalOut));
        if (grams > 0)
          links.push({ source: i.lot, target: o.lot, kind: 'transformation', grams, ref: `journal entry ${seq}` });
      }
    }
  }
  return { nodes: [...nodes.values()], links };
}

export const CONSOLE_ROUTES: readonly AnyRoute[] = [
  route({
    id: 'consoleMe',
    method: 'GET',
    url: '/v1/console/me',
    tag: 'console',
    records: false,
    summary:
      'Who the API key belongs to: its credential, role and party (the console shows only what that party may see)',
    response: z.object({
      credentialId: z.string(),
      role: z.enum(ROLES),
      partyId: z.string().nullable(),
      party: obj.nullable(),
    }),
    access: { roles: EVERYONE, owner: 'any', describe: "the caller's own credential" },
    handle: async ({ ctx, principal }) => ({
      credentialId: principal.credentialId,
      role: principal.role,
      partyId: principal.partyId,
      party:
        principal.partyId === null
          ? null
          : (((await partiesRepo.get(ctx.store.db, principal.partyId))?.party as Record<string, unknown> | undefined) ??
            null),
    }),
  }),
  route({
    id: 'consoleKeys',
    method: 'GET',
    url: '/v1/console/keys',
    tag: 'console',
    records: false,
    summary:
      "Every party's registered public keys (raw Ed25519, base64url) with their key ids, so a browser can verify signatures itself",
    response: z.array(
      z.object({
        partyId: z.string(),
        keyId: z.string(),
        publicKey: z.string(),
        revoked: z.boolean(),
        inForce: z.boolean(),
      }),
    ),
    access: {
      roles: EVERYONE,
      owner: 'any',
      describe: 'every authenticated caller (public keys are public; audit bundles carry them too)',
    },
    handle: async ({ ctx }) => {
      const parties = await partiesRepo.list(ctx.store.db);
      const rows = (await Promise.all(parties.map((p) => partyKeysRepo.listByParty(ctx.store.db, p.id)))).flat();
      return rows.map((k) => ({
        partyId: k.party_id,
        keyId: k.key_id,
        publicKey: k.public_key,
        revoked: k.revoked_seq !== null,
        inForce: k.valid_until_seq === null,
      }));
    },
  }),
  route<Record<string, never>, LicencesQuery>({
    id: 'consoleLicences',
    method: 'GET',
    url: '/v1/console/licences',
    tag: 'console',
    records: false,
    summary:
      'The licences the caller is party to (authority, holder, importer, consignee or end user), with party names and utilisation; searchable, filterable, sortable, paginated, or CSV',
    query: licencesQuery,
    headers: LIST_HEADERS,
    requestHeaders: LIST_REQUEST_HEADERS,
    csv: 'licence, status, authority, holder, consignee, end user, destination, valid from, valid until, granted / shipped / remaining (kg), value shipped of ceiling per line, shipments',
    response: z.array(
      z.looseObject({
        id: z.string(),
        status: z.string(),
        authority: z.string(),
        holder: z.string(),
        destination: z.string(),
        validFrom: z.string(),
        validUntil: z.string(),
      }),
    ),
    access: { roles: TRADE, owner: 'any', describe: 'only licences naming the caller' },
    handle: ({ ctx, party, query, headers }) => licencesList(ctx, party, query, headers.accept),
  }),
  route<{ id: string }>({
    id: 'consoleLicenceActivity',
    method: 'GET',
    url: '/v1/console/licences/:id/activity',
    tag: 'console',
    records: false,
    summary:
      "A licence's drawdowns in shipping order (for utilisation over time) and its custody graph in licensed grams (lots, shipments, transformations)",
    params: idParam,
    response: z.object({ drawdowns: z.array(obj), graph: z.object({ nodes: z.array(obj), links: z.array(obj) }) }),
    access: {
      roles: ['licensing-authority', 'exporter'],
      owner: (c, p, r) => authorityOrHolder(c, p, r.params.id),
      describe: "the licence's authority or holder",
    },
    handle: async ({ ctx, params }) => {
      const shipments = await shipmentsRepo.list(ctx.store.db, { licenceId: params.id });
      const drawdowns = shipments
        .sort((a, b) => a.seq - b.seq)
        .map((s) => ({
          shipmentId: s.id,
          seq: s.seq,
          shippedOn: s.shipped_on,
          lineRef: s.line_ref,
          grams: n(s.grams),
          to: s.to_party,
          destination: s.destination,
          status: s.status,
        }));
      return { drawdowns, graph: await custodyGraph(ctx, params.id) };
    },
  }),
  route<Record<string, never>, AlertsQuery>({
    id: 'consoleAlerts',
    method: 'GET',
    url: '/v1/console/alerts',
    tag: 'console',
    records: false,
    summary:
      'Alerts on the licences the caller is the authority of; searchable, filterable (severity, status, rule, licence), sortable (newest first by default), paginated, or CSV',
    query: alertsQuery,
    headers: LIST_HEADERS,
    requestHeaders: LIST_REQUEST_HEADERS,
    csv: 'alert, severity, status, rule, licence, parties, raised at, explanation, evidence (journal entries)',
    response: z.array(obj),
    access: { roles: ['licensing-authority'], owner: 'any', describe: "only alerts on the caller's own licences" },
    handle: ({ ctx, party, query, headers }) => alertsList(ctx, party, query, headers.accept),
  }),
  route({
    id: 'consoleHoldings',
    method: 'GET',
    url: '/v1/console/holdings',
    tag: 'console',
    records: false,
    summary:
      'What the caller holds: its lots with every restriction they carry (share by mass and by value, clauses, the chain they came through), and the alerts that name it or are about a licence it holds or that restricts a lot it holds',
    response: z.object({ lots: z.array(obj), alerts: z.array(obj) }),
    access: {
      roles: HOLDERS,
      owner: 'any',
      describe: "only the caller's own lots and the alerts naming it or about a licence restricting what it holds",
    },
    handle: async ({ ctx, party }) => {
      const lots = await listLots(ctx, { holder: party });
      // The licences it holds, and those restricting a lot it holds (the alerts about what it holds).
      const held = new Set([
        ...(await licencesRepo.list(ctx.store.db)).filter((r) => r.holder === party).map((r) => r.id),
        ...lots.flatMap((l) => l.restrictions.map((r) => r.licenceId)),
      ]);
      const alerts = (await listAlerts(ctx)).filter(
        (a) => a.parties.includes(party) || (a.licenceId !== undefined && held.has(a.licenceId)),
      );
      return { lots: [...lots], alerts: [...alerts] };
    },
  }),
  route<Record<string, never>, CertificatesQuery>({
    id: 'consoleCertificates',
    method: 'GET',
    url: '/v1/console/certificates',
    tag: 'console',
    records: false,
    summary:
      'Certificates naming the caller (issuer, exporter, importer, end user, countersigning government, consent authority); a government also sees those of importers in its country. Searchable, filterable (status, countersigned), sortable, paginated, or CSV',
    query: certificatesQuery,
    headers: LIST_HEADERS,
    requestHeaders: LIST_REQUEST_HEADERS,
    csv: 'certificate, status, end user (issuer), exporter, importer, countersigned by, valid from, valid until',
    response: z.array(obj),
    access: { roles: TRADE, owner: 'any', describe: 'only certificates the caller is party to' },
    handle: async ({ ctx, party, query, headers }) => {
      const me = (await partiesRepo.get(ctx.store.db, party))?.party as
        { sector?: string; country?: string } | undefined;
      // A government sees the certificates of importers in its country: the ones it may countersign.
      const governs = me?.sector === 'government' ? me.country : undefined;
      return certificatesList(ctx, party, governs, query, headers.accept);
    },
  }),
];
