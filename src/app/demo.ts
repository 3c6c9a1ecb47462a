import { randomBytes } from 'node:crypto';
import { addDaysIso, count, formatMass, todayUtc } from '../domain/index.js';
import { fileReport, listAlerts, scanAlerts } from './alerts.js';
import { journalRepo } from '../store/index.js';
import { issueCertificate, countersignCertificate, revokeCertificate } from './certificates.js';
import type { AppContext } from './context.js';
import { createLot, dispatchShipment, massBalance, receiveShipment, transformLots } from './custody.js';
import { RefusedError } from './errors.js';
import { decideApplication, getLicence, submitApplication } from './licensing.js';
import { renderReport, type NarrativeEvent, type ScenarioReport } from './report.js';
import {
  applicationInput,
  AUTHORITY,
  certificateInput,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
  importDemoList,
  lotInput,
  motorItem,
  registerScenarioParties,
  shipmentInput,
} from './scenario.js';

export interface DemoResult {
  readonly report: ScenarioReport;
  readonly markdown: string;
}

/**
 * The whole non-diversion scenario on the store: certificate and countersignature, application,
 * screening, classification and policy, approval with conditions, shipments drawing the licence
 * down, magnets into motors, a domestic sale that passes, a US sale and a UAE detour that are
 * refused, a second licence refused for claiming beyond its certificate, a revoked certificate
 * stopping a shipment, and an application naming a listed party that is denied. Re-runnable: each run uses
 * fresh lot and shipment ids and reuses the registered parties.
 */
