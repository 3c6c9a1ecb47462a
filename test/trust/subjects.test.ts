import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSubjectsExtension,
  MAP_EMPTY,
  mapProve,
  mapRoot,
  mapRootOf,
  mapSet,
  parseLinks,
  parseRecordPayload,
  parseSubjectsExtension,
  scopeOf,
  subjectKey,
  subjectsOf,
  subjectValue,
  TrustError,
  verifyMapProof,
  type MapNode,
} from '../../src/trust/index.js';

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

/** A map built by incremental `mapSet` calls, as the log writes it. */
function build(pairs: readonly (readonly [string, number])[]): Map<string, MapNode> {
  const nodes = new Map<string, MapNode>();
  for (const [s, seq] of pairs)
    mapSet(nodes, subjectKey(s), subjectValue(s, { seq, leafHash: 'a'.repeat(64) }), new Set());
  return nodes;
}

describe('subject map (sparse Merkle tree, compressed leaves)', () => {
  it('the incremental root equals the root computed from scratch, for any set of subjects and updates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 40 }),
        (pairs) => {
          const nodes = build(pairs);
          const last = new Map(pairs.map(([s, seq]) => [s, seq]));
          const scratch = mapRootOf(
            [...last].map(([s, seq]) => [subjectKey(s), subjectValue(s, { seq, leafHash: 'a'.repeat(64) })] as const),
          );
          expect(b64(mapRoot(nodes))).toBe(b64(scratch));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('proves each present key to its value and each absent key absent; any flipped byte fails', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 30 }),
        fc.string({ maxLength: 10 }),
        (subjects, probe) => {
          const nodes = build(subjects.map((s, i) => [s, i + 1]));
          const root = mapRoot(nodes);
          subjects.forEach((s, i) => {
            const v = verifyMapProof(root, subjectKey(s), mapProve(nodes, subjectKey(s)));
            expect(v && b64(v)).toBe(b64(subjectValue(s, { seq: i + 1, leafHash: 'a'.repeat(64) })));
          });
          if (!subjects.includes(probe))
            expect(verifyMapProof(root, subjectKey(probe), mapProve(nodes, subjectKey(probe)))).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
    const nodes = build([
      ['licence:A', 3],
      ['licence:B', 4],
      ['alert:x', 5],
    ]);
    const root = mapRoot(nodes);
    const proof = mapProve(nodes, subjectKey('licence:A'));
    const bad = (p: unknown, key = subjectKey('licence:A')) => {
      try {
        return verifyMapProof(root, key, p) === undefined ? 'absent' : 'verified';
      } catch (e) {
        return (e as TrustError).code;
      }
    };
    const leaf = proof.leaf!;
    expect(
      bad({ ...proof, leaf: { ...leaf, value: b64(subjectValue('licence:A', { seq: 2, leafHash: 'a'.repeat(64) })) } }),
    ).toBe('BAD_PROOF');
    if (proof.siblings.length > 0) expect(bad({ ...proof, siblings: proof.siblings.slice(1) })).toBe('BAD_PROOF');
    // A head proved for one subject is never a value for another (at most a proof that it is absent).
    expect(['BAD_PROOF', 'absent']).toContain(bad(proof, subjectKey('licence:C')));
    expect(bad(proof)).toBe('verified');
    expect(bad({ siblings: 'x' })).toBe('BAD_PROOF');
    expect(bad({ siblings: new Array(257).fill(b64(MAP_EMPTY)) })).toBe('BAD_PROOF');
  });

  it('the empty map has the zero root, and proves every key absent', () => {
    expect(b64(mapRoot(new Map()))).toBe(b64(MAP_EMPTY));
    expect(verifyMapProof(MAP_EMPTY, subjectKey('licence:X'), { siblings: [] })).toBeUndefined();
  });

  it('the checkpoint extension line round-trips and refuses malformed ones', () => {
    const root = subjectKey('r');
    const line = formatSubjectsExtension({ since: 12, root });
    expect(line).toMatch(/^lodestone-subjects\/v1 12 [A-Za-z0-9+/]{43}=$/);
    expect(parseSubjectsExtension(['other', line])).toEqual({ since: 12, root });
    expect(parseSubjectsExtension(['other'])).toBeUndefined();
    expect(() => parseSubjectsExtension(['lodestone-subjects/v1 012 x'])).toThrow(TrustError);
  });
});

