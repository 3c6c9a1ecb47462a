import { useSession } from '../session.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, Loading, Section, useLoad } from '../ui.js';

/** GET /v1/federation/status (src/app/federation.ts `federationStatus`). */
export interface FederationStatus {
  origin: string;
  journalSize: number;
  publishedSeq: number;
  publishedCheckpointSize: number;
  peers: PeerStatus[];
}

export interface PeerStatus {
  node: string;
  origin: string;
  countries: string[];
  heardSize: number;
  heardAt: string | null;
  mirrored: number;
  cosignedSize: number;
  cosigned: string | null;
  appliedSeq: number;
  lag: number;
  cosignedOurs: number;
  splitAlertSeq: number | null;
  lastError: string | null;
}

/** The root hash line of a C2SP checkpoint note (its third line). */
function rootOf(note: string): string {
  return note.split('\n')[2] ?? '';
}

function PeerCard({ p }: { p: PeerStatus }) {
  const s = t.federation;
  const id = `peer-${p.node}`;
  return (
    <Section
      id={id}
      title={s.peer(p.node)}
      aside={
        p.splitAlertSeq !== null ? (
          <Badge tone="bad">{s.split}</Badge>
        ) : p.lag === 0 ? (
          <Badge tone="ok">{s.upToDate}</Badge>
        ) : (
          <Badge tone="warn">{s.behind(p.lag)}</Badge>
        )
      }
    >
      <dl className="kv" aria-label={s.factsOf(p.node)}>
        <dt>{s.origin}</dt>
        <dd>
          <code>{p.origin}</code>
        </dd>
        <dt>{s.countries}</dt>
        <dd>{p.countries.length === 0 ? s.noCountries : p.countries.join(', ')}</dd>
        <dt>{s.heard}</dt>
        <dd>
          {s.size(p.heardSize)}
          {p.heardAt === null ? '' : ` · ${p.heardAt}`}
        </dd>
        <dt>{s.mirrored}</dt>
        <dd>{s.records(p.mirrored)}</dd>
        <dt>{s.applied}</dt>
        <dd>{s.records(p.appliedSeq)}</dd>
        <dt>{s.lag}</dt>
        <dd data-testid={`lag-${p.node}`}>{s.records(p.lag)}</dd>
        <dt>{s.cosignedOurs}</dt>
        <dd>{p.cosignedOurs === 0 ? s.notYet : s.size(p.cosignedOurs)}</dd>
      </dl>
      <h3>{s.lastCosigned}</h3>
      {p.cosigned === null ? (
        <p className="muted">{s.noneCosigned}</p>
      ) : (
        <>
          <p>
            {s.size(p.cosignedSize)} · {s.root} <code>{rootOf(p.cosigned)}</code>
          </p>
          <details>
            <summary>{s.note}</summary>
            <pre data-testid={`cosigned-${p.node}`}>{p.cosigned}</pre>
          </details>
        </>
      )}
      {p.splitAlertSeq !== null ? (
        <p role="alert">
          <Badge tone="bad">{s.split}</Badge> {s.splitExplained(p.splitAlertSeq)}
        </p>
      ) : null}
      {p.lastError !== null ? (
        <p className="muted small">
          {s.lastError}: {p.lastError}
        </p>
      ) : null}
    </Section>
  );
}

/** The peers this node follows: replication lag and the last checkpoint of each it cosigned (issue 24 item 7). */
export function FederationScreen() {
  const { api } = useSession();
  const q = useLoad(() => api.get<FederationStatus>('/v1/federation/status'), []);
  const s = t.federation;
  return (
    <div className="page">
      <h1>{s.title}</h1>
      {q.loading ? <Loading what={s.loading} /> : null}
      {q.error ? <ErrorBox error={q.error} title={s.error} /> : null}
      {q.data ? (
        <>
          <p>
            {s.thisNode} <code>{q.data.origin}</code>: {s.records(q.data.journalSize)} · {s.published}{' '}
            {s.records(q.data.publishedSeq)} · {s.publishedCheckpoint} {s.size(q.data.publishedCheckpointSize)}
          </p>
          {q.data.peers.length === 0 ? <Empty>{s.none}</Empty> : null}
          {q.data.peers.map((p) => (
            <PeerCard key={p.node} p={p} />
          ))}
        </>
      ) : null}
    </div>
  );
}
