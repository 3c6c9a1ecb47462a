/**
 * The console as a caseload, in Chromium (playwright-core) against `createServer` on a fresh
 * embedded store seeded by the demo: lists searched, filtered, sorted and paged by the server;
 * decided applications still findable; the queue's facts (line values, countersigned certificate
 * with a link, party names, ownership facts); the approval form prefilled from the certificate's
 * undertakings, with validity and per-line ceilings, confirmed before it issues; CSV downloads;
 * the licence and the certificate printed to PDF (print stylesheet, text read back with unpdf);
 * masses in t/kg and money with its currency; Sankey labels that do not overlap; no sideways
 * scrolling at 390 px; a session that survives a reload; a progress bar that advances while a bundle
 * is verified in a Web Worker, with the CLI’s verdict;
 * and axe-core finding no serious or critical violation on any page.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countersignCertificate,
  getLicence,
  issueCertificate,
  openApp,
  exportAuditBundle,
  runDemo,
  submitApplication,
  type AppContext,
} from '../../src/app/index.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import { formatSummary, verifyBundle } from '../../src/verify/index.js';
import { applicationsRepo, certificatesRepo, licencesRepo } from '../../src/store/index.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = new URL('../../', import.meta.url);
const AUTHORITY = 'cn-mofcom';

describe.skipIf(!HAVE_CHROMIUM && process.env.CI === undefined)('console caseload in Chromium', () => {
  let dir: string;
  let ctx: AppContext | undefined;
  let app: FastifyInstance | undefined;
  let base: string;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let licenceId: string;
  let decidedApplicationId: string;
  let pendingId: string;
  let uaeId: string;
  let certificateId: string;
  let authorityKey: string;
  let authorityPem: string;

  const signIn = async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(authorityKey);
    await page.getByLabel(/Private signing key/).fill(authorityPem);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Pending applications' }).waitFor();
  };
  const pdfText = async (): Promise<string> => {
    const pdf = await page.pdf({ format: 'A4', printBackground: false });
    const doc = await getDocumentProxy(new Uint8Array(pdf));
    const { text } = await extractText(doc, { mergePages: true });
    return text.replace(/\s+/g, ' ');
  };

  beforeAll(async () => {
    expect(existsSync(new URL('dist/console/index.html', ROOT)), 'dist/console is built by the global setup').toBe(
      true,
    );
    dir = mkdtempSync(join(tmpdir(), 'lodestone-caseload-'));
    await seedPgliteDataDir(dir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
    const c = await openApp({ dataDir: dir });
    ctx = c;
    await runDemo(c);
    const licence = (await licencesRepo.list(c.store.db)).find((l) => l.authority === AUTHORITY);
    if (!licence) throw new Error('the demo granted no licence');
    licenceId = licence.id;
    decidedApplicationId = licence.application_id;
    certificateId = (licence.licence as { certificateId: string }).certificateId;
    const approved = await applicationsRepo.get(c.store.db, licence.application_id);
    const used = (await certificatesRepo.get(c.store.db, certificateId))!;
    // A pending application on a fresh certificate of the same terms, and one consigned to the UAE trader
    // that a US company owns 60 % of (no certificate: it waits in the queue with its facts).
    const fresh = await issueCertificate(c, used.issuer, used.subject);
    await countersignCertificate(c, 'in-dgft', fresh.id);
    pendingId = (await submitApplication(c, { ...(approved!.application as object), certificateId: fresh.id })).id;
    const { certificateId: _drop, ...rest } = approved!.application as { certificateId?: string };
    uaeId = (await submitApplication(c, { ...rest, consignee: 'gulf-horizon-trading' })).id;
    authorityKey = (await issueCredential(c, { partyId: AUTHORITY, role: 'licensing-authority', label: 'caseload' }))
      .key;
    authorityPem = readFileSync(join(dir, 'keys', `${AUTHORITY}.key.json`), 'utf8');
    const server = await createServer(c, { rateLimit: false });
    app = server;
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    const b = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
    });
    browser = b;
    context = await b.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (e) => {
      console.error('[page error]', e.message);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the queue shows line values, the countersigned certificate with its link, party names and ownership facts', async () => {
    await signIn();
    const card = page.locator(`#app-${pendingId}`);
    await card.waitFor();
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('Ganzhou Hengyuan Magnetics Co., Ltd.');
    expect(text).toContain('Chakan Drive Systems Private Limited');
    // 2,000 kg at USD 80 a kilogram: shown as money with its currency, the mass in t.
    expect(text).toContain('USD 160,000.00');
    expect(await card.locator('td.num').allTextContents()).toEqual(['2 t', 'USD 160,000.00']);
    expect(text).not.toMatch(/2000000|16000000/);
    const cert = card.getByTestId('certificate-fact');
    expect(await cert.textContent()).toContain('countersigned by');
    expect(await cert.getByRole('link').getAttribute('href')).toMatch(/^\/certificates\//);
    const uae = page.locator(`#app-${uaeId}`);
    await uae.waitFor();
    expect(await uae.textContent()).toContain('60 % owned by Lakeshore EV Drivetrains Inc., a US company');
    expect(await uae.getByTestId('certificate-fact').textContent()).toContain('none attached');
  });

  it('searches, filters, sorts and pages on the server; decided applications stay findable', async () => {
    const search = page.getByRole('search', { name: 'Search applications' });
    await search.getByLabel('Search').fill('gulf');
    await expect.poll(() => page.locator('section[id^="app-"]').count()).toBe(1);
    expect(await page.locator(`#app-${uaeId}`).count()).toBe(1);
    await search.getByLabel('Search').fill('');
    await search.getByLabel('Status').selectOption('decided');
    await page.locator(`#app-${decidedApplicationId}`).waitFor();
    const decided = page.locator(`#app-${decidedApplicationId}`).getByTestId('decided');
    expect(await decided.textContent()).toContain(licenceId);
    await search.getByLabel('Status').selectOption('all');
    await page.getByRole('navigation', { name: 'Pages' }).getByLabel('Per page').selectOption('10');
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Pages' }).getByRole('status').textContent())
      .toMatch(/^Showing 1–\d+ of \d+$/);
    // Newest first: the last submitted (the UAE one) leads.
    await search.getByLabel('Order').selectOption('desc');
    await expect.poll(() => page.locator('section[id^="app-"]').first().getAttribute('id')).toBe(`app-${uaeId}`);
    await search.getByLabel('Status').selectOption('pending');
  });

  it('the approval form is prefilled from the certificate, sets validity and per-line ceilings, and confirms before it issues', async () => {
    await page.locator(`#app-${pendingId}`).waitFor();
    const card = page.locator(`#app-${pendingId}`);
    await card.getByRole('button', { name: 'Approve with conditions…' }).click();
    const subject = (await certificatesRepo.get(ctx!.store.db, certificateId))!.subject as {
      undertakings: { prohibitedDestinations: string[] };
    };
    expect(await card.getByLabel('Re-export prohibited to (country codes)').inputValue()).toBe(
      subject.undertakings.prohibitedDestinations.join(', '),
    );
    expect(await card.getByLabel('Further conditions (one per line)').inputValue()).toContain(
      'No re-export or transfer without the consent of',
    );
    // A ceiling above what was applied for is refused in the form, naming the line.
    await card.getByLabel('Line L1: quantity (kg)').fill('2500');
    await card.getByRole('button', { name: 'Approve and issue the licence' }).click();
    expect(await card.getByRole('alert').textContent()).toContain('Line L1 ceiling');
    await card.getByLabel('Line L1: quantity (kg)').fill('1500');
    await card.getByLabel('Line L1: value (USD)').fill('120000.00');
    await card.getByLabel('Valid until').fill('2027-06-30');
    await card.getByRole('button', { name: 'Approve and issue the licence' }).click();
    const dialog = page.getByRole('dialog', { name: 'Issue this licence?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Line L1: up to 1.5 t and USD 120000.00');
    // Cancel records nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await applicationsRepo.get(ctx!.store.db, pendingId))?.status).toBe('submitted');
    await card.getByRole('button', { name: 'Approve and issue the licence' }).click();
    await dialog.getByRole('button', { name: 'Issue the licence' }).click();
    const done = card.getByRole('status').filter({ hasText: 'Decided' });
    await done.waitFor({ timeout: 30_000 });
    const id = /licence (LIC-[A-Z0-9-]+)/.exec((await done.textContent()) ?? '')?.[1] ?? '';
    const issued = await getLicence(ctx!, id);
    expect(issued.licence.validUntil).toBe('2027-06-30');
    expect(issued.balance[0]).toMatchObject({ ceilingGrams: 1_500_000, ceilingValueMinor: 12_000_000 });
  });

  it('downloads every list as CSV and the mass balance; the licence list shows utilisation in t/kg', async () => {
    await page.getByRole('link', { name: 'Licences' }).click();
    const row = page.getByRole('row').filter({ hasText: licenceId });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/2 t of 2 t \(100 %\)/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('licences.csv');
    const rows = parse<Record<string, string>>(readFileSync(await download.path(), 'utf8'), { columns: true });
    expect(rows.find((r) => r.licence === licenceId)).toMatchObject({ 'granted (kg)': '2000', 'shipped (kg)': '2000' });
    await page.getByRole('link', { name: licenceId }).click();
    await page.locator('#mass-balance tbody tr').first().waitFor();
    const [mb] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#mass-balance').getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const mbRows = parse<Record<string, string>>(readFileSync(await mb.path(), 'utf8'), { columns: true });
    expect(mbRows.some((r) => r.level === 'holder' && r.holder === 'chakan-drive-systems')).toBe(true);
  });

  it('Sankey labels do not overlap, and the refused chain is drawn once', async () => {
    const flow = page.getByTestId('flow-picture');
    await flow.waitFor();
    const boxes = await flow
      .locator('text.node-label, text.node-sub')
      .evaluateAll((els) =>
        els.map((e) =>
          (
            e as unknown as { getBoundingClientRect(): { x: number; y: number; width: number; height: number } }
          ).getBoundingClientRect(),
        ),
      )
      .then((bs) => bs.map((b) => ({ x: b.x, y: b.y, w: b.width, h: b.height })));
    expect(boxes.length).toBeGreaterThan(4);
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5)
          overlaps.push(`${i}/${j}`);
      }
    expect(overlaps).toEqual([]);
    expect(await page.getByTestId('refused-edge').count()).toBe(1);
    expect(await page.locator('#refused .refused-item').count()).toBe(1);
  });

  it('prints the licence and the certificate to PDF with the print stylesheet', async () => {
    const licence = await pdfText();
    expect(licence).toContain(`Licence ${licenceId}`);
    expect(licence).toContain('Re-export prohibited to');
    expect(licence).toContain('Ministry of Commerce');
    expect(licence).not.toContain('Sign out');
    expect(licence).not.toContain('Download CSV');
    await page.goto(`${base}/certificates/${encodeURIComponent(certificateId)}`);
    await page.getByTestId('cert-badge').waitFor();
    const certificate = await pdfText();
    expect(certificate).toContain(certificateId);
    expect(certificate).not.toContain('Sign out');
  });

  it('the session survives a reload (API key in sessionStorage, signing key in IndexedDB as a non-extractable key)', async () => {
    await page.reload();
    await page.getByTestId('cert-badge').waitFor();
    expect(await page.locator('.who').textContent()).toContain('signing key loaded');
    const stored = await page.evaluate<{ extractable: boolean; type: string } | null>(`new Promise((resolve) => {
      const r = indexedDB.open('lodestone-console');
      r.onsuccess = () => {
        const g = r.result.transaction('signing-keys').objectStore('signing-keys').get('${AUTHORITY}');
        g.onsuccess = () => resolve(g.result ? { extractable: g.result.key.extractable, type: g.result.key.type } : null);
      };
    })`);
    expect(stored).toEqual({ extractable: false, type: 'private' });
    // Signing out forgets the API key; signing in again without pasting the private key still signs.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.getByTestId('stored-keys').textContent()).toContain(AUTHORITY);
    await page.reload();
    await page.getByLabel('API key').fill(authorityKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('cert-badge').waitFor();
    expect(await page.locator('.who').textContent()).toContain('signing key loaded');
  });

  it('verifies an audit bundle in a Web Worker: the bar advances while it runs, the verdict is the CLI’s', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByTestId('checkpoint-size').waitFor();
    // Every aria-valuenow the verifying bar shows. A verifier on the page's own thread would block
    // rendering until it finished (the bar would show 0, then the result); in a worker it moves.
    await page.evaluate(`(() => {
      window.__values = [];
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="progress"] progress[aria-valuenow]');
        const label = document.querySelector('[data-testid="progress"] label');
        if (bar && label && label.textContent.startsWith('Verifying')) {
          const v = Number(bar.getAttribute('aria-valuenow'));
          if (window.__values[window.__values.length - 1] !== v) window.__values.push(v);
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: licenceId }).click();
    await page.getByTestId('verify-result').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('verify-result').textContent()).toContain('✓ verified');
    const values = await page.evaluate<number[]>('window.__values');
    // The bar moved through several values, never backwards.
    expect(new Set(values).size, values.join(',')).toBeGreaterThanOrEqual(3);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    // The same verdict as `lodestone verify` on the same bundle: the report the page shows is the CLI's.
    const cli = verifyBundle(JSON.stringify(await exportAuditBundle(ctx!, licenceId)));
    expect(await page.locator('[data-testid="verify-result"] pre').textContent()).toBe(formatSummary(cli));
  });

  it('has no horizontal scrolling at 390 px on any page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of [
      '/queue',
      '/licences',
      `/licences/${licenceId}`,
      '/certificates',
      `/certificates/${encodeURIComponent(certificateId)}`,
      '/alerts',
      '/audit',
      '/rules',
    ]) {
      await page.goto(`${base}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      // The elements reaching past the right edge, named for the failure message.
      const wide = await page.evaluate<string[]>(`[...document.querySelectorAll('main *, header *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.scroll-x, svg'))
        .slice(0, 6)
        .map((e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().right))`);
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
        `horizontal overflow at 390 px on ${path}: ${wide.join(', ')}`,
      ).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('axe-core finds no serious or critical accessibility violation on any page', async () => {
    const pages = [
      '/queue',
      '/licences',
      `/licences/${licenceId}`,
      '/certificates',
      `/certificates/${encodeURIComponent(certificateId)}`,
      '/alerts',
      '/audit',
      '/rules',
    ];
    const found: string[] = [];
    for (const path of pages) {
      await page.goto(`${base}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const r = await new AxeBuilder({ page }).analyze();
      for (const v of r.violations)
        if (v.impact === 'serious' || v.impact === 'critical')
          found.push(`${path}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    // The sign-in page, signed out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    const r = await new AxeBuilder({ page }).analyze();
    for (const v of r.violations)
      if (v.impact === 'serious' || v.impact === 'critical') found.push(`/ (sign-in): ${v.id} (${v.impact})`);
    expect(found).toEqual([]);
  });
});
