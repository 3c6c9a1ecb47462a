import { useRef, useState } from 'react';
import { formatSummary, type VerifySummary } from '../../../src/verify/index.js';
import { useSession } from '../session.js';
import { t } from '../strings.js';
import { Badge, Empty, ErrorBox, Loading, ProgressBar, Section, useLoad } from '../ui.js';
import type { FromWorker } from '../verify-worker.js';
import type { LicenceSummary } from './Licences.js';

interface Checkpoint {
  size: number;
  root: string;
  note: string;
  cosignatures: string[];
}

type Outcome =
  { ok: true; summary: VerifySummary; source: string } | { ok: false; code: string; message: string; source: string };

/** The verification under way: its promise, and how to stop it. */
interface Verifying {
  readonly done: Promise<Outcome | undefined>;
  cancel(): void;
}

/**
 * Runs the offline verifier (src/verify, the same module as `lodestone verify`) in a Web Worker
 * (verify-worker.ts): the page stays responsive, `onProgress` hears the fraction done, and
 * `cancel` terminates the worker (the promise then settles with undefined).
 */
function verifyInWorker(text: string, source: string, onProgress: (fraction: number) => void): Verifying {
  const worker = new Worker(new URL('../verify-worker.ts', import.meta.url), { type: 'module' });
  let settle: (o: Outcome | undefined) => void = () => undefined;
  const done = new Promise<Outcome | undefined>((resolve) => {
    settle = (o) => {
      worker.terminate();
      resolve(o);
    };
  });
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.kind === 'progress') onProgress(m.fraction);
    else if (m.kind === 'verified') settle({ ok: true, summary: m.summary, source });
    else settle({ ok: false, code: m.code, message: m.message, source });
  };
  worker.onerror = (e) => {
    e.preventDefault();
    settle({ ok: false, code: 'ERROR', message: e.message || 'the verifier stopped', source });
  };
  worker.postMessage({ text });
  return { done, cancel: () => settle(undefined) };
}

/** A file's text, reporting the fraction read. */
function readWithProgress(f: File, onProgress: (fraction: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    r.onload = () => resolve(typeof r.result === 'string' ? r.result : '');
    r.onerror = () => reject(r.error ?? new Error(`could not read ${f.name}`));
    r.readAsText(f);
  });
}

/** A GET's body as text, reporting the fraction received (when the server sends Content-Length). */
async function fetchWithProgress(
  apiKey: string,
  path: string,
  onProgress: (fraction: number | undefined) => void,
): Promise<string> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' } });
  if (!res.ok || res.body === null) {
    const text = await res.text();
    let detail = text.slice(0, 300);
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
    } catch {
      // not a problem document: keep the text
    }
    throw new Error(`HTTP ${res.status}: ${detail}`);
  }
  const total = Number(res.headers.get('content-length') ?? 0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onProgress(total > 0 ? Math.min(1, received / total) : undefined);
  }
  const all = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

