import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, runDemo, type AppContext } from '../../src/app/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

// One store is enough here: the demo's alerts come from the same use cases the other alert tests run on both.
describe.each(STORES.slice(0, 1))('the demo shows the alerts on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('transshipment and mass-balance alerts (and the others the scenario provokes) are in the report with their evidence', async () => {
    const { report, markdown } = await runDemo(ctx);
    const alerts = report.alerts ?? [];
    expect(alerts.map((a) => a.rule).sort()).toEqual([
      'circular-trade',
      'mass-balance-gap',
      'post-shipment-report-late',
      'quick-reshipment',
      'transshipment',
    ]);
    const licence = report.licences[0]!.licence.id;
    expect(alerts.every((a) => a.licenceId === licence && a.raisedBy === 'cn-mofcom')).toBe(true);
    expect(markdown).toContain('## Alerts');
    expect(markdown).toMatch(
      /\| alert-[0-9a-f]{20} \| critical \| transshipment \| open \| chakan-drive-systems, gulf-horizon-trading \| attempted shipment SH-[0-9A-F]{4}-M3 .* \| journal —<br>attempted shipment SH-[0-9A-F]{4}-M3<br>lot MOT-[0-9A-F]{4}<br>/,
    );
    expect(markdown).toMatch(
      /\| alert-[0-9a-f]{20} \| high \| mass-balance-gap \| open \| chakan-drive-systems, deccan-mobility \| .*6 kg \(6,000 g\) unaccounted for .* \| journal \d+, \d+<br>shipment SH-[0-9A-F]{4}-M1<br>lot DM-MOT-[0-9A-F]{4}<br>thresholds: (min_gap_grams 1000; min_gap_ppm 1000|min_gap_ppm 1000; min_gap_grams 1000)<br>rules: lodestone-red-flags@2026\.12\.2 \|/,
    );
    expect(report.licences[0]!.massBalance.holders.every((h) => h.gap === 0)).toBe(true); // the gap is the shortfall in transit, not a holder's books
  });
});
