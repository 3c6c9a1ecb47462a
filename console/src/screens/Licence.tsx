import { useMemo } from 'react';
import { ExportCheckFields, useExportCheck } from '../export-check.js';
import { useSession } from '../session.js';
import { ApiError } from '../api.js';
import { money, percent } from '../format.js';
import { t } from '../strings.js';
import { Badge, CsvButton, Empty, ErrorBox, Loading, mass, Section, useLoad } from '../ui.js';
import { AlertItem, type Alert } from './Alerts.js';
import { FlowPicture, type CustodyGraph, type RefusedAttempt } from './Flow.js';
import { HeldUnderLicence } from './Holdings.js';

interface LicenceStatus {
  licence: {
    id: string;
    authority: string;
    holder: string;
    importer: string;
    consignee: string;
    endUser: string;
    destination: string;
    validFrom: string;
    validUntil: string;
    type: string;
    prohibitedReexportDestinations: string[];
    useOnlyIn?: string;
    extendsToIncorporatingProducts: boolean;
    reportingDuties: { kind: string; withinDays: number; to: string }[];
    conditions: string[];
    certificateId?: string;
    lines: { ref: string; quantityGrams: number; item: { description?: string; form?: string } }[];
  };
  status: string;
  suspension?: { seq: number; reason: string; certificateId?: string };
  balance: {
    ref: string;
    shippedGrams: number;
    ceilingGrams: number;
    shipments: number;
    shippedValueMinor?: number;
    ceilingValueMinor?: number;
    currency?: string;
  }[];
}
interface MassBalanceRow {
  holder: string;
  lotId?: string;
  received: number;
  transformedIn: number;
  shipped: number;
  transformedOut: number;
  consumed: number;
  onHand: number;
  gap: number;
}
interface MassBalance {
  holders: MassBalanceRow[];
  lots: MassBalanceRow[];
  inTransitGrams: number;
  receiptDiscrepancyGrams: number;
}
interface Drawdown {
  shipmentId: string;
  seq: number;
  shippedOn: string;
  lineRef: string | null;
  grams: number;
  to: string;
  destination: string;
  status: string;
}
interface Activity {
  drawdowns: Drawdown[];
  graph: CustodyGraph;
}

const today = () => new Date().toISOString().slice(0, 10);