export function AuditScreen() {
  const { api, me } = useSession();
  const cp = useLoad(() => api.get<Checkpoint>('/v1/log/checkpoint'), []);
  const licences = useLoad(
    () =>
      me.role === 'auditor' || me.role === 'operator-admin'
        ? Promise.resolve([] as LicenceSummary[])
        : api.get<LicenceSummary[]>('/v1/console/licences'),
    [],
  );
  const [busy, setBusy] = useState<string | undefined>();
  const [progress, setProgress] = useState<{ label: string; value?: number } | undefined>();
  const [granted, setGranted] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [error, setError] = useState<Error | undefined>();
  /** Reads or downloads the bundle (a determinate bar), then verifies it (an indeterminate one). */
  const run = async (
    label: string,
    stage: string,
    getText: (onProgress: (v: number | undefined) => void) => Promise<string>,
  ) => {
    setBusy(label);
    setOutcome(undefined);
    setError(undefined);
    setProgress({ label: stage, value: 0 });
    try {
      const text = await getText((v) => setProgress(v === undefined ? { label: stage } : { label: stage, value: v }));
      setProgress({ label: t.progress.verifying, value: 0 });
      const verifying = verifyInWorker(text, label, (value) => setProgress({ label: t.progress.verifying, value }));
      current.current = verifying;
      const o = await verifying.done;
      if (o === undefined) setError(new Error(t.progress.cancelled));
      else setOutcome(o);
    } catch (e) {
      setError(e as Error);
    } finally {
      current.current = undefined;
      setBusy(undefined);
      setProgress(undefined);
    }
  };
  const current = useRef<Verifying | undefined>(undefined);
  return (
    <div className="page">
      <h1>{t.audit.title}</h1>
      <div className="grid2">
        <Section title={t.audit.latest} id="checkpoint">
          {cp.loading ? <Loading what={t.audit.checkpointLoading} /> : null}
          {cp.error ? <ErrorBox error={cp.error} title={t.audit.checkpointFailed} /> : null}
          {cp.data ? (
            <>
              <dl className="kv">
                <dt>{t.audit.treeSize}</dt>
                <dd data-testid="checkpoint-size">{cp.data.size}</dd>
                <dt>{t.audit.rootHash}</dt>
                <dd className="mono small">{cp.data.root}</dd>
                <dt>{t.audit.cosignatures}</dt>
                <dd>{cp.data.cosignatures.length === 0 ? t.audit.noCosignatures : cp.data.cosignatures.length}</dd>
              </dl>
              <h3>{t.audit.signedNote}</h3>
              <pre className="note" tabIndex={0}>
                {cp.data.note}
              </pre>
              {cp.data.cosignatures.length > 0 ? (
                <>
                  <h3>{t.audit.witnessCosignatures}</h3>
                  <pre className="note" tabIndex={0}>
                    {cp.data.cosignatures.join('\n')}
                  </pre>
                </>
              ) : null}
            </>
          ) : null}
        </Section>
        <Section title={t.audit.verifyHere} id="verify">
          <p className="muted">
            {t.audit.checkedHere} <code>{t.audit.verifyCommand}</code>
            {t.audit.checkedWhat}
          </p>
          <label htmlFor="bundle-file">{t.audit.bundleFile}</label>
          <input
            id="bundle-file"
            type="file"
            accept=".json,application/json"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void run(f.name, t.progress.reading, (on) => readWithProgress(f, on));
              e.target.value = '';
            }}
          />
          {licences.data && licences.data.length > 0 ? (
            <div className="row">
              <span>{t.audit.orFetch}</span>
              {licences.data.map((l) => (
                <button
                  key={l.id}
                  type="button"
                  className="btn btn-plain"
                  disabled={busy !== undefined}
                  onClick={() =>
                    void run(t.audit.bundleOf(l.id), t.progress.downloading, (on) =>
                      fetchWithProgress(api.apiKey, `/v1/licences/${encodeURIComponent(l.id)}/audit-bundle`, on),
                    )
                  }
                >
                  {l.id}
                </button>
              ))}
            </div>
          ) : null}
          {me.role === 'auditor' ? (
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                const id = granted.trim();
                if (id === '') {
                  setError(new Error(t.audit.enterId));
                  return;
                }
                void run(t.audit.bundleOf(id), t.progress.downloading, (on) =>
                  fetchWithProgress(api.apiKey, `/v1/licences/${encodeURIComponent(id)}/audit-bundle`, on),
                );
              }}
            >
              <label htmlFor="granted-licence">{t.audit.orGranted}</label>
              <input
                id="granted-licence"
                value={granted}
                onChange={(e) => setGranted(e.target.value)}
                placeholder={t.audit.licencePlaceholder}
              />
              <button type="submit" className="btn btn-plain" disabled={busy !== undefined}>
                {t.audit.fetchVerify}
              </button>
            </form>
          ) : null}
          {busy !== undefined && progress ? (
            <div className="row">
              <ProgressBar
                label={`${progress.label}: ${busy}`}
                {...(progress.value === undefined ? {} : { value: progress.value })}
              />
              {progress.label === t.progress.verifying ? (
                <button type="button" className="btn btn-plain" onClick={() => current.current?.cancel()}>
                  {t.progress.cancel}
                </button>
              ) : null}
            </div>
          ) : null}
          {error ? <ErrorBox error={error} title={t.audit.readFailed} /> : null}
          {outcome ? <VerifyResult o={outcome} /> : null}
          {!outcome && busy === undefined && !error ? <Empty>{t.audit.noneYet}</Empty> : null}
        </Section>
      </div>
    </div>
  );
}

function VerifyResult({ o }: { o: Outcome }) {
  if (!o.ok) {
    return (
      <div className="refusal" role="alert" data-testid="verify-result">
        <p>
          <Badge tone="bad">{t.audit.failed}</Badge> {o.source}
        </p>
        <p>
          <code>{o.code}</code>: <span className="explanation">{o.message}</span>
        </p>
      </div>
    );
  }
  const s = o.summary;
  return (
    <div className="success" role="status" data-testid="verify-result">
      <p>
        <Badge tone="ok">{t.audit.verified}</Badge> {o.source}
      </p>
      <dl className="kv">
        <dt>{t.audit.licence}</dt>
        <dd>{s.licence}</dd>
        <dt>{t.audit.records}</dt>
        <dd>{s.entries}</dd>
        <dt>{t.audit.checkpoint}</dt>
        <dd>
          {t.audit.checkpointOf(s.checkpoint.origin, s.checkpoint.size)}
          {s.logKeyPinned ? '' : t.audit.logKeyNotPinned}
        </dd>
        <dt>{t.audit.witnesses}</dt>
        <dd>{s.cosigners.length ? s.cosigners.join(', ') : t.audit.noWitnesses}</dd>
        {s.unverifiedCosigners.length ? (
          <>
            <dt>{t.audit.unverified}</dt>
            <dd>
              {t.audit.unverifiedWhy(s.unverifiedCosigners.join(', '))} <code>{t.audit.witnessCommand}</code>
            </dd>
          </>
        ) : null}
        <dt>{t.audit.trustList}</dt>
        <dd>
          {t.audit.versions(s.trustList.versions)}
          {s.trustList.rootPinned ? '' : t.audit.rootNotPinned};{' '}
          {t.audit.decisions(s.trustList.decisions, s.trustList.countersignatures)}
        </dd>
      </dl>
      <details>
        <summary>{t.audit.report}</summary>
        <pre tabIndex={0}>{formatSummary(s)}</pre>
      </details>
    </div>
  );
}
