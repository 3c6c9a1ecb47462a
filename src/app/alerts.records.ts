import type { Transaction } from 'kysely';
import { z } from 'zod';
import { isCountryCode, isoDate, wholeGrams } from '../domain/index.js';
import { RED_FLAG_IDS, SEVERITIES } from '../monitor/index.js';
import { alertsRepo, redFlagSetsRepo, reportsFiledRepo, type Database } from '../store/index.js';

/**
 * Journal record types of diversion monitoring: the red-flag set relied on (exact text and
 * SHA-256, like `rulepack.loaded`), alerts raised, resolved, dismissed and assigned, and post-shipment
 * reports filed.
 */

export const ALERT_ID = /^alert-[0-9a-f]{20}$/;
export const ALERT_TRIGGERS = [
  'dispatch',
  'dispatch-refused',
  'receipt',
  'receipt-refused',
  'transformation',
  'consumption',
  'report',
  'list-import',
  'scan',
  'revocation',
] as const;
export type AlertTrigger = (typeof ALERT_TRIGGERS)[number];

const thresholdValue = z.union([z.number().int(), z.string(), z.array(z.string())]);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ALERT_SCHEMAS = {
  'redflags.loaded': z
    .object({
      setId: z.string().min(1),
      version: z.string().min(1),
      sha256,
      file: z.string().min(1),
      /** The set's exact text, so an auditor can re-parse it and recompute its SHA-256. */
      yaml: z.string().min(1),
    })
    .strict(),
  'alert.raised': z
    .object({
      id: z.string().regex(ALERT_ID),
      rule: z.enum(RED_FLAG_IDS),
      severity: z.enum(SEVERITIES),
      licenceId: z.string().min(1).optional(),
      parties: z.array(z.string().min(1)),
      explanation: z.string().min(1),
      evidence: z.object({ seqs: z.array(z.number().int().positive()), records: z.array(z.string().min(1)) }).strict(),
      thresholds: z.record(z.string(), thresholdValue),
      ruleSet: z.object({ id: z.string().min(1), version: z.string().min(1), sha256 }).strict(),
      trigger: z.enum(ALERT_TRIGGERS),
      asOf: isoDate,
    })
    .strict(),
  'alert.resolved': z
    .object({ alertId: z.string().regex(ALERT_ID), note: z.string().trim().min(1).max(2000) })
    .strict(),
  /** Closed as no concern (a false positive, an explained gap), with the reason. */
  'alert.dismissed': z
    .object({ alertId: z.string().regex(ALERT_ID), reason: z.string().trim().min(1).max(2000) })
    .strict(),
  /** Given to a person of the authority to work (name or e-mail; a later assignment replaces it). */
  'alert.assigned': z
    .object({
      alertId: z.string().regex(ALERT_ID),
      assignee: z.string().trim().min(1).max(200),
      note: z.string().trim().min(1).max(2000).optional(),
    })
    .strict(),
  'report.filed': z
    .object({
      id: z.string().regex(/^rpt-[0-9a-z-]+$/),
      kind: z.enum(['post-shipment', 'end-use']),
      shipmentId: z.string().min(1),
      licenceId: z.string().min(1).optional(),
      receivedGrams: wholeGrams,
      installedIn: z.string().trim().min(1).max(300).optional(),
      location: z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code' }),
      date: isoDate,
      note: z.string().max(2000).optional(),
    })
    .strict(),
} as const;

export type AlertRecordTypes = { [K in keyof typeof ALERT_SCHEMAS]: z.infer<(typeof ALERT_SCHEMAS)[K]> };
export type AlertRaised = AlertRecordTypes['alert.raised'];
export type ReportFiled = AlertRecordTypes['report.filed'];

type Meta = { seq: number; actor: string; at: string };
type Projector<K extends keyof AlertRecordTypes> = (
  tx: Transaction<Database>,
  body: AlertRecordTypes[K],
  meta: Meta,
) => Promise<void>;

export const ALERT_PROJECTORS: { readonly [K in keyof AlertRecordTypes]: Projector<K> } = {
  async 'redflags.loaded'(tx, b, { seq }) {
    await redFlagSetsRepo.insert(tx, {
      set_id: b.setId,
      version: b.version,
      sha256: b.sha256,
      file: b.file,
      loaded_seq: seq,
    });
  },
  async 'alert.raised'(tx, b, { seq, actor, at }) {
    await alertsRepo.insert(tx, {
      id: b.id,
      seq,
      rule: b.rule,
      severity: b.severity,
      licence_id: b.licenceId ?? null,
      parties: [...b.parties],
      explanation: b.explanation,
      evidence: b.evidence,
      thresholds: b.thresholds,
      rule_set: `${b.ruleSet.id}@${b.ruleSet.version}`,
      trigger: b.trigger,
      raised_by: actor,
      raised_at: at,
      status: 'open',
      resolved_seq: null,
      resolved_by: null,
      resolution: null,
    });
  },
  async 'alert.resolved'(tx, b, { seq, actor }) {
    await alertsRepo.resolve(tx, b.alertId, actor, b.note, seq);
  },
  async 'alert.dismissed'(tx, b, { seq, actor }) {
    await alertsRepo.resolve(tx, b.alertId, actor, b.reason, seq, 'dismissed');
  },
  async 'alert.assigned'(tx, b, { seq, actor }) {
    await alertsRepo.assign(tx, b.alertId, b.assignee, actor, seq);
  },
  async 'report.filed'(tx, b, { seq, actor, at }) {
    await reportsFiledRepo.insert(tx, {
      id: b.id,
      seq,
      kind: b.kind,
      shipment_id: b.shipmentId,
      licence_id: b.licenceId ?? null,
      reporter: actor,
      received_grams: b.receivedGrams,
      installed_in: b.installedIn ?? null,
      location: b.location,
      report_date: b.date,
      filed_at: at,
    });
  },
};
