import { ExportCheckFields, useExportCheck } from '../export-check.js';
import { useSession } from '../session.js';
import { Link } from '../router.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, Loading, mass, Section, useLoad } from '../ui.js';
import { AlertItem, type Alert } from './Alerts.js';

export interface HeldRestriction {
  licenceId: string;
  authority: string;
  certificateId?: string;
  endUser: string;
  prohibitedDestinations: string[];
  useOnlyIn?: string;
  extendsToProducts: boolean;
  licensedGrams: number;
  licensedValueMinor?: number;
  currency?: string;
  massSharePpm: number;
  valueSharePpm?: number;
  chain: string[];
  clauses: string[];
  certificateRevoked?: { seq: number; reason: string };
}
export interface HeldLot {
  id: string;
  holder: string;
  location: string;
  item: { description?: string; form?: string };
  massGrams: number;
  units?: number;
  valueMinor?: number;
  currency?: string;
  restrictions: HeldRestriction[];
}
interface Holdings {
  lots: HeldLot[];
  alerts: Alert[];
}
interface CertSummary {
  id: string;
  status: string;
  issuer: string;
  exporter: string;
  endUser: string;
  countersignedBy: string | null;
  validUntil: string;
}
interface Party {
  id: string;
  name: string;
  country: string;
}

/** A share in ppm as a percentage ("37.5 %"). */
export const percent = (ppm: number): string =>
  `${(ppm / 10_000).toLocaleString('en-GB', { maximumFractionDigits: 2 })} %`;

