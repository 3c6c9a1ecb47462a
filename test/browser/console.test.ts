/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core, against
 * `createServer` (the same server `lodestone serve` runs) on a fresh embedded store seeded by the
 * demo scenario. The authority signs in with its API key and private key, approves a pending
 * application (signed in the page with WebCrypto), opens the demo licence (utilisation chart, custody
 * flow, the refused UAE detour and a refused US re-export with their explanations), sees the
 * certificate verified in the browser, and verifies the licence's audit bundle in the page — then a
 * tampered copy, which must fail. Screenshots go to test-results/screenshots/.
 *
 * Needs /usr/bin/chromium (apt-get install chromium; .ci/run installs it). Without it, and only
 * outside CI, the suite is skipped with a message.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countersignCertificate,
  exportAuditBundle,
  getLicence,
  issueCertificate,
  openApp,
  runDemo,
  submitApplication,
  type AppContext,
} from '../../src/app/index.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import { applicationsRepo, certificatesRepo, licencesRepo } from '../../src/store/index.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = new URL('../../', import.meta.url);
const SHOTS = new URL('test-results/screenshots/', ROOT);
const CONSOLE_BUILT = existsSync(new URL('dist/console/index.html', ROOT));

if (!HAVE_CHROMIUM && process.env.CI === undefined) {
  console.warn(
    `[console browser tests] SKIPPED: ${CHROMIUM} not found (apt-get install chromium); in CI (CI set) they run and fail instead.`,
  );
}

const AUTHORITY = 'cn-mofcom';

