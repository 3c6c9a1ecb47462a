import type { Transaction } from 'kysely';
import { z } from 'zod';
import { applicationSchema, type ApplicationInput, type Licence, type Lot, type Restriction } from '../domain/index.js';
import type { Assumption } from '../rules/index.js';
import type { Assessment } from './licensing.js';
import { certificateClaimSchema, projectApproval } from './certificate-ledger.records.js';
import { trustListRefSchema } from './trustlist.records.js';
import {
  applicationsRepo,
  ledgerRepo,
  licencesRepo,
  lotsRepo,
  shipmentsRepo,
  type CustodyLedgerRow,
  type Database,
} from '../store/index.js';

/**
 * Journal record types of licensing and custody. Each body carries the facts the use case
 * established (the assessment, the lots it produced with their restrictions, the ledger movements),
 * so the projector only writes and a verifier can re-derive and compare.
 */

const obj = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'object' && v !== null, { message: `must be ${what}` });

export type LedgerEntry = Omit<CustodyLedgerRow, 'seq'>;
const ledgerSchema = z.array(
  z
    .object({
      licence_id: z.string(),
      holder: z.string(),
      lot_id: z.string(),
      kind: z.enum(['created', 'received', 'shipped', 'transformed-in', 'transformed-out', 'consumed', 'counted']),
      grams: z.number().int(),
    })
    .strict(),
);
const lotAfter = z
  .object({
    lotId: z.string(),
    massGrams: z.number().int().min(0),
    valueMinor: z.number().int().min(0).optional(),
    restrictions: z.array(obj<Restriction>('a restriction')),
  })
  .strict();

export const LICENSING_SCHEMAS = {
  'application.submitted': z
    .object({ id: z.string(), application: applicationSchema, assessment: obj<Assessment>('an assessment') })
    .strict(),
  'application.decided': z
    .object({
      applicationId: z.string(),
      decision: z.enum(['approved', 'denied', 'info-requested']),
      reasons: z.array(z.string()),
      licence: obj<Licence>('a licence').optional(),
      /** What the licence claims of its certificate's quantities (approvals since migration 0019). */
      claim: certificateClaimSchema.optional(),
      /** The trust-list version the decider was found listed in. */
      trustList: trustListRefSchema.optional(),
      /** Unverified facts the assessment decided on depended on, with the readings used. */
      assumptions: z.array(obj<Assumption>('an assumption')).optional(),
    })
    .strict(),
  'lot.created': z.object({ lot: obj<Lot>('a lot') }).strict(),
  'shipment.dispatched': z
    .object({
      shipment: z
        .object({
          id: z.string(),
          fromLot: z.string(),
          fromHolder: z.string(),
          to: z.string(),
          destination: z.string().length(2),
          grams: z.number().int().positive(),
          units: z.number().int().min(0).optional(),
          valueMinor: z.number().int().min(0).optional(),
          currency: z.string().length(3).optional(),
          declaredValueMinor: z.number().int().min(0).optional(),
          licenceId: z.string().optional(),
          lineRef: z.string().optional(),
          shippedOn: z.string(),
        })
        .strict(),
      restrictions: z.array(obj<Restriction>('a restriction')),
      from: lotAfter,
      ledger: ledgerSchema,
      checks: z.array(z.string()),
    })
    .strict(),
  'shipment.received': z
    .object({
      shipmentId: z.string(),
      lot: obj<Lot>('a lot'),
      receivedGrams: z.number().int().min(0),
      discrepancyGrams: z.number().int(),
      ledger: ledgerSchema,
    })
    .strict(),
  'lot.transformed': z
    .object({
      id: z.string(),
      holder: z.string(),
      inputs: z.array(lotAfter.extend({ grams: z.number().int().positive() })),
      outputs: z.array(obj<Lot>('a lot')),
      scrapGrams: z.number().int().min(0),
      ledger: ledgerSchema,
    })
    .strict(),
  'lot.consumed': z
    .object({
      lotId: z.string(),
      grams: z.number().int().positive(),
      purpose: z.string(),
      after: lotAfter,
      ledger: ledgerSchema,
    })
    .strict(),
} as const;

export type LicensingRecordTypes = { [K in keyof typeof LICENSING_SCHEMAS]: z.infer<(typeof LICENSING_SCHEMAS)[K]> };

type Meta = { seq: number; actor: string; at: string };
type Projector<K extends keyof LicensingRecordTypes> = (
  tx: Transaction<Database>,
  body: LicensingRecordTypes[K],
  meta: Meta,
) => Promise<void>;

