import { useState } from 'react';
import { useSession } from '../session.js';
import { fromB64url, keyIdFor } from '../api.js';
import { Link } from '../router.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, ListControls, Loading, Pager, Section, useList, useLoad } from '../ui.js';

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
interface Certificate {
  id: string;
  status: 'active' | 'revoked';
  issuer: string;
  countersignedBy: string | null;
  jws: { payload: string; signatures: { protected: string; signature: string }[] };
  subject: Record<string, unknown>;
  revocationReason?: string;
}
interface PartyKey {
  partyId: string;
  keyId: string;
  publicKey: string;
  revoked: boolean;
}
interface SignatureCheck {
  index: number;
  kid: string;
  partyId?: string;
  ok: boolean;
  reason: string;
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
        label="Search certificates"
        list={list}
        sorts={[
          { value: 'issued', label: 'Issued' },
          { value: 'issuer', label: 'End user' },
          { value: 'validUntil', label: 'Valid until' },
          { value: 'status', label: 'Status' },
        ]}
        filters={[
          {
            name: 'status',
            label: 'Status',
            options: [
              { value: '', label: t.list.any },
              { value: 'active', label: 'active' },
              { value: 'revoked', label: 'revoked' },
            ],
          },
          {
            name: 'countersigned',
            label: 'Countersigned',
            options: [
              { value: '', label: t.list.any },
              { value: 'yes', label: 'yes' },
              { value: 'no', label: 'not yet' },
            ],
          },
        ]}
        csv={{ api, filename: 'certificates' }}
      />
      {page.loading && !page.data ? <Loading what="certificates" /> : null}
      {page.error ? <ErrorBox error={page.error} title="Could not load certificates" /> : null}
      {page.data && page.data.total === 0 ? (
        <Empty>{filtered ? t.certificates.noneMatch : t.certificates.none}</Empty>
      ) : null}
      {page.data && page.data.items.length > 0 ? (
        <div className="table-wrap card">
          <table className="responsive">
            <caption className="sr-only">{t.certificates.title}</caption>
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
              {page.data.items.map((c) => (
                <tr key={c.id}>
                  <td data-label="Certificate" className="break">
                    <Link to={`/certificates/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                  </td>
                  <td data-label="Status">
                    <Badge tone={c.status === 'active' ? 'ok' : 'bad'}>{c.status}</Badge>
                  </td>
                  <td data-label="End user">{c.names?.endUser ?? c.endUser}</td>
                  <td data-label="Exporter">{c.names?.exporter ?? c.exporter}</td>
                  <td data-label="Countersigned by">
                    {c.countersignedBy === null ? 'not yet' : (c.names?.countersignedBy ?? c.countersignedBy)}
                  </td>
                  <td data-label="Valid">
                    {c.validFrom} to {c.validUntil}
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

/**
 * Verifies every signature of a certificate's General JWS here, with WebCrypto Ed25519, against
 * the signer's registered public key (whose key id is recomputed from the key): nothing is taken on
 * the server's word.
 */
export async function verifyInBrowser(jws: Certificate['jws'], keys: readonly PartyKey[]): Promise<SignatureCheck[]> {
  const utf8 = new TextEncoder();
  const out: SignatureCheck[] = [];
  for (const [index, s] of jws.signatures.entries()) {
    let kid = '?';
    try {
      const header = JSON.parse(new TextDecoder().decode(fromB64url(s.protected))) as { alg?: string; kid?: string };
      kid = header.kid ?? '?';
      if (header.alg !== 'EdDSA') {
        out.push({ index, kid, ok: false, reason: `alg ${String(header.alg)} is not EdDSA` });
        continue;
      }
      // kid is a did:web DID URL whose fragment is the key id (older certificates: the key id alone).
      const keyId = kid.includes('#') ? kid.slice(kid.indexOf('#') + 1) : kid;
      const key = keys.find((k) => k.keyId === keyId);
      if (!key) {
        out.push({ index, kid, ok: false, reason: 'no registered key has this id' });
        continue;
      }
      if ((await keyIdFor(key.publicKey)) !== keyId) {
        out.push({ index, kid, partyId: key.partyId, ok: false, reason: 'the key id does not match the key' });
        continue;
      }
      const pub = await crypto.subtle.importKey(
        'raw',
        fromB64url(key.publicKey) as BufferSource,
        { name: 'Ed25519' },
        false,
        ['verify'],
      );
      const ok = await crypto.subtle.verify(
        { name: 'Ed25519' },
        pub,
        fromB64url(s.signature) as BufferSource,
        utf8.encode(`${s.protected}.${jws.payload}`),
      );
      out.push({
        index,
        kid,
        partyId: key.partyId,
        ok,
        reason: ok
          ? key.revoked
            ? 'signature valid (the key has since been revoked)'
            : 'signature valid'
          : 'signature does not verify',
      });
    } catch (e) {
      out.push({ index, kid, ok: false, reason: `malformed: ${(e as Error).message}` });
    }
  }
  return out;
}

export function CertificateScreen({ id }: { id: string }) {
  const { api, me } = useSession();
  const enc = encodeURIComponent(id);
  const cert = useLoad(() => api.get<Certificate>(`/v1/certificates/${enc}`), [id]);
  const keys = useLoad(() => api.get<PartyKey[]>('/v1/console/keys'), []);
  const checks = useLoad(
    async () => (cert.data && keys.data ? verifyInBrowser(cert.data.jws, keys.data) : undefined),
    [cert.data, keys.data],
  );
  const server = useLoad(
    () =>
      api.get<{ ok: boolean; refusals: { rule: string; message: string }[] }>(`/v1/certificates/${enc}/verification`),
    [id, cert.data],
  );
  const [reason, setReason] = useState('');
  const [actionError, setActionError] = useState<Error | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const act = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(label);
    setActionError(undefined);
    try {
      await fn();
      cert.reload();
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(undefined);
    }
  };

  if (cert.loading && !cert.data)
    return (
      <div className="page">
        <h1>Certificate</h1>
        <Loading what="the certificate" />
      </div>
    );
  if (cert.error || !cert.data)
    return (
      <div className="page">
        <h1>Certificate</h1>
        <ErrorBox error={cert.error ?? new Error('no data')} title="Could not load the certificate" />
      </div>
    );
  const c = cert.data;
  const sigs = checks.data;
  const verified = sigs !== undefined && sigs.length > 0 && sigs.every((s) => s.ok) && sigs[0]?.partyId === c.issuer;
  const subject = c.subject as {
    endUse?: { description?: string };
    undertakings?: Record<string, unknown>;
    items?: { description?: string; quantityGrams?: number }[];
    validity?: { from: string; until: string };
  };
  return (
    <div className="page">
      <h1>
        Certificate <span className="mono">{c.id}</span>{' '}
        <Badge tone={c.status === 'active' ? 'ok' : 'bad'}>{c.status}</Badge>{' '}
        {sigs === undefined ? (
          <Badge tone="info">verifying…</Badge>
        ) : (
          <span data-testid="cert-badge">
            {verified ? <Badge tone="ok">✓ verified in this browser</Badge> : <Badge tone="bad">✕ not verified</Badge>}
          </span>
        )}
      </h1>
      <div className="grid2">
        <Section title="Signatures (checked here)" id="sigs">
          {keys.error ? <ErrorBox error={keys.error} title="Could not load the public keys" /> : null}
          {sigs === undefined ? (
            <Loading what="and verifying signatures" />
          ) : (
            <ol>
              {sigs.map((s) => (
                <li key={s.index}>
                  {s.ok ? <Badge tone="ok">valid</Badge> : <Badge tone="bad">invalid</Badge>}{' '}
                  {s.partyId ?? 'unknown signer'} <span className="mono small">{s.kid}</span>: {s.reason}
                </li>
              ))}
            </ol>
          )}
          <p className="muted small">
            The first signature must be the end user’s ({c.issuer}); a countersignature follows it.
          </p>
          <h3>The server’s check</h3>
          {server.loading ? <Loading what="the server’s verification" /> : null}
          {server.data ? (
            server.data.ok ? (
              <p>
                <Badge tone="ok">valid</Badge> signatures, validity and revocation status
              </p>
            ) : (
              <ul>
                {server.data.refusals.map((r, i) => (
                  <li key={i}>
                    <code>{r.rule}</code>: {r.message}
                  </li>
                ))}
              </ul>
            )
          ) : null}
        </Section>
        <Section title="What it certifies" id="subject">
          <dl className="kv">
            <dt>End user</dt>
            <dd>{c.issuer}</dd>
            <dt>Countersigned by</dt>
            <dd>{c.countersignedBy ?? 'not yet'}</dd>
            <dt>Validity</dt>
            <dd>{subject.validity ? `${subject.validity.from} to ${subject.validity.until}` : '—'}</dd>
            <dt>End use</dt>
            <dd>{subject.endUse?.description ?? '—'}</dd>
          </dl>
          <details>
            <summary>Undertakings</summary>
            <pre tabIndex={0}>{JSON.stringify(subject.undertakings ?? {}, null, 2)}</pre>
          </details>
        </Section>
      </div>
      <Section title="Actions" id="cert-actions">
        {me.role === 'importing-government' && c.countersignedBy === null && c.status === 'active' ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy !== undefined}
            aria-busy={busy === 'countersign'}
            onClick={() => void act('countersign', () => api.record(`/v1/certificates/${enc}/countersign`))}
          >
            {busy === 'countersign' ? 'Countersigning…' : 'Countersign'}
          </button>
        ) : null}
        {(me.role === 'importer' || me.role === 'importing-government') &&
        c.status === 'active' &&
        (me.partyId === c.issuer || me.partyId === c.countersignedBy) ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (reason.trim() === '') {
                setActionError(new Error('say why the certificate is revoked'));
                return;
              }
              void act('revoke', () => api.record(`/v1/certificates/${enc}/revoke`, { reason: reason.trim() }));
            }}
          >
            <label htmlFor="revoke-reason">Reason</label>
            <input id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            <button
              type="submit"
              className="btn btn-danger"
              disabled={busy !== undefined}
              aria-busy={busy === 'revoke'}
            >
              {busy === 'revoke' ? 'Revoking…' : 'Revoke'}
            </button>
          </form>
        ) : null}
        {!(me.role === 'importer' || me.role === 'importing-government') ? (
          <Empty>Only the end user and the importing government act on a certificate.</Empty>
        ) : null}
        {actionError ? <ErrorBox error={actionError} title="The action was not recorded" /> : null}
      </Section>
    </div>
  );
}