describe.skipIf(!HAVE_CHROMIUM && process.env.CI === undefined)('web console in Chromium (playwright-core)', () => {
  let dir: string;
  let ctx: AppContext;
  let opened: AppContext | undefined;
  let app: FastifyInstance | undefined;
  let base: string;
  let browser: Browser | undefined;
  let page: Page;
  let licenceId: string;
  let pendingId: string;
  let certificateId: string;
  let authorityKey: string;
  let authorityPem: string;

  const shot = async (name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS.pathname, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    expect(CONSOLE_BUILT, 'dist/console is built by the test global setup (npm run build:console)').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'lodestone-console-'));
    await seedPgliteDataDir(dir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
    ctx = await openApp({ dataDir: dir });
    opened = ctx;
    await runDemo(ctx);
    const licence = (await licencesRepo.list(ctx.store.db)).find((l) => l.authority === AUTHORITY);
    if (!licence) throw new Error('the demo granted no licence');
    licenceId = licence.id;
    certificateId = (await certificatesRepo.list(ctx.store.db))[0]!.id;
    // A pending application for the authority's queue: the demo's approved one, applied for again on a
    // fresh certificate of the same terms (the demo's certificate is fully claimed by its licence).
    const approved = await applicationsRepo.get(ctx.store.db, licence.application_id);
    const used = (await certificatesRepo.list(ctx.store.db)).find(
      (c) => c.id === (licence.licence as { certificateId?: string }).certificateId,
    )!;
    const fresh = await issueCertificate(ctx, used.issuer, used.subject);
    await countersignCertificate(ctx, 'in-dgft', fresh.id);
    pendingId = (await submitApplication(ctx, { ...(approved!.application as object), certificateId: fresh.id })).id;
    authorityKey = (
      await issueCredential(ctx, { partyId: AUTHORITY, role: 'licensing-authority', label: 'console test' })
    ).key;
    authorityPem = readFileSync(join(dir, 'keys', `${AUTHORITY}.key.json`), 'utf8');
    const server = await createServer(ctx, { rateLimit: false });
    app = server;
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    const b = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    browser = b;
    page = await b.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => {
      console.error('[page error]', e.message);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await opened?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console at / and at its client routes, leaves API paths to the API, and its routes keep parties apart', async () => {
    const server = app!;
    const home = await server.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toContain('text/html');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    const client = await server.inject({ method: 'GET', url: `/licences/${licenceId}` });
    expect(client.body).toBe(home.body);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(home.body)?.[1];
    expect((await server.inject({ method: 'GET', url: asset ?? '/missing' })).headers['content-type']).toContain(
      'javascript',
    );
    const noRoute = await server.inject({ method: 'GET', url: '/v1/no-such-route' });
    expect(noRoute.statusCode).toBe(404);
    expect(noRoute.json<{ code: string }>().code).toBe('NO_ROUTE');
    expect((await server.inject({ method: 'GET', url: '/openapi.json' })).json<{ openapi: string }>().openapi).toMatch(
      /^3\.1/,
    );
    expect((await server.inject({ method: 'GET', url: '/healthz' })).json<{ status: string }>().status).toBe('ok');
    // Another authority reaching this licence's activity: not found (ids do not leak); a downstream holder's role may not ask at all.
    const dgft = (await issueCredential(ctx, { partyId: 'in-dgft', role: 'licensing-authority' })).key;
    const deccan = (await issueCredential(ctx, { partyId: 'deccan-mobility', role: 'downstream-holder' })).key;
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    expect(
      (await server.inject({ method: 'GET', url: `/v1/console/licences/${licenceId}/activity`, headers: auth(dgft) }))
        .statusCode,
    ).toBe(404);
    expect(
      (await server.inject({ method: 'GET', url: `/v1/console/licences/${licenceId}/activity`, headers: auth(deccan) }))
        .statusCode,
    ).toBe(403);
    expect(
      (await server.inject({ method: 'GET', url: `/v1/licences/${licenceId}/alerts`, headers: auth(deccan) }))
        .statusCode,
    ).toBe(403);
    expect(
      (await server.inject({ method: 'GET', url: '/v1/console/licences', headers: auth(deccan) })).json<unknown[]>(),
    ).toEqual([]);
    expect((await server.inject({ method: 'GET', url: '/v1/console/alerts', headers: auth(deccan) })).statusCode).toBe(
      403,
    );
    expect((await server.inject({ method: 'GET', url: '/v1/console/me' })).statusCode).toBe(401);
    const mine = await server.inject({
      method: 'GET',
      url: `/v1/console/licences/${licenceId}/activity`,
      headers: auth(authorityKey),
    });
    expect(mine.json<{ drawdowns: { grams: number }[] }>().drawdowns.reduce((t, d) => t + d.grams, 0)).toBe(2_000_000);
  });

  it('refuses a wrong API key with a clear message, then signs the authority in with its key file', async () => {
    await page.goto(`${base}/`);
    // Keyboard: Tab reaches the skip link, then the API key field (the sign-in form is usable without a mouse).
    const focused: string[] = [];
    for (let i = 0; i < 4 && !focused.includes('#api-key'); i++) {
      await page.keyboard.press('Tab');
      // (A string, run in the page: the test's TypeScript has no DOM types.)
      focused.push(
        await page.evaluate<string>(
          "(() => { const a = document.activeElement; return a === null ? '' : a.id === '' ? (a.textContent ?? '').trim() : '#' + a.id; })()",
        ),
      );
    }
    expect(focused.indexOf('Skip to content'), focused.join(' | ')).toBeGreaterThanOrEqual(0);
    expect(focused.indexOf('#api-key'), focused.join(' | ')).toBeGreaterThan(focused.indexOf('Skip to content'));
    await page.getByLabel('API key').fill('lsk_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(authorityKey);
    await page.getByLabel(/Private signing key/).fill(authorityPem);
    // Keyboard: submit the form with Enter from the API key field.
    await page.getByLabel('API key').press('Enter');
    await page.getByRole('heading', { name: 'Pending applications' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('signing key loaded');
  });

  it('the authority sees screening and classification beside a pending application and approves it with conditions', async () => {
    const card = page.locator(`#app-${pendingId}`);
    await card.waitFor();
    expect(await card.textContent()).toContain('Screening');
    expect(await card.textContent()).toMatch(/Line L1: .*1C905/);
    await shot('queue');
    await card.getByRole('button', { name: 'Approve with conditions…' }).click();
    await card.getByLabel('Re-export prohibited to (country codes)').fill('US, KP');
    await card.getByRole('button', { name: 'Approve and issue the licence' }).click();
    // Issuing asks for confirmation first.
    const confirm = page.getByRole('dialog', { name: 'Issue this licence?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Issue the licence' }).click();
    const done = card.getByRole('status').filter({ hasText: 'Decided' });
    await done.waitFor({ timeout: 30_000 });
    const text = (await done.textContent()) ?? '';
    expect(text).toMatch(/approved — licence LIC-/);
    // Recorded, signed by the authority's request (the page signed it; the server verified it).
    const row = await applicationsRepo.get(ctx.store.db, pendingId);
    expect(row?.status).toBe('approved');
    const newLicence = /licence (LIC-[A-Z0-9-]+)/.exec(text)?.[1];
    expect((await getLicence(ctx, newLicence!)).licence.prohibitedReexportDestinations).toEqual(['US', 'KP']);
  });

  it('the licence page shows utilisation over time, the custody flow to every final holder, and refused exports with their explanation', async () => {
    await page.getByRole('link', { name: 'Licences' }).click();
    await page.getByRole('link', { name: licenceId }).click();
    const chart = page.getByTestId('utilisation-chart');
    await chart.waitFor();
    expect(await chart.locator('desc').textContent()).toBe('2 t of 2 t drawn in 2 shipments');
    const flow = page.getByTestId('flow-picture');
    await flow.waitFor();
    const desc = (await flow.locator('desc').textContent()) ?? '';
    expect(desc).toContain('deccan-mobility (IN)');
    expect(desc).toContain('chakan-drive-systems (IN)');
    expect(await flow.locator('.link-transformation').count()).toBeGreaterThan(0);
    // The UAE detour, refused at dispatch, is drawn and explained.
    const edge = page.getByTestId('refused-edge');
    expect(await edge.count()).toBe(1);
    expect(await edge.textContent()).toMatch(/refused → AE.*Gulf Horizon/);
    const refused = page.locator('#refused .refused-item');
    expect(await refused.textContent()).toMatch(/transshipment hub.*60 % owned by Lakeshore EV/);
    // Check the US re-export of the motors: refused, with the undertaking that forbids it.
    const form = page.locator('.export-check');
    const values: string[] = await form
      .locator('select[name="lot"] option')
      .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    const motors = values.find((v) => /^MOT-[0-9A-F]{4}$/.test(v));
    expect(motors, `a motors lot among ${values.join(', ')}`).toBeDefined();
    await form.locator('select[name="lot"]').selectOption(motors ?? '');
    await form.locator('select[name="to"]').selectOption('lakeshore-ev');
    await form.getByRole('button', { name: 'Check' }).click();
    const result = page.getByTestId('export-check-result');
    await result.waitFor();
    const why = (await result.textContent()) ?? '';
    expect(why).toContain('refused');
    expect(why).toMatch(/US/);
    expect(await page.locator('#mass-balance tbody tr').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#alerts .alert-item').count()).toBeGreaterThanOrEqual(5);
    // Readable on a laptop: no sideways scrolling at 1280 or 1024 px wide.
    for (const width of [1280, 1024]) {
      await page.setViewportSize({ width, height: 768 });
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
        `horizontal overflow at ${width} px`,
      ).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await shot('licence');
    if (process.env.LODESTONE_DOCS_SCREENSHOT === '1') {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: new URL('docs/console-licence.png', ROOT).pathname, fullPage: true });
    }
  });

  it('a certificate is verified in the browser from its JWS signatures', async () => {
    await page.goto(`${base}/certificates/${encodeURIComponent(certificateId)}`);
    // A reload keeps the session: the API key is in sessionStorage, the signing key in IndexedDB (non-extractable).
    await page.getByTestId('cert-badge').waitFor();
    expect(await page.locator('.who').textContent()).toContain('signing key loaded');
    expect(await page.getByTestId('cert-badge').textContent()).toContain('verified in this browser');
    expect(await page.locator('#sigs li').count()).toBe(2);
    await shot('certificate');
  });

  it('verifies the licence’s audit bundle in the page, and a tampered copy fails', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByTestId('checkpoint-size').waitFor();
    const bundle = await exportAuditBundle(ctx, licenceId);
    const text = JSON.stringify(bundle);
    await page
      .getByLabel('Audit bundle file (JSON)')
      .setInputFiles({ name: 'bundle.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    const result = page.getByTestId('verify-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toContain('✓ verified');
    expect(await result.textContent()).toContain(licenceId);
    // Tamper: 1,200 kg becomes 1,300 kg in the first record that says so.
    const tampered = text.replace('1200000', '1300000');
    expect(tampered).not.toBe(text);
    writeFileSync(join(dir, 'tampered.json'), tampered);
    await page.getByLabel('Audit bundle file (JSON)').setInputFiles(join(dir, 'tampered.json'));
    await page.getByText('✕ verification failed').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('verify-result').textContent()).toMatch(/tampered\.json/);
    await shot('audit-tampered');
  });
});
