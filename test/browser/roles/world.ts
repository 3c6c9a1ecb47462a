/**
 * The world every role's browser test works in, built once per test file through the one scenario
 * builder (src/app/scenario.ts, by way of the demo): parties and trust list, the control list, a
 * countersigned certificate, MOFCOM's licence, shipments to India, the magnets made into motors and
 * sold on to a downstream holder, the refused detours and the alerts they raised. On top of it, the
 * open work each role comes to do: a pending application (the authority), a certificate awaiting
 * India's countersignature (the government), a licence granted to an auditor.
 *
 * `openWorld()` serves it with `createServer` (what `lodestone serve` runs) on a fresh embedded
 * store and opens Debian's Chromium through playwright-core; `signIn` signs a party in as a person
 * would (API key, and the party's private key file where the role signs). Screenshots go to
 * test-results/screenshots/, and with LODESTONE_DOCS_SCREENSHOT=1 also to docs/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import {
  issueCertificate,
  openApp,
  registerParty,
  runDemo,
  submitApplication,
  type AppContext,
} from '../../../src/app/index.js';
import {
  applicationInput,
  AUTHORITY,
  certificateInput,
  countersignedCertificate,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
} from '../../../src/app/scenario.js';
import { todayUtc } from '../../../src/domain/index.js';
import { createServer, issueCredential, type Role } from '../../../src/http/index.js';
import { auditorGrantsRepo, licencesRepo } from '../../../src/store/index.js';
import { seedPgliteDataDir } from '../../support/pglite-cache.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Without Chromium the role tests are skipped outside CI (with a message); in CI they run and fail. */
export const SKIP = !existsSync(CHROMIUM) && process.env.CI === undefined;
if (SKIP) console.warn(`[role browser tests] SKIPPED: ${CHROMIUM} not found (apt-get install chromium).`);

const ROOT = new URL('../../../', import.meta.url);
export { AUTHORITY, EXPORTER, GOVERNMENT, IMPORTER };
export const HOLDER = 'deccan-mobility';
export const AUDITOR = 'audit-partners-india';

export interface World {
  readonly ctx: AppContext;
  readonly dir: string;
  readonly base: string;
  readonly app: FastifyInstance;
  readonly page: Page;
  /** The demo's licence (MOFCOM's, for magnets to Chakan). */
  readonly licenceId: string;
  /** An application awaiting MOFCOM's decision. */
  readonly pendingApplicationId: string;
  /** A certificate the end user signed that India has not countersigned yet. */
  readonly pendingCertificateId: string;
  /** The party's private key file (`<party>.key.json`) as text, for the sign-in form. */
  keyFile(party: string): string;
  /** Signs `party` in with a fresh API key of `role` (and its private key file when `withKey`). */
  signIn(party: string, role: Role, o?: { withKey?: boolean }): Promise<void>;
  /** A full-page screenshot `name.png` (docs/screenshots/ too with LODESTONE_DOCS_SCREENSHOT=1). */
  shot(name: string): Promise<void>;
  /** axe-core's serious and critical violations on the page as it is now (`path: rule (impact) targets`). */
  accessibility(): Promise<string[]>;
  close(): Promise<void>;
}

export async function openWorld(): Promise<World> {
  expect(existsSync(new URL('dist/console/index.html', ROOT)), 'dist/console is built by the test global setup').toBe(
    true,
  );
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-roles-'));
  await seedPgliteDataDir(dir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
  const ctx = await openApp({ dataDir: dir });
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  try {
    await runDemo(ctx);
    const today = todayUtc(ctx.clock);
    const licence = (await licencesRepo.list(ctx.store.db)).find((l) => l.authority === AUTHORITY);
    if (!licence) throw new Error('the demo granted no licence');
    // The authority's open work: an application on a fresh countersigned certificate.
    const fresh = await countersignedCertificate(ctx, { grams: 500_000 });
    const pending = await submitApplication(ctx, applicationInput({ certificateId: fresh, grams: 500_000, today }));
    // The government's open work: a certificate signed by the end user, not yet countersigned.
    const awaiting = await issueCertificate(
      ctx,
      IMPORTER,
      certificateInput({ grams: 300_000, description: 'NdFeB magnets 48H for e-scooter hub motors', today }),
    );
    // The auditor's: a licence whose audit bundle was granted to it.
    await registerParty(ctx, { id: AUDITOR, name: 'Audit Partners India LLP', country: 'IN', sector: 'other' });
    await auditorGrantsRepo.grant(ctx.store.db, AUDITOR, licence.id, AUTHORITY);

    const server = await createServer(ctx, { rateLimit: false });
    app = server;
    const base = await server.listen({ host: '127.0.0.1', port: 0 });
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
    const page = await (await b.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => {
      console.error('[page error]', e.message);
    });
    const keyFile = (party: string) => readFileSync(join(dir, 'keys', `${party}.key.json`), 'utf8');
    const started = { app: server, browser: b };
    return {
      ctx,
      dir,
      base,
      app: server,
      page,
      licenceId: licence.id,
      pendingApplicationId: pending.id,
      pendingCertificateId: awaiting.id,
      keyFile,
      async signIn(party, role, o = {}) {
        const key = (await issueCredential(ctx, { partyId: party, role, label: `${role} browser test` })).key;
        await page.goto(`${base}/`);
        await page.getByLabel('API key').fill(key);
        if (o.withKey === true) await page.getByLabel(/Private signing key/).fill(keyFile(party));
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('.who').getByText(party, { exact: false }).waitFor();
      },
      async accessibility() {
        await page.waitForLoadState('networkidle');
        const r = await new AxeBuilder({ page }).analyze();
        const path = new URL(page.url()).pathname;
        return r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${path}: ${v.id} (${String(v.impact)}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      },
      async shot(name) {
        const shots = new URL('test-results/screenshots/', ROOT);
        mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: join(shots.pathname, `${name}.png`), fullPage: true });
        if (process.env.LODESTONE_DOCS_SCREENSHOT === '1') {
          const docs = new URL('docs/screenshots/', ROOT);
          mkdirSync(docs, { recursive: true });
          await page.screenshot({ path: join(docs.pathname, `${name}.png`), fullPage: true });
        }
      },
      async close() {
        await started.browser.close();
        await started.app.close();
        await ctx.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close();
    await app?.close();
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
