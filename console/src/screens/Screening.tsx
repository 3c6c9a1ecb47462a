/**
 * Screening review: screen a free-text name or a registered party against the lists in force, read
 * each hit with its explanation (which words matched, the score, the list and programme), and — as a
 * licensing authority with its signing key loaded — record a decision on a hit: a false positive
 * (set aside on later screenings of the same party or name, shown as reviewed) or a true match
 * (stays a hit, and blocks as the policies say), with a reason. The decision is a signed record.
 */
import { useState } from 'react';
import { ApiError } from '../api.js';
import { useSession } from '../session.js';
import { ActionButton, Badge, Empty, ErrorBox, Loading, Section, useLoad } from '../ui.js';

interface Review {
  decision: 'false-positive' | 'true-match';
  by: string;
  at: string;
  reason: string;
  seq: number;
  score: number;
}

interface Hit {
  list: string;
  entryId: string;
  name: string;
  score: number;
  explanation: string;
  program?: string;
  tokens?: { query: string; entry: string; score: number }[];
  via?: string[];
  review?: Review;
}

interface Screened {
  subject: { partyId: string } | { name: string };
  label: string;
  hits: Hit[];
  setAside: Hit[];
}

interface Party {
  id: string;
  name: string;
  country: string;
}

const day = (iso: string) => iso.slice(0, 10);

export function ScreeningScreen() {
  const { api, me } = useSession();
  const parties = useLoad(() => api.get<Party[]>('/v1/parties'), []);
  const [name, setName] = useState('');
  const [partyId, setPartyId] = useState('');
  const [result, setResult] = useState<Screened | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const mayDecide = me.role === 'licensing-authority';

  const screen = async (subject: { partyId: string } | { name: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      if ('partyId' in subject) {
        const r = await api.get<{ name: string; partyId: string; hits: Hit[]; setAside?: Hit[] }>(
          `/v1/screening/parties/${encodeURIComponent(subject.partyId)}`,
        );
        setResult({ subject, label: `${r.name} (${r.partyId})`, hits: r.hits, setAside: r.setAside ?? [] });
      } else {
        const [r] = await api.post<{ query: string; hits: Hit[]; setAside?: Hit[] }[]>('/v1/screening', {
          names: [subject.name],
        });
        setResult({ subject, label: subject.name, hits: r?.hits ?? [], setAside: r?.setAside ?? [] });
      }
    } catch (e) {
      setResult(undefined);
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page">
      <h1>Screening</h1>
      <Section title="Screen a name or a registered party" id="screen-form">
        <form
          className="decision-form"
          aria-label="Screen a name"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim() === '') {
              setError(new Error('name: write the name to screen'));
              return;
            }
            void screen({ name: name.trim() });
          }}
        >
          <label htmlFor="screen-name">Name</label>
          <input id="screen-name" value={name} maxLength={300} onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Screen name
          </button>
        </form>
        <form
          className="decision-form"
          aria-label="Screen a registered party"
          onSubmit={(e) => {
            e.preventDefault();
            if (partyId === '') {
              setError(new Error('partyId: choose a registered party'));
              return;
            }
            void screen({ partyId });
          }}
        >
          <label htmlFor="screen-party">Registered party</label>
          {parties.loading ? <Loading what="parties" /> : null}
          {parties.error ? <ErrorBox error={parties.error} title="Could not load the parties" /> : null}
          <select id="screen-party" value={partyId} onChange={(e) => setPartyId(e.target.value)}>
            <option value="">— choose —</option>
            {(parties.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.id}, {p.country})
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Screen party
          </button>
        </form>
      </Section>
      {busy ? <Loading what="screening" /> : null}
      {error ? <ErrorBox error={error} title="Could not screen" /> : null}
      {result ? (
        <Section title={`Hits for ${result.label}`} id="screen-hits">
          {result.hits.length === 0 ? <Empty>No hits against the lists in force.</Empty> : null}
          {result.hits.map((h) => (
            <HitItem
              key={`${h.list}/${h.entryId}`}
              hit={h}
              subject={result.subject}
              mayDecide={mayDecide}
              onDecided={() => screen(result.subject)}
            />
          ))}
          {result.setAside.length > 0 ? (
            <>
              <h3>Set aside as reviewed false positives</h3>
              {result.setAside.map((h) => (
                <HitItem
                  key={`${h.list}/${h.entryId}`}
                  hit={h}
                  subject={result.subject}
                  mayDecide={mayDecide}
                  onDecided={() => screen(result.subject)}
                />
              ))}
            </>
          ) : null}
        </Section>
      ) : null}
    </div>
  );
}