export async function runDemo(
  ctx: AppContext,
  onEvent: (e: NarrativeEvent) => void = () => undefined,
): Promise<DemoResult> {
  const events: NarrativeEvent[] = [];
  const emit = (e: NarrativeEvent) => {
    events.push(e);
    onEvent(e);
  };
  const run = randomBytes(2).toString('hex').toUpperCase();
  const today = todayUtc(ctx.clock);

  await registerScenarioParties(ctx);
  const list = await importDemoList(ctx);
  emit({
    step: 'Restricted-party list',
    actor: AUTHORITY,
    outcome: 'info',
    detail: `cn-control-list (demonstration) ${list.status === 'unchanged' ? 'unchanged' : 'imported'}: snapshot ${list.sha256.slice(0, 12)}…`,
  });

  const endUse = {
    description: 'Rotor magnets for 150 kW traction motors of electric passenger cars, made and sold in India',
    purposes: ['civil-automotive'],
    endProduct: 'EV traction motors',
    annualNeedGrams: 2_400_000,
  };
  const certificate = await issueCertificate(
    ctx,
    IMPORTER,
    certificateInput({ grams: 2_000_000, description: 'Sintered NdFeB magnets 45SH containing Dy', endUse, today }),
  );
  emit({
    step: 'End-user certificate',
    actor: IMPORTER,
    outcome: 'accepted',
    detail: `${certificate.id} signed by the end user: no WMD or military use; no re-export to US; use only in India; binds products that incorporate the magnets`,
  });
  await countersignCertificate(ctx, GOVERNMENT, certificate.id);
  emit({
    step: 'Countersignature',
    actor: GOVERNMENT,
    outcome: 'accepted',
    detail: `the Government of India (DGFT) countersigns ${certificate.id}`,
  });

  const lotId = `MAG-${run}`;
  await createLot(ctx, EXPORTER, lotInput(lotId, 2_500_000));
  emit({
    step: 'Production lot',
    actor: EXPORTER,
    outcome: 'accepted',
    detail: `lot ${lotId}: 2,500 kg of 45SH NdFeB magnets with Dy in Ganzhou`,
  });

  const application = applicationInput({ certificateId: certificate.id, grams: 2_000_000, endUse, today });
  const app = await submitApplication(ctx, application);
  emit({
    step: 'Licence application',
    actor: EXPORTER,
    outcome: 'info',
    detail: `${app.id}: 2,000 kg of 45SH NdFeB (Dy) to ${IMPORTER}, India — classified ${app.assessment.codes.join(', ')}; parties screened ${app.assessment.screening.every((s) => s.hits.length === 0) ? 'clear' : 'with hits'}; certificate valid and countersigned; policy: ${app.assessment.recommendation}`,
    reasons: app.assessment.reasons,
  });
  const decision = await decideApplication(ctx, AUTHORITY, app.id, {
    decision: 'approve',
    conditions: {
      prohibitedReexportDestinations: ['US'],
      useOnlyIn: 'IN',
      extendsToIncorporatingProducts: true,
      reportingDuties: [{ kind: 'post-shipment-report', withinDays: 30, to: AUTHORITY }],
      conditions: [
        'No military or defence use.',
        'No re-export to the United States; no re-export elsewhere without MOFCOM consent.',
      ],
    },
  });
  const licence = decision.licence;
  if (!licence) throw new Error('the scenario licence was not granted');
  emit({
    step: 'Decision',
    actor: AUTHORITY,
    outcome: 'approved',
    detail: `licence ${licence.id}: 2,000 kg ceiling, valid ${licence.validFrom} to ${licence.validUntil}, no re-export to US, use only in India, post-shipment report within 30 days`,
  });

  // No double claim: the certificate's 2,000 kg are all claimed by that licence; a second licence on it is refused.
  const again = await submitApplication(
    ctx,
    applicationInput({ certificateId: certificate.id, grams: 500_000, endUse, today }),
  );
  try {
    await decideApplication(ctx, AUTHORITY, again.id, {
      decision: 'approve',
      conditions: { prohibitedReexportDestinations: ['US'] },
    });
    throw new Error('the scenario expected the second licence on the certificate to be refused');
  } catch (e) {
    if (!(e instanceof RefusedError)) throw e;
    emit({
      step: 'Second licence on the same certificate',
      actor: AUTHORITY,
      outcome: 'refused',
      detail: `${again.id}: 500 kg more on certificate ${certificate.id}, which covers 2,000 kg across all its licences`,
      reasons: e.refusals.map((r) => `${r.rule}: ${r.message}`),
    });
  }

  const ship = async (label: string, actor: string, s: Record<string, unknown>) => {
    try {
      const d = await dispatchShipment(ctx, actor, s);
      emit({
        step: label,
        actor,
        outcome: 'accepted',
        detail: `shipment ${d.shipmentId}: ${formatMass({ grams: s.grams as number })} to ${s.to as string} (${s.destination as string})`,
        reasons: d.checks,
      });
      return d;
    } catch (e) {
      if (!(e instanceof RefusedError)) throw e;
      emit({
        step: label,
        actor,
        outcome: 'refused',
        detail: `${formatMass({ grams: s.grams as number })} from lot ${s.fromLot as string} to ${s.to as string} (${s.destination as string})`,
        reasons: e.refusals.map((r) => `${r.rule}: ${r.message}`),
      });
      return undefined;
    }
  };
  await ship('Shipment 1', EXPORTER, shipmentInput(`SH-${run}-1`, lotId, 1_200_000, licence.id));
  await ship('Shipment 2', EXPORTER, shipmentInput(`SH-${run}-2`, lotId, 800_000, licence.id));
  await ship('Shipment 3 (past the balance)', EXPORTER, shipmentInput(`SH-${run}-3`, lotId, 100_000, licence.id));

  const r1 = await receiveShipment(ctx, IMPORTER, {
    shipmentId: `SH-${run}-1`,
    lotId: `IN-MAG-${run}-1`,
    receivedGrams: 1_200_000,
  });
  const r2 = await receiveShipment(ctx, IMPORTER, {
    shipmentId: `SH-${run}-2`,
    lotId: `IN-MAG-${run}-2`,
    receivedGrams: 800_000,
  });
  emit({
    step: 'Receipts',
    actor: IMPORTER,
    outcome: 'accepted',
    detail: `lots ${r1.lot.id} (1,200 kg) and ${r2.lot.id} (800 kg) in Pune, each carrying licence ${licence.id} and certificate ${certificate.id}`,
  });

  const motor = motorItem();
  const motors = `MOT-${run}`;
  await transformLots(ctx, IMPORTER, {
    id: `T-${run}`,
    inputs: [{ lotId: r1.lot.id, grams: 1_200_000 }],
    otherInputsGrams: 43_800_000,
    outputs: [
      {
        lotId: motors,
        item: motor,
        massGrams: 45_000_000,
        units: 1000,
        value: { currency: 'USD', minor: 120_000_000 },
        embodies: [{ lotId: r1.lot.id, grams: 1_200_000 }],
      },
    ],
  });
  emit({
    step: 'Transformation',
    actor: IMPORTER,
    outcome: 'accepted',
    detail: `${r1.lot.id} → ${motors}: 1,000 traction motors of 45 kg, each with 1.2 kg of the licensed magnets (2.66 % by mass, 8 % by value); every restriction carried over`,
  });

  const motorShipment = (n: number, to: string, destination: string, suffix: string) => ({
    id: `SH-${run}-${suffix}`,
    fromLot: motors,
    to,
    destination,
    grams: n * 45_000,
    units: n,
    value: { currency: 'USD', minor: n * 120_000 },
  });
  await ship('Domestic sale of 500 motors', IMPORTER, motorShipment(500, 'deccan-mobility', 'IN', 'M1'));
  await ship('Export of 100 motors to the US buyer', IMPORTER, motorShipment(100, 'lakeshore-ev', 'US', 'M2'));
  await ship(
    'Export of 100 motors to the UAE trader owned by the US buyer',
    IMPORTER,
    motorShipment(100, 'gulf-horizon-trading', 'AE', 'M3'),
  );

  // Diversion monitoring: a consignee whose receipt comes up short, and motors sent straight back to the party they came from.
  const sale = `SH-${run}-M1`;
  const counted = await receiveShipment(ctx, 'deccan-mobility', {
    shipmentId: sale,
    lotId: `DM-MOT-${run}`,
    receivedGrams: 495 * 45_000,
    units: 495,
  });
  emit({
    step: 'Receipt of the domestic sale, 5 motors short',
    actor: 'deccan-mobility',
    outcome: 'accepted',
    detail: `lot ${counted.lot.id}: 495 of the 500 motors shipped in ${sale}; ${formatMass({ grams: counted.discrepancyGrams })} recorded as a discrepancy`,
  });
  const back = await ship('Five motors sent back to the importer the same week', 'deccan-mobility', {
    id: `SH-${run}-B1`,
    fromLot: counted.lot.id,
    to: IMPORTER,
    destination: 'IN',
    grams: 5 * 45_000,
    units: 5,
  });
  if (back)
    await receiveShipment(ctx, IMPORTER, {
      shipmentId: back.shipmentId,
      lotId: `MOT-${run}-RET`,
      receivedGrams: 5 * 45_000,
      units: 5,
    });
  const filed = await fileReport(ctx, IMPORTER, {
    shipmentId: `SH-${run}-1`,
    receivedGrams: 1_200_000,
    installedIn: `traction motors (lot ${motors})`,
    location: 'IN',
    date: today,
  });
  emit({
    step: 'Post-shipment report',
    actor: IMPORTER,
    outcome: 'accepted',
    detail: `${filed.id} on shipment SH-${run}-1: 1,200 kg received and installed in traction motors in India (licence ${licence.id} requires it within 30 days)`,
  });
  const later = addDaysIso(today, 45);
  const scan = await scanAlerts(ctx, { asOf: later, lookAhead: true });
  emit({
    step: `Monitoring scan as of ${later}`,
    actor: AUTHORITY,
    outcome: 'info',
    detail: `${count(scan.findings, 'red flag')} found, ${count(scan.raised.length, 'new alert')} raised, ${scan.duplicates} already raised`,
    reasons: scan.raised.map((a) => `${a.severity.toUpperCase()} ${a.rule}: ${a.explanation}`),
  });

  // Revocation stops material: a second certificate and licence, part shipped; the government revokes the certificate; the next shipment is refused.
  const certificate2 = await issueCertificate(
    ctx,
    IMPORTER,
    certificateInput({
      grams: 500_000,
      description: 'Sintered NdFeB magnets 45SH containing Dy (spares)',
      endUse,
      today,
    }),
  );
  await countersignCertificate(ctx, GOVERNMENT, certificate2.id);
  const app2 = await submitApplication(
    ctx,
    applicationInput({ certificateId: certificate2.id, grams: 500_000, endUse, today }),
  );
  const licence2 = (
    await decideApplication(ctx, AUTHORITY, app2.id, {
      decision: 'approve',
      conditions: { prohibitedReexportDestinations: [] },
    })
  ).licence;
  if (!licence2) throw new Error("the scenario's second licence was not granted");
  emit({
    step: 'Spares: certificate and licence',
    actor: AUTHORITY,
    outcome: 'approved',
    detail: `certificate ${certificate2.id} (500 kg, countersigned) backs licence ${licence2.id}; the approval named no conditions, yet the licence carries the end user's undertakings (no re-export to US, use only in India)`,
  });
  const spares = `MAG-${run}-S`;
  await createLot(ctx, EXPORTER, lotInput(spares, 500_000));
  await ship('Spares shipment 1', EXPORTER, shipmentInput(`SH-${run}-S1`, spares, 200_000, licence2.id));
  const revoked = await revokeCertificate(
    ctx,
    GOVERNMENT,
    certificate2.id,
    'the end user reported a change of control',
  );
  emit({
    step: 'Certificate revoked',
    actor: GOVERNMENT,
    outcome: 'info',
    detail: `${certificate2.id} revoked: licence ${revoked.suspendedLicences.join(', ')} suspended in the same transaction, ${AUTHORITY} alerted; the 200 kg in transit carry the revocation`,
  });
  await ship(
    'Spares shipment 2 (after the revocation)',
    EXPORTER,
    shipmentInput(`SH-${run}-S2`, spares, 100_000, licence2.id),
  );

  const listed = await submitApplication(ctx, {
    ...application,
    importer: 'red-mesa-defense',
    endUser: 'red-mesa-defense',
    destination: 'US',
    certificateId: undefined,
    endUse: { description: 'Magnets for actuators', purposes: ['civil-industrial'] },
  });
  emit({
    step: 'Application naming a listed party',
    actor: EXPORTER,
    outcome: 'info',
    detail: `${listed.id}: recommendation ${listed.assessment.recommendation}`,
    reasons: listed.assessment.reasons,
  });
  await decideApplication(ctx, AUTHORITY, listed.id, {
    decision: 'deny',
    reasons: listed.assessment.reasons.filter((r) => r.startsWith('Deny')),
  });
  emit({
    step: 'Decision',
    actor: AUTHORITY,
    outcome: 'denied',
    detail: `${listed.id} denied`,
    reasons: listed.assessment.reasons.filter((r) => r.startsWith('Deny')),
  });

  const status = await getLicence(ctx, licence.id);
  const balance = await massBalance(ctx, licence.id);

  const alerts = await listAlerts(ctx, { licenceId: licence.id });
  emit({
    step: 'Alerts',
    actor: AUTHORITY,
    outcome: 'info',
    detail: `${count(alerts.length, 'alert')} on licence ${licence.id}: ${[...new Set(alerts.map((a) => a.rule))].join(', ')}`,
    reasons: alerts.map((a) => `${a.id} ${a.severity.toUpperCase()} ${a.rule}: ${a.explanation}`),
  });
  const report: ScenarioReport = {
    generatedAt: ctx.clock().toISOString(),
    licences: [{ ...status, massBalance: balance }],
    events,
    journalEntries: await journalRepo.count(ctx.store.db),
    alerts,
  };

  return { report, markdown: renderReport(report) };
}
