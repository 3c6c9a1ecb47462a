import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import {
  checkDeclaredDate,
  dayOfInstant,
  DECLARED_DATE_TOLERANCE_DAYS,
  LodestoneError,
  ValidationError,
  type Party,
} from '../domain/index.js';
import {
  bizStepIri,
  canonicalGs1Uri,
  documentEvents,
  epcMatches,
  EpcisSchemaError,
  eventFacts,
  eventHashId,
  hashContext,
  isMassUnit,
  massToGrams,
  parseEpc,
  validateEpcis,
  type EpcisEvent,
  type EventFacts,
  type QuantityElement,
} from '../epcis/index.js';
import {
  epcisRepo,
  journalRepo,
  lotsRepo,
  partiesRepo,
  shipmentsRepo,
  type Database,
  type EpcisEventRow,
} from '../store/index.js';
import { inTransaction, type AppContext } from './context.js';
import {
  consumeLot,
  createLot,
  dispatchShipment,
  endCustodyBatch,
  receiveShipment,
  startCustodyBatch,
  transformLots,
} from './custody.js';
import { askPeersFirst } from './status-fetch.js';
import { AppError, RefusedError } from './errors.js';
import { commit } from './journal.js';
import type { EpcisEventCaptured } from './epcis.records.js';
import { getLicence } from './licensing.js';
import { requireParty } from './parties.js';

/**
 * EPCIS 2.0 capture, query and export (issue 6).
 *
 * Capture takes an EPCIS 2.0 JSON / JSON-LD document (EPCISDocument, EPCISQueryDocument or one
 * event), validates it against the official JSON Schema, and then, for each event in order: computes
 * its CBV 2.0 event hash ID; answers a re-captured event as a duplicate (nothing recorded twice);
 * maps an event with custody meaning onto the custody use case with all of its checks; keeps every
 * other valid event as evidence. Each accepted event is journalled as `epcis.event.captured`.
 *
 * One document is ONE transaction, all or nothing, like the EPCIS capture interface: if one event is
 * refused, the whole document is refused with that event's index and rule, and nothing is written.
 *
 * Custody mapping (identifiers as EPC URNs or GS1 Digital Link URIs; masses in quantityList with uom
 * KGM, GRM or TNE, converted to whole grams exactly):
 * - ObjectEvent ADD, bizStep commissioning / creating_class_instance, an LGTIN or SGTIN with a mass and
 *   the item in ILMD (`lodestone:item`, optional `lodestone:location`, `lodestone:value`) → createLot.
 * - ObjectEvent bizStep shipping of a mass of a tracked identifier → dispatchShipment from the
 *   capturing party's lot to the party named in destinationList (owning_party, else possessing_party;
 *   a party is named by its GLN as a PGLN / `https://id.gs1.org/417/…`, or `urn:lodestone:party:ID`),
 *   to that party's country; under a licence when a bizTransaction is `urn:lodestone:licence:ID:LINE`.
 * - ObjectEvent bizStep receiving → receiveShipment of the in-transit shipment of that identifier
 *   addressed to the capturing party.
 * - TransformationEvent with tracked inputs → transformLots: tracked inputs by mass, untracked input
 *   masses count as other inputs, outputs (by mass) embody the tracked inputs in proportion.
 * - ObjectEvent bizStep destroying, or `urn:lodestone:epcis:BizStep-consuming` → consumeLot.
 * An event dated in the future (beyond a 5-minute clock skew) or before the lots it uses exist is
 * refused (EVENT_IN_FUTURE, EVENT_BEFORE_INPUTS); an event mapped onto custody is a declared date like
 * a shipment's shippedOn: its UTC day at most DECLARED_DATE_TOLERANCE_DAYS before the server's day
 * and not after it (DATE_TOO_OLD, DATE_IN_FUTURE), and a shipment's licence is judged at the server's day; receiving what was never shipped to the receiver is
 * NOT_SHIPPED_TO_RECEIVER; the custody use cases add their own rules (MASS_CREATED, the licence's
 * WRONG_CONSIGNEE / WRONG_DESTINATION / QUANTITY_CEILING / LICENCE_EXPIRED, PROHIBITED_DESTINATION …).
 *
 * Error declarations: an event with errorDeclaration has the hash ID of the event it declares
 * erroneous (errorDeclaration is not hashed). It is journalled, and the declared event is marked
 * retracted in the projection. Retracting an event that was mapped onto custody is refused
 * (CUSTODY_EVENT_RETRACTION): custody records have consequences — balances drawn, restrictions
 * inherited — that others rely on, so a custody error is corrected by a compensating custody event.
 */

/** The namespace of Lodestone's own EPCIS extension fields (ILMD item, location, value). */
export const LODESTONE_EPCIS_NS = 'urn:lodestone:epcis:';
export const CONSUMING_BIZSTEP = `${LODESTONE_EPCIS_NS}BizStep-consuming`;
const SKEW_MS = 5 * 60_000;

export type CaptureStatus = 'mapped' | 'evidence' | 'untracked' | 'duplicate' | 'retraction';

export interface CapturedEventOutcome {
  readonly index: number;
  readonly hashId: string;
  readonly eventType: string;
  readonly bizStep?: string;
  readonly status: CaptureStatus;
  /** The custody use case an event was mapped onto, and the lot / shipment / transformation ids it wrote. */
  readonly use?: string;
  readonly ids?: readonly string[];
  readonly note: string;
  readonly seq?: number;
}

export interface CaptureResult {
  readonly events: readonly CapturedEventOutcome[];
  readonly captured: number;
  readonly duplicates: number;
}

/** A capture refused because one event is: the document is refused whole; `eventIndex` says which. */
export class EpcisCaptureRefusedError extends RefusedError {
  constructor(
    readonly eventIndex: number,
    refusals: readonly { readonly rule: string; readonly message: string; readonly chain?: readonly string[] }[],
  ) {
    super(refusals.map((r) => ({ ...r, message: `event ${eventIndex}: ${r.message}` })));
  }
}

