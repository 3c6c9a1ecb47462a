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
        label={t.licences.search}
        list={list}
        sorts={[
          { value: 'decided', label: t.licences.sortGranted },
          { value: 'id', label: t.licences.sortNumber },
          { value: 'holder', label: t.licences.holder },
          { value: 'destination', label: t.licences.destination },
          { value: 'validUntil', label: t.licences.sortValidUntil },
          { value: 'utilisation', label: t.licences.utilisation },
          { value: 'status', label: t.licences.status },
        ]}
        filters={[
          {
            name: 'status',
            label: t.licences.status,
            options: [
              { value: '', label: t.list.any },
              { value: 'active', label: t.licences.active },
              { value: 'suspended', label: t.licences.suspended },
              { value: 'revoked', label: t.licences.revoked },
            ],
          },
        ]}
        csv={{ api, filename: 'licences' }}
      />
      {page.loading && !page.data ? <Loading what={t.licences.loading} /> : null}
      {page.error ? <ErrorBox error={page.error} title={t.licences.loadFailed} /> : null}
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
                <th scope="col">{t.licences.licence}</th>
                <th scope="col">{t.licences.status}</th>
                <th scope="col">{t.licences.holder}</th>
                <th scope="col">{t.licences.consignee}</th>
                <th scope="col">{t.licences.destination}</th>
                <th scope="col">{t.licences.valid}</th>
                <th scope="col">{t.licences.utilisation}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((l) => (
                <tr key={l.id}>
                  <td data-label={t.licences.licence}>
                    <Link to={`/licences/${encodeURIComponent(l.id)}`}>{l.id}</Link>
                  </td>
                  <td data-label={t.licences.status}>
                    <Badge tone={l.status === 'active' ? 'ok' : 'bad'}>{l.status}</Badge>
                  </td>
                  <td data-label={t.licences.holder}>{l.names?.holder ?? l.holder}</td>
                  <td data-label={t.licences.consignee}>{l.names?.consignee ?? l.consignee}</td>
                  <td data-label={t.licences.destination}>{l.destination}</td>
                  <td data-label={t.licences.valid}>{t.licences.fromTo(l.validFrom, l.validUntil)}</td>
                  <td data-label={t.licences.utilisation}>
                    {l.utilisation ? (
                      <span className="util">
                        <meter
                          min={0}
                          max={Math.max(1, l.utilisation.grantedGrams)}
                          value={l.utilisation.shippedGrams}
                          aria-label={t.licences.utilisationOf(l.id)}
                        />{' '}
                        {t.licences.used(
                          mass(l.utilisation.shippedGrams),
                          mass(l.utilisation.grantedGrams),
                          percent(l.utilisation.shippedGrams, l.utilisation.grantedGrams),
                        )}
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
