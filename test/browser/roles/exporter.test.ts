/**
 * The exporter (Ganzhou Hengyuan) in the console: its start page lists its licences; it opens the
 * licence (utilisation, custody flow to every end holder, the refused detour explained), and sees
 * its own stock under Holdings, free of any restriction — and that shipping it to the United States
 * needs a licence, under the rule of China's pack that says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORTER, openWorld, SKIP, type World } from './world.js';

describe.skipIf(SKIP)('the exporter in the console', () => {
  let w: World;
  let close = (): Promise<void> => Promise.resolve();
  beforeAll(async () => {
    w = await openWorld();
    close = () => w.close();
  }, 240_000);
  afterAll(() => close());

  it('follows its licence to every end holder and sees the refused detour explained', async () => {
    const { page } = w;
    await w.signIn(EXPORTER, 'exporter');
    await page.getByRole('heading', { name: 'Licences' }).waitFor();
    await page.getByRole('link', { name: w.licenceId }).click();
    const chart = page.getByTestId('utilisation-chart');
    await chart.waitFor();
    expect(await chart.locator('desc').textContent()).toBe('2 t of 2 t drawn in 2 shipments');
    const flow = page.getByTestId('flow-picture');
    await flow.waitFor();
    expect(await flow.locator('desc').textContent()).toContain('deccan-mobility (IN)');
    // The UAE detour its importer tried, refused at dispatch, is drawn and explained.
    expect(await page.getByTestId('refused-edge').textContent()).toMatch(/refused → AE.*Gulf Horizon/);
    await page.setViewportSize({ width: 1280, height: 900 });
    await w.shot('exporter');
    expect(await w.accessibility()).toEqual([]);
  });

  it('sees its own stock under Holdings, with no restriction, and learns it needs a licence to ship it abroad', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'Holdings' }).click();
    await page.getByRole('heading', { name: /^Lots you hold/ }).waitFor();
    const lots = page.locator('.held-lot');
    expect(await lots.count()).toBeGreaterThanOrEqual(1);
    for (const text of await lots.allTextContents()) expect(text).toContain('no restriction');
    expect(await w.accessibility()).toEqual([]);
    // May it ship its remaining magnets to Lakeshore EV in the US? Not without a licence: China's rule says why.
    const form = page.locator('.export-check');
    await form.locator('select[name="to"]').selectOption('lakeshore-ev');
    await form.getByRole('button', { name: 'Check' }).click();
    const result = page.getByTestId('ship-check-result');
    await result.waitFor();
    expect(await result.textContent()).toMatch(
      /refused.*LICENCE_REQUIRED.*controlled under 1C905\.a when exported from CN to US \(Announcement No\. 18 \[2025\]/,
    );
  });
});
