import { addDaysIso } from './validation.js';

/**
 * Time is the server's (issue 18, item 1). A record's `at` — the server's clock when the record was
 * committed — is the time validity, expiry and deadlines are judged at. A date a party declares
 * (a shipment's `shippedOn`, the day of an EPCIS event mapped onto custody) stays a declared fact,
 * bounded by `at`: never after the day of `at` and at most `DECLARED_DATE_TOLERANCE_DAYS` days
 * before it. Pure: the server and the offline verifier run the same checks.
 */

/**
 * How many whole days a declared date may lie before the day of its record's `at` (UTC). A shipment
 * entered on Thursday may say it left on Monday; one that says it left a week ago is refused
 * (DATE_TOO_OLD), so a licence that has since expired cannot be drawn on by backdating.
 */
export const DECLARED_DATE_TOLERANCE_DAYS = 3;

export type TimeRule =
  'DATE_IN_FUTURE' | 'DATE_TOO_OLD' | 'LICENCE_NOT_YET_VALID' | 'LICENCE_EXPIRED' | 'VALIDITY_IN_PAST';

export interface TimeViolation {
  readonly rule: TimeRule;
  readonly message: string;
}

/** Today's UTC calendar day (YYYY-MM-DD) by the given clock (the server's: `AppContext.clock`). */
export function todayUtc(clock: () => Date = () => new Date()): string {
  return clock().toISOString().slice(0, 10);
}

/** The UTC calendar day (YYYY-MM-DD) of an instant given as an ISO timestamp (a record's `at`). */
export function dayOfInstant(at: string): string {
  const t = Date.parse(at);
  return Number.isNaN(t) ? '' : new Date(t).toISOString().slice(0, 10);
}

/** A declared date against the day of its record's `at`: not after it, not more than the tolerance before it. */
export function checkDeclaredDate(
  field: string,
  declared: string,
  atDay: string,
  toleranceDays: number = DECLARED_DATE_TOLERANCE_DAYS,
): TimeViolation[] {
  if (declared > atDay)
    return [
      {
        rule: 'DATE_IN_FUTURE',
        message: `${field} ${declared} is after the server's date ${atDay}: a declared date cannot be in the future`,
      },
    ];
  const earliest = addDaysIso(atDay, -toleranceDays);
  if (declared < earliest)
    return [
      {
        rule: 'DATE_TOO_OLD',
        message: `${field} ${declared} is more than ${toleranceDays} days before the server's date ${atDay} (earliest accepted ${earliest})`,
      },
    ];
  return [];
}

/** A licence's validity window judged at the server's day (the record's `at`), not at any declared date. */
export function checkValidityAt(
  licence: { readonly id: string; readonly validFrom: string; readonly validUntil: string },
  atDay: string,
): TimeViolation[] {
  if (atDay < licence.validFrom)
    return [
      {
        rule: 'LICENCE_NOT_YET_VALID',
        message: `licence ${licence.id} is valid from ${licence.validFrom}; the server's date is ${atDay}`,
      },
    ];
  if (atDay > licence.validUntil)
    return [
      {
        rule: 'LICENCE_EXPIRED',
        message: `licence ${licence.id} expired on ${licence.validUntil}; the server's date is ${atDay}`,
      },
    ];
  return [];
}

/** A validity window that ends before the server's day has nothing left to grant (item 12). */
export function checkValidityNotPast(validUntil: string, atDay: string): TimeViolation[] {
  return validUntil < atDay
    ? [
        {
          rule: 'VALIDITY_IN_PAST',
          message: `the validity ends on ${validUntil}, before the server's date ${atDay}: a licence valid wholly in the past grants nothing`,
        },
      ]
    : [];
}

/**
 * The day a reporting deadline counts from: the later of the declared date and the record's server
 * day. The duty arises with the shipment, and nobody can report on a shipment before it is
 * recorded, so a (tolerated) backdated declaration does not make a report overdue the moment it is
 * entered; and since a declared date is never after its record, the later is in practice the
 * server's day — a party cannot move its deadline by what it declares.
 */
export function deadlineBase(declared: string, recordedDay: string | undefined): string {
  return recordedDay !== undefined && recordedDay > declared ? recordedDay : declared;
}
