import { mass, percent } from '../format.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, ListControls, Loading, Pager, useList } from '../ui.js';

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
  names?: { authority: string; holder: string; consignee: string; endUser: string };
  utilisation?: { grantedGrams: number; shippedGrams: number; remainingGrams: number; shipments: number };
}

export function LicencesScreen() {
  const { api } = useSession();
  const list = useList<LicenceSummary>(api, '/v1/console/licences', {
    sort: 'decided',
    order: 'desc',
    limit: 25,
    filters: { status: '' },
  });
  const { page } = list;
  const filtered = list.state.q !== '' || Object.values(list.state.filters).some((v) => v !== '');
  return (
    <div className="page">
      <h1>{t.licences.title}</h1>
      <ListControls
        label="Search licences"
        list={list}
        sorts={[
          { value: 'decided', label: 'Date granted' },
          { value: 'id', label: 'Licence number' },
          { value: 'holder', label: 'Holder' },
          { value: 'destination', label: 'Destination' },
          { value: 'validUntil', label: 'Valid until' },
          { value: 'utilisation', label: 'Utilisation' },
          { value: 'status', label: 'Status' },
        ]}
        filters={[
          {
            name: 'status',
            label: 'Status',
            options: [
              { value: '', label: t.list.any },
              { value: 'active', label: 'active' },
              { value: 'suspended', label: 'suspended' },
              { value: 'revoked', label: 'revoked' },
            ],
          },
        ]}
        csv={{ api, filename: 'licences' }}
      />
      {page.loading && !page.data ? <Loading what="licences" /> : null}
      {page.error ? <ErrorBox error={page.error} title="Could not load licences" /> : null}
      {page.data && page.data.total === 0 ? (
        <Empty>
          {filtered ? (
            t.licences.noneMatch
          ) : (
            <>
              {t.licences.none} {t.licences.holdingsHint} <Link to="/holdings">{t.nav.holdings}</Link>.
            </>
          )}
        </Empty>
      ) : null}
      {page.data && page.data.items.length > 0 ? (
        <div className="table-wrap card">
          <table className="responsive">
            <caption>{t.licences.caption}</caption>
            <thead>
              <tr>
                <th scope="col">Licence</th>
                <th scope="col">Status</th>
                <th scope="col">Holder</th>
                <th scope="col">Consignee</th>
                <th scope="col">Destination</th>
                <th scope="col">Valid</th>
                <th scope="col">{t.licences.utilisation}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((l) => (
                <tr key={l.id}>
                  <td data-label="Licence">
                    <Link to={`/licences/${encodeURIComponent(l.id)}`}>{l.id}</Link>
                  </td>
                  <td data-label="Status">
                    <Badge tone={l.status === 'active' ? 'ok' : 'bad'}>{l.status}</Badge>
                  </td>
                  <td data-label="Holder">{l.names?.holder ?? l.holder}</td>
                  <td data-label="Consignee">{l.names?.consignee ?? l.consignee}</td>
                  <td data-label="Destination">{l.destination}</td>
                  <td data-label="Valid">
                    {l.validFrom} to {l.validUntil}
                  </td>
                  <td data-label={t.licences.utilisation}>
                    {l.utilisation ? (
                      <span className="util">
                        <meter
                          min={0}
                          max={Math.max(1, l.utilisation.grantedGrams)}
                          value={l.utilisation.shippedGrams}
                          aria-label={`${l.id} utilisation`}
                        />{' '}
                        {mass(l.utilisation.shippedGrams)} of {mass(l.utilisation.grantedGrams)} (
                        {percent(l.utilisation.shippedGrams, l.utilisation.grantedGrams)})
                      </span>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {page.data && page.data.total > 0 ? <Pager list={list} total={page.data.total} /> : null}
    </div>
  );
}