export function LicenceScreen({ id }: { id: string }) {
  const { api, me } = useSession();
  const enc = encodeURIComponent(id);
  const holderRole = me.role === 'importer' || me.role === 'downstream-holder';
  const lic = useLoad(() => api.get<LicenceStatus>(`/v1/licences/${enc}`), [id]);
  const mb = useLoad(() => api.get<MassBalance>(`/v1/licences/${enc}/mass-balance`), [id]);
  const act = useLoad(() => api.get<Activity>(`/v1/console/licences/${enc}/activity`), [id]);
  const alerts = useLoad(() => api.get<Alert[]>(`/v1/licences/${enc}/alerts`), [id]);
  const parties = useLoad(() => api.get<{ id: string; name: string; country: string }[]>('/v1/parties'), []);
  const refused = useMemo(() => refusedAttempts(alerts.data ?? [], parties.data ?? []), [alerts.data, parties.data]);

  if (lic.loading)
    return (
      <div className="page">
        <h1>{t.licence.title(id)}</h1>
        <Loading what={t.licence.loading} />
      </div>
    );
  if (lic.error || !lic.data)
    return (
      <div className="page">
        <h1>{t.licence.title(id)}</h1>
        <ErrorBox
          error={lic.error ?? new Error('no data')}
          title={
            lic.error instanceof ApiError && lic.error.problem.status === 404
              ? t.licence.notFound
              : t.licence.loadFailed
          }
        />
      </div>
    );
  const { licence: l, status, suspension, balance } = lic.data;
  const d = today();
  const validity = d < l.validFrom ? 'not yet valid' : d > l.validUntil ? 'expired' : 'valid';
  const validityText = { 'not yet valid': t.licence.notYetValid, expired: t.licence.expired, valid: t.licence.valid }[
    validity
  ];
  const names = new Map((parties.data ?? []).map((p) => [p.id, p.name]));
  /** A party's name with its id (the id alone until the names are loaded). */
  const name = (pid: string) => (names.has(pid) ? `${names.get(pid) ?? ''} (${pid})` : pid);
  const hidden = (e: Error | undefined) =>
    e instanceof ApiError && (e.problem.status === 403 || e.problem.status === 404);

  return (
    <div className="page">
      <div className="title-row">
        <h1>
          {t.licence.title(l.id)} <Badge tone={status === 'active' ? 'ok' : 'bad'}>{status}</Badge>{' '}
          <Badge tone={validity === 'valid' ? 'ok' : 'warn'}>{validityText}</Badge>
        </h1>
        <button type="button" className="btn btn-plain no-print" onClick={() => window.print()}>
          {t.licences.print}
        </button>
      </div>
      {suspension ? (
        <div className="refusal" role="alert" data-testid="licence-suspension">
          {t.licence.suspended(suspension.seq, suspension.reason)}
        </div>
      ) : null}
      <div className="grid2">
        <Section title={t.licence.terms} id="conditions">
          <dl className="kv">
            <dt>{t.licence.authority}</dt>
            <dd>{name(l.authority)}</dd>
            <dt>{t.licence.holderExporter}</dt>
            <dd>{name(l.holder)}</dd>
            <dt>{t.licence.importerEtc}</dt>
            <dd>
              {name(l.importer)} / {name(l.consignee)} / {name(l.endUser)}
            </dd>
            <dt>{t.licence.destination}</dt>
            <dd>{l.destination}</dd>
            <dt>{t.licence.validity}</dt>
            <dd>{t.licence.validityOf(l.validFrom, l.validUntil, l.type)}</dd>
            <dt>{t.licence.prohibited}</dt>
            <dd>
              {l.prohibitedReexportDestinations.length
                ? l.prohibitedReexportDestinations.join(', ')
                : t.licence.noneNamed}
            </dd>
            <dt>{t.licence.useOnlyIn}</dt>
            <dd>{l.useOnlyIn ?? '—'}</dd>
            <dt>{t.licence.binds}</dt>
            <dd>{l.extendsToIncorporatingProducts ? t.licence.yes : t.licence.no}</dd>
            <dt>{t.licence.reportingDuties}</dt>
            <dd>
              {l.reportingDuties.length
                ? l.reportingDuties.map((r) => t.licence.duty(r.kind, r.withinDays, r.to)).join('; ')
                : t.licence.none}
            </dd>
            <dt>{t.licence.certificate}</dt>
            <dd>{l.certificateId ?? '—'}</dd>
          </dl>
          {l.conditions.length > 0 ? (
            <ul className="reasons">
              {l.conditions.map((c, i) => (
                <li key={i}>{c}</li>
              ))}
            </ul>
          ) : null}
        </Section>
        <Section title={t.licences.utilisation} id="utilisation">
          <div className="scroll-x" role="region" aria-label={t.licence.utilisationRegion} tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t.licence.line}</th>
                  <th scope="col" className="num">
                    {t.licence.shipped}
                  </th>
                  <th scope="col" className="num">
                    {t.licence.ceiling}
                  </th>
                  <th scope="col" className="num">
                    {t.licence.used}
                  </th>
                  <th scope="col" className="num">
                    {t.licence.valueShipped}
                  </th>
                  <th scope="col" className="num">
                    {t.licence.shipments}
                  </th>
                </tr>
              </thead>
              <tbody>
                {balance.map((b) => (
                  <tr key={b.ref}>
                    <td>{b.ref}</td>
                    <td className="num">{mass(b.shippedGrams)}</td>
                    <td className="num">{mass(b.ceilingGrams)}</td>
                    <td className="num">{percent(b.shippedGrams, b.ceilingGrams)}</td>
                    <td className="num">
                      {b.currency !== undefined && b.ceilingValueMinor !== undefined
                        ? t.licence.valueOf(
                            money({ currency: b.currency, minor: b.shippedValueMinor ?? 0 }),
                            money({ currency: b.currency, minor: b.ceilingValueMinor }),
                          )
                        : '—'}
                    </td>
                    <td className="num">{b.shipments}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {act.loading ? <Loading what={t.licence.drawdownsLoading} /> : null}
          {act.error && !hidden(act.error) ? <ErrorBox error={act.error} title={t.licence.drawdownsFailed} /> : null}
          {act.error && hidden(act.error) ? (
            holderRole ? (
              <HeldUnderLicence licenceId={l.id} />
            ) : (
              <Empty>{t.licence.utilisationHidden}</Empty>
            )
          ) : null}
          {act.data ? (
            <UtilisationChart
              drawdowns={act.data.drawdowns}
              ceiling={balance.reduce((a, b) => a + b.ceilingGrams, 0)}
            />
          ) : null}
        </Section>
      </div>

      <Section title={t.licence.custodyChain} id="flow">
        {act.loading ? <Loading what={t.licence.custodyLoading} /> : null}
        {act.error && hidden(act.error) ? (
          <Empty>
            {t.licence.custodyHidden}
            {holderRole ? t.licence.custodyUnderHoldings : ''}.
          </Empty>
        ) : null}
        {act.data ? (
          act.data.graph.nodes.length === 0 ? (
            <Empty>{t.licence.nothingMoved}</Empty>
          ) : (
            <FlowPicture graph={act.data.graph} refused={refused} />
          )
        ) : null}
      </Section>

      <Section title={t.licence.refusedExports} id="refused">
        {alerts.loading ? <Loading what={t.licence.refusedLoading} /> : null}
        {alerts.data && refused.length === 0 ? <Empty>{t.licence.noRefused}</Empty> : null}
        {refused.length > 0 ? (
          <ul className="plain">
            {refused.map((r) => (
              <li key={r.alertId} className="refused-item">
                <Badge tone="bad">{t.licence.refused}</Badge> <strong>{r.shipmentId}</strong>:{' '}
                {t.licence.fromLotTo(r.fromLot, r.toName, r.country)}{' '}
                <span className="explanation">{r.explanation}</span>
              </li>
            ))}
          </ul>
        ) : null}
        {act.data ? <ExportCheck graph={act.data.graph} parties={parties.data ?? []} /> : null}
      </Section>

      <Section
        title={t.licence.massBalance}
        id="mass-balance"
        aside={
          mb.data ? (
            <CsvButton api={api} path={`/v1/licences/${enc}/mass-balance?format=csv`} filename={`mass-balance-${id}`} />
          ) : undefined
        }
      >
        {mb.loading ? <Loading what={t.licence.massBalanceLoading} /> : null}
        {mb.error ? (
          hidden(mb.error) ? (
            <Empty>{t.licence.massBalanceHidden}</Empty>
          ) : (
            <ErrorBox error={mb.error} title={t.licence.massBalanceFailed} />
          )
        ) : null}
        {mb.data ? (
          <>
            <div className="scroll-x" role="region" aria-label={t.licence.massBalanceRegion} tabIndex={0}>
              <table>
                <caption>{t.licence.massBalanceCaption}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t.licence.holder}</th>
                    <th scope="col" className="num">
                      {t.licence.received}
                    </th>
                    <th scope="col" className="num">
                      {t.licence.transformedIn}
                    </th>
                    <th scope="col" className="num">
                      {t.licence.shipped}
                    </th>
                    <th scope="col" className="num">
                      {t.licence.transformedOut}
                    </th>
                    <th scope="col" className="num">
                      {t.licence.consumed}
                    </th>
                    <th scope="col" className="num">
                      {t.licence.onHand}
                    </th>
                    <th scope="col" className="num">
                      {t.licence.gap}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {mb.data.holders.map((h) => (
                    <tr key={h.holder} className={h.gap !== 0 ? 'gap' : undefined}>
                      <td>{h.holder}</td>
                      <td className="num">{h.received.toLocaleString('en-GB')}</td>
                      <td className="num">{h.transformedIn.toLocaleString('en-GB')}</td>
                      <td className="num">{h.shipped.toLocaleString('en-GB')}</td>
                      <td className="num">{h.transformedOut.toLocaleString('en-GB')}</td>
                      <td className="num">{h.consumed.toLocaleString('en-GB')}</td>
                      <td className="num">{h.onHand.toLocaleString('en-GB')}</td>
                      <td className="num">
                        {h.gap === 0 ? '0' : <Badge tone="bad">{h.gap.toLocaleString('en-GB')}</Badge>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="muted">
              {t.licence.inTransit(mass(mb.data.inTransitGrams), mass(mb.data.receiptDiscrepancyGrams))}
            </p>
          </>
        ) : null}
      </Section>

      <Section title={t.alerts.title} id="alerts">
        {alerts.loading ? <Loading what={t.alerts.loading} /> : null}
        {alerts.error ? (
          hidden(alerts.error) ? (
            <Empty>{t.licence.alertsHidden}</Empty>
          ) : (
            <ErrorBox error={alerts.error} title={t.alerts.loadFailed} />
          )
        ) : null}
        {alerts.data && alerts.data.length === 0 ? <Empty>{t.licence.noAlerts}</Empty> : null}
        {alerts.data?.map((a) => (
          <AlertItem key={a.id} a={a} />
        ))}
      </Section>
    </div>
  );
}

/** Refused dispatches the monitor recorded (transshipment alerts raised on a refused attempt), with their explanation. */
function refusedAttempts(
  alerts: readonly Alert[],
  parties: readonly { id: string; name: string; country: string }[],
): RefusedAttempt[] {
  const out: RefusedAttempt[] = [];
  for (const a of alerts) {
    const attempt = a.evidence.records.find((r) => r.startsWith('attempted shipment '));
    if (attempt === undefined) continue;
    const fromLot = a.evidence.records.find((r) => r.startsWith('lot '))?.slice(4) ?? '';
    const shipmentId = attempt.slice('attempted shipment '.length);
    // One refused attempt is one chain, however many alerts (rules, rescans) cite it: shown once.
    if (out.some((o) => o.shipmentId === shipmentId && o.fromLot === fromLot)) continue;
    const to = a.parties[1] ?? '';
    const p = parties.find((x) => x.id === to);
    const dest = /destination [^(]*\(([A-Z]{2})\)/.exec(a.explanation)?.[1];
    out.push({
      alertId: a.id,
      shipmentId,
      fromLot,
      to,
      toName: p?.name ?? to,
      country: dest ?? p?.country ?? '??',
      explanation: a.explanation,
    });
  }
  return out;
}

function UtilisationChart({ drawdowns, ceiling }: { drawdowns: readonly Drawdown[]; ceiling: number }) {
  if (drawdowns.length === 0) return <Empty>{t.licence.nothingShipped}</Empty>;
  const W = 560,
    H = 220,
    L = 64,
    R = 16,
    T = 14,
    B = 46;
  const pts: { x: number; cum: number; d?: Drawdown }[] = [{ x: 0, cum: 0 }];
  let cum = 0;
  drawdowns.forEach((d, i) => {
    cum += d.grams;
    pts.push({ x: i + 1, cum, d });
  });
  const max = Math.max(ceiling, cum) || 1;
  const sx = (x: number) => L + (x / drawdowns.length) * (W - L - R);
  const sy = (g: number) => T + (1 - g / max) * (H - T - B);
  const path = pts.map((p, i) => (i === 0 ? `M${sx(p.x)},${sy(p.cum)}` : `H${sx(p.x)}V${sy(p.cum)}`)).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="util-title util-desc" data-testid="utilisation-chart">
        <title id="util-title">{t.licence.chartTitle}</title>
        <desc id="util-desc">{t.licence.chartDesc(mass(cum), mass(ceiling), drawdowns.length)}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={L} x2={W - R} y1={sy(t)} y2={sy(t)} className="grid" />
            <text x={L - 6} y={sy(t) + 4} textAnchor="end" className="axis">
              {mass(t)}
            </text>
          </g>
        ))}
        {ceiling > 0 ? (
          <g>
            <line x1={L} x2={W - R} y1={sy(ceiling)} y2={sy(ceiling)} className="ceiling" />
            <text x={W - R} y={sy(ceiling) - 4} textAnchor="end" className="axis ceiling-label">
              {t.licence.ceilingAt(mass(ceiling))}
            </text>
          </g>
        ) : null}
        <path d={path} className="drawn" />
        {pts.slice(1).map((p) => (
          <g key={p.x}>
            <circle cx={sx(p.x)} cy={sy(p.cum)} r={4} className="dot">
              <title>
                {t.licence.point(p.d?.shipmentId ?? '', p.d?.shippedOn ?? '', mass(p.d?.grams ?? 0), mass(p.cum))}
              </title>
            </circle>
            <text x={sx(p.x)} y={H - B + 16} textAnchor="middle" className="axis">
              {p.d?.shipmentId.replace(/^.*-/, '#')}
            </text>
            <text x={sx(p.x)} y={H - B + 30} textAnchor="middle" className="axis muted">
              {p.d?.shippedOn.slice(5)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>{t.licence.chartCaption}</figcaption>
      <div className="scroll-x" role="region" aria-label={t.licence.drawdownsRegion} tabIndex={0}>
        <table className="compact">
          <caption className="sr-only">{t.licence.drawdowns}</caption>
          <thead>
            <tr>
              <th scope="col">{t.licence.shipment}</th>
              <th scope="col">{t.licence.shippedOn}</th>
              <th scope="col">{t.licence.to}</th>
              <th scope="col" className="num">
                {t.licence.grams}
              </th>
              <th scope="col">{t.licence.status}</th>
            </tr>
          </thead>
          <tbody>
            {drawdowns.map((d) => (
              <tr key={d.shipmentId}>
                <td>{d.shipmentId}</td>
                <td>{d.shippedOn}</td>
                <td>
                  {d.to} ({d.destination})
                </td>
                <td className="num">{d.grams.toLocaleString('en-GB')}</td>
                <td>{d.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

/** "May this lot go to this party in this country?" — the API's export check, with its explanation. */
function ExportCheck({
  graph,
  parties,
}: {
  graph: CustodyGraph;
  parties: readonly { id: string; name: string; country: string }[];
}) {
  const lots = graph.nodes
    .filter((n) => n.kind === 'lot' && n.heldGrams > 0)
    .map((n) => ({ id: n.id, label: `${n.id} (${n.holder}, ${n.country})` }));
  const check = useExportCheck(lots, parties);
  const { result, error } = check;
  if (lots.length === 0) return null;
  return (
    <form className="export-check" onSubmit={(e) => void check.submit(e)} aria-labelledby="xc-h">
      <h3 id="xc-h">{t.licence.checkReexport}</h3>
      <ExportCheckFields
        check={check}
        lots={lots}
        parties={parties}
        destinationLabel={t.licence.destination}
        destinationPlaceholder={t.licence.partysCountry}
      />
      {error ? <ErrorBox error={error} title={t.holdings.checkFailed} /> : null}
      {result ? (
        <div className={result.allowed ? 'success' : 'refusal'} role="status" data-testid="export-check-result">
          {result.allowed ? (
            <>
              <Badge tone="ok">{t.holdings.allowed}</Badge> {result.checks.join('; ')}
            </>
          ) : (
            <>
              <Badge tone="bad">{t.holdings.refused}</Badge>
              <ul>
                {result.refusals.map((r, i) => (
                  <li key={i}>
                    <code>{r.rule}</code>: <span className="explanation">{r.message}</span>
                    {r.chain ? <span className="muted"> {t.holdings.via(r.chain.join(' ← '))}</span> : null}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      ) : null}
    </form>
  );
}
