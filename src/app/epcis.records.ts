import type { Transaction } from 'kysely';
import { z } from 'zod';
import { epcisRepo, type Database } from '../store/index.js';

/**
 * Journal record types of EPCIS capture (issue 6). `epcis.event.captured` keeps every captured event
 * as it came (with its document's @context, so anyone can recompute its hash ID), what Lodestone made
 * of it — mapped onto a custody use case, kept as evidence, or about identifiers Lodestone does not
 * track — and the EPC ↔ lot links the mapping created. `epcis.lot.linked` links an existing lot to an
 * EPC identifier.
 */

const link = z
  .object({
    epc: z.string().min(1),
    holder: z.string().min(1),
    lotId: z.string().min(1),
    since: z.iso.datetime({ offset: true }),
  })
  .strict();

export const capturedSchema = z
  .object({
    hashId: z.string().regex(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/),
    kind: z.enum(['event', 'error-declaration']),
    eventType: z.string().min(1),
    eventTime: z.iso.datetime({ offset: true }),
    bizStep: z.string().optional(),
    bizLocation: z.string().optional(),
    action: z.string().optional(),
    epcs: z.array(z.string()),
    disposition: z.enum(['mapped', 'evidence', 'untracked']),
    outcome: z
      .object({
        /** The custody use case the event was mapped onto, and the records it wrote (lot / shipment / transformation ids). */
        use: z.enum(['createLot', 'dispatchShipment', 'receiveShipment', 'transformLots', 'consumeLot']).optional(),
        ids: z.array(z.string()).optional(),
        /** In words: what was done, or why the event is kept as evidence only. */
        note: z.string(),
        /** For an error declaration: the hash ID of the event it declares erroneous, when captured here. */
        retracts: z.string().optional(),
      })
      .strict(),
    event: z.record(z.string(), z.unknown()),
    context: z.unknown().optional(),
    links: z.array(link),
  })
  .strict();
export type EpcisEventCaptured = z.infer<typeof capturedSchema>;

export const lotLinkedSchema = link;
export type EpcisLotLinked = z.infer<typeof lotLinkedSchema>;

export const EPCIS_SCHEMAS = {
  'epcis.event.captured': capturedSchema,
  'epcis.lot.linked': lotLinkedSchema,
} as const;

export type EpcisRecordTypes = { [K in keyof typeof EPCIS_SCHEMAS]: z.infer<(typeof EPCIS_SCHEMAS)[K]> };

type Meta = { seq: number; actor: string; at: string };

export const EPCIS_PROJECTORS: {
  readonly [K in keyof EpcisRecordTypes]: (
    tx: Transaction<Database>,
    body: EpcisRecordTypes[K],
    meta: Meta,
  ) => Promise<void>;
} = {
  async 'epcis.event.captured'(tx, b, { seq, actor }) {
    await epcisRepo.insertEvent(tx, {
      hash_id: b.hashId,
      kind: b.kind,
      seq,
      actor,
      event_type: b.eventType,
      event_time: b.eventTime,
      biz_step: b.bizStep ?? null,
      biz_location: b.bizLocation ?? null,
      action: b.action ?? null,
      epcs: b.epcs,
      disposition: b.disposition,
      outcome: b.outcome,
      event: b.event,
      context: b.context,
    });
    for (const l of b.links)
      await epcisRepo.link(tx, { epc: l.epc, holder: l.holder, lot_id: l.lotId, since: l.since, seq });
    if (b.outcome.retracts !== undefined) await epcisRepo.markRetracted(tx, b.outcome.retracts, seq);
  },
  async 'epcis.lot.linked'(tx, b, { seq }) {
    await epcisRepo.link(tx, { epc: b.epc, holder: b.holder, lot_id: b.lotId, since: b.since, seq });
  },
};
