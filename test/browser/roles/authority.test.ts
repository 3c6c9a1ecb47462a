/**
 * The licensing authority (MOFCOM) in the console: its start page is the queue; it approves a
 * pending application with conditions (signed in the page), then works an alert — opens it,
 * reads its thresholds in words, assigns it to an officer and dismisses it with a reason, each a
 * journal record signed in the browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAlert, getLicence, listAlerts } from '../../../src/app/index.js';
import { applicationsRepo, journalRepo } from '../../../src/store/index.js';
import { AUTHORITY, openWorld, SKIP, type World } from './world.js';

describe.skipIf(SKIP)('the licensing authority in the console', () => {
  let w: World;
  let close = (): Promise<void> => Promise.resolve();
  beforeAll(async () => {
    w = await openWorld();
    close = () => w.close();
  }, 240_000);
  afterAll(() => close());

  it('approves a pending application from its queue', async () => {
    const { page } = w;
    await w.signIn(AUTHORITY, 'licensing-authority', { withKey: true });
    await page.getByRole('heading', { name: 'Pending applications' }).waitFor();
    const card = page.locator(`#app-${w.pendingApplicationId}`);
    await card.waitFor();
    expect(await card.textContent()).toContain('Screening');
    await w.shot('authority');
    expect(await w.accessibility()).toEqual([]);
    await card.getByRole('button', { name: 'Approve with conditions…' }).click();
    await card.getByLabel('Re-export prohibited to (country codes)').fill('US, KP');
    await card.getByRole('button', { name: 'Approve and issue the licence' }).click();
    // Issuing asks for confirmation first.
    await page.getByRole('dialog').getByRole('button', { name: 'Issue the licence' }).click();
    const done = card.getByRole('status').filter({ hasText: 'Decided' });
    await done.waitFor({ timeout: 30_000 });
    const licence = /licence (LIC-[A-Z0-9-]+)/.exec((await done.textContent()) ?? '')?.[1];
    expect((await applicationsRepo.get(w.ctx.store.db, w.pendingApplicationId))?.status).toBe('approved');
    expect((await getLicence(w.ctx, licence!)).licence.prohibitedReexportDestinations).toEqual(['US', 'KP']);
  });

  it('assigns an alert to an officer and dismisses it with a reason, journalled', async () => {
    const { page } = w;
    const target = (await listAlerts(w.ctx, { status: 'open' })).find((a) => a.rule === 'quick-reshipment');
    expect(target).toBeDefined();
    await page.getByRole('link', { name: 'Alerts', exact: true }).click();
    await page.getByRole('link', { name: target!.id }).click();
    await page.getByRole('heading', { name: 'Work this alert' }).waitFor();
    expect(await w.accessibility()).toEqual([]);
    // Thresholds in words, not JSON.
    const thresholds = (await page.getByTestId('alert-thresholds').textContent()) ?? '';
    expect(thresholds).toContain('within 14 days');
    expect(thresholds).not.toMatch(/[{}_]/);

    await page.getByLabel('Assign to').fill('Wang Li');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await expect.poll(() => page.getByTestId('alert-assignee').textContent()).toMatch(/^Wang Li \(by cn-mofcom/);

    // A dismissal needs a reason: nothing is recorded without one.
    const before = await journalRepo.count(w.ctx.store.db);
    await page.getByRole('button', { name: 'Dismiss as no concern' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('say why the alert is no concern');
    expect(await journalRepo.count(w.ctx.store.db)).toBe(before);

    await page.getByLabel(/Note or reason/).fill('Return of 10 motors under warranty; documents on file');
    await page.getByRole('button', { name: 'Dismiss as no concern' }).click();
    await page.getByTestId('alert-resolution').waitFor();
    expect(await page.getByTestId('alert-resolution').textContent()).toContain('Return of 10 motors under warranty');
    const a = await getAlert(w.ctx, target!.id);
    expect(a).toMatchObject({
      status: 'dismissed',
      assignment: { to: 'Wang Li', by: AUTHORITY },
      resolution: { by: AUTHORITY, note: 'Return of 10 motors under warranty; documents on file' },
    });
    const last = await journalRepo.get(w.ctx.store.db, await journalRepo.count(w.ctx.store.db));
    expect({ type: last?.type, actor: last?.actor }).toEqual({ type: 'alert.dismissed', actor: AUTHORITY });
    expect(await page.getByRole('heading', { name: 'Work this alert' }).count()).toBe(0);
  });
});