const hex = (hashId: string) =>
  /sha-256;([0-9a-f]{64})/.exec(hashId)?.[1] ?? createHash('sha256').update(hashId).digest('hex');
const LOT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;

/** A readable lot id for an EPC at a holder (`<gtin>-<lot or serial>-<holder>`), hashed when it would not fit. */
function lotIdFor(epc: string, holder: string, n: number): string {
  const id = parseEpc(epc);
  const base =
    id && 'gtin' in id
      ? `${id.gtin}-${id.kind === 'lgtin' ? id.lot : id.kind === 'sgtin' ? id.serial : 'all'}`
      : `epc-${createHash('sha256').update(epc).digest('hex').slice(0, 12)}`;
  const suffix = `-${holder}${n > 0 ? `-${n}` : ''}`;
  const readable = `${base}${suffix}`;
  return LOT_ID.test(readable)
    ? readable
    : `epc-${createHash('sha256').update(`${epc}\u0000${holder}`).digest('hex').slice(0, 16)}${n > 0 ? `-${n}` : ''}`;
}

async function freeLotId(tx: Transaction<Database>, epc: string, holder: string): Promise<string> {
  for (let n = 0; ; n++) {
    const id = lotIdFor(epc, holder, n);
    if (!(await lotsRepo.get(tx, id))) return id;
  }
}

interface Mapped {
  readonly disposition: 'mapped' | 'evidence' | 'untracked';
  readonly use?: EpcisEventCaptured['outcome']['use'];
  readonly ids?: string[];
  readonly note: string;
  readonly links: { epc: string; holder: string; lotId: string; since: string }[];
}

/** A mass quantity of a trackable identifier (LGTIN / SGTIN), in grams. */
interface Mass {
  readonly q: QuantityElement;
  readonly epc: string;
  readonly grams: number;
}

function masses(f: EventFacts, list: QuantityElement['list'], index: number): Mass[] {
  const out: Mass[] = [];
  for (const q of f.quantities) {
    if (q.list !== list || q.quantity === undefined || !isMassUnit(q.uom)) continue;
    const id = parseEpc(q.epcClass);
    if (!id || (id.kind !== 'lgtin' && id.kind !== 'sgtin')) continue;
    out.push({ q, epc: id.uri, grams: massToGrams(q.quantity, q.uom ?? '', `events[${index}].${q.list}[${q.index}]`) });
  }
  return out;
}

function refuse(rule: string, message: string): never {
  throw new RefusedError([{ rule, message }]);
}

/** The lot the holder has of an identifier: linked, with stock; undefined when it has none. */
async function heldLot(
  tx: Transaction<Database>,
  epc: string,
  holder: string,
  grams: number,
): Promise<{ lotId: string; since: Date } | undefined> {
  const links = await epcisRepo.lotsFor(tx, epc, holder);
  let fallback: { lotId: string; since: Date } | undefined;
  for (const l of links) {
    const lot = await lotsRepo.get(tx, l.lot_id);
    if (!lot || lot.holder !== holder) continue;
    if (lot.mass_grams >= grams) return { lotId: l.lot_id, since: new Date(l.since) };
    fallback ??= { lotId: l.lot_id, since: new Date(l.since) };
  }
  return fallback;
}

function checkSince(f: EventFacts, since: Date, what: string): void {
  if (new Date(f.eventTime).getTime() < since.getTime())
    refuse('EVENT_BEFORE_INPUTS', `the event is dated ${f.eventTime}, before ${what} existed (${since.toISOString()})`);
}

function ilmdField(f: EventFacts, name: string): unknown {
  return f.ilmd[`{${LODESTONE_EPCIS_NS}}${name}`] ?? f.extensions[`{${LODESTONE_EPCIS_NS}}${name}`];
}

/** The registered party an EPCIS source / destination names: by GLN (PGLN, party GLN identifier) or `urn:lodestone:party:ID`. */
async function resolveParty(
  tx: Transaction<Database>,
  ids: readonly { type?: string; id: string }[],
): Promise<Party | undefined> {
  const rank = (t: string | undefined) =>
    t === undefined ? 2 : /owning_party$/.test(t) ? 0 : /possessing_party$/.test(t) ? 1 : 3;
  const sorted = [...ids].filter((x) => rank(x.type) < 3).sort((a, b) => rank(a.type) - rank(b.type));
  let all: Party[] | undefined;
  for (const { id } of sorted) {
    const m = /^urn:lodestone:party:(.+)$/.exec(id);
    if (m?.[1] !== undefined) {
      const row = await partiesRepo.get(tx, m[1]);
      if (row) return row.party as Party;
      continue;
    }
    const gln = /^https:\/\/id\.gs1\.org\/417\/(\d{13})$/.exec(id)?.[1];
    if (gln === undefined) continue;
    all ??= (await partiesRepo.list(tx)).map((r) => r.party as Party);
    const p = all.find((x) => x.identifiers?.some((i) => i.scheme === 'GLN' && i.value === gln));
    if (p) return p;
  }
  return undefined;
}

async function isTracked(tx: Transaction<Database>, epcs: readonly string[]): Promise<boolean> {
  for (const e of epcs) if ((await epcisRepo.lotsFor(tx, e)).length > 0) return true;
  return false;
}

