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
import { t } from '../strings.js';
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
      <h1>{t.screening.title}</h1>
      <Section title={t.screening.formTitle} id="screen-form">
        <form
          className="decision-form"
          aria-label={t.screening.screenName}
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim() === '') {
              setError(new Error(t.screening.nameMissing));
              return;
            }
            void screen({ name: name.trim() });
          }}
        >
          <label htmlFor="screen-name">{t.screening.name}</label>
          <input id="screen-name" value={name} maxLength={300} onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t.screening.screenNameButton}
          </button>
        </form>
        <form
          className="decision-form"
          aria-label={t.screening.screenParty}
          onSubmit={(e) => {
            e.preventDefault();
            if (partyId === '') {
              setError(new Error(t.screening.partyMissing));
              return;
            }
            void screen({ partyId });
          }}
        >
          <label htmlFor="screen-party">{t.screening.party}</label>
          {parties.loading ? <Loading what={t.screening.parties} /> : null}
          {parties.error ? <ErrorBox error={parties.error} title={t.screening.partiesFailed} /> : null}
          <select id="screen-party" value={partyId} onChange={(e) => setPartyId(e.target.value)}>
            <option value="">{t.screening.choose}</option>
            {(parties.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.id}, {p.country})
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t.screening.screenPartyButton}
          </button>
        </form>
      </Section>
      {busy ? <Loading what={t.screening.screening} /> : null}
      {error ? <ErrorBox error={error} title={t.screening.failed} /> : null}
      {result ? (
        <Section title={t.screening.hitsFor(result.label)} id="screen-hits">
          {result.hits.length === 0 ? <Empty>{t.screening.noHits}</Empty> : null}
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
              <h3>{t.screening.setAside}</h3>
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
          {hit.list} · {t.screening.entry(hit.entryId)}
          {hit.program ? ` · ${t.screening.programme(hit.program)}` : ''}
        </span>
      </h3>
      {hit.review ? (
        <p className="review">
          <Badge tone={setAside ? 'ok' : 'bad'}>
            {t.screening.reviewed(setAside, hit.review.by, day(hit.review.at))}
          </Badge>{' '}
          {hit.review.reason} <span className="muted small">{t.screening.journalEntry(hit.review.seq)}</span>
        </p>
      ) : null}
      {hit.tokens && hit.tokens.length > 0 ? (
        <p className="small">
          {t.screening.wordsMatched}{' '}
          {hit.tokens.map((tok, i) => (
            <span key={i}>
              {i > 0 ? ', ' : ''}
              <code>{tok.query}</code>
              {tok.query === tok.entry ? (
                ''
              ) : (
                <>
                  {' '}
                  ≈ <code>{tok.entry}</code>
                </>
              )}{' '}
              ({tok.score.toFixed(2)})
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
      setError(new Error(t.screening.reasonMissing));
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
      <legend>{t.screening.decideOn(hit.entryId)}</legend>
      <label className="check">
        <input
          type="radio"
          name={`${id}-decision`}
          checked={decision === 'false-positive'}
          onChange={() => setDecision('false-positive')}
        />{' '}
        {t.screening.falsePositive}
      </label>
      <label className="check">
        <input
          type="radio"
          name={`${id}-decision`}
          checked={decision === 'true-match'}
          onChange={() => setDecision('true-match')}
        />{' '}
        {t.screening.trueMatch}
      </label>
      <label htmlFor={`${id}-reason`}>{t.screening.reason}</label>
      <textarea id={`${id}-reason`} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
      {error ? <ErrorBox error={error} title={t.screening.notRecorded} /> : null}
      <ActionButton kind="primary" onClick={record} busyLabel={t.screening.recording}>
        {t.screening.record}
      </ActionButton>
    </fieldset>
  );
}
