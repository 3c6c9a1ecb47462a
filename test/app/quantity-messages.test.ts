/**
 * Refusals about quantities speak in t / kg / g with the exact grams, and money in its currency
 * (issue 23 A10): INSUFFICIENT_STOCK (ship, transform, consume), OVER_RECEIPT, MASS_CREATED (three
 * ways), CERTIFICATE_OVERCLAIMED, a certificate asked for more than it covers, and approval
 * ceilings past what was applied for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  consumeLot,
  createApp,
  decideApplication,
  dispatchShipment,
  issueCertificate,
  receiveShipment,
  RefusedError,
  submitApplication,
  transformLots,
  type AppContext,
} from '../../src/app/index.js';
import { LodestoneError } from '../../src/domain/index.js';
import { useFreshStore } from '../support/stores.js';
import {
  applicationInput,
  certificateInput,
  CONDITIONS,
  EXPORTER,
  IMPORTER,
  licensedScenario,
  motor,
  shipmentInput,
  TODAY,
} from '../support/scenario.js';

/** The messages of a refusal ("RULE: message"), or of another error ("CODE: field: reason"). */
async function messages(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RefusedError) return e.refusals.map((r) => `${r.rule}: ${r.message}`);
    if (e instanceof LodestoneError) return [`${e.code}: ${e.message}`];
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('quantities in refusals', () => {
  const current = useFreshStore('pglite');
  let keysDir: string;
  let ctx: AppContext;
  let now: Date;

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => new Date((now = new Date(now.getTime() + 1000))) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('stock, receipts and transformations: INSUFFICIENT_STOCK, OVER_RECEIPT and MASS_CREATED show t/kg/g and the grams', async () => {
    const { licenceId } = await licensedScenario(ctx, { lot: { id: 'MAG-1', grams: 1_999_999 } });
    expect(
      await messages(dispatchShipment(ctx, EXPORTER, shipmentInput('SH-0', 'MAG-1', 2_000_000, licenceId))),
    ).toContain('INSUFFICIENT_STOCK: lot MAG-1 holds 1,999.999 kg (1,999,999 g); cannot ship 2 t (2,000,000 g)');
    await dispatchShipment(ctx, EXPORTER, shipmentInput('SH-1', 'MAG-1', 1_200_500, licenceId));
    expect(
      await messages(receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1_200_501 })),
    ).toEqual([
      'OVER_RECEIPT: receipt.receivedGrams 1,200.501 kg (1,200,501 g) is more than the 1,200.5 kg (1,200,500 g) ' +
        'shipment SH-1 carried; record at most the shipped grams (create any surplus as its own lot)',
    ]);
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1_200_500 });
    const transform = (inputGrams: number, outputGrams: number, embodied: number, other = 0) =>
      transformLots(ctx, IMPORTER, {
        id: 'T-1',
        inputs: [{ lotId: 'IN-1', grams: inputGrams }],
        ...(other === 0 ? {} : { otherInputsGrams: other }),
        outputs: [
          { lotId: 'MOT-1', item: motor, massGrams: outputGrams, embodies: [{ lotId: 'IN-1', grams: embodied }] },
        ],
      });
    expect(await messages(transform(1_200_501, 45_000_000, 1_000))).toEqual([
      'INSUFFICIENT_STOCK: lot IN-1 holds 1,200.5 kg (1,200,500 g); cannot consume 1,200.501 kg (1,200,501 g)',
    ]);
    expect(await messages(transform(1_200_500, 45_000_000, 1_000))).toEqual([
      'MASS_CREATED: outputs weigh 45 t (45,000,000 g) but only 1,200.5 kg (1,200,500 g) went in ' +
        '(tracked inputs plus otherInputsGrams)',
    ]);
    expect(await messages(transform(1_200_500, 999, 1_000, 44_000_000))).toEqual([
      'MASS_CREATED: output MOT-1 weighs 999 g but is said to embody 1 kg (1,000 g) of inputs',
    ]);
    expect(await messages(transform(1_000, 45_000_000, 1_001, 45_000_000))).toEqual([
      'MASS_CREATED: outputs embody 1.001 kg (1,001 g) of lot IN-1 but the transformation consumes only 1 kg (1,000 g) of it',
    ]);
    expect(await messages(consumeLot(ctx, IMPORTER, { lotId: 'IN-1', grams: 1_200_501, purpose: 'scrap' }))).toEqual([
      'INSUFFICIENT_STOCK: lot IN-1 holds 1,200.5 kg (1,200,500 g); cannot consume 1,200.501 kg (1,200,501 g)',
    ]);
  });

  it('certificates and approvals: CERTIFICATE_OVERCLAIMED, coverage and ceilings show t/kg/g and money in its currency', async () => {
    const { certificateId, licenceId } = await licensedScenario(ctx, { grams: 1_500_000 });
    expect(licenceId).toMatch(/^LIC-/);
    const second = await submitApplication(ctx, applicationInput({ certificateId, grams: 600_001, today: TODAY }));
    expect(
      await messages(decideApplication(ctx, 'cn-mofcom', second.id, { decision: 'approve', conditions: CONDITIONS })),
    ).toEqual([
      expect.stringMatching(
        /^CERTIFICATE_OVERCLAIMED: certificate \S+ covers 1.5 t \(1,500,000 g\) of 1C905\.a \(HS 8505111000\) across all its licences; 1.5 t \(1,500,000 g\) is claimed already \(LIC-\S+ 1.5 t \(1,500,000 g\)\), 0 g remains, and this approval claims 600.001 kg \(600,001 g\)$/,
      ),
    ]);
    const cert = await issueCertificate(ctx, IMPORTER, certificateInput({ grams: 1_000, today: TODAY }));
    const over = await messages(
      submitApplication(ctx, applicationInput({ certificateId: cert.id, grams: 1_001, today: TODAY })),
    );
    expect(over.join('\n')).toContain(
      '1.001 kg (1,001 g) of 1C905.a (HS 8505111000) asked for, but it covers 1 kg (1,000 g)',
    );
    const pending = await submitApplication(ctx, applicationInput({ grams: 2_000, today: TODAY }));
    expect(
      await messages(
        decideApplication(ctx, 'cn-mofcom', pending.id, {
          decision: 'approve',
          conditions: { ...CONDITIONS, ceilings: { L1: { grams: 2_001 } } },
        }),
      ),
    ).toEqual([
      'INVALID_INPUT: conditions.ceilings.L1.grams: cannot exceed the 2 kg (2,000 g) applied for, got 2.001 kg (2,001 g)',
    ]);
    expect(
      await messages(
        decideApplication(ctx, 'cn-mofcom', pending.id, {
          decision: 'approve',
          conditions: { ...CONDITIONS, ceilings: { L1: { valueMinor: 16_001 } } },
        }),
      ),
    ).toEqual([
      'INVALID_INPUT: conditions.ceilings.L1.valueMinor: cannot exceed the USD 160.00 (16000 minor units) applied for, got 16001 minor units',
    ]);
  });
});