/** Minor units with their currency ("USD 96,000.00"). */
export const money = (minor: number, currency: string): string =>
  `${currency} ${(minor / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** One restriction a lot carries: whose licence, how much of the lot it is, what it forbids, how it came here. */
export function RestrictionCard({ r }: { r: HeldRestriction }) {
  return (
    <li className="restriction" data-testid="restriction">
      <p>
        <strong>
          {t.holdings.licence} <Link to={`/licences/${encodeURIComponent(r.licenceId)}`}>{r.licenceId}</Link>
        </strong>{' '}
        {t.holdings.of(r.authority)}
        {r.certificateId ? (
          <>
            {' '}
            · {t.holdings.certificate}{' '}
            <Link to={`/certificates/${encodeURIComponent(r.certificateId)}`}>{r.certificateId}</Link>
          </>
        ) : null}
        {r.certificateRevoked ? (
          <>
            {' '}
            <Badge tone="bad">{t.holdings.certificateRevoked}</Badge>
          </>
        ) : null}
      </p>
      <p data-testid="restriction-share">
        {t.holdings.share(mass(r.licensedGrams), percent(r.massSharePpm))}
        {r.valueSharePpm !== undefined ? t.holdings.byValue(percent(r.valueSharePpm)) : ''}
        {r.licensedValueMinor !== undefined && r.currency ? ` (${money(r.licensedValueMinor, r.currency)})` : ''}.
      </p>
      <p className="restriction-summary" data-testid="restriction-summary">
        {r.prohibitedDestinations.length > 0 ? t.holdings.neverTo(r.prohibitedDestinations.join(', ')) : ''}
        {r.useOnlyIn ? t.holdings.usedOnlyIn(r.useOnlyIn) : ''}
        {r.extendsToProducts ? t.holdings.binds : ''}
      </p>
      {r.certificateRevoked ? (
        <p className="refusal">{t.holdings.revoked(r.certificateRevoked.seq, r.certificateRevoked.reason)}</p>
      ) : null}
      <details>
        <summary>{t.holdings.clauses(r.clauses.length)}</summary>
        <ul className="clauses">
          {r.clauses.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
      </details>
      <p className="muted small" data-testid="restriction-chain">
        {t.holdings.cameThrough(r.chain.join(' ← '))}
      </p>
    </li>
  );
}

/** "May I ship this lot to this party in this country?" — the API's export check, with its explanation. */
export function ShipCheck({ lots, parties }: { lots: readonly HeldLot[]; parties: readonly Party[] }) {
  const { me } = useSession();
  const others = parties.filter((p) => p.id !== me.partyId);
  const choices = lots.map((l) => ({ id: l.id, label: `${l.id} (${mass(l.massGrams)})` }));
  const check = useExportCheck(choices, others);
  const { result, error, asked } = check;
  if (lots.length === 0) return <Empty>{t.holdings.noLotToShip}</Empty>;
  return (
    <form className="export-check" onSubmit={(e) => void check.submit(e)} aria-labelledby="ship-check-h">
      <h3 id="ship-check-h">{t.holdings.mayIShip}</h3>
      <ExportCheckFields
        check={check}
        lots={choices}
        parties={others}
        destinationLabel={t.holdings.country}
        destinationPlaceholder={t.holdings.partys}
      />
      {error ? <ErrorBox error={error} title={t.holdings.checkFailed} /> : null}
      {result ? (
        <div className={result.allowed ? 'success' : 'refusal'} role="status" data-testid="ship-check-result">
          <p>
            {result.allowed ? (
              <Badge tone="ok">{t.holdings.allowed}</Badge>
            ) : (
              <Badge tone="bad">{t.holdings.refused}</Badge>
            )}{' '}
            {asked}
          </p>
          {result.allowed ? (
            <ul>
              {result.checks.map((c, i) => (
                <li key={i}>{c}</li>
              ))}
            </ul>
          ) : (
            <ul>
              {result.refusals.map((r, i) => (
                <li key={i}>
                  <code>{r.rule}</code>: <span className="explanation">{r.message}</span>
                  {r.chain ? <span className="muted"> {t.holdings.via(r.chain.join(' ← '))}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </form>
  );
}

/** A holder's screen: the lots it holds with their restrictions, the shipping check, its certificates and its alerts. */
export function HoldingsScreen() {
  const { api, me } = useSession();
  const h = useLoad(() => api.get<Holdings>('/v1/console/holdings'), []);
  const certs = useLoad(() => api.get<CertSummary[]>('/v1/console/certificates'), []);
  const parties = useLoad(() => api.get<Party[]>('/v1/parties'), []);
  const held = (h.data?.lots ?? []).filter((l) => l.massGrams > 0);
  return (
    <div className="page">
      <h1>{t.holdings.title(me.party?.name ?? me.partyId ?? '')}</h1>
      {h.loading ? <Loading what={t.holdings.yourLots} /> : null}
      {h.error ? <ErrorBox error={h.error} title={t.holdings.lotsFailed} /> : null}
      {h.data ? (
        <Section title={t.holdings.lotsYouHold(held.length)} id="lots">
          {held.length === 0 ? <Empty>{t.holdings.noLot}</Empty> : null}
          {held.map((l) => (
            <article key={l.id} className="held-lot" id={`lot-${l.id}`} aria-labelledby={`lot-${l.id}-h`}>
              <h3 id={`lot-${l.id}-h`}>
                <span className="mono">{l.id}</span> · {l.item.description ?? l.item.form ?? t.holdings.material} ·{' '}
                {mass(l.massGrams)}
                {l.units !== undefined ? ` ${t.holdings.units(l.units.toLocaleString('en-GB'))}` : ''}{' '}
                {t.holdings.in(l.location)}
                {l.valueMinor !== undefined && l.currency ? ` · ${money(l.valueMinor, l.currency)}` : ''}{' '}
                {l.restrictions.length === 0 ? (
                  <Badge tone="ok">{t.holdings.noRestriction}</Badge>
                ) : (
                  <Badge tone="warn">{t.holdings.restrictions(l.restrictions.length)}</Badge>
                )}
              </h3>
              {l.restrictions.length > 0 ? (
                <ul className="restrictions">
                  {l.restrictions.map((r) => (
                    <RestrictionCard key={r.licenceId} r={r} />
                  ))}
                </ul>
              ) : null}
            </article>
          ))}
          {parties.data ? <ShipCheck lots={held} parties={parties.data} /> : null}
        </Section>
      ) : null}
      <div className="grid2">
        <Section title={t.holdings.yourCertificates} id="my-certificates">
          {certs.loading ? <Loading what={t.holdings.certificates} /> : null}
          {certs.error ? <ErrorBox error={certs.error} title={t.holdings.certificatesFailed} /> : null}
          {certs.data && certs.data.length === 0 ? <Empty>{t.certificates.none}</Empty> : null}
          {certs.data && certs.data.length > 0 ? (
            <ul>
              {certs.data.map((c) => (
                <li key={c.id}>
                  <Link to={`/certificates/${encodeURIComponent(c.id)}`}>{c.id}</Link>{' '}
                  <Badge tone={c.status === 'active' ? 'ok' : 'bad'}>{c.status}</Badge>{' '}
                  {t.holdings.certificateLine(c.endUser, c.exporter, c.countersignedBy, c.validUntil)}
                </li>
              ))}
            </ul>
          ) : null}
        </Section>
        <Section title={t.holdings.alerts(h.data?.alerts.length ?? 0)} id="my-alerts">
          {h.data && h.data.alerts.length === 0 ? <Empty>{t.holdings.noAlerts}</Empty> : null}
          {h.data?.alerts.map((a) => (
            <AlertItem key={a.id} a={a} showLicence />
          ))}
        </Section>
      </div>
    </div>
  );
}

/** On a licence page, for a party that is neither its authority nor its holder: the lots it holds under the licence. */
export function HeldUnderLicence({ licenceId }: { licenceId: string }) {
  const { api } = useSession();
  const h = useLoad(() => api.get<Holdings>('/v1/console/holdings'), []);
  if (h.loading) return <Loading what={t.holdings.underLicenceLoading} />;
  if (h.error) return <ErrorBox error={h.error} title={t.holdings.lotsFailed} />;
  const lots = (h.data?.lots ?? []).filter(
    (l) => l.massGrams > 0 && l.restrictions.some((r) => r.licenceId === licenceId),
  );
  return (
    <div data-testid="held-under-licence">
      {lots.length === 0 ? (
        <Empty>{t.holdings.noneUnderLicence}</Empty>
      ) : (
        <ul>
          {lots.map((l) => {
            const r = l.restrictions.find((x) => x.licenceId === licenceId);
            return (
              <li key={l.id}>
                <span className="mono">{l.id}</span>:{' '}
                {t.holdings.heldUnder(
                  mass(l.massGrams),
                  l.location,
                  mass(r?.licensedGrams ?? 0),
                  percent(r?.massSharePpm ?? 0),
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p className="small">
        <Link to="/holdings">{t.holdings.yourHoldings}</Link> {t.holdings.yourHoldingsShow}
      </p>
    </div>
  );
}
