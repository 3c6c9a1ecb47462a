import { useState } from 'react';
import { useSession } from '../session.js';
import { Link } from '../router.js';
import { mass, minorUnitDigits, money } from '../format.js';
import { t } from '../strings.js';
import { Badge, ConfirmDialog, Empty, ErrorBox, ListControls, Loading, Pager, Section, useList } from '../ui.js';

interface Hit {
  list: string;
  entryId: string;
  name: string;
  score: number;
  explanation: string;
  via?: string[];
}
interface Finding {
  id: string;
  title: string;
  outcome: string;
  codes: string[];
  reason: string;
  facts: string[];
  citation?: { clause?: string; title?: string };
}
interface Money {
  currency: string;
  minor: number;
}
interface PartyFacts {
  id: string;
  name: string;
  country: string;
  ownership: string[];
}
export interface Undertakings {
  noWmdUse: boolean;
  noMilitaryUse: boolean;
  noReexportWithoutConsent: boolean;
  consentAuthority: string;
  prohibitedDestinations: string[];
  useOnlyIn?: string;
  extendsToIncorporatingProducts: boolean;
  postShipmentVerificationConsent: boolean;
  noticeOfChanges: boolean;
}
interface Application {
  id: string;
  status: string;
  applicant: string;
  recommendation: string;
  submittedAt?: string;
  decision?: { decision?: string; licenceId?: string; reasons?: string[]; questions?: string[] } | null;
  parties?: Record<string, PartyFacts>;
  certificate?: {
    id: string;
    status: string;
    countersignedBy: string | null;
    countersignedByName: string | null;
    validFrom: string;
    validUntil: string;
    undertakings: Undertakings | null;
  } | null;
  application: {
    authority: string;
    importer: string;
    endUser: string;
    consignee?: string;
    destination: string;
    validFrom?: string;
    validUntil?: string;
    endUse?: { description?: string };
    lines: {
      ref: string;
      quantityGrams: number;
      value: Money;
      item: { description?: string; form?: string; hsCode?: string };
    }[];
  };
  assessment: {
    codes: string[];
    reasons: string[];
    screening: { partyId: string; name: string; role: string; hits: Hit[] }[];
    lines: { ref: string; classification: { summary: string; codes: string[]; findings: Finding[] } }[];
    certificate?: { id: string; countersignedBy?: string };
  };
}

export function QueueScreen() {
  const { api, me } = useSession();
  const list = useList<Application>(api, `/v1/authorities/${encodeURIComponent(me.partyId ?? '')}/applications`, {
    sort: 'submitted',
    order: 'asc',
    limit: 10,
    filters: { status: 'pending', recommendation: '' },
  });
  const { page } = list;
  if (me.role !== 'licensing-authority')
    return (
      <div className="page">
        <h1>{t.queue.title}</h1>
        <Empty>{t.queue.onlyAuthority}</Empty>
      </div>
    );
  const pending = list.state.filters.status === 'pending';
  const filtered = list.state.q !== '' || list.state.filters.recommendation !== '';
  return (
    <div className="page">
      <h1>{pending ? t.queue.pendingTitle : t.queue.title}</h1>
      <ListControls
        label={t.application.search}
        list={list}
        sorts={[
          { value: 'submitted', label: t.application.sortSubmitted },
          { value: 'applicant', label: t.application.applicant },
          { value: 'destination', label: t.application.destination },
          { value: 'recommendation', label: t.application.sortRecommendation },
          { value: 'status', label: t.application.status },
        ]}
        filters={[
          {
            name: 'status',
            label: t.queue.status,
            options: [
              { value: 'pending', label: t.queue.pending },
              { value: 'decided', label: t.queue.decided },
              { value: 'all', label: t.queue.all },
            ],
          },
          {
            name: 'recommendation',
            label: t.queue.recommendation,
            options: [
              { value: '', label: t.list.any },
              { value: 'approvable', label: t.application.approvable },
              { value: 'case-by-case', label: t.application.caseByCase },
              { value: 'deny', label: t.application.deny },
            ],
          },
        ]}
        csv={{ api, filename: `applications-${me.partyId ?? ''}` }}
      />
      {page.loading && !page.data ? <Loading what="the queue" /> : null}
      {page.error ? <ErrorBox error={page.error} title={t.application.queueFailed} /> : null}
      {page.data && page.data.total === 0 ? (
        <Empty>{pending && !filtered ? t.queue.nonePending : t.queue.none}</Empty>
      ) : null}
      {page.data?.items.map((a) => (
        <ApplicationCard key={a.id} a={a} onDecided={page.reload} />
      ))}
      {page.data && page.data.total > 0 ? <Pager list={list} total={page.data.total} /> : null}
    </div>
  );
}

