/**
 * The importing government (India's DGFT) in the console: its start page lists the certificates of
 * importers in India; it opens one awaiting its countersignature (once 404 in the console and the
 * API), reads what it certifies, and countersigns it in the browser with its own key — the server
 * no longer holds that key, so the countersignature recorded can only be the one the page made.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredCertificate } from '../../../src/app/index.js';
import { issueCredential } from '../../../src/http/index.js';
import { certificatesRepo } from '../../../src/store/index.js';
import { GOVERNMENT, openWorld, SKIP, type World } from './world.js';

describe.skipIf(SKIP)('the importing government in the console', () => {
  let w: World;
  let close = (): Promise<void> => Promise.resolve();
  beforeAll(async () => {
    w = await openWorld();
    close = () => w.close();
  }, 240_000);
  afterAll(() => close());

  it('opens a certificate awaiting its countersignature and countersigns it with its own key, made in the browser', async () => {
    const { page } = w;
    const keyText = w.keyFile(GOVERNMENT);
    // From here the server cannot sign for the government: only the browser has its key.
    const keyPath = join(w.dir, 'keys', `${GOVERNMENT}.key.json`);
    renameSync(keyPath, `${keyPath}.away`);
    expect(existsSync(keyPath)).toBe(false);

    const apiKey = (await issueCredential(w.ctx, { partyId: GOVERNMENT, role: 'importing-government' })).key;
    await page.goto(`${w.base}/`);
    await page.getByLabel('API key').fill(apiKey);
    await page.getByLabel(/Private signing key/).fill(keyText);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The start page: the certificates of importers in India, the pending one among them.
    await page.getByRole('heading', { name: 'End-user certificates' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: w.pendingCertificateId });
    expect(await row.textContent()).toContain('not yet'); // not countersigned

    await row.getByRole('link', { name: w.pendingCertificateId }).click();
    await page.getByRole('heading', { name: 'Countersign', exact: true }).waitFor();
    expect(await page.getByTestId('undertakings').textContent()).toMatch(/No re-export to US\./);
    // The end user's signature is checked here before the government signs.
    await page.getByTestId('cert-badge').waitFor();
    expect(await page.getByTestId('cert-badge').textContent()).toContain('verified in this browser');
    await w.shot('government');
    expect(await w.accessibility()).toEqual([]);

    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') sent.push(r.postData() ?? '');
    });
    await page.getByRole('button', { name: 'Countersign with my key' }).click();
    await page.getByTestId('cert-action-done').waitFor({ timeout: 30_000 });
    // What left the browser: the signature, nothing else.
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]!) as { signature: { protected: string; signature: string } };
    expect(Object.keys(body)).toEqual(['signature']);
    expect(Object.keys(body.signature).sort()).toEqual(['protected', 'signature']);
    expect(sent[0]).not.toMatch(/PRIVATE KEY|privateKey/);

    // Recorded: countersigned by India, and the certificate verifies on the server.
    const row2 = await certificatesRepo.get(w.ctx.store.db, w.pendingCertificateId);
    expect(row2?.countersigned_by).toBe(GOVERNMENT);
    expect((await verifyStoredCertificate(w.ctx, w.pendingCertificateId)).ok).toBe(true);
    await page.locator('#sigs li').nth(1).waitFor();
    expect(await page.locator('#sigs li').count()).toBe(2);
    expect(await page.locator('#sigs li').nth(1).textContent()).toMatch(/valid.*in-dgft/);
    await expect.poll(() => page.getByTestId('cert-badge').textContent()).toContain('verified in this browser');
    expect(await page.getByRole('heading', { name: 'Countersign', exact: true }).count()).toBe(0);
    renameSync(`${keyPath}.away`, keyPath);
  });
});
