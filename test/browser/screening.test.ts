/**
 * The Screening page in Chromium (playwright-core) against `createServer` on a fresh embedded store
 * seeded by the demo: the licensing authority signs in with its API key and private key, screens the
 * registered party that matches the demo control list, reads the hit's explanation, records a false
 * positive with a reason (signed in the page), and sees the hit set aside as reviewed. Needs
 * /usr/bin/chromium; skipped outside CI without it, as test/browser/console.test.ts is.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runDemo, screeningReviews, type AppContext } from '../../src/app/index.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = new URL('../../test-results/screenshots/', import.meta.url);
const AUTHORITY = 'cn-mofcom';

describe.skipIf(!HAVE_CHROMIUM && process.env.CI === undefined)('Screening page in Chromium', () => {
  let dir: string;
  let ctx: AppContext | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;
  let key: string;
  let pem: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-screening-page-'));
    await seedPgliteDataDir(dir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
    ctx = await openApp({ dataDir: dir });
    await runDemo(ctx);
    key = (await issueCredential(ctx, { partyId: AUTHORITY, role: 'licensing-authority', label: 'screening page' }))
      .key;
    pem = readFileSync(join(dir, 'keys', `${AUTHORITY}.key.json`), 'utf8');
    app = await createServer(ctx, { rateLimit: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('screens a party, shows the explained hit, records a false positive and shows it set aside as reviewed', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByLabel(/Private signing key/).fill(pem);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Screening' }).click();
    await page.getByRole('heading', { name: 'Screening', level: 1 }).waitFor();

    await page.locator('#screen-party').selectOption('red-mesa-defense');
    await page.getByRole('button', { name: 'Screen party' }).click();
    const hit = page.locator('article', { hasText: 'DEMO-CL-001' });
    await hit.waitFor();
    expect(await hit.textContent()).toContain('Red Mesa Defense Systems LLC');
    expect(await hit.textContent()).toContain('cn-control-list');
    expect(await hit.textContent()).toMatch(/Words matched:.*red/);

    // A decision without a reason is refused in the page, naming the field; nothing is recorded.
    await hit.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => hit.getByRole('alert').textContent()).toContain('reason');
    expect(await screeningReviews(ctx!, { partyId: 'red-mesa-defense' })).toEqual([]);

    await hit.getByLabel('False positive').check();
    await hit.getByLabel('Reason').fill('a namesake registered in another state');
    await hit.getByRole('button', { name: 'Record decision' }).click();
    await page.getByRole('heading', { name: 'Set aside as reviewed false positives' }).waitFor();
    const reviewed = page.locator('article', { hasText: 'DEMO-CL-001' });
    expect(await reviewed.textContent()).toMatch(/reviewed: false positive by cn-mofcom on \d{4}-\d{2}-\d{2}/);
    expect(await page.getByText('No hits against the lists in force.').count()).toBe(1);
    const recorded = await screeningReviews(ctx!, { partyId: 'red-mesa-defense' });
    expect(recorded).toMatchObject([{ decision: 'false-positive', by: AUTHORITY }]);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS.pathname, 'screening.png'), fullPage: true });
    // axe-core: no serious or critical accessibility violation on the page with a hit set aside.
    const axe = await new AxeBuilder({ page }).analyze();
    expect(
      axe.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ).toEqual([]);
  });
});