/** Maps one event onto custody (inside the capture's transaction), or says why it is kept as evidence. */
async function mapEvent(
  tx: Transaction<Database>,
  ctx: AppContext,
  actor: string,
  f: EventFacts,
  index: number,
): Promise<Mapped> {
  const step = f.bizStep;
  const tracked = await isTracked(tx, f.epcs);
  const keep = (note: string): Mapped => ({
    disposition: tracked ? 'evidence' : 'untracked',
    note: tracked ? note : `no identifier of this event is tracked by Lodestone; ${note}`,
    links: [],
  });
  const date = dayOfInstant(f.eventTime); // the UTC day, as the server's days are

  if (
    f.type === 'ObjectEvent' &&
    (step === 'commissioning' || step === 'creating_class_instance') &&
    f.action === 'ADD'
  ) {
    const ms = masses(f, 'quantityList', index);
    if (ms.length === 0) return keep('a commissioning without a mass (KGM) of an LGTIN or SGTIN: nothing to create');
    const item = ilmdField(f, 'item');
    if (item === undefined)
      return keep(`a commissioning without the item in ILMD (${LODESTONE_EPCIS_NS}item): no lot created`);
    const actorParty = await requireParty(tx, actor, 'actor');
    const location = ilmdField(f, 'location') ?? actorParty.country;
    const value = ms.length === 1 ? ilmdField(f, 'value') : undefined;
    const ids: string[] = [];
    const links: Mapped['links'] = [];
    for (const m of ms) {
      if (await heldLot(tx, m.epc, actor, 0)) refuse('LOT_EXISTS', `${actor} already holds a lot of ${m.epc}`);
      const id = await freeLotId(tx, m.epc, actor);
      await createLot(ctx, actor, {
        id,
        holder: actor,
        location,
        item,
        massGrams: m.grams,
        ...(value === undefined ? {} : { value }),
      });
      ids.push(id);
      links.push({ epc: m.epc, holder: actor, lotId: id, since: f.eventTime });
    }
    return {
      disposition: 'mapped',
      use: 'createLot',
      ids,
      note: `lot${ids.length > 1 ? 's' : ''} ${ids.join(', ')} created`,
      links,
    };
  }

  if (f.type === 'ObjectEvent' && step === 'shipping') {
    const ms = masses(f, 'quantityList', index);
    const held: { m: Mass; lotId: string }[] = [];
    for (const m of ms) {
      const lot = await heldLot(tx, m.epc, actor, m.grams);
      if (lot) {
        checkSince(f, lot.since, `lot ${lot.lotId}`);
        held.push({ m, lotId: lot.lotId });
      }
    }
    if (held.length === 0)
      return keep(
        ms.length === 0
          ? 'a shipping event without a mass (KGM) of an LGTIN or SGTIN'
          : `${actor} holds no lot of ${ms.map((m) => m.epc).join(', ')}`,
      );
    const to = await resolveParty(tx, f.destinations);
    if (!to)
      refuse(
        'UNKNOWN_RECEIVER',
        `the destinationList names no registered party (by GLN or urn:lodestone:party:ID): ${f.destinations.map((d) => d.id).join(', ') || 'none'}`,
      );
    const licence = f.bizTransactions
      .map((b) => /^urn:lodestone:licence:(.+):([^:]+)$/.exec(b.id))
      .find((m) => m !== null);
    const destination = (
      typeof f.extensions[`{${LODESTONE_EPCIS_NS}}destinationCountry`] === 'string'
        ? f.extensions[`{${LODESTONE_EPCIS_NS}}destinationCountry`]
        : to.country
    ) as string;
    const ids: string[] = [];
    for (const [k, { m, lotId }] of held.entries()) {
      const id = `SH-${hex(f.hashId).slice(0, 16)}${held.length > 1 ? `-${k + 1}` : ''}`;
      await dispatchShipment(ctx, actor, {
        id,
        fromLot: lotId,
        to: to.id,
        destination,
        grams: m.grams,
        shippedOn: date,
        ...(licence ? { licenceId: licence[1], lineRef: licence[2] } : {}),
      });
      ids.push(id);
    }
    return {
      disposition: 'mapped',
      use: 'dispatchShipment',
      ids,
      note: `shipment${ids.length > 1 ? 's' : ''} ${ids.join(', ')} to ${to.id} (${destination})${licence ? ` under licence ${licence[1] ?? ''} line ${licence[2] ?? ''}` : ''}`,
      links: [],
    };
  }

  if (f.type === 'ObjectEvent' && step === 'receiving') {
    const ms = masses(f, 'quantityList', index);
    const ids: string[] = [];
    const links: Mapped['links'] = [];
    let any = false;
    for (const m of ms) {
      const linked = await epcisRepo.lotsFor(tx, m.epc);
      if (linked.length === 0) continue;
      any = true;
      const from = new Set(linked.map((l) => l.lot_id));
      const candidates = (await shipmentsRepo.list(tx)).filter(
        (s) => s.status === 'in-transit' && s.to_party === actor && from.has(s.from_lot),
      );
      const sh = candidates.find((s) => s.grams === m.grams) ?? candidates[0];
      if (!sh)
        refuse(
          'NOT_SHIPPED_TO_RECEIVER',
          `no shipment of ${m.epc} to ${actor} is in transit: Lodestone has no record that it was shipped to ${actor}`,
        );
      if (date < sh.shipped_on)
        refuse(
          'EVENT_BEFORE_INPUTS',
          `received on ${date}, before shipment ${sh.id} was dispatched (${sh.shipped_on})`,
        );
      const lotId = await freeLotId(tx, m.epc, actor);
      await receiveShipment(ctx, actor, { shipmentId: sh.id, lotId, receivedGrams: m.grams });
      ids.push(lotId);
      links.push({ epc: m.epc, holder: actor, lotId, since: f.eventTime });
    }
    if (!any)
      return keep(
        ms.length === 0
          ? 'a receiving event without a mass (KGM) of an LGTIN or SGTIN'
          : 'no shipment of these identifiers is tracked',
      );
    return {
      disposition: 'mapped',
      use: 'receiveShipment',
      ids,
      note: `received into lot${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`,
      links,
    };
  }

  if (f.type === 'TransformationEvent') {
    const ins = masses(f, 'inputQuantityList', index);
    const inputs: { lotId: string; grams: number }[] = [];
    let otherInputsGrams = 0;
    for (const m of ins) {
      const lot = await heldLot(tx, m.epc, actor, m.grams);
      if (lot) {
        checkSince(f, lot.since, `input lot ${lot.lotId}`);
        inputs.push({ lotId: lot.lotId, grams: m.grams });
      } else {
        otherInputsGrams += m.grams;
      }
    }
    // Untracked inputs measured in grams but not as LGTIN/SGTIN (e.g. a GTIN class) also count as other inputs.
    for (const q of f.quantities)
      if (
        q.list === 'inputQuantityList' &&
        q.quantity !== undefined &&
        isMassUnit(q.uom) &&
        !ins.some((m) => m.q === q)
      )
        otherInputsGrams += massToGrams(q.quantity, q.uom ?? '', `events[${index}].inputQuantityList[${q.index}]`);
    if (inputs.length === 0) return keep('a transformation of no lot Lodestone tracks for the capturing party');
    const outs = masses(f, 'outputQuantityList', index);
    if (outs.length === 0)
      refuse(
        'OUTPUTS_UNMEASURED',
        'a transformation of tracked lots must give its outputs as a mass (outputQuantityList in KGM) of an LGTIN or SGTIN',
      );
    const item = ilmdField(f, 'item');
    if (item === undefined)
      throw new ValidationError(
        `events[${index}].ilmd.lodestone:item`,
        `is required to map a transformation of tracked lots (the outputs' item, in the ${LODESTONE_EPCIS_NS} namespace)`,
      );
    const total = outs.reduce((s, o) => s + o.grams, 0);
    const outputs: { lotId: string; item: unknown; massGrams: number; embodies: { lotId: string; grams: number }[] }[] =
      [];
    const links: Mapped['links'] = [];
    for (const [k, o] of outs.entries()) {
      const lotId = await freeLotId(tx, o.epc, actor);
      const last = k === outs.length - 1;
      const embodies = inputs
        .map((i) => {
          const given = outputs.reduce((s, x) => s + (x.embodies.find((e) => e.lotId === i.lotId)?.grams ?? 0), 0);
          const share = last ? i.grams - given : Number((BigInt(i.grams) * BigInt(o.grams)) / BigInt(total));
          return { lotId: i.lotId, grams: Math.min(share, o.grams) };
        })
        .filter((e) => e.grams > 0);
      outputs.push({ lotId, item, massGrams: o.grams, embodies });
      links.push({ epc: o.epc, holder: actor, lotId, since: f.eventTime });
    }
    const id = `T-${hex(f.hashId).slice(0, 16)}`;
    await transformLots(ctx, actor, { id, inputs, ...(otherInputsGrams > 0 ? { otherInputsGrams } : {}), outputs });
    return {
      disposition: 'mapped',
      use: 'transformLots',
      ids: [id, ...outputs.map((o) => o.lotId)],
      note: `transformation ${id}: ${inputs.map((i) => i.lotId).join(', ')} → ${outputs.map((o) => o.lotId).join(', ')}`,
      links,
    };
  }

  if (f.type === 'ObjectEvent' && (step === 'destroying' || step === CONSUMING_BIZSTEP)) {
    const ms = masses(f, 'quantityList', index);
    const ids: string[] = [];
    for (const m of ms) {
      const lot = await heldLot(tx, m.epc, actor, m.grams);
      if (!lot) continue;
      checkSince(f, lot.since, `lot ${lot.lotId}`);
      await consumeLot(ctx, actor, {
        lotId: lot.lotId,
        grams: m.grams,
        purpose: step === 'destroying' ? 'destroyed (EPCIS bizStep destroying)' : 'consumed (EPCIS)',
      });
      ids.push(lot.lotId);
    }
    if (ids.length === 0) return keep(`${actor} holds no lot of these identifiers`);
    return {
      disposition: 'mapped',
      use: 'consumeLot',
      ids,
      note: `consumed from lot${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`,
      links: [],
    };
  }

  return keep(
    `kept as evidence: ${f.type}${step === undefined ? '' : ` (${step})`} has no custody meaning in Lodestone`,
  );
}

