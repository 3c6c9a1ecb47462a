import { useSession } from '../session.js';
import { t } from '../strings.js';
import { Badge, ErrorBox, Loading, useLoad } from '../ui.js';

export interface RulePackInfo {
  id: string;
  version: string;
  title: string;
  sha256: string;
  rules: number;
  policies: number;
  facts: {
    id: string;
    question: string;
    default: string;
    readings: { id: string; meaning: string }[];
    affects: string[];
  }[];
  inferences: { id: string; statement: string; alternative: string; entries: string[] }[];
}

/** The rule packs in force and what they leave open: unverified facts (with the reading answers assume) and inferences. */
export function RulePacksScreen() {
  const { api } = useSession();
  const q = useLoad(() => api.get<RulePackInfo[]>('/v1/rule-packs'), []);
  return (
    <div className="page">
      <h1>{t.rules.title}</h1>
      {q.loading ? <Loading what={t.rules.loading} /> : null}
      {q.error ? <ErrorBox error={q.error} title={t.rules.loadFailed} /> : null}
      {(q.data ?? []).map((p) => (
        <section className="card" key={p.id} aria-labelledby={`pack-${p.id}`}>
          <h2 id={`pack-${p.id}`}>
            {p.id} {p.version}
          </h2>
          <p>
            {p.title}{' '}
            <span className="muted small">
              · {t.rules.counts(p.rules, p.policies)} · {t.rules.digest(p.sha256.slice(0, 12))}
            </span>
          </p>
          <h3>{t.rules.unverifiedFacts}</h3>
          {p.facts.length === 0 ? <p className="muted">{t.rules.none}</p> : null}
          {p.facts.map((f) => (
            <article key={f.id} aria-label={t.rules.factLabel(f.id)}>
              <p>
                <Badge tone="warn">{t.rules.unverified}</Badge> <strong>{f.id}</strong>: {f.question}
              </p>
              <ul>
                {f.readings.map((r) => (
                  <li key={r.id}>
                    {r.id === f.default ? <strong>{t.rules.assumedByDefault(r.id)}</strong> : r.id}: {r.meaning}
                  </li>
                ))}
              </ul>
              <p className="muted small">{t.rules.affects(f.affects.join(', '))}</p>
            </article>
          ))}
          <h3>{t.rules.inferences}</h3>
          <ul>
            {p.inferences.map((i) => (
              <li key={i.id}>
                <Badge tone="info">{t.rules.inference}</Badge> <strong>{i.id}</strong>: {i.statement}.{' '}
                <em>{t.rules.otherReading}</em> {i.alternative}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
