import { useSession } from '../session.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorBox, Loading, useLoad } from '../ui.js';

interface CertSummary {
  id: string;
  status: string;
  issuer: string;
  exporter: string;
  importer: string;
  endUser: string;
  countersignedBy: string | null;
  validFrom: string;
  validUntil: string;
}

export function CertificatesScreen() {
  const { api } = useSession();
  const q = useLoad(() => api.get<CertSummary[]>('/v1/console/certificates'), []);
  return (
    <div className="page">
      <h1>End-user certificates</h1>
      {q.loading ? <Loading what="certificates" /> : null}
      {q.error ? <ErrorBox error={q.error} title="Could not load certificates" /> : null}
      {q.data && q.data.length === 0 ? <Empty>No certificate names your party.</Empty> : null}
      {q.data && q.data.length > 0 ? (
        <table className="card">
          <thead>
            <tr>
              <th scope="col">Certificate</th>
              <th scope="col">Status</th>
              <th scope="col">End user</th>
              <th scope="col">Exporter</th>
              <th scope="col">Countersigned by</th>
              <th scope="col">Valid</th>
            </tr>
          </thead>
          <tbody>
            {q.data.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/certificates/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                </td>
                <td>
                  <Badge tone={c.status === 'active' ? 'ok' : 'bad'}>{c.status}</Badge>
                </td>
                <td>{c.endUser}</td>
                <td>{c.exporter}</td>
                <td>{c.countersignedBy ?? '—'}</td>
                <td>
                  {c.validFrom} to {c.validUntil}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
