import { useSession } from '../session.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorBox, Loading, useLoad } from '../ui.js';

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
          {a.assignment ? ` · assigned to ${a.assignment.to}` : ''}
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
        <summary>
          Evidence ({a.evidence.records.length} records, journal entries {a.evidence.seqs.join(', ') || '—'})
        </summary>
        <ul>
          {a.evidence.records.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
        <p className="muted small">
          Thresholds: {(a.thresholdsInWords ?? []).join('; ') || 'none'} · rule set {a.ruleSet} · trigger {a.trigger} ·
          raised by {a.raisedBy} at {a.raisedAt}
        </p>
        {a.resolution ? (
          <p>
            {a.status === 'dismissed' ? 'Dismissed' : 'Resolved'} by {a.resolution.by}: {a.resolution.note}
          </p>
        ) : null}
      </details>
    </article>
  );
}

export function AlertsScreen() {
  const { api } = useSession();
  const q = useLoad(() => api.get<Alert[]>('/v1/console/alerts'), []);
  return (
    <div className="page">
      <h1>Alerts</h1>
      {q.loading ? <Loading what="alerts" /> : null}
      {q.error ? <ErrorBox error={q.error} title="Could not load alerts" /> : null}
      {q.data && q.data.length === 0 ? <Empty>No alerts on your licences.</Empty> : null}
      {q.data && q.data.length > 0 ? (
        <div className="card">
          {q.data.map((a) => (
            <AlertItem key={a.id} a={a} showLicence />
          ))}
        </div>
      ) : null}
    </div>
  );
}
