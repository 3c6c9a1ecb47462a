/**
 * Screening review on both stores: a licensing authority's decision on one hit, journalled as
 * `screening.reviewed` and projected to screening_reviews. A false positive is set aside (visible,
 * with the review) on later screenings of the same party or name, and no longer refuses an export;
 * a true match stays a hit and still refuses. Bad input names its field and records nothing; a
 * rebuild reproduces the projection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkExport,
  createApp,
  createLot,
  rebuild,
  reviewScreeningHit,
  screenNames,
  screenParty,
  screeningReviews,
  type AppContext,
} from '../../src/app/index.js';
import { importDemoList, registerScenarioParties } from '../../src/app/scenario.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { EXPORTER, magnet } from '../support/scenario.js';

const AUTHORITY = 'cn-mofcom';
const LISTED = 'red-mesa-defense';
const HIT = { list: 'cn-control-list', entryId: 'DEMO-CL-001' };

describe.each(STORES)('screening review on %s', (kind) => {
  const current = useFreshStore(kind);
  let dir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-11-24T09:00:00.000Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-review-'));
    ctx = createApp(current().store, { keysDir: join(dir, 'keys'), clock: () => new Date((t += 1000)) });
    await registerScenarioParties(ctx);
    await importDemoList(ctx);
    await createLot(ctx, EXPORTER, { id: 'NDFEB-1', holder: EXPORTER, location: 'CN', item: magnet, massGrams: 1000 });
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const exportRules = async () =>
    (await checkExport(ctx, { lotId: 'NDFEB-1', to: LISTED, destination: 'US' })).refusals.map((r) => r.rule);

  it('a false positive is set aside and shown as reviewed; a later true match makes it a hit again; a rebuild reproduces both', async () => {
    expect(await exportRules()).toContain('RESTRICTED_PARTY');
    const before = await screenParty(ctx, LISTED);
    expect(before.hits.map((h) => h.entryId)).toEqual(['DEMO-CL-001']);
    expect(before.setAside).toBeUndefined();

    const fp = await reviewScreeningHit(ctx, AUTHORITY, {
      partyId: LISTED,
      ...HIT,
      decision: 'false-positive',
      reason: 'a namesake in another state',
    });
    expect(fp.review).toMatchObject({
      subject: { partyId: LISTED },
      entryName: 'Red Mesa Defense Systems LLC',
      decision: 'false-positive',
      by: AUTHORITY,
    });
    expect(fp.review.score).toBe(before.hits[0]?.score);

    const after = await screenParty(ctx, LISTED);
    expect(after.hits).toEqual([]);
    expect(after.setAside?.map((h) => [h.entryId, h.review?.decision, h.review?.by])).toEqual([
      ['DEMO-CL-001', 'false-positive', AUTHORITY],
    ]);
    expect(after.setAside?.[0]?.explanation).toMatch(
      /^reviewed: false positive by cn-mofcom on 2026-11-24 \(a namesake/,
    );
    expect(after.reviews.map((r) => r.decision)).toEqual(['false-positive']);
    // The export check counts only hits: the reviewed false positive refuses nothing.
    expect(await exportRules()).not.toContain('RESTRICTED_PARTY');
    // Another party with the same hit is not affected by this party's review.
    expect((await screenNames(ctx, ['Red Mesa Defense Systems LLC']))[0]?.hits.map((h) => h.entryId)).toEqual([
      'DEMO-CL-001',
    ]);

    await reviewScreeningHit(ctx, AUTHORITY, {
      partyId: LISTED,
      ...HIT,
      decision: 'true-match',
      reason: 'same registration number after all',
    });
    const again = await screenParty(ctx, LISTED);
    expect(again.hits.map((h) => [h.entryId, h.review?.decision])).toEqual([['DEMO-CL-001', 'true-match']]);
    expect(again.setAside).toBeUndefined();
    expect(again.reviews.map((r) => r.decision)).toEqual(['true-match', 'false-positive']);
    expect(await exportRules()).toContain('RESTRICTED_PARTY');

    const rows = await journalRepo.read(current().store.db);
    expect(rows.filter((r) => r.type === 'screening.reviewed')).toHaveLength(2);
    const projected = await dumpProjections(current().store.db);
    expect(projected.screening_reviews).toHaveLength(2);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(projected);
  });

  it('a decision on a free-text name holds for the same name however written, and for no other', async () => {
    await reviewScreeningHit(ctx, AUTHORITY, {
      name: 'Red Mesa Defence Systems',
      ...HIT,
      decision: 'false-positive',
      reason: 'a supplier of garden furniture',
    });
    const [same, other] = await screenNames(ctx, ['RED MESA DEFENCE SYSTEMS', 'Red Mesa Defense Systems LLC']);
    expect(same?.hits).toEqual([]);
    expect(same?.setAside?.map((h) => h.entryId)).toEqual(['DEMO-CL-001']);
    expect(other?.hits.map((h) => h.entryId)).toEqual(['DEMO-CL-001']);
    expect((await screeningReviews(ctx, { name: 'red mesa defence systems' })).map((r) => r.reason)).toEqual([
      'a supplier of garden furniture',
    ]);
  });

  it('bad input names its field and records nothing; only a trust-listed licensing authority decides', async () => {
    const n = await journalRepo.count(current().store.db);
    const base = { partyId: LISTED, ...HIT, decision: 'false-positive', reason: 'namesake' };
    const cases: [Record<string, unknown>, string, object][] = [
      [{ ...base, name: 'Red Mesa' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'partyId' }],
      [{ ...base, partyId: undefined }, AUTHORITY, { code: 'INVALID_INPUT', field: 'partyId' }],
      [{ ...base, decision: 'maybe' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'decision' }],
      [{ ...base, reason: '   ' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'reason' }],
      [{ ...base, list: 'Bad List' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'list' }],
      [{ ...base, entryId: '' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'entryId' }],
      [{ ...base, list: 'ofac-sdn' }, AUTHORITY, { code: 'NOT_FOUND', field: 'list' }],
      [{ ...base, partyId: 'nobody' }, AUTHORITY, { code: 'NOT_FOUND', field: 'partyId' }],
      [{ ...base, entryId: 'DEMO-CL-999' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'entryId' }],
      [{ ...base, partyId: 'chakan-drive-systems' }, AUTHORITY, { code: 'INVALID_INPUT', field: 'entryId' }],
      [base, EXPORTER, { code: 'FORBIDDEN', field: 'as' }],
      [base, 'nobody', { code: 'NOT_FOUND', field: 'as' }],
    ];
    for (const [input, actor, want] of cases)
      await expect(
        reviewScreeningHit(ctx, actor, input as unknown as Parameters<typeof reviewScreeningHit>[2]),
        JSON.stringify(input),
      ).rejects.toMatchObject(want);
    expect(await journalRepo.count(current().store.db)).toBe(n);
    expect((await screenParty(ctx, LISTED)).hits).toHaveLength(1);
  });
});