function HitItem({
  hit,
  subject,
  mayDecide,
  onDecided,
}: {
  hit: Hit;
  subject: { partyId: string } | { name: string };
  mayDecide: boolean;
  onDecided: () => Promise<void>;
}) {
  const id = `hit-${hit.list}-${hit.entryId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const setAside = hit.review?.decision === 'false-positive';
  return (
    <article className="alert-item" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>
        <Badge tone={setAside ? 'info' : 'bad'}>{hit.score.toFixed(3)}</Badge> {hit.name}{' '}
        <span className="muted small">
          {hit.list} · entry {hit.entryId}
          {hit.program ? ` · programme ${hit.program}` : ''}
        </span>
      </h3>
      {hit.review ? (
        <p className="review">
          <Badge tone={setAside ? 'ok' : 'bad'}>
            reviewed: {setAside ? 'false positive' : 'true match'} by {hit.review.by} on {day(hit.review.at)}
          </Badge>{' '}
          {hit.review.reason} <span className="muted small">(journal entry {hit.review.seq})</span>
        </p>
      ) : null}
      {hit.tokens && hit.tokens.length > 0 ? (
        <p className="small">
          Words matched:{' '}
          {hit.tokens.map((t, i) => (
            <span key={i}>
              {i > 0 ? ', ' : ''}
              <code>{t.query}</code>
              {t.query === t.entry ? (
                ''
              ) : (
                <>
                  {' '}
                  ≈ <code>{t.entry}</code>
                </>
              )}{' '}
              ({t.score.toFixed(2)})
            </span>
          ))}
        </p>
      ) : null}
      <p className="explanation">{hit.explanation}</p>
      {mayDecide ? <DecisionForm id={id} hit={hit} subject={subject} onDecided={onDecided} /> : null}
    </article>
  );
}

function DecisionForm({
  id,
  hit,
  subject,
  onDecided,
}: {
  id: string;
  hit: Hit;
  subject: { partyId: string } | { name: string };
  onDecided: () => Promise<void>;
}) {
  const { api } = useSession();
  const [decision, setDecision] = useState<'false-positive' | 'true-match'>(
    hit.review?.decision === 'false-positive' ? 'true-match' : 'false-positive',
  );
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const record = async () => {
    if (reason.trim() === '') {
      setError(new Error('reason: say why (e.g. "different date of birth and nationality")'));
      return;
    }
    setError(undefined);
    try {
      await api.record('/v1/screening/reviews', {
        ...subject,
        list: hit.list,
        entryId: hit.entryId,
        decision,
        reason: reason.trim(),
      });
      setReason('');
      await onDecided();
    } catch (e) {
      setError(e instanceof ApiError || e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <fieldset className="decision-form">
      <legend>Record a decision on {hit.entryId}</legend>
      <label className="check">
        <input
          type="radio"
          name={`${id}-decision`}
          checked={decision === 'false-positive'}
          onChange={() => setDecision('false-positive')}
        />{' '}
        False positive
      </label>
      <label className="check">
        <input
          type="radio"
          name={`${id}-decision`}
          checked={decision === 'true-match'}
          onChange={() => setDecision('true-match')}
        />{' '}
        True match
      </label>
      <label htmlFor={`${id}-reason`}>Reason</label>
      <textarea id={`${id}-reason`} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      {error ? <ErrorBox error={error} title="The decision was not recorded" /> : null}
      <ActionButton kind="primary" onClick={record} busyLabel="Recording…">
        Record decision
      </ActionButton>
    </fieldset>
  );
}