/**
 * Captures an EPCIS 2.0 document as `actor` (the registered party that signs the records). Throws
 * EpcisSchemaError (bad input: the schema's error path and message), ValidationError (e.g. a sub-gram
 * mass) or EpcisCaptureRefusedError (the refused event's index and rule); then nothing is written.
 */
export async function captureEpcis(ctx: AppContext, actor: string, document: unknown): Promise<CaptureResult> {
  const errors = validateEpcis(document);
  if (errors.length > 0) throw new EpcisSchemaError(errors);
  const { events, context } = documentEvents(document);
  const facts = events.map((e) => eventFacts(e, context));
  const docContext = (document as Record<string, unknown>)['@context'];
  if (events.length === 0) return { events: [], captured: 0, duplicates: 0 };
  const asked = await askPeersFirst(ctx, actor);
  return asked.store.transaction(async (tx) => {
    const inner = inTransaction(asked, tx);
    startCustodyBatch(tx);
    await requireParty(tx, actor, 'actor');
    const now = ctx.clock().getTime();
    const out: CapturedEventOutcome[] = [];
    const seen = new Set<string>();
    for (const [i, f] of facts.entries()) {
      const event = events[i] as EpcisEvent;
      const kind = f.errorDeclaration ? 'error-declaration' : 'event';
      const base = {
        index: i,
        hashId: f.hashId,
        eventType: f.type,
        ...(f.bizStep === undefined ? {} : { bizStep: f.bizStep }),
      };
      if (seen.has(`${kind} ${f.hashId}`) || (await epcisRepo.get(tx, f.hashId, kind))) {
        seen.add(`${kind} ${f.hashId}`);
        out.push({
          ...base,
          status: 'duplicate',
          note:
            kind === 'event'
              ? 'already captured (same event hash ID): not recorded again'
              : 'this error declaration was already captured',
        });
        continue;
      }
      seen.add(`${kind} ${f.hashId}`);
      try {
        if (new Date(f.eventTime).getTime() > now + SKEW_MS)
          refuse('EVENT_IN_FUTURE', `eventTime ${f.eventTime} is in the future (now ${new Date(now).toISOString()})`);
        let mapped: Mapped;
        let retracts: string | undefined;
        if (f.errorDeclaration) {
          const original = await epcisRepo.get(tx, f.hashId, 'event');
          if (original?.disposition === 'mapped') {
            refuse(
              'CUSTODY_EVENT_RETRACTION',
              `the declared event (${f.hashId}) was mapped onto custody (${JSON.stringify((original.outcome as { note?: string }).note ?? '')}); custody records are corrected by a compensating custody event, not retracted`,
            );
          }
          retracts = original ? f.hashId : undefined;
          mapped = {
            disposition: original?.disposition ?? ((await isTracked(tx, f.epcs)) ? 'evidence' : 'untracked'),
            note: original
              ? `error declaration (${f.errorDeclaration.reason ?? 'no reason'}): the event captured at journal entry ${original.seq} is marked retracted`
              : `error declaration (${f.errorDeclaration.reason ?? 'no reason'}) for an event not captured here: kept as evidence`,
            links: [],
          };
        } else {
          mapped = await mapEvent(tx, inner, actor, f, i);
          // An event mapped onto custody declares when it happened: bounded like any declared date (src/domain/time.ts).
          if (mapped.disposition === 'mapped')
            for (const v of checkDeclaredDate(
              'eventTime',
              dayOfInstant(f.eventTime),
              dayOfInstant(new Date(now).toISOString()),
            ))
              refuse(v.rule, v.message);
        }
        const c = await commit(tx, ctx, 'epcis.event.captured', actor, {
          hashId: f.hashId,
          kind,
          eventType: f.type,
          eventTime: f.eventTime,
          ...(f.bizStep === undefined ? {} : { bizStep: f.bizStep }),
          ...(f.bizLocation === undefined ? {} : { bizLocation: f.bizLocation }),
          ...(f.action === undefined ? {} : { action: f.action }),
          epcs: [...f.epcs],
          disposition: mapped.disposition,
          outcome: {
            ...(mapped.use === undefined ? {} : { use: mapped.use }),
            ...(mapped.ids === undefined ? {} : { ids: mapped.ids }),
            note: mapped.note,
            ...(retracts === undefined ? {} : { retracts }),
          },
          event: { ...event },
          ...(docContext === undefined ? {} : { context: docContext }),
          links: mapped.links,
        });
        out.push({
          ...base,
          status: f.errorDeclaration ? 'retraction' : mapped.disposition,
          ...(mapped.use === undefined ? {} : { use: mapped.use }),
          ...(mapped.ids === undefined ? {} : { ids: mapped.ids }),
          note: mapped.note,
          seq: c.seq,
        });
      } catch (e) {
        if (e instanceof RefusedError) throw new EpcisCaptureRefusedError(i, e.refusals);
        if (e instanceof ValidationError)
          throw new ValidationError(
            e.field?.startsWith('events[') ? e.field : `events[${i}]${e.field === undefined ? '' : `.${e.field}`}`,
            e.message.slice((e.field ?? '').length + 2),
          );
        if (e instanceof AppError) throw new EpcisCaptureRefusedError(i, [{ rule: e.code, message: e.message }]);
        throw e;
      }
    }
    await endCustodyBatch(tx, inner);
    return {
      events: out,
      captured: out.filter((o) => o.status !== 'duplicate').length,
      duplicates: out.filter((o) => o.status === 'duplicate').length,
    };
  });
}

