/**
 * An auditor granted one licence's audit bundle in the console: its start page is Audit; it
 * fetches the granted licence's bundle and verifies it in the page (the offline verifier, nothing
 * taken on the server's word); a licence not granted to it is not found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDITOR, openWorld, SKIP, type World } from './world.js';

describe.skipIf(SKIP)('an auditor in the console', () => {
  let w: World;
  let close = (): Promise<void> => Promise.resolve();
  beforeAll(async () => {
    w = await openWorld();
    close = () => w.close();
  }, 240_000);
  afterAll(() => close());

  it('verifies the bundle of the licence granted to it, and is refused another', async () => {
    const { page } = w;
    await w.signIn(AUDITOR, 'auditor');
    await page.getByRole('heading', { name: 'Audit', exact: true }).waitFor();
    await page.getByTestId('checkpoint-size').waitFor();
    await page.getByLabel(/fetch the bundle of a licence granted to you/).fill(w.licenceId);
    await page.getByRole('button', { name: 'Fetch and verify' }).click();
    const result = page.getByTestId('verify-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain('✓ verified');
    expect(await result.textContent()).toContain(w.licenceId);
    await w.shot('auditor');
    expect(await w.accessibility()).toEqual([]);

    await page.getByLabel(/fetch the bundle of a licence granted to you/).fill('LIC-CN-2026-000000');
    await page.getByRole('button', { name: 'Fetch and verify' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/404/);
  });
});
