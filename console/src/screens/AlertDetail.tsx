import { useState } from 'react';
import { useSession } from '../session.js';
import { ApiError } from '../api.js';
import { Link } from '../router.js';
import { t } from '../strings.js';
import { Badge, ErrorBox, Loading, Section, useLoad } from '../ui.js';
import type { Alert } from './Alerts.js';

const tone = (s: Alert['severity']) => (s === 'critical' || s === 'high' ? 'bad' : s === 'warning' ? 'warn' : 'info');

/**
 * One alert, and working it: assign it to a person, resolve it with a note on what was found and
 * done, or dismiss it as no concern with the reason — each a journal record signed in this browser.
 */
export function AlertDetailScreen({ id }: { id: string }) {
  const { api, me } = useSession();
  const enc = encodeURIComponent(id);
  const q = useLoad(() => api.get<Alert>(`/v1/alerts/${enc}`), [id]);
  const [assignee, setAssignee] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const act = async (label: string, path: string, body: Record<string, string>, said: string) => {
    setBusy(label);
    setError(undefined);
    setDone(undefined);
    try {
      const r = await api.record<{ seq: number }>(`/v1/alerts/${enc}/${path}`, body);
      setDone(t.alert.recorded(said, r.seq));
      q.reload();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(undefined);
    }
  };
  if (q.loading && !q.data)
    return (
      <div className="page">
        <h1>{t.alert.title(id)}</h1>
        <Loading what={t.alert.loading} />
      </div>
    );
  if (q.error || !q.data)
    return (
      <div className="page">
        <h1>{t.alert.title(id)}</h1>
        <ErrorBox
          error={q.error ?? new Error('no data')}
          title={q.error instanceof ApiError && q.error.problem.status === 404 ? t.alert.notFound : t.alert.loadFailed}
        />
      </div>
    );
  const a = q.data;
  const authority = me.role === 'licensing-authority';
  return (
    <div className="page">
      <p className="muted small">
        {authority ? <Link to="/alerts">{t.alert.back}</Link> : <Link to="/holdings">{t.alert.backHoldings}</Link>}
      </p>
      <h1>
        <Badge tone={tone(a.severity)}>{a.severity}</Badge> {a.rule}{' '}
        <Badge tone={a.status === 'open' ? 'warn' : 'ok'}>{a.status}</Badge>
      </h1>
      <div className="grid2">
        <Section title={t.alert.found} id="finding">
          <p className="explanation">{a.explanation}</p>
          <dl className="kv">
            <dt>{t.alert.alert}</dt>
            <dd className="mono">{a.id}</dd>
            <dt>{t.alert.licence}</dt>
            <dd>
              {a.licenceId ? <Link to={`/licences/${encodeURIComponent(a.licenceId)}`}>{a.licenceId}</Link> : '—'}
            </dd>
            <dt>{t.alert.parties}</dt>
            <dd>{a.parties.join(', ') || '—'}</dd>
            <dt>{t.alert.raised}</dt>
            <dd>{t.alert.raisedAt(a.raisedAt.slice(0, 16).replace('T', ' '), a.raisedBy, a.trigger, a.seq)}</dd>
            <dt>{t.alert.ruleSet}</dt>
            <dd>{a.ruleSet}</dd>
            <dt>{t.alert.assignedTo}</dt>
            <dd data-testid="alert-assignee">
              {a.assignment ? t.alert.assignment(a.assignment.to, a.assignment.by, a.assignment.seq) : t.alert.nobody}
            </dd>
            {a.resolution ? (
              <>
                <dt>{a.status === 'dismissed' ? t.alert.dismissed : t.alert.resolved}</dt>
                <dd data-testid="alert-resolution">
                  {t.alert.resolution(a.resolution.by, a.resolution.seq, a.resolution.note)}
                </dd>
              </>
            ) : null}
          </dl>
          <h3>{t.alert.thresholds}</h3>
          <ul data-testid="alert-thresholds">
            {(a.thresholdsInWords ?? []).map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        </Section>
        <Section title={t.alert.evidence} id="evidence">
          <p className="small">{t.alert.entries(a.evidence.seqs.join(', ') || '—')}</p>
          <ul>
            {a.evidence.records.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </Section>
      </div>
      {authority && a.status === 'open' ? (
        <Section title={t.alert.work} id="work">
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (assignee.trim() === '') {
                setError(new Error(t.alert.sayWho));
                return;
              }
              void act('assign', 'assign', { assignee: assignee.trim() }, t.alert.assignedDone(assignee.trim()));
            }}
          >
            <label htmlFor="alert-assignee-input">{t.alert.assignTo}</label>
            <input
              id="alert-assignee-input"
              value={assignee}
              onChange={(e) => setAssignee(e.target.value)}
              autoComplete="name"
            />
            <button type="submit" className="btn btn-plain" disabled={busy !== undefined} aria-busy={busy === 'assign'}>
              {busy === 'assign' ? t.alert.assigning : t.alert.assign}
            </button>
          </form>
          <form
            className="decision-form"
            onSubmit={(e) => {
              e.preventDefault();
            }}
          >
            <label htmlFor="alert-note">{t.alert.note}</label>
            <textarea id="alert-note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
            <div className="actions">
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy !== undefined}
                aria-busy={busy === 'resolve'}
                onClick={() => {
                  if (note.trim() === '') {
                    setError(new Error(t.alert.sayWhat));
                    return;
                  }
                  void act('resolve', 'resolve', { note: note.trim() }, t.alert.resolved);
                }}
              >
                {busy === 'resolve' ? t.alert.resolving : t.alert.resolve}
              </button>
              <button
                type="button"
                className="btn btn-danger"
                disabled={busy !== undefined}
                aria-busy={busy === 'dismiss'}
                onClick={() => {
                  if (note.trim() === '') {
                    setError(new Error(t.alert.sayWhy));
                    return;
                  }
                  void act('dismiss', 'dismiss', { reason: note.trim() }, t.alert.dismissed);
                }}
              >
                {busy === 'dismiss' ? t.alert.dismissing : t.alert.dismiss}
              </button>
            </div>
          </form>
        </Section>
      ) : authority ? null : (
        <p className="muted small" data-testid="alert-read-only">
          {t.alert.readOnly}
        </p>
      )}
      {done ? (
        <p className="success" role="status" data-testid="alert-action-done">
          {done}
        </p>
      ) : null}
      {error ? <ErrorBox error={error} title={t.alert.nothingRecorded} /> : null}
    </div>
  );
}