describe('subjectsOf: the subjects a record concerns, from its body alone', () => {
  it('names the licence of every record that concerns it, and only for known record types', () => {
    const r = (licenceId: string) => ({ licenceId });
    expect(subjectsOf('application.submitted', { id: 'app-1' })).toEqual(['application:app-1']);
    expect(subjectsOf('application.decided', { applicationId: 'app-1', licence: { id: 'L1' } })).toEqual([
      'application:app-1',
      'licence:L1',
    ]);
    expect(subjectsOf('application.decided', { applicationId: 'app-2', decision: 'denied' })).toEqual([
      'application:app-2',
    ]);
    expect(
      subjectsOf('shipment.dispatched', {
        shipment: { licenceId: 'L1' },
        restrictions: [r('L0')],
        from: { restrictions: [r('L2')] },
        ledger: [{ licence_id: 'L3' }],
      }),
    ).toEqual(['licence:L0', 'licence:L1', 'licence:L2', 'licence:L3']);
    expect(
      subjectsOf('shipment.dispatched', { shipment: {}, restrictions: [], from: { restrictions: [] }, ledger: [] }),
    ).toEqual([]);
    expect(subjectsOf('shipment.received', { lot: { restrictions: [r('L1')] }, ledger: [] })).toEqual(['licence:L1']);
    expect(
      subjectsOf('lot.transformed', {
        inputs: [{ restrictions: [r('L1')] }],
        outputs: [{ restrictions: [r('L2')] }],
        ledger: [],
      }),
    ).toEqual(['licence:L1', 'licence:L2']);
    expect(subjectsOf('lot.consumed', { after: { restrictions: [r('L1')] }, ledger: [] })).toEqual(['licence:L1']);
    expect(subjectsOf('alert.raised', { id: 'alert-1', licenceId: 'L1' })).toEqual(['alert:alert-1', 'licence:L1']);
    expect(subjectsOf('alert.resolved', { alertId: 'alert-1' })).toEqual(['alert:alert-1']);
    expect(subjectsOf('alert.dismissed', { alertId: 'alert-1', reason: 'r' })).toEqual(['alert:alert-1']);
    expect(subjectsOf('alert.assigned', { alertId: 'alert-1', assignee: 'A' })).toEqual(['alert:alert-1']);
    expect(subjectsOf('report.filed', { licenceId: 'L1' })).toEqual(['licence:L1']);
    const payload = Buffer.from(JSON.stringify({ id: 'urn:uuid:1' })).toString('base64url');
    expect(subjectsOf('certificate.issued', { jws: { payload } })).toEqual(['certificate:urn:uuid:1']);
    expect(subjectsOf('certificate.revoked', { certificateId: 'urn:uuid:1' })).toEqual(['certificate:urn:uuid:1']);
    for (const t of [
      'party.registered',
      'rulepack.loaded',
      'list.imported',
      'epcis.event.captured',
      'some.future.type',
    ])
      expect(subjectsOf(t, { licenceId: 'L1' })).toEqual([]);
    // A party's key history and the trust list of roles are subjects of their own.
    expect(subjectsOf('party.registered', { party: { id: 'p1' }, key: {} })).toEqual(['party:p1']);
    expect(subjectsOf('party.key.rotated', { party: 'p1' })).toEqual(['party:p1']);
    expect(subjectsOf('party.key.revoked', { party: 'p1', keyId: 'k' })).toEqual(['party:p1']);
    expect(subjectsOf('trustlist.published', { version: 2 })).toEqual(['trustlist:roles']);
    // Hostile bodies give no subject rather than throwing.
    expect(subjectsOf('shipment.dispatched', null)).toEqual([]);
    expect(subjectsOf('certificate.issued', { jws: { payload: '!!' } })).toEqual([]);
  });

  it("scopeOf brings a licence's application, certificate, trust list and alerts into its audit, not another licence's", () => {
    expect(
      scopeOf('application.decided', { applicationId: 'a', licence: { id: 'L1', certificateId: 'urn:uuid:c' } }, 'L1'),
    ).toEqual(['application:a', 'certificate:urn:uuid:c', 'trustlist:roles']);
    expect(scopeOf('application.decided', { applicationId: 'a', licence: { id: 'L2' } }, 'L1')).toEqual([]);
    expect(scopeOf('alert.raised', { id: 'alert-1', licenceId: 'L1' }, 'L1')).toEqual(['alert:alert-1']);
    expect(scopeOf('shipment.dispatched', { shipment: { licenceId: 'L1' } }, 'L1')).toEqual([]);
  });
});

describe('links in a signed record payload', () => {
  const base = { v: 1, type: 'report.filed', actor: 'p', at: '2026-01-01T00:00:00.000Z', body: {} };
  it('accepts sorted { subject, prev } links and refuses anything else, naming the field', () => {
    const prev = { seq: 3, leafHash: 'b'.repeat(64) };
    expect(() =>
      parseRecordPayload({
        ...base,
        links: [
          { subject: 'a', prev: null },
          { subject: 'b', prev },
        ],
      }),
    ).not.toThrow();
    const why = (links: unknown) => {
      try {
        parseRecordPayload({ ...base, links });
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(why([])).toMatch(/payload.links: must be a non-empty array/);
    expect(
      why([
        { subject: 'b', prev: null },
        { subject: 'a', prev: null },
      ]),
    ).toMatch(/ascending order/);
    expect(
      why([
        { subject: 'a', prev: null },
        { subject: 'a', prev: null },
      ]),
    ).toMatch(/ascending order/);
    expect(why([{ subject: 'a', prev: { seq: 0, leafHash: 'b'.repeat(64) } }])).toMatch(/prev must be null or/);
    expect(why([{ subject: 'a', prev: { seq: 1, leafHash: 'B'.repeat(64) } }])).toMatch(/prev must be null or/);
    expect(why([{ subject: 'a', prev: null, extra: 1 }])).toMatch(/exactly \{ subject, prev \}/);
    expect(parseLinks([{ subject: 'a', prev }], 'links')).toEqual([{ subject: 'a', prev }]);
  });
});
