/**
 * The importer and end user (Chakan Drive Systems) in the console: its start page is Holdings —
 * the magnets and motors it holds with the restrictions they carry (share by mass and by value,
 * the clauses, the chain they came through), "may I ship this lot to this party in this country?"
 * answered with the explanation, its certificates and the alerts that name it; and the licence page
 * shows its own material under the licence instead of a placeholder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLots } from '../../../src/app/index.js';
import { IMPORTER, openWorld, SKIP, type World } from './world.js';

describe.skipIf(SKIP)('the importer in the console', () => {
  let w: World;
  let close = (): Promise<void> => Promise.resolve();
  beforeAll(async () => {
    w = await openWorld();
    close = () => w.close();
  }, 240_000);
  afterAll(() => close());

  it('sees what it holds and what binds it, and asks whether it may ship', async () => {
    const { page } = w;
    await w.signIn(IMPORTER, 'importer');
    await page.getByRole('heading', { name: /^Holdings of Chakan Drive Systems/ }).waitFor();
    const motors = (await listLots(w.ctx, { holder: IMPORTER })).find(
      (l) => /^MOT-[0-9A-F]{4}$/.test(l.id) && l.massGrams > 0,
    );
    expect(motors).toBeDefined();
    const card = page.locator(`#lot-${motors!.id}`);
    await card.waitFor();
    // 2,666 ppm of the motors' mass is licensed magnet, 80,000 ppm of their value.
    expect(await card.getByTestId('restriction-share').textContent()).toMatch(
      /of licensed material: 2\.67 % of the lot by mass, 8 % by value/,
    );
    const clauses = (await card.getByTestId('restriction-summary').textContent()) ?? '';
    expect(clauses).toContain('Never to US.');
    expect(clauses).toContain('Used only in IN.');
    expect(await card.locator('.clauses').textContent()).toContain('no use in weapons of mass destruction');
    expect(await card.getByTestId('restriction-chain').textContent()).toMatch(
      new RegExp(
        `Came through: lot ${motors!.id} ← transformation T-[0-9A-F]{4} ← lot IN-MAG-.* ← licence ${w.licenceId}`,
      ),
    );
    // The certificates naming it, and the alerts that name it (thresholds in words).
    expect(await page.locator('#my-certificates li').count()).toBeGreaterThanOrEqual(2);
    const alerts = page.locator('#my-alerts .alert-item');
    expect(await alerts.count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#my-alerts').textContent()).toContain('post-shipment-report-late');
    await w.shot('importer');
    expect(await w.accessibility()).toEqual([]);

    // May I ship the motors to Lakeshore EV in the US? No, and why.
    const form = page.locator('.export-check');
    await form.locator('select[name="lot"]').selectOption(motors!.id);
    await form.locator('select[name="to"]').selectOption('lakeshore-ev');
    await form.getByRole('button', { name: 'Check' }).click();
    const result = page.getByTestId('ship-check-result');
    await result.waitFor();
    const why = (await result.textContent()) ?? '';
    expect(why).toContain('refused');
    expect(why).toMatch(/PROHIBITED_DESTINATION.*United States \(US\) is a prohibited destination/);
    expect(why).toContain('clause "no re-export to US"');
    // To Deccan Mobility in India: yes, with what was checked.
    await form.locator('select[name="to"]').selectOption('deccan-mobility');
    await form.getByRole('button', { name: 'Check' }).click();
    await expect.poll(() => page.getByTestId('ship-check-result').textContent()).toMatch(/allowed.*Deccan Mobility/);
    expect(await page.getByTestId('ship-check-result').textContent()).toContain(
      `consistent with the undertakings of ${w.licenceId}`,
    );
  });

  it('on the licence page sees its own material under the licence, not a placeholder', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Licences' }).click();
    await page.getByRole('link', { name: w.licenceId }).click();
    await page.getByTestId('held-under-licence').waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain('Utilisation over time is shown to');
    expect(await page.getByTestId('held-under-licence').textContent()).toMatch(/MOT-[0-9A-F]{4}: 22\.5 t in IN/);
  });
});
