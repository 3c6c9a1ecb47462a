import { useState } from 'react';
import { useSession } from '../session.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorBox, Loading, mass, Section, useLoad } from '../ui.js';

interface Hit {
  list: string;
  entryId: string;
  name: string;
  score: number;
  explanation: string;
  via?: string[];
}
interface Finding {
  id: string;
  title: string;
  outcome: string;
  codes: string[];
  reason: string;
  facts: string[];
  citation?: { clause?: string; title?: string };
}
interface Application {
  id: string;
  status: string;
  applicant: string;
  recommendation: string;
  application: {
    authority: string;
    importer: string;
    endUser: string;
    consignee?: string;
    destination: string;
    validFrom?: string;
    validUntil?: string;
    endUse?: { description?: string };
    lines: { ref: string; quantityGrams: number; item: { description?: string; form?: string; hsCode?: string } }[];
  };
  assessment: {
    codes: string[];
    reasons: string[];
    screening: { partyId: string; name: string; role: string; hits: Hit[] }[];
    lines: { ref: string; classification: { summary: string; codes: string[]; findings: Finding[] } }[];
    certificate?: { id: string; countersignedBy?: string };
  };
}

export function QueueScreen() {
  const { api, me } = useSession();
  const q = useLoad(
    () => api.get<Application[]>(`/v1/authorities/${encodeURIComponent(me.partyId ?? '')}/applications`),
    [me.partyId],
  );
  if (me.role !== 'licensing-authority')
    return (
      <div className="page">
        <h1>Queue</h1>
        <Empty>Only a licensing authority has an application queue.</Empty>
      </div>
    );
  return (
    <div className="page">
      <h1>Pending applications</h1>
      {q.loading && !q.data ? <Loading what="the queue" /> : null}
      {q.error ? <ErrorBox error={q.error} title="Could not load the queue" /> : null}
      {q.data && q.data.length === 0 ? <Empty>No applications are waiting for a decision.</Empty> : null}
      {q.data?.map((a) => (
        <ApplicationCard key={a.id} a={a} onDecided={q.reload} />
      ))}
    </div>
  );
}