async function insertLot(
  tx: Transaction<Database>,
  lot: Lot,
  seq: number,
  ledgerRows: readonly CustodyLedgerRow[] = [],
): Promise<void> {
  await lotsRepo.insert(
    tx,
    {
      id: lot.id,
      holder: lot.holder,
      location: lot.location,
      item: lot.item,
      mass_grams: lot.massGrams,
      units: lot.units ?? null,
      value_minor: lot.valueMinor ?? null,
      currency: lot.currency ?? null,
      restrictions: lot.restrictions,
      licence_ids: [...new Set(lot.restrictions.map((r) => r.licenceId))],
      created_seq: seq,
      updated_seq: seq,
    },
    ledgerRows,
  );
}

const ledger = (rows: readonly LedgerEntry[], seq: number) => rows.map((r) => ({ ...r, seq }));

export const LICENSING_PROJECTORS: { readonly [K in keyof LicensingRecordTypes]: Projector<K> } = {
  async 'application.submitted'(tx, b, { seq, at }) {
    const a: ApplicationInput = b.application;
    await applicationsRepo.insert(tx, {
      id: b.id,
      seq,
      authority: a.authority,
      applicant: a.applicant,
      recommendation: b.assessment.recommendation,
      application: a,
      assessment: b.assessment,
      submittedAt: at,
    });
  },
  async 'application.decided'(tx, b, { seq }) {
    await applicationsRepo.decide(
      tx,
      b.applicationId,
      b.decision === 'approved' ? 'approved' : b.decision === 'denied' ? 'denied' : 'info-requested',
      { decision: b.decision, reasons: b.reasons, licenceId: b.licence?.id },
      seq,
    );
    const l = b.licence;
    if (l) {
      await licencesRepo.insert(
        tx,
        {
          id: l.id,
          seq,
          application_id: l.applicationId,
          authority: l.authority,
          holder: l.holder,
          consignee: l.consignee,
          end_user: l.endUser,
          destination: l.destination,
          valid_from: l.validFrom,
          valid_until: l.validUntil,
          status: 'active',
          licence: l,
        },
        l.lines.map((x) => ({
          ref: x.ref,
          currency: x.ceilingValue.currency,
          ceilingGrams: x.ceilingGrams,
          ceilingValueMinor: x.ceilingValue.minor,
        })),
      );
      await projectApproval(tx, l, b.claim, seq);
    }
  },
  async 'lot.created'(tx, b, { seq }) {
    await insertLot(tx, b.lot, seq);
  },
  async 'shipment.dispatched'(tx, b, { seq }) {
    const s = b.shipment;
    await lotsRepo.setMass(tx, b.from.lotId, b.from.massGrams, b.from.restrictions, seq, b.from.valueMinor);
    if (s.licenceId !== undefined && s.lineRef !== undefined)
      await licencesRepo.drawDown(tx, s.licenceId, s.lineRef, s.grams, s.valueMinor ?? 0);
    // The shipment row and its ledger rows in one statement.
    await shipmentsRepo.insert(
      tx,
      {
        id: s.id,
        seq,
        from_lot: s.fromLot,
        from_holder: s.fromHolder,
        to_party: s.to,
        destination: s.destination,
        grams: s.grams,
        units: s.units ?? null,
        value_minor: s.valueMinor ?? null,
        currency: s.currency ?? null,
        declared_value_minor: s.declaredValueMinor ?? null,
        licence_id: s.licenceId ?? null,
        line_ref: s.lineRef ?? null,
        shipped_on: s.shippedOn,
        restrictions: b.restrictions,
      },
      ledger(b.ledger, seq),
    );
  },
  async 'shipment.received'(tx, b, { seq }) {
    await insertLot(tx, b.lot, seq);
    await shipmentsRepo.markReceived(tx, b.shipmentId, b.receivedGrams, b.lot.id, seq, ledger(b.ledger, seq));
  },
  async 'lot.transformed'(tx, b, { seq }) {
    for (const i of b.inputs) await lotsRepo.setMass(tx, i.lotId, i.massGrams, i.restrictions, seq, i.valueMinor);
    // The last output's row carries the transformation's ledger rows in the same statement.
    for (const [k, o] of b.outputs.entries())
      await insertLot(tx, o, seq, k === b.outputs.length - 1 ? ledger(b.ledger, seq) : []);
    if (b.outputs.length === 0) await ledgerRepo.add(tx, ledger(b.ledger, seq));
  },
  async 'lot.consumed'(tx, b, { seq }) {
    await lotsRepo.setMass(
      tx,
      b.after.lotId,
      b.after.massGrams,
      b.after.restrictions,
      seq,
      b.after.valueMinor,
      ledger(b.ledger, seq),
    );
  },
};
