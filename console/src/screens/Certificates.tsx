import { useSession } from '../session.js';
import { Link } from '../router.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, ListControls, Loading, Pager, useList } from '../ui.js';

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
  names?: { issuer: string; exporter: string; importer: string; endUser: string; countersignedBy: string };
}

export function CertificatesScreen() {
  const { api } = useSession();
  const list = useList<CertSummary>(api, '/v1/console/certificates', {
    sort: 'issued',
    order: 'desc',
    limit: 25,
    filters: { status: '', countersigned: '' },
  });
  const { page } = list;
  const filtered = list.state.q !== '' || Object.values(list.state.filters).some((v) => v !== '');
  return (
    <div className="page">
      <h1>{t.certificates.title}</h1>
      <ListControls
        label={t.certificates.search}
        list={list}
        sorts={[
          { value: 'issued', label: t.certificates.sortIssued },
          { value: 'issuer', label: t.certificates.endUser },
          { value: 'validUntil', label: t.certificates.sortValidUntil },
          { value: 'status', label: t.certificates.status },
        ]}
        filters={[
          {
            name: 'status',
            label: t.certificates.status,
            options: [
              { value: '', label: t.list.any },
              { value: 'active', label: t.certificates.active },
              { value: 'revoked', label: t.certificates.revoked },
            ],
          },
          {
            name: 'countersigned',
            label: t.certificates.countersigned,
            options: [
              { value: '', label: t.list.any },
              { value: 'yes', label: t.certificates.yes },
              { value: 'no', label: t.certificates.notYet },
            ],
          },
        ]}
        csv={{ api, filename: 'certificates' }}
      />
      {page.loading && !page.data ? <Loading what={t.certificates.loading} /> : null}
      {page.error ? <ErrorBox error={page.error} title={t.certificates.loadFailed} /> : null}
      {page.data && page.data.total === 0 ? (
        <Empty>{filtered ? t.certificates.noneMatch : t.certificates.none}</Empty>
      ) : null}
      {page.data && page.data.items.length > 0 ? (
        <div className="table-wrap card">
          <table className="responsive">
            <caption className="sr-only">{t.certificates.title}</caption>
            <thead>
              <tr>
                <th scope="col">{t.certificates.certificate}</th>
                <th scope="col">{t.certificates.status}</th>
                <th scope="col">{t.certificates.endUser}</th>
                <th scope="col">{t.certificates.exporter}</th>
                <th scope="col">{t.certificates.countersignedBy}</th>
                <th scope="col">{t.certificates.valid}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((c) => (
                <tr key={c.id}>
                  <td data-label={t.certificates.certificate} className="break">
                    <Link to={`/certificates/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                  </td>
                  <td data-label={t.certificates.status}>
                    <Badge tone={c.status === 'active' ? 'ok' : 'bad'}>{c.status}</Badge>
                  </td>
                  <td data-label={t.certificates.endUser}>{c.names?.endUser ?? c.endUser}</td>
                  <td data-label={t.certificates.exporter}>{c.names?.exporter ?? c.exporter}</td>
                  <td data-label={t.certificates.countersignedBy}>
                    {c.countersignedBy === null
                      ? t.certificates.notYet
                      : (c.names?.countersignedBy ?? c.countersignedBy)}
                  </td>
                  <td data-label={t.certificates.valid}>{t.certificates.fromTo(c.validFrom, c.validUntil)}</td>
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