function ApplicationCard({ a, onDecided }: { a: Application; onDecided: () => void }) {
  const { api } = useSession();
  const [mode, setMode] = useState<'none' | 'approve' | 'deny' | 'info'>('none');
  const [done, setDone] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const tone = a.recommendation === 'approvable' ? 'ok' : a.recommendation === 'deny' ? 'bad' : 'warn';
  const [busy, setBusy] = useState(false);
  const decide = async (body: unknown) => {
    setError(undefined);
    setBusy(true);
    try {
      const r = await api.record<{ decision: string; licence?: { id: string } }>(
        `/v1/applications/${encodeURIComponent(a.id)}/decision`,
        body,
      );
      setDone(r.licence ? r.licence.id : r.decision);
      setMode('none');
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section
      title={`Application ${a.id}`}
      id={`app-${a.id}`}
      aside={<Badge tone={tone}>recommendation: {a.recommendation}</Badge>}
    >
      <div className="grid2">
        <div>
          <h3>Request</h3>
          <dl className="kv">
            <dt>Applicant</dt>
            <dd>{a.applicant}</dd>
            <dt>Importer / end user</dt>
            <dd>
              {a.application.importer} / {a.application.endUser}
            </dd>
            <dt>Destination</dt>
            <dd>{a.application.destination}</dd>
            <dt>Validity asked</dt>
            <dd>
              {a.application.validFrom ?? '—'} to {a.application.validUntil ?? '—'}
            </dd>
            <dt>End use</dt>
            <dd>{a.application.endUse?.description ?? '—'}</dd>
            <dt>Certificate</dt>
            <dd>
              {a.assessment.certificate
                ? `${a.assessment.certificate.id}${a.assessment.certificate.countersignedBy ? `, countersigned by ${a.assessment.certificate.countersignedBy}` : ''}`
                : 'none attached'}
            </dd>
            <dt>Status</dt>
            <dd>{a.status}</dd>
          </dl>
          <table>
            <caption>Lines</caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Item</th>
                <th scope="col" className="num">
                  Quantity
                </th>
              </tr>
            </thead>
            <tbody>
              {a.application.lines.map((l) => (
                <tr key={l.ref}>
                  <td>{l.ref}</td>
                  <td>
                    {l.item.description ?? l.item.form} <span className="muted">HS {l.item.hsCode}</span>
                  </td>
                  <td className="num">{mass(l.quantityGrams)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Reasons behind the recommendation</h3>
          <ul className="reasons">
            {a.assessment.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
        <div>
          <h3>Screening</h3>
          <ul className="plain">
            {a.assessment.screening.map((s) => (
              <li key={`${s.role}-${s.partyId}`} className="screen-row">
                <strong>{s.name}</strong> <span className="muted">({s.role})</span>{' '}
                {s.hits.length === 0 ? (
                  <Badge tone="ok">no hits</Badge>
                ) : (
                  <Badge tone="bad">
                    {s.hits.length} hit{s.hits.length > 1 ? 's' : ''}
                  </Badge>
                )}
                {s.hits.map((h) => (
                  <p key={h.entryId} className="hit">
                    <code>{h.list}</code> “{h.name}” ({h.entryId}), score {h.score.toFixed(2)}
                    {h.via ? `, via ${h.via.join(' → ')}` : ''}: {h.explanation}
                  </p>
                ))}
              </li>
            ))}
          </ul>
          <h3>Classification</h3>
          {a.assessment.lines.map((l) => (
            <details key={l.ref} open>
              <summary>
                Line {l.ref}: {l.classification.codes.length > 0 ? l.classification.codes.join(', ') : 'not controlled'}
              </summary>
              <p>{l.classification.summary}</p>
              <ul className="findings">
                {l.classification.findings
                  .filter((f) => f.outcome !== 'not-applicable')
                  .map((f) => (
                    <li key={f.id}>
                      <Badge tone={f.outcome === 'applies' ? 'warn' : 'info'}>{f.outcome}</Badge>{' '}
                      <strong>{f.title}</strong>
                      {f.citation?.clause ? <span className="muted"> ({f.citation.clause})</span> : null}: {f.reason}
                    </li>
                  ))}
              </ul>
            </details>
          ))}
        </div>
      </div>
      {done !== undefined ? (
        <p className="success" role="status">
          Decided:{' '}
          {done.startsWith('LIC') ? (
            <>
              approved — licence <Link to={`/licences/${encodeURIComponent(done)}`}>{done}</Link>
            </>
          ) : (
            done
          )}
          .{' '}
          <button type="button" className="btn btn-plain" onClick={onDecided}>
            Refresh the queue
          </button>
        </p>
      ) : (
        <div className="actions" role="group" aria-label={`Decide ${a.id}`}>
          <button
            type="button"
            className="btn btn-primary"
            aria-expanded={mode === 'approve'}
            onClick={() => setMode(mode === 'approve' ? 'none' : 'approve')}
          >
            Approve with conditions…
          </button>
          <button
            type="button"
            className="btn btn-danger"
            aria-expanded={mode === 'deny'}
            onClick={() => setMode(mode === 'deny' ? 'none' : 'deny')}
          >
            Deny…
          </button>
          <button
            type="button"
            className="btn btn-plain"
            aria-expanded={mode === 'info'}
            onClick={() => setMode(mode === 'info' ? 'none' : 'info')}
          >
            Ask for information…
          </button>
          {api.signer ? null : (
            <span className="muted small">Deciding signs a record: import your private key at sign-in.</span>
          )}
        </div>
      )}
      {mode === 'approve' ? <ApproveForm a={a} onSubmit={decide} /> : null}
      {mode === 'deny' ? (
        <LinesForm
          label="Reasons for the denial (one per line)"
          initial={a.assessment.reasons.filter((r) => r.startsWith('Deny')).join('\n')}
          submitLabel="Deny the application"
          danger
          onSubmit={(lines) => decide({ decision: 'deny', reasons: lines })}
        />
      ) : null}
      {mode === 'info' ? (
        <LinesForm
          label="Questions for the applicant (one per line)"
          initial=""
          submitLabel="Send the questions"
          onSubmit={(lines) => decide({ decision: 'request-info', questions: lines })}
        />
      ) : null}
      {busy ? <Loading what="— signing and recording the decision" /> : null}
      {error ? <ErrorBox error={error} title="The decision was not recorded" /> : null}
    </Section>
  );
}

function ApproveForm({ a, onSubmit }: { a: Application; onSubmit: (body: unknown) => Promise<void> }) {
  const id = a.id;
  const [prohibited, setProhibited] = useState('US');
  const [useOnlyIn, setUseOnlyIn] = useState(a.application.destination);
  const [extends_, setExtends] = useState(true);
  const [reportDays, setReportDays] = useState('30');
  const [conditions, setConditions] = useState('No military or defence use.');
  const [formError, setFormError] = useState<string | undefined>();
  const submit = async () => {
    const dest = prohibited
      .split(/[\s,]+/)
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
    const bad = dest.find((d) => !/^[A-Z]{2}$/.test(d));
    if (bad !== undefined) {
      setFormError(`“${bad}” is not a two-letter country code`);
      return;
    }
    const days = reportDays.trim() === '' ? undefined : Number(reportDays);
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365)) {
      setFormError('the reporting period must be 1–365 days');
      return;
    }
    setFormError(undefined);
    await onSubmit({
      decision: 'approve',
      conditions: {
        prohibitedReexportDestinations: dest,
        ...(useOnlyIn.trim() === '' ? {} : { useOnlyIn: useOnlyIn.trim().toUpperCase() }),
        extendsToIncorporatingProducts: extends_,
        ...(days === undefined
          ? {}
          : { reportingDuties: [{ kind: 'post-shipment-report', withinDays: days, to: a.application.authority }] }),
        conditions: conditions
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean),
      },
    });
  };
  return (
    <form
      className="decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      aria-label={`Approve ${id}`}
    >
      <label htmlFor={`${id}-prohibited`}>Re-export prohibited to (country codes)</label>
      <input id={`${id}-prohibited`} value={prohibited} onChange={(e) => setProhibited(e.target.value)} />
      <label htmlFor={`${id}-useonly`}>Use only in (country code)</label>
      <input id={`${id}-useonly`} value={useOnlyIn} onChange={(e) => setUseOnlyIn(e.target.value)} maxLength={2} />
      <label className="check">
        <input type="checkbox" checked={extends_} onChange={(e) => setExtends(e.target.checked)} /> Conditions bind
        products that incorporate the items
      </label>
      <label htmlFor={`${id}-days`}>Post-shipment report due within (days; empty for none)</label>
      <input id={`${id}-days`} value={reportDays} onChange={(e) => setReportDays(e.target.value)} inputMode="numeric" />
      <label htmlFor={`${id}-conditions`}>Further conditions (one per line)</label>
      <textarea id={`${id}-conditions`} rows={3} value={conditions} onChange={(e) => setConditions(e.target.value)} />
      {formError ? (
        <p className="error" role="alert">
          {formError}
        </p>
      ) : null}
      <SubmitButton label="Approve and issue the licence" />
    </form>
  );
}

function SubmitButton({ label, danger }: { label: string; danger?: boolean }) {
  return (
    <button type="submit" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`}>
      {label}
    </button>
  );
}

function LinesForm({
  label,
  initial,
  submitLabel,
  onSubmit,
  danger,
}: {
  label: string;
  initial: string;
  submitLabel: string;
  onSubmit: (lines: string[]) => Promise<void>;
  danger?: boolean;
}) {
  const [text, setText] = useState(initial);
  const [formError, setFormError] = useState<string | undefined>();
  const id = `lines-${label.length}-${submitLabel.length}`;
  return (
    <form
      className="decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        const lines = text
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
        if (lines.length === 0) {
          setFormError('write at least one line');
          return;
        }
        setFormError(undefined);
        void onSubmit(lines);
      }}
    >
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={4} value={text} onChange={(e) => setText(e.target.value)} />
      {formError ? (
        <p className="error" role="alert">
          {formError}
        </p>
      ) : null}
      <SubmitButton label={submitLabel} {...(danger ? { danger } : {})} />
    </form>
  );
}