/**
 * Links an existing lot (e.g. one created with `lots create`) to an EPC identifier, so EPCIS events
 * about it are mapped. `since` (events before it are refused, EVENT_BEFORE_INPUTS) is a date the
 * holder claims, so it is bounded like any declared date: not after the server's clock, and not more
 * than DECLARED_DATE_TOLERANCE_DAYS before the lot was recorded (its default).
 */
export async function linkLotToEpc(
  ctx: AppContext,
  actor: string,
  input: { lotId: string; epc: string; since?: string },
): Promise<{ epc: string; seq: number }> {
  const declared = input.since === undefined ? undefined : new Date(input.since);
  if (declared !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(input.since ?? '') || Number.isNaN(declared.getTime())))
    throw new ValidationError('since', `must be an ISO 8601 date-time, got ${JSON.stringify(input.since)}`);
  const id = parseEpc(input.epc);
  if (!id || (id.kind !== 'lgtin' && id.kind !== 'sgtin'))
    throw new ValidationError(
      'epc',
      `must be an LGTIN or SGTIN as an EPC URN or GS1 Digital Link URI, got ${JSON.stringify(input.epc)}`,
    );
  return ctx.store.transaction(async (tx) => {
    const lot = await lotsRepo.get(tx, input.lotId);
    if (!lot || lot.holder !== actor)
      throw new AppError('NOT_FOUND', `${actor} holds no lot "${input.lotId}"`, { field: 'lotId' });
    const recorded = (await journalRepo.get(tx, lot.created_seq))?.recorded_at;
    const earliest = new Date(new Date(recorded ?? ctx.clock()).getTime() - DECLARED_DATE_TOLERANCE_DAYS * 86_400_000);
    const now = ctx.clock();
    if (declared !== undefined && declared.getTime() > now.getTime())
      throw new ValidationError('since', `must not be after now (${now.toISOString()}), got ${declared.toISOString()}`);
    if (declared !== undefined && declared.getTime() < earliest.getTime())
      throw new ValidationError(
        'since',
        `must not be more than ${DECLARED_DATE_TOLERANCE_DAYS} days before lot ${lot.id} was recorded ` +
          `(${earliest.toISOString()} at the earliest), got ${declared.toISOString()}`,
      );
    const since = (declared ?? earliest).toISOString();
    const c = await commit(tx, ctx, 'epcis.lot.linked', actor, { epc: id.uri, holder: actor, lotId: lot.id, since });
    return { epc: id.uri, seq: c.seq };
  });
}

