import { useSession } from '../session.js';
import { Link } from '../router.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, ListControls, Loading, Pager, useList } from '../ui.js';

export interface Alert {
  id: string;
  seq: number;
  rule: string;
  severity: 'info' | 'warning' | 'high' | 'critical';
  licenceId?: string;
  parties: string[];
  explanation: string;
  evidence: { seqs: number[]; records: string[] };
  thresholds: Record<string, unknown>;
  /** The thresholds in words ("within 14 days"). */
  thresholdsInWords?: string[];
  ruleSet: string;
  trigger: string;
  raisedBy: string;
  raisedAt: string;
  status: 'open' | 'resolved' | 'dismissed';
  resolution?: { by: string; note: string; seq: number };
  assignment?: { to: string; by: string; seq: number };
}

const tone = (s: Alert['severity']) => (s === 'critical' || s === 'high' ? 'bad' : s === 'warning' ? 'warn' : 'info');

export function AlertItem({ a, showLicence }: { a: Alert; showLicence?: boolean }) {
  return (
    <article className="alert-item" aria-labelledby={`${a.id}-h`}>
      <h3 id={`${a.id}-h`}>
        <Badge tone={tone(a.severity)}>{a.severity}</Badge> {a.rule}{' '}
        <span className="muted small">
          <Link to={`/alerts/${encodeURIComponent(a.id)}`}>{a.id}</Link> · {a.status}
          {a.assignment ? t.alerts.assignedTo(a.assignment.to) : ''}
        </span>
        {showLicence && a.licenceId ? (
          <>
            {' '}
            · <Link to={`/licences/${encodeURIComponent(a.licenceId)}`}>{a.licenceId}</Link>
          </>
        ) : null}
      </h3>
      <p className="explanation">{a.explanation}</p>
      <details>
        <summary>{t.alerts.evidence(a.evidence.records.length, a.evidence.seqs.join(', ') || '—')}</summary>
        <ul>
          {a.evidence.records.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
        <p className="muted small">
          {t.alerts.provenance(
            (a.thresholdsInWords ?? []).join('; ') || t.alerts.noThresholds,
            a.ruleSet,
            a.trigger,
            a.raisedBy,
            a.raisedAt,
          )}
        </p>
        {a.resolution ? (
          <p>{t.alerts.resolution(a.status === 'dismissed', a.resolution.by, a.resolution.note)}</p>
        ) : null}
      </details>
    </article>
  );
}

export function AlertsScreen() {
  const { api } = useSession();
  const list = useList<Alert>(api, '/v1/console/alerts', {
    sort: 'raised',
    order: 'desc',
    limit: 25,
    filters: { severity: '', status: '' },
  });
  const { page } = list;
  const filtered = list.state.q !== '' || Object.values(list.state.filters).some((v) => v !== '');
  return (
    <div className="page">
      <h1>{t.alerts.title}</h1>
      <ListControls
        label={t.alerts.search}
        list={list}
        sorts={[
          { value: 'raised', label: t.alerts.sortRaised },
          { value: 'severity', label: t.alerts.sortSeverity },
          { value: 'rule', label: t.alerts.sortRule },
          { value: 'licence', label: t.alerts.sortLicence },
        ]}
        filters={[
          {
            name: 'severity',
            label: t.alerts.atLeast,
            options: [
              { value: '', label: t.list.any },
              { value: 'warning', label: t.alerts.warning },
              { value: 'high', label: t.alerts.high },
              { value: 'critical', label: t.alerts.critical },
            ],
          },
          {
            name: 'status',
            label: t.alerts.status,
            options: [
              { value: '', label: t.list.any },
              { value: 'open', label: t.alerts.open },
              { value: 'resolved', label: t.alerts.resolved },
            ],
          },
        ]}
        csv={{ api, filename: 'alerts' }}
      />
      {page.loading && !page.data ? <Loading what={t.alerts.loading} /> : null}
      {page.error ? <ErrorBox error={page.error} title={t.alerts.loadFailed} /> : null}
      {page.data && page.data.total === 0 ? <Empty>{filtered ? t.alerts.noneMatch : t.alerts.none}</Empty> : null}
      {page.data && page.data.items.length > 0 ? (
        <div className="card">
          {page.data.items.map((a) => (
            <AlertItem key={a.id} a={a} showLicence />
          ))}
        </div>
      ) : null}
      {page.data && page.data.total > 0 ? <Pager list={list} total={page.data.total} /> : null}
    </div>
  );
}
