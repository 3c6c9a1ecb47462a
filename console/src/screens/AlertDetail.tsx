import { useState } from 'react';
import { useSession } from '../session.js';
import { ApiError } from '../api.js';
import { Link } from '../router.js';
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
      setDone(`${said} (journal entry ${r.seq}).`);
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
        <h1>Alert {id}</h1>
        <Loading what="the alert" />
      </div>
    );
  if (q.error || !q.data)
    return (
      <div className="page">
        <h1>Alert {id}</h1>
        <ErrorBox
          error={q.error ?? new Error('no data')}
          title={
            q.error instanceof ApiError && q.error.problem.status === 404
              ? 'No such alert for your party'
              : 'Could not load the alert'
          }
        />
      </div>
    );
  const a = q.data;
  const authority = me.role === 'licensing-authority';
  return (
    <div className="page">
      <p className="muted small">
        {authority ? <Link to="/alerts">← Alerts</Link> : <Link to="/holdings">← Holdings</Link>}
      </p>
      <h1>
        <Badge tone={tone(a.severity)}>{a.severity}</Badge> {a.rule}{' '}
        <Badge tone={a.status === 'open' ? 'warn' : 'ok'}>{a.status}</Badge>
      </h1>
      <div className="grid2">
        <Section title="What was found" id="finding">
          <p className="explanation">{a.explanation}</p>
          <dl className="kv">
            <dt>Alert</dt>
            <dd className="mono">{a.id}</dd>
            <dt>Licence</dt>
            <dd>
              {a.licenceId ? <Link to={`/licences/${encodeURIComponent(a.licenceId)}`}>{a.licenceId}</Link> : '—'}
            </dd>
            <dt>Parties</dt>
            <dd>{a.parties.join(', ') || '—'}</dd>
            <dt>Raised</dt>
            <dd>
              {a.raisedAt.slice(0, 16).replace('T', ' ')} UTC by {a.raisedBy}, on {a.trigger} (journal entry {a.seq})
            </dd>
            <dt>Rule set</dt>
            <dd>{a.ruleSet}</dd>
            <dt>Assigned to</dt>
            <dd data-testid="alert-assignee">
              {a.assignment
                ? `${a.assignment.to} (by ${a.assignment.by}, journal entry ${a.assignment.seq})`
                : 'nobody'}
            </dd>
            {a.resolution ? (
              <>
                <dt>{a.status === 'dismissed' ? 'Dismissed' : 'Resolved'}</dt>
                <dd data-testid="alert-resolution">
                  by {a.resolution.by} (journal entry {a.resolution.seq}): {a.resolution.note}
                </dd>
              </>
            ) : null}
          </dl>
          <h3>Thresholds applied</h3>
          <ul data-testid="alert-thresholds">
            {(a.thresholdsInWords ?? []).map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        </Section>
        <Section title="Evidence" id="evidence">
          <p className="small">Journal entries {a.evidence.seqs.join(', ') || '—'}</p>
          <ul>
            {a.evidence.records.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </Section>
      </div>
      {authority && a.status === 'open' ? (
        <Section title="Work this alert" id="work">
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (assignee.trim() === '') {
                setError(new Error('say who works the alert (a name or e-mail)'));
                return;
              }
              void act('assign', 'assign', { assignee: assignee.trim() }, `Assigned to ${assignee.trim()}`);
            }}
          >
            <label htmlFor="alert-assignee-input">Assign to</label>
            <input
              id="alert-assignee-input"
              value={assignee}
              onChange={(e) => setAssignee(e.target.value)}
              autoComplete="name"
            />
            <button type="submit" className="btn btn-plain" disabled={busy !== undefined} aria-busy={busy === 'assign'}>
              {busy === 'assign' ? 'Assigning…' : 'Assign'}
            </button>
          </form>
          <form
            className="decision-form"
            onSubmit={(e) => {
              e.preventDefault();
            }}
          >
            <label htmlFor="alert-note">Note or reason (journalled with your decision)</label>
            <textarea id="alert-note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
            <div className="actions">
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy !== undefined}
                aria-busy={busy === 'resolve'}
                onClick={() => {
                  if (note.trim() === '') {
                    setError(new Error('say what was found and done'));
                    return;
                  }
                  void act('resolve', 'resolve', { note: note.trim() }, 'Resolved');
                }}
              >
                {busy === 'resolve' ? 'Resolving…' : 'Resolve'}
              </button>
              <button
                type="button"
                className="btn btn-danger"
                disabled={busy !== undefined}
                aria-busy={busy === 'dismiss'}
                onClick={() => {
                  if (note.trim() === '') {
                    setError(new Error('say why the alert is no concern'));
                    return;
                  }
                  void act('dismiss', 'dismiss', { reason: note.trim() }, 'Dismissed');
                }}
              >
                {busy === 'dismiss' ? 'Dismissing…' : 'Dismiss as no concern'}
              </button>
            </div>
          </form>
        </Section>
      ) : authority ? null : (
        <p className="muted small" data-testid="alert-read-only">
          Only the licence’s authority assigns, resolves or dismisses an alert; you see it because it is about material you
          hold or names your party.
        </p>
      )}
      {done ? (
        <p className="success" role="status" data-testid="alert-action-done">
          {done}
        </p>
      ) : null}
      {error ? <ErrorBox error={error} title="Nothing was recorded" /> : null}
    </div>
  );
}