/** EPCIS 2.0 query parameters (the ones that matter here), as plain JSON. Lists are ORs. */
export interface EpcisQuery {
  readonly eventType?: string | readonly string[];
  readonly EQ_bizStep?: string | readonly string[];
  /** Matches epcList, childEPCs and quantity classes; a class pattern (urn:epc:idpat:sgtin:CP.IR.* or a GTIN Digital Link) matches its instances and lots. */
  readonly MATCH_epc?: string | readonly string[];
  /** As MATCH_epc, also parentID, inputEPCList and outputEPCList and their quantity classes. */
  readonly MATCH_anyEPC?: string | readonly string[];
  readonly GE_eventTime?: string;
  readonly LT_eventTime?: string;
  readonly EQ_bizLocation?: string | readonly string[];
  readonly limit?: number;
}

export interface CapturedEvent {
  readonly hashId: string;
  readonly kind: 'event' | 'error-declaration';
  readonly eventType: string;
  readonly eventTime: string;
  readonly bizStep?: string;
  readonly disposition: 'mapped' | 'evidence' | 'untracked';
  readonly retracted: boolean;
  readonly capturedBy: string;
  readonly seq: number;
  readonly outcome: unknown;
  readonly event: unknown;
}

const list = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : [...v];

function isoParam(v: string | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  const t = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t.getTime()))
    throw new ValidationError(field, `must be an ISO 8601 date or date-time, got ${JSON.stringify(v)}`);
  return t.toISOString();
}

function toCaptured(r: EpcisEventRow): CapturedEvent {
  return {
    hashId: r.hash_id,
    kind: r.kind,
    eventType: r.event_type,
    eventTime: new Date(r.event_time).toISOString(),
    ...(r.biz_step === null ? {} : { bizStep: r.biz_step }),
    disposition: r.disposition,
    retracted: r.retracted_seq !== null,
    capturedBy: r.actor,
    seq: r.seq,
    outcome: r.outcome,
    event: r.event,
  };
}

/** The identifiers of a stored event that MATCH_epc (instance lists) or MATCH_anyEPC (all) look at. */
function idsOf(event: unknown, any: boolean): string[] {
  const e = (event ?? {}) as Record<string, unknown>;
  const lists = any ? ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList'] : ['epcList', 'childEPCs'];
  const qlists = any
    ? ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']
    : ['quantityList', 'childQuantityList'];
  const out: string[] = [];
  for (const l of lists)
    if (Array.isArray(e[l])) for (const x of e[l] as unknown[]) if (typeof x === 'string') out.push(x);
  for (const l of qlists)
    if (Array.isArray(e[l]))
      for (const q of e[l] as { epcClass?: unknown }[]) if (typeof q.epcClass === 'string') out.push(q.epcClass);
  if (any && typeof e.parentID === 'string') out.push(e.parentID);
  return out;
}

/** EPCIS 2.0 SimpleEventQuery over the captured events (both kinds), in event-time order. */
/** Rows read per round trip while filtering an EPCIS query in memory (MATCH_ over the event's own identifier lists). */
const QUERY_PAGE = 1000;

/** Whose events a query reads, and from where (keyset paging). */
export interface EpcisQueryScope {
  /** Only the events this party captured. */
  readonly capturedBy?: string;
  /** Only the events after this one in the query's order (eventTime, then journal seq): the next page. */
  readonly after?: { readonly time: Date; readonly seq: number };
}

/**
 * Runs an EPCIS query. `scope.capturedBy` restricts it to the events one party captured (the API
 * answers a caller with its own events only): that filter, like every other one, is applied before
 * `limit` — in SQL where the table has the column, and by reading further pages for the MATCH_
 * checks that need the event itself — so a caller gets up to `limit` of its own matching events
 * however many other events there are.
 */
export async function queryEpcis(
  ctx: AppContext,
  params: EpcisQuery = {},
  scope: EpcisQueryScope = {},
): Promise<{ readonly events: readonly CapturedEvent[] }> {
  const bizSteps = list(params.EQ_bizStep)
    .flatMap((s) => [s, bizStepIri(s)])
    .map((s) => s.replace(/^https:\/\/ref\.gs1\.org\/cbv\/BizStep-/, ''));
  const matchEpc = list(params.MATCH_epc);
  const matchAny = list(params.MATCH_anyEPC);
  const patterns = [...matchEpc, ...matchAny];
  const exact: string[] = [];
  const prefixes: string[] = [];
  for (const p of patterns) {
    const id = parseEpc(p);
    if (id?.kind === 'gtin') {
      exact.push(id.uri);
      prefixes.push(`${id.uri}/`);
    } else {
      exact.push(id?.uri ?? p);
    }
  }
  const limit = params.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError('limit', 'must be a positive whole number');
  const GE = isoParam(params.GE_eventTime, 'GE_eventTime');
  const LT = isoParam(params.LT_eventTime, 'LT_eventTime');
  const query = {
    eventTypes: list(params.eventType),
    bizSteps: [...new Set(bizSteps)],
    bizLocations: list(params.EQ_bizLocation).map((l) => canonicalGs1Uri(l) ?? l),
    ...(patterns.length > 0 ? { epcsAny: exact, epcPrefixes: prefixes } : {}),
    ...(GE === undefined ? {} : { from: GE }),
    ...(LT === undefined ? {} : { to: LT }),
    ...(scope.capturedBy === undefined ? {} : { actor: scope.capturedBy }),
  };
  const start = scope.after;
  if (patterns.length === 0)
    return {
      events: (
        await epcisRepo.query(ctx.store.db, { ...query, limit, ...(start === undefined ? {} : { after: start }) })
      ).map(toCaptured),
    };
  // The SQL pre-filter (any identifier of the event) is wider than MATCH_epc / MATCH_anyEPC: read
  // pages in the query's order until `limit` events pass the exact check, or the rows run out.
  const keep = (r: EpcisEventRow) =>
    (matchEpc.length === 0 || idsOf(r.event, false).some((x) => matchEpc.some((p) => epcMatches(x, p)))) &&
    (matchAny.length === 0 || idsOf(r.event, true).some((x) => matchAny.some((p) => epcMatches(x, p))));
  const kept: EpcisEventRow[] = [];
  let after: { readonly time: Date; readonly seq: number } | undefined = start;
  for (;;) {
    const page = await epcisRepo.query(ctx.store.db, {
      ...query,
      limit: QUERY_PAGE,
      ...(after === undefined ? {} : { after }),
    });
    for (const r of page) if (keep(r) && kept.length < limit) kept.push(r);
    const last = page[page.length - 1];
    if (kept.length >= limit || page.length < QUERY_PAGE || last === undefined) break;
    after = { time: last.event_time, seq: last.seq };
  }
  return { events: kept.map(toCaptured) };
}

