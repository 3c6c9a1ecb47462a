import { useState } from 'react';
import { useSession } from '../session.js';
import { ApiError, b64url, fromB64url, type RequestSigner } from '../api.js';
import { Link } from '../router.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, Loading, mass, Section, useLoad } from '../ui.js';

export interface CertificateJws {
  payload: string;
  signatures: { protected: string; signature: string }[];
}
interface Certificate {
  id: string;
  status: 'active' | 'revoked';
  issuer: string;
  countersignedBy: string | null;
  jws: CertificateJws;
  subject: Record<string, unknown>;
  revocationReason?: string | null;
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
interface Undertakings {
  noWmdUse?: boolean;
  noMilitaryUse?: boolean;
  noReexportWithoutConsent?: boolean;
  consentAuthority?: string;
  prohibitedDestinations?: string[];
  useOnlyIn?: string;
  extendsToIncorporatingProducts?: boolean;
  postShipmentVerificationConsent?: boolean;
  noticeOfChanges?: boolean;
}

const utf8 = new TextEncoder();

/** The key id a JWS `kid` names: the fragment of a DID URL, or the bare key id of older certificates. */
const keyIdOf = (kid: string) => (kid.includes('#') ? kid.slice(kid.indexOf('#') + 1) : kid);

/**
 * Verifies every signature of a certificate's General JWS here, with WebCrypto Ed25519, against
 * the signer's registered public key (whose key id is recomputed from the key): nothing is taken on
 * the server's word.
 */
export async function verifyCertificateInBrowser(
  jws: CertificateJws,
  keys: readonly PartyKey[],
): Promise<SignatureCheck[]> {
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
      const keyId = keyIdOf(kid);
      const key = keys.find((k) => k.keyId === keyId);
      if (!key) {
        out.push({ index, kid, ok: false, reason: 'no registered key has this id' });
        continue;
      }
      const digest = await crypto.subtle.digest('SHA-256', fromB64url(key.publicKey) as BufferSource);
      if (`ed25519:${b64url(digest).slice(0, 22)}` !== keyId) {
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

/**
 * The government's countersignature, made here: a JWS signature (protected header `{alg: "EdDSA",
 * cty: "vc", kid, typ: "vc+jwt"}`, keys in canonical order) over the certificate's payload as
 * recorded, with the key imported at sign-in. `kid` is the DID URL of the government's key in the
 * deployment's did:web space (read from the end user's signature), or the bare key id when the
 * end user's signature has one. Only the signature leaves the browser.
 */
export async function countersignInBrowser(
  jws: CertificateJws,
  signer: RequestSigner,
  partyId: string,
): Promise<{ protected: string; signature: string }> {
  const first = jws.signatures[0];
  if (first === undefined) throw new Error('the certificate has no signature to countersign');
  const issuerKid =
    (JSON.parse(new TextDecoder().decode(fromB64url(first.protected))) as { kid?: string }).kid ?? signer.keyId;
  const at = issuerKid.lastIndexOf(':parties:');
  const kid =
    issuerKid.includes('#') && at > 0 ? `${issuerKid.slice(0, at)}:parties:${partyId}#${signer.keyId}` : signer.keyId;
  const header = b64url(utf8.encode(JSON.stringify({ alg: 'EdDSA', cty: 'vc', kid, typ: 'vc+jwt' })));
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, signer.key, utf8.encode(`${header}.${jws.payload}`));
  return { protected: header, signature: b64url(sig) };
}

/** The end user's undertakings in words. */
function undertakingsInWords(u: Undertakings): string[] {
  const out: string[] = [];
  if (u.noWmdUse) out.push('No use in weapons of mass destruction or their delivery systems.');
  if (u.noMilitaryUse) out.push('No military end use.');
  if (u.prohibitedDestinations && u.prohibitedDestinations.length > 0)
    out.push(`No re-export to ${u.prohibitedDestinations.join(', ')}.`);
  if (u.noReexportWithoutConsent)
    out.push(`No re-export anywhere without the consent of ${u.consentAuthority ?? 'the licensing authority'}.`);
  if (u.useOnlyIn) out.push(`Used only in ${u.useOnlyIn}.`);
  if (u.extendsToIncorporatingProducts) out.push('These undertakings bind products that incorporate the material.');
  if (u.postShipmentVerificationConsent) out.push('Consents to post-shipment verification.');
  if (u.noticeOfChanges) out.push('Will give notice of changes to the end use or end user.');
  return out;
}

export function CertificateDetailScreen({ id }: { id: string }) {
  const { api, me } = useSession();
  const enc = encodeURIComponent(id);
  const cert = useLoad(() => api.get<Certificate>(`/v1/certificates/${enc}`), [id]);
  const keys = useLoad(() => api.get<PartyKey[]>('/v1/console/keys'), []);
  const checks = useLoad(
    async () => (cert.data && keys.data ? verifyCertificateInBrowser(cert.data.jws, keys.data) : undefined),
    [cert.data, keys.data],
  );
  const server = useLoad(
    () =>
      api.get<{ ok: boolean; refusals: { rule: string; message: string }[] }>(`/v1/certificates/${enc}/verification`),
    [id, cert.data],
  );
  const [reason, setReason] = useState('');
  const [actionError, setActionError] = useState<Error | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const act = async (label: string, fn: () => Promise<unknown>, said: string) => {
    setBusy(label);
    setActionError(undefined);
    setDone(undefined);
    try {
      await fn();
      setDone(said);
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
        <h1>{t.certificate.title(id)}</h1>
        <Loading what={t.certificate.loading} />
      </div>
    );
  if (cert.error || !cert.data)
    return (
      <div className="page">
        <h1>{t.certificate.title(id)}</h1>
        <ErrorBox
          error={cert.error ?? new Error('no data')}
          title={
            cert.error instanceof ApiError && cert.error.problem.status === 404
              ? t.certificate.notFound
              : t.certificate.loadFailed
          }
        />
      </div>
    );
  const c = cert.data;
  const sigs = checks.data;
  const verified = sigs !== undefined && sigs.length > 0 && sigs.every((s) => s.ok) && sigs[0]?.partyId === c.issuer;
  const subject = c.subject as {
    exporter?: string;
    importer?: string;
    endUser?: string;
    endUse?: { description?: string; purposes?: string[]; endProduct?: string; annualNeedGrams?: number };
    undertakings?: Undertakings;
    items?: { controlCode?: string; hsCode?: string; description?: string; quantityGrams?: number }[];
    validity?: { from: string; until: string };
  };
  const government = me.role === 'importing-government';
  const mayCountersign = government && c.countersignedBy === null && c.status === 'active';
  const mayRevoke =
    (me.role === 'importer' || government) &&
    c.status === 'active' &&
    (me.partyId === c.issuer || me.partyId === c.countersignedBy);
  return (
    <div className="page">
      <p className="muted small">
        <Link to="/certificates">{t.certificate.back}</Link>
      </p>
      <h1>
        {t.certificate.heading} <span className="mono">{c.id}</span>{' '}
        <Badge tone={c.status === 'active' ? 'ok' : 'bad'}>{c.status}</Badge>{' '}
        {c.countersignedBy === null ? <Badge tone="warn">{t.certificate.awaiting}</Badge> : null}{' '}
        {sigs === undefined ? (
          <Badge tone="info">{t.certificate.verifying}</Badge>
        ) : (
          <span data-testid="cert-badge">
            {verified ? (
              <Badge tone="ok">{t.certificate.verified}</Badge>
            ) : (
              <Badge tone="bad">{t.certificate.notVerified}</Badge>
            )}
          </span>
        )}
      </h1>
      {mayCountersign ? (
        <Section title={t.certificate.countersign} id="countersign">
          <p>{t.certificate.countersignAsked}</p>
          {api.signer === null ? (
            <Empty>{t.certificate.signInToCountersign}</Empty>
          ) : (
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy !== undefined}
              aria-busy={busy === 'countersign'}
              onClick={() =>
                void act(
                  'countersign',
                  async () => {
                    const signer = api.signer;
                    if (signer === null || me.partyId === null) throw new Error(t.certificate.noKey);
                    const signature = await countersignInBrowser(c.jws, signer, me.partyId);
                    await api.record(`/v1/certificates/${enc}/countersign`, { signature });
                  },
                  t.certificate.countersigned(me.partyId ?? t.certificate.yourParty),
                )
              }
            >
              {busy === 'countersign' ? t.certificate.countersigning : t.certificate.countersignWithKey}
            </button>
          )}
        </Section>
      ) : null}
      {done ? (
        <p className="success" role="status" data-testid="cert-action-done">
          {done}
        </p>
      ) : null}
      {actionError ? <ErrorBox error={actionError} title={t.certificate.notRecorded} /> : null}
      <div className="grid2">
        <Section title={t.certificate.certifies} id="subject">
          <dl className="kv">
            <dt>{t.certificate.endUser}</dt>
            <dd>{subject.endUser ?? c.issuer}</dd>
            <dt>{t.certificate.importer}</dt>
            <dd>{subject.importer ?? '—'}</dd>
            <dt>{t.certificate.exporter}</dt>
            <dd>{subject.exporter ?? '—'}</dd>
            <dt>{t.certificate.countersignedBy}</dt>
            <dd>{c.countersignedBy ?? t.certificate.notYet}</dd>
            <dt>{t.certificate.validity}</dt>
            <dd>{subject.validity ? t.certificate.fromTo(subject.validity.from, subject.validity.until) : '—'}</dd>
            <dt>{t.certificate.endUse}</dt>
            <dd>
              {subject.endUse?.description ?? '—'}
              {subject.endUse?.annualNeedGrams !== undefined
                ? ` ${t.certificate.annualNeed(mass(subject.endUse.annualNeedGrams))}`
                : ''}
            </dd>
          </dl>
          {subject.items && subject.items.length > 0 ? (
            <table className="compact">
              <caption className="sr-only">{t.certificate.items}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.certificate.item}</th>
                  <th scope="col">{t.certificate.controlCode}</th>
                  <th scope="col">{t.certificate.hsCode}</th>
                  <th scope="col" className="num">
                    {t.certificate.quantity}
                  </th>
                </tr>
              </thead>
              <tbody>
                {subject.items.map((it, i) => (
                  <tr key={i}>
                    <td>{it.description ?? '—'}</td>
                    <td className="mono">{it.controlCode ?? '—'}</td>
                    <td className="mono">{it.hsCode ?? '—'}</td>
                    <td className="num">{it.quantityGrams === undefined ? '—' : mass(it.quantityGrams)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <h3>{t.certificate.undertakings}</h3>
          <ul data-testid="undertakings">
            {undertakingsInWords(subject.undertakings ?? {}).map((u) => (
              <li key={u}>{u}</li>
            ))}
          </ul>
          {c.status === 'revoked' && c.revocationReason ? (
            <p className="refusal">{t.certificate.revokedReason(c.revocationReason)}</p>
          ) : null}
        </Section>
        <Section title={t.certificate.signatures} id="sigs">
          {keys.error ? <ErrorBox error={keys.error} title={t.certificate.keysFailed} /> : null}
          {sigs === undefined ? (
            <Loading what={t.certificate.verifyingSignatures} />
          ) : (
            <ol>
              {sigs.map((s) => (
                <li key={s.index}>
                  {s.ok ? (
                    <Badge tone="ok">{t.certificate.valid}</Badge>
                  ) : (
                    <Badge tone="bad">{t.certificate.invalid}</Badge>
                  )}{' '}
                  {s.partyId ?? t.certificate.unknownSigner} <span className="mono small">{keyIdOf(s.kid)}</span>:{' '}
                  {s.reason}
                </li>
              ))}
            </ol>
          )}
          <p className="muted small">{t.certificate.firstSignature(c.issuer)}</p>
          <h3>{t.certificate.serverCheck}</h3>
          {server.loading ? <Loading what={t.certificate.serverVerification} /> : null}
          {server.data ? (
            server.data.ok ? (
              <p>
                <Badge tone="ok">{t.certificate.valid}</Badge> {t.certificate.serverChecked}
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
      </div>
      {mayRevoke ? (
        <Section title={t.certificate.revoke} id="cert-actions">
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (reason.trim() === '') {
                setActionError(new Error(t.certificate.sayWhy));
                return;
              }
              void act(
                'revoke',
                () => api.record(`/v1/certificates/${enc}/revoke`, { reason: reason.trim() }),
                t.certificate.revokedDone,
              );
            }}
          >
            <label htmlFor="revoke-reason">{t.certificate.reason}</label>
            <input id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            <button
              type="submit"
              className="btn btn-danger"
              disabled={busy !== undefined}
              aria-busy={busy === 'revoke'}
            >
              {busy === 'revoke' ? t.certificate.revoking : t.certificate.revoke}
            </button>
          </form>
        </Section>
      ) : null}
    </div>
  );
}
