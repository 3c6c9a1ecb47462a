import { getAlert, getTrustList, type AppContext } from '../app/index.js';
import type { Party, Restriction } from '../domain/index.js';
import {
  applicationsRepo,
  auditorGrantsRepo,
  certificatesRepo,
  licencesRepo,
  lotsRepo,
  partiesRepo,
  shipmentsRepo,
} from '../store/index.js';

/**
 * Who is party to what. Every ownership rule of the route table is built from these, so "a party
 * reads only the records it is party to" is decided here and nowhere else.
 */

/** Applicant, authority, importer, end user, consignee. */
export async function partyToApplication(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await applicationsRepo.get(ctx.store.db, id);
  if (!row) return false;
  const a = row.application as { importer?: string; endUser?: string; consignee?: string };
  return [row.applicant, row.authority, a.importer, a.endUser, a.consignee].includes(party);
}

/** The licence's authority, holder, importer, consignee and end user, and every holder of a lot that carries it. */
export async function partyToLicence(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await licencesRepo.get(ctx.store.db, id);
  if (!row) return false;
  const l = row.licence as { authority: string; holder: string; importer: string; consignee: string; endUser: string };
  if ([l.authority, l.holder, l.importer, l.consignee, l.endUser].includes(party)) return true;
  return (await lotsRepo.list(ctx.store.db, { licenceId: id })).some((lot) => lot.holder === party);
}

export async function isLicenceAuthority(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await licencesRepo.get(ctx.store.db, id);
  return row !== undefined && (row.licence as { authority: string }).authority === party;
}

/** Bundles: the licence's authority and holder, and auditors it was granted to. */
export async function mayReadAuditBundle(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await licencesRepo.get(ctx.store.db, id);
  if (!row) return false;
  const l = row.licence as { authority: string; holder: string };
  return l.authority === party || l.holder === party || (await auditorGrantsRepo.has(ctx.store.db, party, id));
}

/** The holder, and the authority of any licence whose restriction the lot carries (the authority sees its licence's whole chain). */
export async function partyToLot(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await lotsRepo.get(ctx.store.db, id);
  if (!row) return false;
  return row.holder === party || (row.restrictions as Restriction[]).some((r) => r.authority === party);
}

export async function holdsLot(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await lotsRepo.get(ctx.store.db, id);
  return row !== undefined && row.holder === party;
}

export async function consigneeOf(ctx: AppContext, party: string, shipmentId: string): Promise<boolean> {
  const row = await shipmentsRepo.get(ctx.store.db, shipmentId);
  return row !== undefined && row.to_party === party;
}

/** Issuer (end user), exporter, importer, countersigning government, consent authority. */
export async function partyToCertificate(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await certificatesRepo.get(ctx.store.db, id);
  if (!row) return false;
  const consent = (row.subject as { undertakings?: { consentAuthority?: string } }).undertakings?.consentAuthority;
  return [row.issuer, row.exporter, row.importer, row.end_user, row.countersigned_by, consent].includes(party);
}

/**
 * Who may ask to countersign a certificate: a party of the importer's country, or one the trust list
 * in force names as countersigner for that country (the party's sector plays no part). Whether it
 * may is the use case's decision, by the trust list: this only keeps the certificate hidden (404)
 * from parties with nothing to do with its country.
 */
export async function governmentOfImporter(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await certificatesRepo.get(ctx.store.db, id);
  if (!row) return false;
  const [gov, importer, list] = await Promise.all([
    partiesRepo.get(ctx.store.db, party),
    partiesRepo.get(ctx.store.db, row.importer),
    getTrustList(ctx),
  ]);
  const country = (importer?.party as Party | undefined)?.country;
  if (gov === undefined || country === undefined) return false;
  return (
    (gov.party as Party).country === country ||
    (list?.entries.some((e) => e.party === party && e.role === 'countersigner' && e.country === country) ?? false)
  );
}

/**
 * Who may read a certificate: a party to it, or — before it is countersigned, and after — a government
 * that may be asked to countersign it (`governmentOfImporter`), since it cannot countersign what it
 * cannot open. Only a credential of the importing-government role gets the second reading.
 */
export async function mayReadCertificate(
  ctx: AppContext,
  principal: { role: string; partyId: string | null },
  id: string,
): Promise<boolean> {
  const party = principal.partyId ?? '';
  if (await partyToCertificate(ctx, party, id)) return true;
  return principal.role === 'importing-government' && governmentOfImporter(ctx, party, id);
}

export async function mayRevokeCertificate(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const row = await certificatesRepo.get(ctx.store.db, id);
  return row !== undefined && (row.issuer === party || row.countersigned_by === party);
}

/** The licence's authority or holder (its compliance team). */
export async function authorityOrHolder(ctx: AppContext, party: string, licenceId: string): Promise<boolean> {
  const row = await licencesRepo.get(ctx.store.db, licenceId);
  if (!row) return false;
  const l = row.licence as { authority: string; holder: string };
  return l.authority === party || l.holder === party;
}

/**
 * An alert: the authority or holder of its licence, a party it names, or a party holding a lot that
 * carries its licence's restriction (a downstream holder reads the alerts about what it holds);
 * without a licence, whoever raised it or is named in it. Reading only: working an alert stays
 * with the authority (authorityOfAlert).
 */
export async function partyToAlert(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const a = await getAlert(ctx, id).catch(() => undefined);
  if (a === undefined) return false;
  if (a.raisedBy === party || a.parties.includes(party)) return true;
  if (a.licenceId === undefined) return false;
  return (await authorityOrHolder(ctx, party, a.licenceId)) || (await holdsLotUnder(ctx, party, a.licenceId));
}

/** Whether the party holds a lot carrying the licence's restriction (now, in the lots projection). */
export async function holdsLotUnder(ctx: AppContext, party: string, licenceId: string): Promise<boolean> {
  return (await lotsRepo.list(ctx.store.db, { holder: party, licenceId })).length > 0;
}

export async function authorityOfAlert(ctx: AppContext, party: string, id: string): Promise<boolean> {
  const a = await getAlert(ctx, id).catch(() => undefined);
  if (a === undefined) return false;
  return a.licenceId === undefined ? a.raisedBy === party : isLicenceAuthority(ctx, party, a.licenceId);
}

/** A post-shipment report: the shipment's consignee, or the end user of its material. */
export async function mayReportOn(ctx: AppContext, party: string, shipmentId: string): Promise<boolean> {
  const row = await shipmentsRepo.get(ctx.store.db, shipmentId);
  return (
    row !== undefined &&
    (row.to_party === party || (row.restrictions as Restriction[]).some((r) => r.endUser === party))
  );
}