// ---------------------------------------------------------------------------------------------
// Export

const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

function kgOf(grams: number): number {
  const g = BigInt(grams);
  const int = g / 1000n;
  const frac = (g % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return Number(frac === '' ? int.toString() : `${int.toString()}.${frac}`);
}

/**
 * The licence's whole custody chain as an EPCIS 2.0 document (validated against the official schema
 * before it is returned): the creation of the lots it was shipped from, every shipment under it,
 * every receipt, transformation and consumption of lots that carry it, and shipments onwards from
 * them. Records made from captured EPCIS events keep those events' eventTime (the business time);
 * the others carry the time they were journalled. Lots are named by their linked EPC (LGTIN / SGTIN Digital Link) or `urn:lodestone:lot:ID`,
 * parties by their GLN (`https://id.gs1.org/417/…`) or `urn:lodestone:party:ID`; masses in KGM.
 * Each event's eventID is its CBV 2.0 event hash ID.
 */
export async function exportEpcis(ctx: AppContext, licenceId: string): Promise<Record<string, unknown>> {
  await getLicence(ctx, licenceId);
  const db = ctx.store.db;
  const carrying = new Set((await lotsRepo.list(db, { licenceId })).map((l) => l.id));
  const shipments = await shipmentsRepo.list(db);
  const sourceLots = new Set(shipments.filter((s) => s.licence_id === licenceId).map((s) => s.from_lot));
  const selected: { seq: number; type: string; at: string; actor: string; body: Record<string, unknown> }[] = [];
  const inScope = (lot: unknown) => typeof lot === 'string' && (carrying.has(lot) || sourceLots.has(lot));
  for await (const r of journalRepo.stream(db, 2000)) {
    if (
      !['lot.created', 'shipment.dispatched', 'shipment.received', 'lot.transformed', 'lot.consumed'].includes(r.type)
    )
      continue;
    const p = (JSON.parse(r.canonical) as { payload: { at: string; actor: string; body: Record<string, unknown> } })
      .payload;
    const b = p.body;
    let take = false;
    if (r.type === 'lot.created') take = inScope((b.lot as { id?: unknown }).id);
    else if (r.type === 'shipment.dispatched') {
      const s = b.shipment as { licenceId?: string; fromLot: string };
      take = s.licenceId === licenceId || carrying.has(s.fromLot);
    } else if (r.type === 'shipment.received') take = carrying.has((b.lot as { id: string }).id);
    else if (r.type === 'lot.transformed') take = (b.inputs as { lotId: string }[]).some((i) => carrying.has(i.lotId));
    else take = carrying.has(b.lotId as string);
    if (take) selected.push({ seq: r.seq, type: r.type, at: p.at, actor: p.actor, body: b });
  }
  const allLots = new Set<string>();
  for (const s of selected) {
    if (s.type === 'lot.created') allLots.add((s.body.lot as { id: string }).id);
    if (s.type === 'shipment.dispatched') allLots.add((s.body.shipment as { fromLot: string }).fromLot);
    if (s.type === 'shipment.received') allLots.add((s.body.lot as { id: string }).id);
    if (s.type === 'lot.transformed')
      for (const x of [
        ...(s.body.inputs as { lotId: string }[]).map((i) => i.lotId),
        ...(s.body.outputs as { id: string }[]).map((o) => o.id),
      ])
        allLots.add(x);
    if (s.type === 'lot.consumed') allLots.add(s.body.lotId as string);
  }
  const epcOfLot = new Map<string, string>();
  for (const l of await epcisRepo.linksOfLots(db, [...allLots]))
    if (!epcOfLot.has(l.lot_id)) epcOfLot.set(l.lot_id, l.epc);
  const lotUri = (id: string) => epcOfLot.get(id) ?? `urn:lodestone:lot:${encodeURIComponent(id)}`;
  const partyRows = new Map((await partiesRepo.list(db)).map((p) => [p.id, p.party as Party]));
  const partyUri = (id: string) => {
    const gln = partyRows.get(id)?.identifiers?.find((i) => i.scheme === 'GLN')?.value;
    return gln !== undefined && /^\d{13}$/.test(gln)
      ? `https://id.gs1.org/417/${gln}`
      : `urn:lodestone:party:${encodeURIComponent(id)}`;
  };
  const qty = (lotId: string, grams: number) => ({ epcClass: lotUri(lotId), quantity: kgOf(grams), uom: 'KGM' });
  // Custody records made from captured EPCIS events keep the events' business time and time zone.
  const businessTime = new Map<string, { eventTime: string; eventTimeZoneOffset: string }>();
  for (const m of await epcisRepo.mapped(db)) {
    const o = m.outcome as { use?: string; ids?: string[] };
    const ev = m.event as { eventTime?: unknown; eventTimeZoneOffset?: unknown };
    const when = {
      eventTime: typeof ev.eventTime === 'string' ? ev.eventTime : new Date(m.event_time).toISOString(),
      eventTimeZoneOffset: typeof ev.eventTimeZoneOffset === 'string' ? ev.eventTimeZoneOffset : '+00:00',
    };
    const ids = o.use === 'transformLots' ? (o.ids ?? []).slice(0, 1) : o.use === 'consumeLot' ? [] : (o.ids ?? []);
    for (const id of ids) businessTime.set(`${o.use ?? ''} ${id}`, when);
  }
  const USE: Readonly<Record<string, string>> = {
    'lot.created': 'createLot',
    'shipment.dispatched': 'dispatchShipment',
    'shipment.received': 'receiveShipment',
    'lot.transformed': 'transformLots',
  };
  const keyOf = (type: string, b: Record<string, unknown>): string => {
    const id =
      type === 'lot.created' || type === 'shipment.received'
        ? (b.lot as { id: string }).id
        : type === 'shipment.dispatched'
          ? (b.shipment as { id: string }).id
          : String(b.id);
    return `${USE[type] ?? ''} ${id}`;
  };
  let current: { eventTime: string; eventTimeZoneOffset: string } | undefined;
  const common = (at: string, actor: string) => ({
    ...(current ?? { eventTime: at, eventTimeZoneOffset: '+00:00' }),
    readPoint: { id: partyUri(actor) },
  });
  const events: Record<string, unknown>[] = [];
  for (const s of selected) {
    const b = s.body;
    current = s.type === 'lot.consumed' ? undefined : businessTime.get(keyOf(s.type, b));
    let e: Record<string, unknown>;
    switch (s.type) {
      case 'lot.created': {
        const lot = b.lot as { id: string; massGrams: number; holder: string };
        e = {
          type: 'ObjectEvent',
          ...common(s.at, s.actor),
          quantityList: [qty(lot.id, lot.massGrams)],
          action: 'ADD',
          bizStep: 'commissioning',
          disposition: 'active',
          bizLocation: { id: partyUri(lot.holder) },
        };
        break;
      }
      case 'shipment.dispatched': {
        const sh = b.shipment as {
          id: string;
          fromLot: string;
          fromHolder: string;
          to: string;
          grams: number;
          licenceId?: string;
          lineRef?: string;
        };
        e = {
          type: 'ObjectEvent',
          ...common(s.at, s.actor),
          quantityList: [qty(sh.fromLot, sh.grams)],
          action: 'OBSERVE',
          bizStep: 'shipping',
          disposition: 'in_transit',
          bizTransactionList: [
            { type: 'desadv', bizTransaction: `urn:lodestone:shipment:${encodeURIComponent(sh.id)}` },
            ...(sh.licenceId === undefined
              ? []
              : [{ type: 'cert', bizTransaction: `urn:lodestone:licence:${sh.licenceId}:${sh.lineRef ?? ''}` }]),
          ],
          sourceList: [{ type: 'owning_party', source: partyUri(sh.fromHolder) }],
          destinationList: [{ type: 'owning_party', destination: partyUri(sh.to) }],
        };
        break;
      }
      case 'shipment.received': {
        const lot = b.lot as { id: string; holder: string };
        const sh = shipments.find((x) => x.id === b.shipmentId);
        e = {
          type: 'ObjectEvent',
          ...common(s.at, s.actor),
          quantityList: [qty(lot.id, b.receivedGrams as number)],
          action: 'OBSERVE',
          bizStep: 'receiving',
          disposition: 'in_progress',
          bizLocation: { id: partyUri(lot.holder) },
          bizTransactionList: [
            { type: 'desadv', bizTransaction: `urn:lodestone:shipment:${encodeURIComponent(String(b.shipmentId))}` },
          ],
          ...(sh ? { sourceList: [{ type: 'owning_party', source: partyUri(sh.from_holder) }] } : {}),
          destinationList: [{ type: 'owning_party', destination: partyUri(lot.holder) }],
        };
        break;
      }
      case 'lot.transformed': {
        const inputs = b.inputs as { lotId: string; grams: number }[];
        const outputs = b.outputs as { id: string; massGrams: number }[];
        e = {
          type: 'TransformationEvent',
          ...common(s.at, s.actor),
          inputQuantityList: inputs.map((i) => qty(i.lotId, i.grams)),
          outputQuantityList: outputs.map((o) => qty(o.id, o.massGrams)),
          transformationID: `urn:lodestone:transformation:${encodeURIComponent(String(b.id))}`,
          bizStep: 'commissioning',
          bizLocation: { id: partyUri(s.actor) },
        };
        break;
      }
      default: {
        e = {
          type: 'ObjectEvent',
          ...common(s.at, s.actor),
          quantityList: [qty(b.lotId as string, b.grams as number)],
          action: 'DELETE',
          bizStep: CONSUMING_BIZSTEP,
          bizLocation: { id: partyUri(s.actor) },
        };
      }
    }
    events.push({ eventID: eventHashId(e, hashContext({})), ...e });
  }
  const doc = {
    '@context': [EPCIS_CONTEXT, { lodestone: LODESTONE_EPCIS_NS }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: ctx.clock().toISOString(),
    epcisBody: { eventList: events },
  };
  const errors = validateEpcis(doc);
  if (errors.length > 0)
    throw new LodestoneError(
      'EXPORT_INVALID',
      `the exported document fails the EPCIS 2.0 JSON Schema at ${errors[0]?.path ?? '/'}: ${errors[0]?.message ?? ''}`,
    );
  return doc;
}