/** A party's name with its id, and its ownership facts ("60 % owned by …, a US company"). */
function PartyName({ a, id }: { a: Application; id: string }) {
  const p = a.parties?.[id];
  return (
    <>
      {p?.name ?? id} <span className="muted small">({id})</span>
      {p && p.ownership.length > 0 ? (
        <span className="ownership">
          {p.ownership.map((o) => (
            <Badge key={o} tone="warn">
              {o}
            </Badge>
          ))}
        </span>
      ) : null}
    </>
  );
}

function ApplicationCard({ a, onDecided }: { a: Application; onDecided: () => void }) {
  const { api } = useSession();
  const [mode, setMode] = useState<'none' | 'approve' | 'deny' | 'info'>('none');
  const [done, setDone] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const tone = a.recommendation === 'approvable' ? 'ok' : a.recommendation === 'deny' ? 'bad' : 'warn';
  const [busy, setBusy] = useState(false);
  const decide = async (body: unknown) => {
    setError(undefined);
    setBusy(true);
    try {
      const r = await api.record<{ decision: string; licence?: { id: string } }>(
        `/v1/applications/${encodeURIComponent(a.id)}/decision`,
        body,
      );
      setDone(r.licence ? r.licence.id : r.decision);
      setMode('none');
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section
      title={t.application.title(a.id)}
      id={`app-${a.id}`}
      aside={<Badge tone={tone}>{t.application.recommendation(a.recommendation)}</Badge>}
    >
      <div className="grid2">
        <div>
          <h3>{t.application.request}</h3>
          <dl className="kv">
            <dt>{t.application.applicant}</dt>
            <dd>
              <PartyName a={a} id={a.applicant} />
            </dd>
            <dt>{t.application.importer}</dt>
            <dd>
              <PartyName a={a} id={a.application.importer} />
            </dd>
            <dt>{t.application.endUser}</dt>
            <dd>
              <PartyName a={a} id={a.application.endUser} />
            </dd>
            {a.application.consignee && a.application.consignee !== a.application.importer ? (
              <>
                <dt>{t.application.consignee}</dt>
                <dd>
                  <PartyName a={a} id={a.application.consignee} />
                </dd>
              </>
            ) : null}
            <dt>{t.application.destination}</dt>
            <dd>{a.application.destination}</dd>
            <dt>{t.application.validityAsked}</dt>
            <dd>{t.application.fromTo(a.application.validFrom ?? '—', a.application.validUntil ?? '—')}</dd>
            <dt>{t.application.endUse}</dt>
            <dd>{a.application.endUse?.description ?? '—'}</dd>
            <dt>{t.application.certificate}</dt>
            <dd data-testid="certificate-fact">
              {a.certificate ? (
                <>
                  <Link to={`/certificates/${encodeURIComponent(a.certificate.id)}`}>{a.certificate.id}</Link>{' '}
                  {a.certificate.status !== 'active' ? (
                    <Badge tone="bad">{a.certificate.status}</Badge>
                  ) : a.certificate.countersignedBy ? (
                    <Badge tone="ok">{t.application.countersignedBy(a.certificate.countersignedByName)}</Badge>
                  ) : (
                    <Badge tone="warn">{t.application.notCountersigned}</Badge>
                  )}
                </>
              ) : (
                t.application.noneAttached
              )}
            </dd>
            <dt>{t.application.status}</dt>
            <dd>{a.status}</dd>
          </dl>
          <table>
            <caption>{t.application.lines}</caption>
            <thead>
              <tr>
                <th scope="col">{t.application.line}</th>
                <th scope="col">{t.application.item}</th>
                <th scope="col" className="num">
                  {t.application.quantity}
                </th>
                <th scope="col" className="num">
                  {t.application.value}
                </th>
              </tr>
            </thead>
            <tbody>
              {a.application.lines.map((l) => (
                <tr key={l.ref}>
                  <td>{l.ref}</td>
                  <td>
                    {l.item.description ?? l.item.form} <span className="muted">{t.application.hs(l.item.hsCode)}</span>
                  </td>
                  <td className="num">{mass(l.quantityGrams)}</td>
                  <td className="num">{money(l.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>{t.application.reasons}</h3>
          <ul className="reasons">
            {a.assessment.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
        <div>
          <h3>{t.application.screening}</h3>
          <ul className="plain">
            {a.assessment.screening.map((s) => (
              <li key={`${s.role}-${s.partyId}`} className="screen-row">
                <strong>{s.name}</strong> <span className="muted">({s.role})</span>{' '}
                {s.hits.length === 0 ? (
                  <Badge tone="ok">{t.application.noHits}</Badge>
                ) : (
                  <Badge tone="bad">{t.application.hits(s.hits.length)}</Badge>
                )}
                {s.hits.map((h) => (
                  <p key={h.entryId} className="hit">
                    <code>{h.list}</code> {t.application.hit(h.name, h.entryId, h.score.toFixed(2))}
                    {h.via ? t.application.via(h.via.join(' → ')) : ''}: {h.explanation}
                  </p>
                ))}
              </li>
            ))}
          </ul>
          <h3>{t.application.classification}</h3>
          {a.assessment.lines.map((l) => (
            <details key={l.ref} open>
              <summary>
                {t.application.lineCodes(
                  l.ref,
                  l.classification.codes.length > 0 ? l.classification.codes.join(', ') : t.application.notControlled,
                )}
              </summary>
              <p>{l.classification.summary}</p>
              <ul className="findings">
                {l.classification.findings
                  .filter((f) => f.outcome !== 'not-applicable')
                  .map((f) => (
                    <li key={f.id}>
                      <Badge tone={f.outcome === 'applies' ? 'warn' : 'info'}>{f.outcome}</Badge>{' '}
                      <strong>{f.title}</strong>
                      {f.citation?.clause ? <span className="muted"> ({f.citation.clause})</span> : null}: {f.reason}
                    </li>
                  ))}
              </ul>
            </details>
          ))}
        </div>
      </div>
      {done === undefined && (a.status === 'approved' || a.status === 'denied') ? (
        <p className={a.status === 'approved' ? 'success' : 'refusal'} data-testid="decided">
          <strong>{a.status}</strong>
          {a.decision?.licenceId ? (
            <>
              {' '}
              {t.application.dashLicence}{' '}
              <Link to={`/licences/${encodeURIComponent(a.decision.licenceId)}`}>{a.decision.licenceId}</Link>
            </>
          ) : null}
          {a.decision?.reasons && a.decision.reasons.length > 0 ? `: ${a.decision.reasons.join('; ')}` : null}
        </p>
      ) : done !== undefined ? (
        <p className="success" role="status">
          {t.application.decided}{' '}
          {done.startsWith('LIC') ? (
            <>
              {t.application.approvedLicence} <Link to={`/licences/${encodeURIComponent(done)}`}>{done}</Link>
            </>
          ) : (
            done
          )}
          .{' '}
          <button type="button" className="btn btn-plain" onClick={onDecided}>
            {t.application.refresh}
          </button>
        </p>
      ) : (
        <div className="actions" role="group" aria-label={t.application.decide(a.id)}>
          <button
            type="button"
            className="btn btn-primary"
            aria-expanded={mode === 'approve'}
            onClick={() => setMode(mode === 'approve' ? 'none' : 'approve')}
          >
            {t.queue.approve}
          </button>
          <button
            type="button"
            className="btn btn-danger"
            aria-expanded={mode === 'deny'}
            onClick={() => setMode(mode === 'deny' ? 'none' : 'deny')}
          >
            {t.queue.deny}
          </button>
          <button
            type="button"
            className="btn btn-plain"
            aria-expanded={mode === 'info'}
            onClick={() => setMode(mode === 'info' ? 'none' : 'info')}
          >
            {t.queue.askInfo}
          </button>
          {api.signer ? null : <span className="muted small">{t.application.needKey}</span>}
        </div>
      )}
      {mode === 'approve' ? <ApproveForm a={a} onSubmit={decide} /> : null}
      {mode === 'deny' ? (
        <LinesForm
          label={t.application.denyReasons}
          initial={a.assessment.reasons.filter((r) => r.startsWith('Deny')).join('\n')}
          submitLabel={t.application.denySubmit}
          danger
          onSubmit={(lines) => decide({ decision: 'deny', reasons: lines })}
        />
      ) : null}
      {mode === 'info' ? (
        <LinesForm
          label={t.application.questions}
          initial=""
          submitLabel={t.application.questionsSubmit}
          onSubmit={(lines) => decide({ decision: 'request-info', questions: lines })}
        />
      ) : null}
      {busy ? <Loading what={t.application.recording} /> : null}
      {error ? <ErrorBox error={error} title={t.application.notRecorded} /> : null}
    </Section>
  );
}

/** The further conditions an end user's undertakings state, in words (the approval keeps them all). */
export function undertakingConditions(u: Undertakings, consentName: string): string[] {
  return [
    ...(u.noWmdUse ? ['No use in weapons of mass destruction or their means of delivery.'] : []),
    ...(u.noMilitaryUse ? ['No military or defence use.'] : []),
    ...(u.noReexportWithoutConsent ? [`No re-export or transfer without the consent of ${consentName}.`] : []),
    ...(u.postShipmentVerificationConsent ? ['The end user accepts post-shipment verification.'] : []),
    ...(u.noticeOfChanges ? ['The end user gives notice of any change of end use or ownership.'] : []),
  ];
}

/** "1,250.5" kg → grams, exactly (at most 3 decimals); undefined if not a number of kilograms. */
export function parseKg(text: string): number | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,3}))?$/.exec(text.trim().replace(/,/g, ''));
  if (!m) return undefined;
  return Number(BigInt(m[1] ?? '0') * 1000n + BigInt((m[2] ?? '').padEnd(3, '0')));
}

/** "12,500.00" in a currency's major unit → minor units, exactly; undefined if not such an amount. */
export function parseMajor(text: string, currency: string): number | undefined {
  const digits = minorUnitDigits(currency);
  const m = new RegExp(`^(\\d{1,15})(?:\\.(\\d{1,${digits}}))?$`).exec(text.trim().replace(/,/g, ''));
  if (!m || (digits === 0 && m[2] !== undefined)) return undefined;
  return Number(BigInt(m[1] ?? '0') * 10n ** BigInt(digits) + BigInt((m[2] ?? '').padEnd(digits, '0') || '0'));
}

const majorOf = (m: Money): string => {
  const d = minorUnitDigits(m.currency);
  const s = m.minor.toString().padStart(d + 1, '0');
  return d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`;
};

function ApproveForm({ a, onSubmit }: { a: Application; onSubmit: (body: unknown) => Promise<void> }) {
  const id = a.id;
  const u = a.certificate?.undertakings ?? null;
  const consentName = u ? (a.parties?.[u.consentAuthority]?.name ?? u.consentAuthority) : '';
  // Prefilled from the certificate's undertakings (an approval may add conditions, never drop one).
  const [prohibited, setProhibited] = useState((u?.prohibitedDestinations ?? []).join(', '));
  const [useOnlyIn, setUseOnlyIn] = useState(u?.useOnlyIn ?? a.application.destination);
  const [extends_, setExtends] = useState(u?.extendsToIncorporatingProducts ?? true);
  const [reportDays, setReportDays] = useState('30');
  const [conditions, setConditions] = useState(
    (u ? undertakingConditions(u, consentName) : ['No military or defence use.']).join('\n'),
  );
  const [validFrom, setValidFrom] = useState(a.application.validFrom ?? '');
  const [validUntil, setValidUntil] = useState(a.application.validUntil ?? '');
  const [ceilings, setCeilings] = useState<Record<string, { kg: string; value: string }>>(() =>
    Object.fromEntries(a.application.lines.map((l) => [l.ref, { kg: kgOf(l.quantityGrams), value: majorOf(l.value) }])),
  );
  const [formError, setFormError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<{ body: unknown; summary: string[] } | undefined>();
  const prepare = () => {
    const dest = prohibited
      .split(/[\s,]+/)
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
    const bad = dest.find((d) => !/^[A-Z]{2}$/.test(d));
    if (bad !== undefined) {
      setFormError(`Re-export prohibited to: “${bad}” is not a two-letter country code`);
      return;
    }
    if (useOnlyIn.trim() !== '' && !/^[A-Za-z]{2}$/.test(useOnlyIn.trim())) {
      setFormError(t.application.useOnlyInBad);
      return;
    }
    const days = reportDays.trim() === '' ? undefined : Number(reportDays);
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365)) {
      setFormError(t.application.reportDaysBad);
      return;
    }
    const iso = /^\d{4}-\d{2}-\d{2}$/;
    if (!iso.test(validFrom)) {
      setFormError(t.application.validFromBad);
      return;
    }
    if (!iso.test(validUntil)) {
      setFormError(t.application.validUntilBad);
      return;
    }
    if (validUntil < validFrom) {
      setFormError(t.application.validUntilBeforeStart);
      return;
    }
    const lowered: Record<string, { grams?: number; valueMinor?: number }> = {};
    for (const l of a.application.lines) {
      const c = ceilings[l.ref];
      const grams = parseKg(c?.kg ?? '');
      if (grams === undefined || grams <= 0) {
        setFormError(`Line ${l.ref} ceiling: “${c?.kg ?? ''}” is not a quantity in kg (up to 3 decimals)`);
        return;
      }
      if (grams > l.quantityGrams) {
        setFormError(`Line ${l.ref} ceiling: ${mass(grams)} is more than the ${mass(l.quantityGrams)} applied for`);
        return;
      }
      const minor = parseMajor(c?.value ?? '', l.value.currency);
      if (minor === undefined) {
        setFormError(`Line ${l.ref} value ceiling: “${c?.value ?? ''}” is not an amount in ${l.value.currency}`);
        return;
      }
      if (minor > l.value.minor) {
        setFormError(`Line ${l.ref} value ceiling: more than the ${money(l.value)} applied for`);
        return;
      }
      if (grams < l.quantityGrams || minor < l.value.minor)
        lowered[l.ref] = {
          ...(grams < l.quantityGrams ? { grams } : {}),
          ...(minor < l.value.minor ? { valueMinor: minor } : {}),
        };
    }
    setFormError(undefined);
    const further = conditions
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const body = {
      decision: 'approve',
      conditions: {
        ...(validFrom !== a.application.validFrom ? { validFrom } : {}),
        ...(validUntil !== a.application.validUntil ? { validUntil } : {}),
        ...(Object.keys(lowered).length > 0 ? { ceilings: lowered } : {}),
        prohibitedReexportDestinations: dest,
        ...(useOnlyIn.trim() === '' ? {} : { useOnlyIn: useOnlyIn.trim().toUpperCase() }),
        extendsToIncorporatingProducts: extends_,
        ...(days === undefined
          ? {}
          : { reportingDuties: [{ kind: 'post-shipment-report', withinDays: days, to: a.application.authority }] }),
        conditions: further,
      },
    };
    const summary = [
      `Holder: ${a.parties?.[a.applicant]?.name ?? a.applicant}; consignee: ${a.parties?.[a.application.consignee ?? a.application.importer]?.name ?? a.application.importer}; destination ${a.application.destination}`,
      `Valid ${validFrom} to ${validUntil}`,
      ...a.application.lines.map((l) => {
        const c = ceilings[l.ref];
        return `Line ${l.ref}: up to ${mass(parseKg(c?.kg ?? '') ?? 0)} and ${l.value.currency} ${c?.value ?? ''}`;
      }),
      `Re-export prohibited to: ${dest.length > 0 ? dest.join(', ') : 'none'}${useOnlyIn.trim() ? `; use only in ${useOnlyIn.trim().toUpperCase()}` : ''}`,
      ...further,
    ];
    setConfirming({ body, summary });
  };
  return (
    <form
      className="decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        prepare();
      }}
      aria-label={t.application.approveLabel(id)}
    >
      {u ? <p className="muted small">{t.application.prefilled(a.certificate?.id ?? '')}</p> : null}
      <div className="grid2 tight">
        <div>
          <label htmlFor={`${id}-from`}>{t.application.validFrom}</label>
          <input id={`${id}-from`} type="date" value={validFrom} onChange={(e) => setValidFrom(e.target.value)} />
        </div>
        <div>
          <label htmlFor={`${id}-until`}>{t.application.validUntil}</label>
          <input id={`${id}-until`} type="date" value={validUntil} onChange={(e) => setValidUntil(e.target.value)} />
        </div>
      </div>
      <fieldset>
        <legend>{t.application.ceilings}</legend>
        {a.application.lines.map((l) => (
          <div className="grid2 tight" key={l.ref}>
            <div>
              <label htmlFor={`${id}-${l.ref}-kg`}>{t.application.lineKg(l.ref)}</label>
              <input
                id={`${id}-${l.ref}-kg`}
                inputMode="decimal"
                value={ceilings[l.ref]?.kg ?? ''}
                onChange={(e) =>
                  setCeilings((c) => ({ ...c, [l.ref]: { kg: e.target.value, value: c[l.ref]?.value ?? '' } }))
                }
              />
            </div>
            <div>
              <label htmlFor={`${id}-${l.ref}-value`}>{t.application.lineValue(l.ref, l.value.currency)}</label>
              <input
                id={`${id}-${l.ref}-value`}
                inputMode="decimal"
                value={ceilings[l.ref]?.value ?? ''}
                onChange={(e) =>
                  setCeilings((c) => ({ ...c, [l.ref]: { kg: c[l.ref]?.kg ?? '', value: e.target.value } }))
                }
              />
            </div>
          </div>
        ))}
      </fieldset>
      <label htmlFor={`${id}-prohibited`}>{t.application.prohibited}</label>
      <input id={`${id}-prohibited`} value={prohibited} onChange={(e) => setProhibited(e.target.value)} />
      <label htmlFor={`${id}-useonly`}>{t.application.useOnlyIn}</label>
      <input id={`${id}-useonly`} value={useOnlyIn} onChange={(e) => setUseOnlyIn(e.target.value)} maxLength={2} />
      <label className="check">
        <input type="checkbox" checked={extends_} onChange={(e) => setExtends(e.target.checked)} />{' '}
        {t.application.bindsProducts}
      </label>
      <label htmlFor={`${id}-days`}>{t.application.reportDays}</label>
      <input id={`${id}-days`} value={reportDays} onChange={(e) => setReportDays(e.target.value)} inputMode="numeric" />
      <label htmlFor={`${id}-conditions`}>{t.application.further}</label>
      <textarea id={`${id}-conditions`} rows={4} value={conditions} onChange={(e) => setConditions(e.target.value)} />
      {formError ? (
        <p className="error" role="alert">
          {formError}
        </p>
      ) : null}
      <SubmitButton label={t.queue.approveSubmit} />
      <ConfirmDialog
        open={confirming !== undefined}
        title={t.queue.confirmTitle}
        confirmLabel={t.queue.confirmIssue}
        cancelLabel={t.queue.cancel}
        onCancel={() => setConfirming(undefined)}
        onConfirm={() => {
          const body = confirming?.body;
          setConfirming(undefined);
          if (body !== undefined) void onSubmit(body);
        }}
      >
        <p>{t.application.signedWarning}</p>
        <ul>
          {confirming?.summary.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      </ConfirmDialog>
    </form>
  );
}

const kgOf = (grams: number): string => {
  const frac = (grams % 1000).toString().padStart(3, '0').replace(/0+$/, '');
  return `${Math.floor(grams / 1000)}${frac === '' ? '' : `.${frac}`}`;
};

function SubmitButton({ label, danger }: { label: string; danger?: boolean }) {
  return (
    <button type="submit" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`}>
      {label}
    </button>
  );
}

function LinesForm({
  label,
  initial,
  submitLabel,
  onSubmit,
  danger,
}: {
  label: string;
  initial: string;
  submitLabel: string;
  onSubmit: (lines: string[]) => Promise<void>;
  danger?: boolean;
}) {
  const [text, setText] = useState(initial);
  const [formError, setFormError] = useState<string | undefined>();
  const id = `lines-${label.length}-${submitLabel.length}`;
  return (
    <form
      className="decision-form"
      onSubmit={(e) => {
        e.preventDefault();
        const lines = text
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
        if (lines.length === 0) {
          setFormError(t.application.oneLine);
          return;
        }
        setFormError(undefined);
        void onSubmit(lines);
      }}
    >
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={4} value={text} onChange={(e) => setText(e.target.value)} />
      {formError ? (
        <p className="error" role="alert">
          {formError}
        </p>
      ) : null}
      <SubmitButton label={submitLabel} {...(danger ? { danger } : {})} />
    </form>
  );
}
