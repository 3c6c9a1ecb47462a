import { useSession } from '../session.js';
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
      <h1>Rule packs in force</h1>
      {q.loading ? <Loading what="rule packs" /> : null}
      {q.error ? <ErrorBox error={q.error} title="Could not load the rule packs" /> : null}
      {(q.data ?? []).map((p) => (
        <section className="card" key={p.id} aria-labelledby={`pack-${p.id}`}>
          <h2 id={`pack-${p.id}`}>
            {p.id} {p.version}
          </h2>
          <p>
            {p.title}{' '}
            <span className="muted small">
              · {p.rules} rules, {p.policies} policies · sha256 {p.sha256.slice(0, 12)}…
            </span>
          </p>
          <h3>Unverified facts</h3>
          {p.facts.length === 0 ? <p className="muted">None.</p> : null}
          {p.facts.map((f) => (
            <article key={f.id} aria-label={`unverified fact ${f.id}`}>
              <p>
                <Badge tone="warn">unverified</Badge> <strong>{f.id}</strong>: {f.question}
              </p>
              <ul>
                {f.readings.map((r) => (
                  <li key={r.id}>
                    {r.id === f.default ? <strong>{r.id} (assumed by default)</strong> : r.id}: {r.meaning}
                  </li>
                ))}
              </ul>
              <p className="muted small">Answers that depend on it name it. Affects {f.affects.join(', ')}.</p>
            </article>
          ))}
          <h3>Inferences</h3>
          <ul>
            {p.inferences.map((i) => (
              <li key={i.id}>
                <Badge tone="info">inference</Badge> <strong>{i.id}</strong>: {i.statement}. <em>Other reading:</em>{' '}
                {i.alternative}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
