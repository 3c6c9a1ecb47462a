import {
  checkDeclaredDate,
  checkValidityAt,
  checkValidityNotPast,
  dayOfInstant,
  type TimeViolation,
} from '../domain/index.js';
import type { SignedRecord } from '../trust/index.js';
import { VerifyError } from './errors.js';
import { isObject, str } from './json.js';

/**
 * Pure step: time is the server's (issue 18, item 1). Every record's `at` — the server's clock when
 * it was committed, covered by the record's signature and its leaf in the log — is the time its
 * rules are judged at, the same checks the server ran (src/domain/time.ts):
 *
 * - a shipment's declared `shippedOn` lies on the day of `at` or at most
 *   DECLARED_DATE_TOLERANCE_DAYS before it, and every licence it draws down whose grant is in the
 *   bundle was valid on the day of `at` (the declared date inside the window is the replay's check);
 * - an approval's validity does not end before the day of its `at`;
 * - an application's assessment (its classification and certificate check) is as of the day of its `at`;
 * - an EPCIS event mapped onto custody is dated within the tolerance before its record's `at`, and
 *   not after it (beyond the capture's 5-minute clock skew).
 *
 * What it cannot prove: that the operator's clock was right. `at` is the operator's statement,
 * bounded by the order of the log (each checkpoint a witness cosigns fixes what existed by then).
 */

export interface TimeCheck {
  /** Records whose time was re-checked against their `at`. */
  readonly records: number;
}

const EPCIS_SKEW_MS = 5 * 60_000;

function fail(where: string, v: TimeViolation): never {
  throw new VerifyError('TIME', `${where}: ${v.rule}: ${v.message}`);
}

export function recheckTimes(records: readonly SignedRecord[]): TimeCheck {
  const licences = new Map<string, { id: string; validFrom: string; validUntil: string }>();
  let checked = 0;
  records.forEach((r, i) => {
    const b = isObject(r.payload.body) ? r.payload.body : {};
    const where = `entry ${i} (${r.payload.type} by ${r.payload.actor} at ${r.payload.at})`;
    const day = dayOfInstant(r.payload.at);
    if (day === '') throw new VerifyError('TIME', `${where}: at is not a timestamp`);
    switch (r.payload.type) {
      case 'application.submitted': {
        const asOf = isObject(b.assessment) ? str(b.assessment.asOf) : '';
        if (asOf !== day)
          throw new VerifyError(
            'TIME',
            `${where}: ASSESSMENT_DATE: the assessment is as of ${asOf || '(none)'}, not the server's date ${day}`,
          );
        checked++;
        break;
      }
      case 'application.decided': {
        const lic = isObject(b.licence) ? b.licence : undefined;
        if (b.decision !== 'approved' || lic === undefined) break;
        const l = { id: str(lic.id), validFrom: str(lic.validFrom), validUntil: str(lic.validUntil) };
        for (const v of checkValidityNotPast(l.validUntil, day)) fail(where, v);
        licences.set(l.id, l);
        checked++;
        break;
      }
      case 'shipment.dispatched': {
        const s = isObject(b.shipment) ? b.shipment : {};
        for (const v of checkDeclaredDate('shippedOn', str(s.shippedOn), day)) fail(where, v);
        const l = typeof s.licenceId === 'string' ? licences.get(s.licenceId) : undefined;
        if (l !== undefined) for (const v of checkValidityAt(l, day)) fail(where, v);
        checked++;
        break;
      }
      case 'epcis.event.captured': {
        if (b.disposition !== 'mapped' || b.kind !== 'event') break;
        const eventTime = str(b.eventTime);
        const t = Date.parse(eventTime);
        if (Number.isNaN(t) || t > Date.parse(r.payload.at) + EPCIS_SKEW_MS)
          throw new VerifyError('TIME', `${where}: EVENT_IN_FUTURE: eventTime ${eventTime} is after the record's at`);
        for (const v of checkDeclaredDate('eventTime', dayOfInstant(eventTime), day)) fail(where, v);
        checked++;
        break;
      }
      default:
        break;
    }
  });
  return { records: checked };
}
