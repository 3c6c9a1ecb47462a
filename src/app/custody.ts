import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import {
  formatGrams,
  checkDrawdown,
  checkOnwardTransfer,
  inheritRestrictions,
  isCountryCode,
  isoDate,
  itemSchema,
  moneySchema,
  parse,
  portionOf,
  remainderAfter,
  ValidationError,
  wholeGrams,
  type Item,
  type Licence,
  type Lot,
  type Party,
  type Restriction,
  todayUtc,
  type CountryCode,
} from '../domain/index.js';
import {
  citeLine,
  classify,
  evaluatePolicies,
  type Assumption,
  type Classification,
  type Readings,
  type RulePack,
} from '../rules/index.js';
import {
  epcisRepo,
  heldRowsRepo,
  licencesRepo,
  lotsRepo,
  rememberReadsIn,
  shipmentsRepo,
  type CertificateRow,
  type Database,
  type LicenceRow,
  type LotRow,
} from '../store/index.js';
import { inTransaction, type AppContext } from './context.js';
import { AppError, RefusedError } from './errors.js';
import { commit } from './journal.js';
import type { LedgerEntry } from './licensing.records.js';
import { licenceOf } from './licensing.js';
import { requireParty } from './parties.js';
import { askPeersFirst, confirmPeerCertificate } from './status-fetch.js';
import { screeningIndexFor, screenPartiesWithOwners, type IndexInForce } from './screening.js';
import { attemptWorthWatching, deferMonitoring, monitorDeferred, monitorRefusedDispatch } from './alerts.js';
import {
  dispatchTimeRefusals,
  flagDeclaredValue,
  flagOverReceipt,
  priceShipment,
  recheckAtCommit,
} from './declared.js';
import { licensedRestrictionTerms, refuseUnlessInForce } from './certificate-ledger.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/, 'must be 1–80 letters, digits or . _ : -');
const country = z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code' });
const positiveGrams = wholeGrams.refine((g) => g > 0, 'must be more than 0 grams');

export const lotInputSchema = z
  .object({
    id,
    holder: z.string(),
    location: country,
    item: itemSchema,
    massGrams: positiveGrams,
    units: z.number().int().min(0).optional(),
    value: moneySchema.optional(),
  })
  .strict();
export const shipmentInputSchema = z
  .object({
    id,
    fromLot: id,
    to: z.string(),
    destination: country,
    grams: positiveGrams,
    units: z.number().int().min(0).optional(),
    value: moneySchema.optional(),
    licenceId: z.string().optional(),
    lineRef: z.string().optional(),
    shippedOn: isoDate.optional(),
  })
  .strict()
  .refine((s) => (s.licenceId === undefined) === (s.lineRef === undefined), {
    message: 'licenceId and lineRef go together',
    path: ['lineRef'],
  });
export const receiptInputSchema = z
  .object({ shipmentId: id, lotId: id, receivedGrams: wholeGrams, units: z.number().int().min(0).optional() })
  .strict();
