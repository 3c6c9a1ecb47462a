/**
 * A downstream holder (Deccan Mobility, which bought motors made from the licensed magnets) in the
 * console: no licence names it, yet the motors it holds carry MOFCOM's restriction through the
 * transformation. Its start page is Holdings: the lot, its share of licensed material, the clauses
 * and the chain; whether it may sell the motors to a Dubai trader owned 60 % by a US company (no,
 * and why) or to a buyer in India (yes); the alerts that name it, each opened read-only (only the
 * licence's authority works an alert: the API refuses the holder's resolve with 403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAlert, signRequest } from '../../../src/app/index.js';
import { issueCredential } from '../../../src/http/index.js';
import { HOLDER, openWorld, SKIP, type World } from './world.js';

describe.skipIf(SKIP)('a downstream holder in the console', () => {
  let w: World;
  let close = (): Promise<void> => Promise.resolve();
  beforeAll(async () => {
    w = await openWorld();
    close = () => w.close();
  }, 240_000);
  afterAll(() => close());

  it('sees the restriction its motors inherited and checks an onward sale', async () => {
    const { page } = w;
    await w.signIn(HOLDER, 'downstream-holder');
    await page.getByRole('heading', { name: /^Holdings of Deccan Mobility/ }).waitFor();
    const lot = page.locator('.held-lot').filter({ hasText: /DM-MOT-[0-9A-F]{4}/ });
    await lot.first().waitFor();
    expect(await lot.first().getByTestId('restriction-chain').textContent()).toMatch(
      /lot DM-MOT-[0-9A-F]{4} ← shipment SH-[0-9A-F]{4}-M1 ← lot MOT-[0-9A-F]{4} ← transformation T-[0-9A-F]{4}/,
    );
    expect(await lot.first().getByTestId('restriction-summary').textContent()).toContain(
      'Binds every product the material goes into.',
    );
    expect(await page.locator('#my-alerts').textContent()).toMatch(/quick-reshipment|circular-trade|mass-balance-gap/);
    await w.shot('downstream-holder');
    expect(await w.accessibility()).toEqual([]);

    const form = page.locator('.export-check');
    await form.locator('select[name="to"]').selectOption('gulf-horizon-trading');
    await form.getByRole('button', { name: 'Check' }).click();
    const result = page.getByTestId('ship-check-result');
    await result.waitFor();
    expect(await result.textContent()).toMatch(/refused.*60 % owned by Lakeshore EV Drivetrains Inc\. \(US\)/);
    await form.locator('select[name="to"]').selectOption('chakan-drive-systems');
    await form.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => page.getByTestId('ship-check-result').textContent()).toMatch(/allowed/);
  });

  it('opens an alert about what it holds, read-only; the API refuses it working the alert', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Holdings' }).first().click();
    const link = page.locator('#my-alerts .alert-item h3 a').first();
    await link.waitFor();
    const id = (await link.textContent()) ?? '';
    await link.click();
    await page.getByRole('heading', { name: 'What was found' }).waitFor();
    expect(await page.locator('#finding dd.mono').first().textContent()).toBe(id);
    await page.getByTestId('alert-read-only').waitFor();
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Work this alert' }).count()).toBe(0);
    expect(await w.accessibility()).toEqual([]);

    const key = (await issueCredential(w.ctx, { partyId: HOLDER, role: 'downstream-holder' })).key;
    const read = await w.app.inject({
      method: 'GET',
      url: `/v1/alerts/${id}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(read.statusCode, read.body).toBe(200);
    const path = `/v1/alerts/${id}/resolve`;
    const body = JSON.stringify({ note: 'we looked' });
    const work = await w.app.inject({
      method: 'POST',
      url: path,
      payload: body,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': `holder-resolve-${id}`,
        'lodestone-signature': signRequest(w.ctx.keystore.signer(HOLDER), {
          method: 'POST',
          path,
          body,
          now: new Date(),
        }),
      },
    });
    expect(work.statusCode, work.body).toBe(403);
    expect((await getAlert(w.ctx, id)).status).toBe('open');
  });

  it('is pointed from the empty licence list to its holdings', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Licences' }).click();
    const empty = page.getByText('No licence names your party.');
    await empty.waitFor();
    await page.locator('main').getByRole('link', { name: 'Holdings' }).click();
    await page.getByRole('heading', { name: /^Holdings of/ }).waitFor();
  });
});
