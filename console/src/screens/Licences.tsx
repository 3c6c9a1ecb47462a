import { useSession } from '../session.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorBox, Loading, useLoad } from '../ui.js';

export interface LicenceSummary {
  id: string;
  status: string;
  authority: string;
  holder: string;
  consignee: string;
  endUser: string;
  destination: string;
  validFrom: string;
  validUntil: string;
  applicationId: string;
}

export function LicencesScreen() {
  const { api } = useSession();
  const q = useLoad(() => api.get<LicenceSummary[]>('/v1/console/licences'), []);
  return (
    <div className="page">
      <h1>Licences</h1>
      {q.loading ? <Loading what="licences" /> : null}
      {q.error ? <ErrorBox error={q.error} title="Could not load licences" /> : null}
      {q.data && q.data.length === 0 ? (
        <Empty>
          No licence names your party. Material you hold under other parties’ licences, with its restrictions, is under{' '}
          <Link to="/holdings">Holdings</Link>.
        </Empty>
      ) : null}
      {q.data && q.data.length > 0 ? (
        <table className="card">
          <caption>Licences naming your party</caption>
          <thead>
            <tr>
              <th scope="col">Licence</th>
              <th scope="col">Status</th>
              <th scope="col">Holder</th>
              <th scope="col">Consignee</th>
              <th scope="col">Destination</th>
              <th scope="col">Valid</th>
            </tr>
          </thead>
          <tbody>
            {q.data.map((l) => (
              <tr key={l.id}>
                <td>
                  <Link to={`/licences/${encodeURIComponent(l.id)}`}>{l.id}</Link>
                </td>
                <td>
                  <Badge tone={l.status === 'active' ? 'ok' : 'bad'}>{l.status}</Badge>
                </td>
                <td>{l.holder}</td>
                <td>{l.consignee}</td>
                <td>{l.destination}</td>
                <td>
                  {l.validFrom} to {l.validUntil}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
