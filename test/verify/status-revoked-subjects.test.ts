/**
 * `federation.status-revoked` (src/app/status-fetch.ts) concerns the certificate and the licences it
 * suspended, so a licence's audit bundle carries it (test/federation/status-list.test.ts shows the
 * bundle and its completeness). A record written before it named the licences keeps the links it was
 * written with: none, so journals written then still rebuild and verify.
 */
import { describe, expect, it } from 'vitest';
import { partiesNeeded, STATUS_REVOKED_RECORD, subjectsOf } from '../../src/trust/index.js';

const CERT = 'urn:uuid:0b7a4f3e-6f0a-4a53-9a4e-2f1d1c1e7a10';
const older = {
  node: 'in',
  origin: 'in.lodestone.example/log',
  certificateId: CERT,
  issuer: 'chakan-drive-systems',
  statusListUrl: 'https://in.lodestone.example/status-lists/chakan-drive-systems/revocation',
  statusIndex: 3,
  statusList: 'a.b.c',
  fetchedAt: '2026-12-01T09:00:00.000Z',
};

describe('federation.status-revoked subjects', () => {
  it('a record naming the licences it suspended concerns them and the certificate', () => {
    expect(subjectsOf(STATUS_REVOKED_RECORD, { ...older, licences: ['lic-2', 'lic-1'] })).toEqual([
      `certificate:${CERT}`,
      'licence:lic-1',
      'licence:lic-2',
    ]);
    // Suspending none (every licence relying on it already suspended): still the certificate's chain.
    expect(subjectsOf(STATUS_REVOKED_RECORD, { ...older, licences: [] })).toEqual([`certificate:${CERT}`]);
  });

  it('a record written before (no licences field) concerns nothing, as it was linked', () => {
    expect(subjectsOf(STATUS_REVOKED_RECORD, older)).toEqual([]);
  });

  it('needs no party registration: the log operator made it', () => {
    expect(partiesNeeded(STATUS_REVOKED_RECORD, 'lodestone-log', { ...older, licences: ['lic-1'] })).toEqual([]);
  });
});