export const transformInputSchema = z
  .object({
    id,
    inputs: z.array(z.object({ lotId: id, grams: positiveGrams }).strict()).min(1),
    otherInputsGrams: wholeGrams.optional(),
    outputs: z
      .array(
        z
          .object({
            lotId: id,
            item: itemSchema,
            massGrams: positiveGrams,
            units: z.number().int().min(0).optional(),
            value: moneySchema.optional(),
            embodies: z.array(z.object({ lotId: id, grams: positiveGrams }).strict()).min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export const consumeInputSchema = z
  .object({ lotId: id, grams: positiveGrams, purpose: z.string().min(1).max(300) })
  .strict();

export function toLot(row: LotRow): Lot {
  return {
    id: row.id,
    holder: row.holder,
    location: row.location,
    item: row.item as Item,
    massGrams: row.mass_grams,
    ...(row.units === null ? {} : { units: row.units }),
    ...(row.value_minor === null ? {} : { valueMinor: row.value_minor }),
    ...(row.currency === null ? {} : { currency: row.currency }),
    restrictions: row.restrictions as Restriction[],
  };
}

async function lockLot(tx: Transaction<Database>, lotId: string, holder: string, field: string): Promise<Lot> {
  const row = await lotsRepo.lock(tx, lotId);
  if (!row || row.holder !== holder) throw new AppError('NOT_FOUND', `${holder} holds no lot "${lotId}"`, { field });
  return toLot(row);
}

/** Registers stock a party holds (e.g. the magnet maker's production lot). */
export async function createLot(ctx: AppContext, actor: string, input: unknown): Promise<Lot> {
  const i = parse(lotInputSchema, input, 'lot');
  if (i.holder !== actor)
    throw new AppError('FORBIDDEN', `${actor} cannot create a lot held by ${i.holder}`, { field: 'lot.holder' });
  return custodyTransaction(ctx, async (tx) => {
    await requireParty(tx, i.holder, 'lot.holder');
    if (await lotsRepo.get(tx, i.id))
      throw new AppError('ALREADY_EXISTS', `lot "${i.id}" already exists`, { field: 'lot.id' });
    const lot: Lot = {
      id: i.id,
      holder: i.holder,
      location: i.location,
      item: i.item,
      massGrams: i.massGrams,
      ...(i.units === undefined ? {} : { units: i.units }),
      ...(i.value ? { valueMinor: i.value.minor, currency: i.value.currency } : {}),
      restrictions: [],
    };
    await commit(tx, ctx, 'lot.created', actor, { lot });
    return lot;
  });
}

export interface ExportCheck {
  readonly allowed: boolean;
  readonly refusals: readonly { readonly rule: string; readonly message: string; readonly chain?: readonly string[] }[];
  readonly classification: Classification;
  /** What was checked and passed, in words. */
  readonly checks: readonly string[];
  /** Unverified facts the answer depends on, with the reading used (the classification's; empty when none). */
  readonly assumptions: readonly Assumption[];
}

/** "May this lot go to this party in this country?" — every upstream undertaking, the packs, screening. */
async function assessTransfer(
  tx: Kysely<Database>,
  ctx: AppContext,
  lot: Lot,
  to: Party,
  destination: string,
  grams: number,
  licence: { licence: Licence; lineRef: string; value: { currency: string; minor: number }; date: string } | undefined,
  inForce?: IndexInForce,
  readings: Readings = {},
): Promise<ExportCheck> {
  const refusals: { rule: string; message: string; chain?: readonly string[] }[] = [];
  const checks: string[] = [];
  const asOf = licence?.date ?? todayUtc(ctx.clock);
  if (grams > lot.massGrams)
    refusals.push({
      rule: 'INSUFFICIENT_STOCK',
      message: `lot ${lot.id} holds ${formatGrams(lot.massGrams)}; cannot ship ${formatGrams(grams)}`,
    });
  const {
    screenings: [screen],
    owners,
  } = await screenPartiesWithOwners(tx, [to], inForce ? { inForce } : {});
  const hit = screen?.hits[0];
  if (hit)
    refusals.push({
      rule: 'RESTRICTED_PARTY',
      message: `${to.name} matches ${hit.list} entry "${hit.name}" (${hit.entryId}, score ${hit.score.toFixed(2)}${hit.via ? `; ${hit.via.join('; ')}` : ''}): ${hit.explanation}`,
    });
  else
    checks.push(`${to.name} screened clear against ${screen?.snapshots.map((s) => s.list).join(', ') || 'no lists'}`);
  // A transfer that stays in the country where the lot is is not an export (issue 19, point 2): export-control
  // rules are not evaluated, only the undertakings the lot carries and screening. Export rules apply when the
  // material leaves the country, and rules "to any country other than China" not when it goes to China.
  const domestic = destination === lot.location;
  const classification = classify(lot.item, ctx.packs(), { asOf, exportFrom: lot.location, destination, readings });
  const assuming =
    classification.assumptions.length > 0
      ? `; assuming ${classification.assumptions.map((x) => `${x.fact} = ${x.reading}`).join(', ')}`
      : '';
  if (licence) {
    const l = licence.licence;
    const balance = (await licencesRepo.lockBalances(tx, l.id)).map((b) => ({
      ref: b.line_ref,
      shippedGrams: b.shipped_grams,
      shippedValueMinor: b.shipped_value_minor,
    }));
    const line = l.lines.find((x) => x.ref === licence.lineRef);
    if (
      line &&
      (line.item.hsCode !== lot.item.hsCode ||
        line.item.form !== lot.item.form ||
        line.item.magnetFamily !== lot.item.magnetFamily)
    ) {
      refusals.push({
        rule: 'ITEM_NOT_LICENSED',
        message: `lot ${lot.id} (${lot.item.form}, HS ${lot.item.hsCode}) is not the item of licence ${l.id} line ${line.ref} (${line.item.form}, HS ${line.item.hsCode})`,
      });
    }
    for (const v of checkDrawdown(l, balance, {
      line: licence.lineRef,
      grams,
      value: licence.value,
      consignee: to.id,
      destination,
      date: licence.date,
    }))
      refusals.push(v);
    if (refusals.length === 0)
      checks.push(`within licence ${l.id} line ${licence.lineRef}: consignee, destination, validity and balance`);
  } else if (domestic) {
    checks.push(
      `domestic transfer within ${lot.location}, not an export: export-control rules do not apply (${classification.summary})`,
    );
  } else if (classification.controlled) {
    const by = classification.findings.filter((f) => f.outcome === 'applies');
    refusals.push({
      rule: 'LICENCE_REQUIRED',
      message: `${lot.item.description ?? lot.item.form} is controlled under ${classification.codes.join(', ')} when exported from ${lot.location} to ${destination} (${by.map((f) => f.citation.clause).join('; ')}${assuming}): a licence is required`,
    });
  } else if (!classification.modelled) {
    refusals.push({
      rule: 'NOT_MODELLED',
      message: `cannot tell whether exporting ${lot.item.description ?? lot.item.form} from ${lot.location} needs a licence: ${classification.summary}`,
    });
  } else {
    checks.push(
      `not controlled when exported from ${lot.location} to ${destination} as of ${asOf} (${classification.findings.map((f) => `${f.id}: ${f.outcome}`).join(', ') || 'no rule matches'}${assuming})`,
    );
  }
  for (const r of onwardPolicyRefusals(ctx.packs(), lot, to, destination, asOf)) refusals.push(r);
  // The undertakings bind every transfer, domestic ones too ("use only in India", no re-export to the US);
  // a revoked certificate bars moving the material abroad, which a domestic transfer does not.
  const onward = checkOnwardTransfer(lot, to, destination, (pid) => owners.get(pid)).filter(
    (r) => !(domestic && r.rule === 'CERTIFICATE_REVOKED'),
  );
  for (const r of onward) refusals.push({ rule: r.rule, message: r.message, chain: r.chain });
  if (lot.restrictions.length > 0 && onward.length === 0)
    checks.push(
      `consistent with the undertakings of ${[...new Set(lot.restrictions.map((r) => r.licenceId))].join(', ')}`,
    );
  return { allowed: refusals.length === 0, refusals, classification, checks, assumptions: classification.assumptions };
}

/**
 * Policies that bind anyone passing an authority's dual-use items on, wherever they are (MOFCOM Ann. 1 [2026]:
 * no Chinese-origin dual-use items to Japanese military end users). The item is one of the pack's dual-use
 * items when its export from the pack's country would be controlled as of the date.
 */
function onwardPolicyRefusals(
  packs: readonly RulePack[],
  lot: Lot,
  to: Party,
  destination: CountryCode,
  asOf: string,
): { rule: string; message: string }[] {
  const out: { rule: string; message: string }[] = [];
  for (const pack of packs) {
    // Cheap test first: a transfer policy whose destination condition this transfer can meet.
    const dest = (p: RulePack['policies'][number]) => {
      const d = p.when.destination;
      return d === undefined || ('in' in d ? d.in.includes(destination) : !d.notIn.includes(destination));
    };
    if (!pack.policies.some((p) => p.occasions.includes('transfer') && dest(p))) continue;
    const asExport = classify(lot.item, [pack], { asOf, exportFrom: pack.jurisdiction });
    if (!asExport.controlled) continue;
    const party = {
      role: 'consignee' as const,
      id: to.id,
      name: to.name,
      country: to.country,
      ...(to.sector === undefined ? {} : { sector: to.sector }),
    };
    const ev = evaluatePolicies(
      { asOf, destination, purposes: [], parties: [party], origins: [lot.item.origin], occasion: 'transfer' },
      [pack],
    );
    for (const f of ev.findings.filter((x) => x.outcome === 'applies' && x.decision === 'deny')) {
      out.push({
        rule: 'ONWARD_TRANSFER_PROHIBITED',
        message: `${f.title} (${citeLine(f.citation)}) — ${[...f.facts, `the item is a dual-use item of ${pack.jurisdiction} (${asExport.codes.join(', ')} when exported from ${pack.jurisdiction})`].join('; ')}`,
      });
    }
  }
  return out;
}

/**
 * The re-export question asked in advance. It writes nothing and locks nothing, so it reads without
 * a transaction (one round trip fewer each way); a dispatch asks the same question again inside its
 * own transaction with the lot locked, and that answer is the one that counts.
 */
export async function checkExport(
  ctx: AppContext,
  q: { lotId: string; to: string; destination: string; grams?: number; readings?: Readings },
): Promise<ExportCheck> {
  const db = ctx.store.db;
  // The lot, the party and the lists in force: one statement (one snapshot, one round trip).
  const { lot: row, party, listsInForce } = await lotsRepo.forExportCheck(db, q.lotId, q.to);
  if (!row) throw new AppError('NOT_FOUND', `no lot "${q.lotId}"`, { field: 'lotId' });
  if (party === undefined) throw new AppError('NOT_FOUND', `no party "${q.to}"`, { field: 'to' });
  const lot = toLot(row);
  return assessTransfer(
    db,
    ctx,
    lot,
    party as Party,
    q.destination,
    q.grams ?? lot.massGrams,
    undefined,
    await screeningIndexFor(db, listsInForce),
    q.readings ?? {},
  );
}

/** Transactions that run a batch of custody use cases (a custody batch, an EPCIS capture document). */
const batches = new WeakSet<object>();

/**
 * A custody use case's transaction. In a batch, the batch's. Alone, a batch of one for its rows: the
 * transaction gets a memo and defers its lot, shipment, ledger and EPCIS writes
 * (`heldRowsRepo.deferWrites`), written before it returns (or earlier, when SQL reads those tables:
 * the diversion monitor, which outside a batch judges the event at its record) — one code path for
 * the projection rows whether an event comes alone or in a document.
 */
function custodyTransaction<T>(ctx: AppContext, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return ctx.store.transaction(async (tx) => {
    if (batches.has(tx)) return fn(tx);
    rememberReadsIn(tx);
    heldRowsRepo.deferWrites(tx);
    const out = await fn(tx);
    await heldRowsRepo.flush(tx);
    await epcisRepo.flush(tx);
    return out;
  });
}
const inForceIn = new WeakMap<object, Map<string, Awaited<ReturnType<typeof refuseUnlessInForce>>>>();

/**
 * A licence's row and certificate, refused unless in force (`refuseUnlessInForce`: the licence row
 * share-locked, its certificate read). In a batch, once per licence: the share lock, held until the
 * batch commits, keeps a revocation or suspension from committing meanwhile, and a batch of custody
 * events makes no licence or certificate record of its own, so the answer stands for its later
 * shipments under the same licence.
 */
async function licenceInForce(
  tx: Transaction<Database>,
  row: LicenceRow,
): Promise<Awaited<ReturnType<typeof refuseUnlessInForce>>> {
  if (!batches.has(tx)) return refuseUnlessInForce(tx, row);
  const mine = inForceIn.get(tx) ?? new Map<string, Awaited<ReturnType<typeof refuseUnlessInForce>>>();
  inForceIn.set(tx, mine);
  let hit = mine.get(row.id);
  if (hit === undefined) {
    hit = await refuseUnlessInForce(tx, row);
    mine.set(row.id, hit);
  }
  return hit;
}

/**
 * Marks `tx` as running a batch of custody use cases (`ingestCustodyEvents`, an EPCIS capture
 * document): a licence is checked in force once per batch, its balance draw-downs are summed, and its
 * lot, shipment, custody-ledger and EPCIS rows are kept in memory (`heldRowsRepo.deferWrites`: any SQL read
 * of those tables in the batch writes them first); both are written once, by `endCustodyBatch`,
 * which the batch must await before it commits.
 */
export function startCustodyBatch(tx: Transaction<Database>): void {
  batches.add(tx);
  licencesRepo.deferDrawDowns(tx);
  heldRowsRepo.deferWrites(tx);
  deferMonitoring(tx);
}

/**
 * What a custody batch left for its end: its lot, shipment, ledger and EPCIS rows are written (a
 * statement per table), then the diversion monitor judges its events, in order, each on
 * the projections as they stood right after it (`monitorDeferred`), and its balance draw-downs are
 * written (one statement). `ctx`: the batch's context (its transaction, and the signed request if any).
 */
export async function endCustodyBatch(tx: Transaction<Database>, ctx: AppContext): Promise<void> {
  await heldRowsRepo.flush(tx);
  await epcisRepo.flush(tx);
  await monitorDeferred(tx, ctx);
  await licencesRepo.flushDrawDowns(tx);
}

export interface Dispatched {
  readonly shipmentId: string;
  readonly seq: number;
  readonly checks: readonly string[];
  readonly restrictions: readonly Restriction[];
}

/**
 * Ships part of a lot. Under a licence it draws the balance down (the balance rows are locked, so
 * concurrent drawdowns queue and never overdraw); without one it must pass every upstream
 * undertaking, the packs' rules as exported from where the lot is, and screening. A refusal
 * writes nothing and names each rule it broke.
 */
export async function dispatchShipment(ctx: AppContext, actor: string, input: unknown): Promise<Dispatched> {
  const s = parse(shipmentInputSchema, input, 'shipment');
  // A licence on a peer's certificate: its bit in the peer's status list first (status-fetch.ts); if
  // revoked there, the licence is suspended now and refuseUnlessInForce below refuses.
  if (s.licenceId !== undefined) await confirmPeerCertificate(ctx, { licenceId: s.licenceId }, 'shipment');
  let seen: { lot: Lot; to: Party } | undefined; // for the attempt red flag if the rules refuse
  return custodyTransaction(ctx, async (tx) => {
    if (await shipmentsRepo.get(tx, s.id))
      throw new AppError('ALREADY_EXISTS', `shipment id "${s.id}" is already used`, { field: 'shipment.id' });
    const lot = await lockLot(tx, s.fromLot, actor, 'shipment.fromLot');
    const to = await requireParty(tx, s.to, 'shipment.to');
    seen = { lot, to };
    let licence: Licence | undefined;
    let certificate: CertificateRow | undefined;
    if (s.licenceId !== undefined) {
      const row = await licencesRepo.get(tx, s.licenceId);
      if (!row || row.holder !== actor)
        throw new AppError('NOT_FOUND', `${actor} holds no licence "${s.licenceId}"`, {
          field: 'shipment.licenceId',
        });
      const inForce = await licenceInForce(tx, row);
      licence = licenceOf(inForce.licence);
      certificate = inForce.certificate;
    }
    // Time is the server's: shippedOn is a declared fact, bounded by today (src/app/declared.ts).
    const today = todayUtc(ctx.clock);
    const shippedOn = s.shippedOn ?? today;
    const priced = priceShipment(lot, s.grams, s.value);
    const value = priced.value;
    if (licence && value === undefined)
      throw new AppError('FORBIDDEN', "a licensed shipment needs a value (shipment.value or the lot's value)", {
        field: 'shipment.value',
      });
    const timing = dispatchTimeRefusals(shippedOn, today, licence);
    const check = await assessTransfer(
      tx,
      ctx,
      lot,
      to,
      s.destination,
      s.grams,
      licence && value && s.lineRef !== undefined ? { licence, lineRef: s.lineRef, value, date: shippedOn } : undefined,
    );
    if (!check.allowed || timing.length > 0) throw new RefusedError([...timing, ...check.refusals]);

    const after = remainderAfter(lot, s.grams);
    const ledger = leaving(lot, s.grams, actor, 'shipped');
    let restrictions: Restriction[] = inheritRestrictions(
      [{ lot, grams: s.grams }],
      { id: s.id, massGrams: s.grams, ...(value ? { valueMinor: value.minor, currency: value.currency } : {}) },
      `shipment ${s.id}`,
    ).map((r) => ({ ...r, chain: r.chain.slice(1) }));
    if (licence && value) {
      // The licence's conditions ∪ the certificate's undertakings (issue 18, item 4).
      const terms = licensedRestrictionTerms(licence, certificate);
      restrictions = [
        ...restrictions,
        {
          licenceId: licence.id,
          authority: licence.authority,
          ...(licence.certificateId === undefined ? {} : { certificateId: licence.certificateId }),
          endUser: licence.endUser,
          prohibitedDestinations: terms.prohibitedDestinations,
          ...(terms.useOnlyIn === undefined ? {} : { useOnlyIn: terms.useOnlyIn }),
          extendsToProducts: terms.extendsToProducts,
          licensedGrams: s.grams,
          licensedValueMinor: value.minor,
          currency: value.currency,
          massSharePpm: 1_000_000,
          valueSharePpm: 1_000_000,
          chain: [
            `shipment ${s.id}`,
            `licence ${licence.id}`,
            ...(licence.certificateId ? [`certificate ${licence.certificateId}`] : []),
          ],
          clauses: terms.clauses,
        },
      ];
      ledger.push(
        { licence_id: licence.id, holder: actor, lot_id: lot.id, kind: 'created', grams: s.grams },
        { licence_id: licence.id, holder: actor, lot_id: lot.id, kind: 'shipped', grams: s.grams },
      );
    }
    const c = await commit(tx, ctx, 'shipment.dispatched', actor, {
      shipment: {
        id: s.id,
        fromLot: lot.id,
        fromHolder: actor,
        to: s.to,
        destination: s.destination,
        grams: s.grams,
        ...(s.units === undefined ? {} : { units: s.units }),
        ...(value ? { valueMinor: value.minor, currency: value.currency } : {}),
        ...(priced.declaredValueMinor === undefined ? {} : { declaredValueMinor: priced.declaredValueMinor }),
        ...(s.licenceId === undefined ? {} : { licenceId: s.licenceId }),
        ...(s.lineRef === undefined ? {} : { lineRef: s.lineRef }),
        shippedOn,
      },
      restrictions,
      from: after,
      ledger,
      checks: [...check.checks],
    });
    recheckAtCommit(c.record.payload.at, shippedOn, today, licence);
    await flagDeclaredValue(tx, ctx, {
      shipmentId: s.id,
      seq: c.seq,
      shipper: actor,
      to: s.to,
      grams: s.grams,
      priced,
      licenceId: s.licenceId,
      restrictions: lot.restrictions,
    });
    return { shipmentId: s.id, seq: c.seq, checks: check.checks, restrictions };
  }).catch(async (e: unknown) => {
    // A refused dispatch writes nothing, but an attempt to move restricted material towards a hub country is itself a red flag.
    if (e instanceof RefusedError && seen !== undefined && attemptWorthWatching(ctx, seen.lot, seen.to, s.destination))
      await monitorRefusedDispatch(ctx, actor, s, e);
    throw e;
  });
}

/** The consignee takes custody: a new lot with every restriction the shipment carried; any shortfall is recorded. */
export async function receiveShipment(
  ctx: AppContext,
  actor: string,
  input: unknown,
): Promise<{ lot: Lot; discrepancyGrams: number; seq: number }> {
  const r = parse(receiptInputSchema, input, 'receipt');
  return receive(ctx, actor, r).catch(async (e: unknown) => {
    // An over-receipt writes nothing, but the attempt to multiply licensed material is a red flag.
    if (e instanceof RefusedError && e.refusals.some((x) => x.rule === 'OVER_RECEIPT'))
      await flagOverReceipt(ctx, actor, r);
    throw e;
  });
}

async function receive(
  ctx: AppContext,
  actor: string,
  r: z.infer<typeof receiptInputSchema>,
): Promise<{ lot: Lot; discrepancyGrams: number; seq: number }> {
  return custodyTransaction(ctx, async (tx) => {
    const sh = await shipmentsRepo.lock(tx, r.shipmentId);
    if (!sh || sh.to_party !== actor)
      throw new AppError('NOT_FOUND', `no shipment "${r.shipmentId}" addressed to ${actor}`, {
        field: 'receipt.shipmentId',
      });
    if (sh.status !== 'in-transit')
      throw new AppError('ALREADY_EXISTS', `shipment ${sh.id} was already received (lot ${sh.receiving_lot ?? ''})`, {
        field: 'receipt.shipmentId',
      });
    if (await lotsRepo.get(tx, r.lotId))
      throw new AppError('ALREADY_EXISTS', `lot "${r.lotId}" already exists`, { field: 'receipt.lotId' });
    // Mass cannot be created: a lot never carries more than was shipped to it (the surplus of a heavier scale is a lot of its own).
    if (r.receivedGrams > sh.grams)
      throw new RefusedError([
        {
          rule: 'OVER_RECEIPT',
          message:
            `receipt.receivedGrams ${formatGrams(r.receivedGrams)} is more than the ${formatGrams(sh.grams)} ` +
            `shipment ${sh.id} carried; record at most the shipped grams (create any surplus as its own lot)`,
        },
      ]);
    // Of the source lot only what a lot never changes is taken, unless its value is (the shipment has none).
    const source = await (sh.value_minor === null ? lotsRepo.get(tx, sh.from_lot) : lotsRepo.sourceOf(tx, sh.from_lot));
    if (!source) throw new AppError('NOT_FOUND', `shipment ${sh.id} comes from an unknown lot`);
    const shipped: Lot = {
      ...toLot(source),
      id: sh.id,
      massGrams: sh.grams,
      restrictions: sh.restrictions as Restriction[],
      ...(sh.value_minor === null ? {} : { valueMinor: sh.value_minor }),
    };
    const valueMinor =
      sh.value_minor === null
        ? undefined
        : Number((BigInt(sh.value_minor) * BigInt(r.receivedGrams)) / BigInt(sh.grams));
    const restrictions = inheritRestrictions(
      [{ lot: shipped, grams: Math.min(r.receivedGrams, sh.grams) }],
      {
        id: r.lotId,
        massGrams: r.receivedGrams,
        ...(valueMinor === undefined || sh.currency === null ? {} : { valueMinor, currency: sh.currency }),
      },
      `shipment ${sh.id}`,
    ).map((x) => ({ ...x, chain: [x.chain[0] ?? '', ...x.chain.slice(2)] }));
    const lot: Lot = {
      id: r.lotId,
      holder: actor,
      location: sh.destination,
      item: source.item as Item,
      massGrams: r.receivedGrams,
      ...(r.units === undefined ? (sh.units === null ? {} : { units: sh.units }) : { units: r.units }),
      ...(valueMinor === undefined || sh.currency === null ? {} : { valueMinor, currency: sh.currency }),
      restrictions,
    };
    const ledger: LedgerEntry[] = restrictions.map((x) => ({
      licence_id: x.licenceId,
      holder: actor,
      lot_id: lot.id,
      kind: 'received' as const,
      grams: x.licensedGrams,
    }));
    const discrepancyGrams = sh.grams - r.receivedGrams;
    const c = await commit(tx, ctx, 'shipment.received', actor, {
      shipmentId: sh.id,
      lot,
      receivedGrams: r.receivedGrams,
      discrepancyGrams,
      ledger,
    });
    return { lot, discrepancyGrams, seq: c.seq };
  });
}

/**
 * Turns input lots into output lots (magnets into motors). Each output states how many grams of
 * which input it embodies; every output inherits every restriction of those inputs with its
 * content share by mass and by value. Outputs cannot weigh more than everything that went in.
 */
export async function transformLots(
  ctx: AppContext,
  actor: string,
  input: unknown,
): Promise<{ outputs: readonly Lot[]; seq: number }> {
  const t = parse(transformInputSchema, input, 'transformation');
  return custodyTransaction(ctx, async (tx) => {
    const inputs = new Map<string, { lot: Lot; grams: number }>();
    for (const [i, x] of t.inputs.entries()) {
      if (inputs.has(x.lotId))
        throw new AppError('ALREADY_EXISTS', `lot ${x.lotId} is listed twice`, {
          field: `transformation.inputs.${i}.lotId`,
        });
      const lot = await lockLot(tx, x.lotId, actor, `transformation.inputs.${i}.lotId`);
      if (x.grams > lot.massGrams)
        throw new RefusedError([
          {
            rule: 'INSUFFICIENT_STOCK',
            message: `lot ${lot.id} holds ${formatGrams(lot.massGrams)}; cannot consume ${formatGrams(x.grams)}`,
          },
        ]);
      inputs.set(x.lotId, { lot, grams: x.grams });
    }
    const inGrams = t.inputs.reduce((s, x) => s + x.grams, 0) + (t.otherInputsGrams ?? 0);
    const outGrams = t.outputs.reduce((s, o) => s + o.massGrams, 0);
    if (outGrams > inGrams)
      throw new RefusedError([
        {
          rule: 'MASS_CREATED',
          message:
            `outputs weigh ${formatGrams(outGrams)} but only ${formatGrams(inGrams)} went in ` +
            `(tracked inputs plus otherInputsGrams)`,
        },
      ]);
    const embodied = new Map<string, number>();
    const outputs: Lot[] = [];
    for (const [i, o] of t.outputs.entries()) {
      if (outputs.some((x) => x.id === o.lotId) || (await lotsRepo.get(tx, o.lotId)))
        throw new AppError('ALREADY_EXISTS', `lot "${o.lotId}" already exists`, {
          field: `transformation.outputs.${i}.lotId`,
        });
      const parts = o.embodies.map((e, j) => {
        const src = inputs.get(e.lotId);
        if (!src)
          throw new AppError('NOT_FOUND', `lot ${e.lotId} is not an input of this transformation`, {
            field: `transformation.outputs.${i}.embodies.${j}.lotId`,
          });
        embodied.set(e.lotId, (embodied.get(e.lotId) ?? 0) + e.grams);
        return { lot: src.lot, grams: e.grams };
      });
      const embodiedGrams = parts.reduce((s, p) => s + p.grams, 0);
      if (embodiedGrams > o.massGrams)
        throw new RefusedError([
          {
            rule: 'MASS_CREATED',
            message: `output ${o.lotId} weighs ${formatGrams(o.massGrams)} but is said to embody ${formatGrams(embodiedGrams)} of inputs`,
          },
        ]);
      const out = {
        id: o.lotId,
        massGrams: o.massGrams,
        ...(o.value ? { valueMinor: o.value.minor, currency: o.value.currency } : {}),
      };
      outputs.push({
        ...out,
        holder: actor,
        location: [...inputs.values()][0]?.lot.location ?? 'ZZ',
        item: o.item,
        ...(o.units === undefined ? {} : { units: o.units }),
        restrictions: inheritRestrictions(parts, out, `transformation ${t.id}`),
      });
    }
    for (const [lotId, g] of embodied) {
      const consumed = inputs.get(lotId)?.grams ?? 0;
      if (g > consumed)
        throw new RefusedError([
          {
            rule: 'MASS_CREATED',
            message:
              `outputs embody ${formatGrams(g)} of lot ${lotId} ` +
              `but the transformation consumes only ${formatGrams(consumed)} of it`,
          },
        ]);
    }
    const ledger: LedgerEntry[] = [];
    for (const o of outputs)
      for (const r of o.restrictions) {
        ledger.push({
          licence_id: r.licenceId,
          holder: actor,
          lot_id: o.id,
          kind: 'transformed-in',
          grams: r.licensedGrams,
        });
      }
    // The inputs' licensed grams leave as transformed-out, scrap included: what the outputs do not
    // embody (transformed-out − transformed-in) is the scrap, so it is not booked a second time.
    for (const { lot, grams } of inputs.values()) ledger.push(...leaving(lot, grams, actor, 'transformed-out'));
    const scrapGrams = Math.max(
      0,
      t.inputs.reduce((s, x) => s + x.grams, 0) - [...embodied.values()].reduce((s, g) => s + g, 0),
    );
    const c = await commit(tx, ctx, 'lot.transformed', actor, {
      id: t.id,
      holder: actor,
      inputs: [...inputs.values()].map(({ lot, grams }) => ({ ...remainderAfter(lot, grams), grams })),
      outputs,
      scrapGrams,
      ledger,
    });
    return { outputs, seq: c.seq };
  });
}

/** Material used up (or destroyed) where it is: it leaves the books of every licence it carries. */
export async function consumeLot(ctx: AppContext, actor: string, input: unknown): Promise<{ seq: number }> {
  const i = parse(consumeInputSchema, input, 'consumption');
  return custodyTransaction(ctx, async (tx) => {
    const lot = await lockLot(tx, i.lotId, actor, 'consumption.lotId');
    if (i.grams > lot.massGrams)
      throw new RefusedError([
        {
          rule: 'INSUFFICIENT_STOCK',
          message: `lot ${lot.id} holds ${formatGrams(lot.massGrams)}; cannot consume ${formatGrams(i.grams)}`,
        },
      ]);
    const ledger = leaving(lot, i.grams, actor, 'consumed');
    const c = await commit(tx, ctx, 'lot.consumed', actor, {
      lotId: lot.id,
      grams: i.grams,
      purpose: i.purpose,
      after: remainderAfter(lot, i.grams),
      ledger,
    });
    return { seq: c.seq };
  });
}

export { massBalance, massBalanceIn, type MassBalance, type MassBalanceRow } from './mass-balance.js';

/** One lot with its restrictions; NOT_FOUND naming the field otherwise. */
export async function getLot(ctx: AppContext, id: string): Promise<Lot> {
  const row = await lotsRepo.get(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `no lot "${id}"`, { field: 'lotId' });
  return toLot(row);
}

export async function listLots(
  ctx: AppContext,
  opts: { holder?: string; licenceId?: string } = {},
): Promise<readonly Lot[]> {
  return (await lotsRepo.list(ctx.store.db, opts)).map(toLot);
}

/** One custody event of a batch: which use case, and its input (as for that use case alone). */
export type CustodyEventInput =
  | { readonly kind: 'lot'; readonly input: unknown }
  | { readonly kind: 'shipment'; readonly input: unknown }
  | { readonly kind: 'receipt'; readonly input: unknown }
  | { readonly kind: 'transformation'; readonly input: unknown }
  | { readonly kind: 'consumption'; readonly input: unknown };

export type IngestedCustodyEvent =
  | { readonly kind: 'lot'; readonly lot: Lot }
  | { readonly kind: 'shipment'; readonly shipment: Dispatched }
  | { readonly kind: 'receipt'; readonly lot: Lot; readonly discrepancyGrams: number; readonly seq: number }
  | { readonly kind: 'transformation'; readonly outputs: readonly Lot[]; readonly seq: number }
  | { readonly kind: 'consumption'; readonly seq: number };

/**
 * A batch of one party's custody events (an EPCIS capture document is one) in ONE transaction, in
 * order: each event runs exactly the checks and writes of its own use case (createLot,
 * dispatchShipment, receiveShipment, transformLots, consumeLot), later events see earlier ones,
 * and the batch commits all of its records and projection rows, with one checkpoint, or none. The
 * first event that fails stops the batch with its error, naming it (`events[i]`).
 */
export async function ingestCustodyEvents(
  ctx: AppContext,
  actor: string,
  events: readonly CustodyEventInput[],
): Promise<readonly IngestedCustodyEvent[]> {
  if (events.length === 0) throw new ValidationError('events', 'give at least one custody event');
  const asked = await askPeersFirst(ctx, actor);
  return asked.store.transaction(async (tx) => {
    const inTx = inTransaction(asked, tx);
    startCustodyBatch(tx);
    // Set-based: the batch's own lots and the shipments addressed to it, locked and read at once;
    // each event's use case then finds them (and the ids that name nothing yet) in the memo.
    await heldRowsRepo.lockFor(tx, actor, idsNamed(events));
    const out: IngestedCustodyEvent[] = [];
    for (const [i, e] of events.entries()) {
      try {
        out.push(await ingestOne(inTx, actor, e));
      } catch (err) {
        throw atEvent(err, i);
      }
    }
    await endCustodyBatch(tx, inTx);
    return out;
  });
}

/**
 * The lot and shipment ids a batch names (read before each event is validated, so only strings are
 * taken: anything else is refused by the event's own validation).
 */
function idsNamed(events: readonly CustodyEventInput[]): { lots: string[]; shipments: string[] } {
  const lots: string[] = [];
  const shipments: string[] = [];
  const str = (x: unknown, into: string[]) => {
    if (typeof x === 'string') into.push(x);
  };
  const each = (xs: unknown, f: (x: Record<string, unknown>) => void) => {
    if (Array.isArray(xs)) for (const x of xs) if (typeof x === 'object' && x !== null) f(x as Record<string, unknown>);
  };
  for (const e of events as readonly unknown[]) {
    if (typeof e !== 'object' || e === null) continue;
    const { kind, input } = e as { kind?: unknown; input?: unknown };
    if (typeof input !== 'object' || input === null) continue;
    const i = input as Record<string, unknown>;
    switch (kind) {
      case 'lot':
        str(i.id, lots);
        break;
      case 'shipment':
        str(i.id, shipments);
        str(i.fromLot, lots);
        break;
      case 'receipt':
        str(i.shipmentId, shipments);
        str(i.lotId, lots);
        break;
      case 'transformation':
        each(i.inputs, (x) => {
          str(x.lotId, lots);
        });
        each(i.outputs, (x) => {
          str(x.lotId, lots);
        });
        break;
      case 'consumption':
        str(i.lotId, lots);
        break;
    }
  }
  return { lots, shipments };
}

async function ingestOne(inTx: AppContext, actor: string, e: CustodyEventInput): Promise<IngestedCustodyEvent> {
  switch (e.kind) {
    case 'lot':
      return { kind: 'lot', lot: await createLot(inTx, actor, e.input) };
    case 'shipment':
      return { kind: 'shipment', shipment: await dispatchShipment(inTx, actor, e.input) };
    case 'receipt':
      return { kind: 'receipt', ...(await receiveShipment(inTx, actor, e.input)) };
    case 'transformation':
      return { kind: 'transformation', ...(await transformLots(inTx, actor, e.input)) };
    case 'consumption':
      return { kind: 'consumption', ...(await consumeLot(inTx, actor, e.input)) };
  }
}

/** The error of event `i` of a batch, naming it: `events[i].<field>` for bad input, `events[i]:` before a refusal or other failure. */
function atEvent(err: unknown, i: number): unknown {
  const at = `events[${i}]`;
  if (err instanceof ValidationError)
    return new ValidationError(
      err.field === undefined || err.field === '' ? at : `${at}.${err.field}`,
      err.message.slice((err.field ?? '').length + 2),
    );
  if (err instanceof RefusedError)
    return new RefusedError(err.refusals.map((r) => ({ ...r, message: `${at}: ${r.message}` })));
  if (err instanceof AppError)
    return new AppError(err.code, `${at}: ${err.message}`, {
      field: err.field === undefined ? at : `${at}.${err.field}`,
      cause: err,
    });
  return err;
}

/** The ledger rows of `grams` of a lot leaving its holder's books: each licence's share of them. */
function leaving(
  lot: Lot,
  grams: number,
  holder: string,
  kind: 'shipped' | 'transformed-out' | 'consumed',
): LedgerEntry[] {
  return lot.restrictions.map((r) => ({
    licence_id: r.licenceId,
    holder,
    lot_id: lot.id,
    kind,
    grams: portionOf(r, lot, grams).licensedGrams,
  }));
}
