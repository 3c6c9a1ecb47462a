import { describe, expect, it } from 'vitest';
import type { SignedRecord } from '../../src/trust/index.js';
import { VerifyError } from '../../src/verify/index.js';
import { recheckTimes } from '../../src/verify/time-check.js';

/** Records as the verifier sees them after the signature step (the signature is not looked at here). */
const rec = (type: string, at: string, body: unknown): SignedRecord =>
  ({
    payload: { v: 1, type, actor: 'p', at, body },
    signature: { alg: 'Ed25519', keyId: 'k', sig: '' },
  }) as unknown as SignedRecord;
const approval = (at: string, validFrom = '2026-03-01', validUntil = '2026-03-31') =>
  rec('application.decided', at, {
    applicationId: 'a',
    decision: 'approved',
    reasons: [],
    licence: { id: 'LIC-1', validFrom, validUntil },
  });
const ship = (at: string, shippedOn: string, licenceId = 'LIC-1') =>
  rec('shipment.dispatched', at, { shipment: { id: 'S', licenceId, shippedOn } });

function failure(records: SignedRecord[]): string {
  try {
    recheckTimes(records);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return `${(e as VerifyError).code}: ${(e as Error).message}`;
  }
  return 'ok';
}

describe("the verifier re-checks time at each record's `at` (issue 18, item 1)", () => {
  it("accepts shipments dated on, or up to 3 days before, the day of their record, inside the licence's window", () => {
    expect(
      recheckTimes([
        approval('2026-03-01T09:00:00.000Z'),
        ship('2026-03-10T23:59:59.999Z', '2026-03-07'),
        ship('2026-03-31T00:00:00.000Z', '2026-03-31'),
      ]),
    ).toEqual({ records: 3 });
  });

  it("refuses a declared date beyond the tolerance or after the record, and a licence not valid on the record's day", () => {
    expect(failure([approval('2026-03-01T09:00:00.000Z'), ship('2026-03-10T09:00:00.000Z', '2026-03-06')])).toMatch(
      /^TIME: entry 1 \(shipment\.dispatched .*\): DATE_TOO_OLD: shippedOn 2026-03-06/,
    );
    expect(failure([approval('2026-03-01T09:00:00.000Z'), ship('2026-03-10T09:00:00.000Z', '2026-03-11')])).toMatch(
      /DATE_IN_FUTURE/,
    );
    expect(failure([approval('2026-03-01T09:00:00.000Z'), ship('2026-04-01T00:00:00.000Z', '2026-03-31')])).toMatch(
      /LICENCE_EXPIRED: licence LIC-1 expired on 2026-03-31; the server's date is 2026-04-01/,
    );
    expect(failure([approval('2026-02-20T09:00:00.000Z'), ship('2026-02-28T09:00:00.000Z', '2026-02-28')])).toMatch(
      /LICENCE_NOT_YET_VALID/,
    );
  });

  it("refuses an approval valid only in the past, and an assessment not made on its record's day", () => {
    expect(failure([approval('2026-04-01T09:00:00.000Z')])).toMatch(/VALIDITY_IN_PAST/);
    expect(
      failure([
        rec('application.submitted', '2026-03-02T00:00:01.000Z', { id: 'a', assessment: { asOf: '2026-03-01' } }),
      ]),
    ).toMatch(/ASSESSMENT_DATE: the assessment is as of 2026-03-01, not the server's date 2026-03-02/);
    expect(failure([rec('shipment.dispatched', 'yesterday', { shipment: {} })])).toMatch(/at is not a timestamp/);
  });

  it("bounds an EPCIS event mapped onto custody by its record's `at`; evidence is left alone", () => {
    const ev = (at: string, eventTime: string, disposition = 'mapped') =>
      rec('epcis.event.captured', at, { kind: 'event', disposition, eventTime });
    expect(
      recheckTimes([
        ev('2026-03-10T09:00:00.000Z', '2026-03-07T01:00:00+00:00'),
        ev('2026-03-10T09:00:00.000Z', '2025-01-01T00:00:00Z', 'evidence'),
      ]),
    ).toEqual({ records: 1 });
    expect(failure([ev('2026-03-10T09:00:00.000Z', '2026-03-06T23:00:00+00:00')])).toMatch(/DATE_TOO_OLD/);
    expect(failure([ev('2026-03-10T09:00:00.000Z', '2026-03-10T09:06:00Z')])).toMatch(/EVENT_IN_FUTURE/);
  });
});
