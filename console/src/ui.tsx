import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api.js';

/** Data loading with explicit loading / error / data states (and a reload). */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): { data: T | undefined; error: ApiError | Error | undefined; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) =>
        live && setState({ error: error instanceof Error ? error : new Error(String(error)), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, title }: { error: Error; title?: string }) {
  const p = error instanceof ApiError ? error.problem : undefined;
  return (
    <div className="error" role="alert">
      <strong>{title ?? 'Something went wrong'}</strong>
      {p ? (
        <p>
          <code>{p.code}</code>
          {p.status > 0 ? ` (HTTP ${p.status})` : ''}: {p.detail}
          {p.field ? (
            <>
              {' '}
              — field <code>{p.field}</code>
            </>
          ) : null}
        </p>
      ) : (
        <p>{error.message}</p>
      )}
      {p?.refusals && p.refusals.length > 0 ? (
        <ul>
          {p.refusals.map((r, i) => (
            <li key={i}>
              <code>{r.rule}</code>: {r.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Section({
  title,
  children,
  id,
  aside,
}: {
  title: string;
  children: ReactNode;
  id?: string;
  aside?: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={id ? `${id}-h` : undefined} id={id}>
      <div className="card-head">
        <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

/** Whole grams as kg / t with thousands separators (display only; the API keeps exact grams). */
export function mass(grams: number): string {
  if (Math.abs(grams) >= 1_000_000)
    return `${(grams / 1_000_000).toLocaleString('en-GB', { maximumFractionDigits: 3 })} t`;
  if (Math.abs(grams) >= 1_000) return `${(grams / 1_000).toLocaleString('en-GB', { maximumFractionDigits: 3 })} kg`;
  return `${grams.toLocaleString('en-GB')} g`;
}

export function Badge({ tone, children }: { tone: 'ok' | 'bad' | 'warn' | 'info'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A button that shows it is busy while its action runs, and reports the action's error. */
export function ActionButton({
  onClick,
  children,
  kind,
  disabled,
  busyLabel,
}: {
  onClick: () => Promise<void>;
  children: ReactNode;
  kind?: 'primary' | 'danger' | 'plain';
  disabled?: boolean;
  busyLabel?: string;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className={`btn btn-${kind ?? 'plain'}`}
      disabled={disabled === true || busy}
      aria-busy={busy}
      onClick={() => {
        setBusy(true);
        void onClick().finally(() => setBusy(false));
      }}
    >
      {busy ? (
        <>
          <span className="spinner" aria-hidden="true" /> {busyLabel ?? 'Working…'}
        </>
      ) : (
        children
      )}
    </button>
  );
}
