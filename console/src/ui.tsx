import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, type Api } from './api.js';
import { mass as formatMass } from './format.js';
import { t } from './strings.js';

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
      <span className="spinner" aria-hidden="true" /> {t.ui.loading(what)}
    </p>
  );
}

export function ErrorBox({ error, title }: { error: Error; title?: string }) {
  const p = error instanceof ApiError ? error.problem : undefined;
  return (
    <div className="error" role="alert">
      <strong>{title ?? t.ui.wentWrong}</strong>
      {p ? (
        <p>
          <code>{p.code}</code>
          {p.status > 0 ? ` (HTTP ${p.status})` : ''}: {p.detail}
          {p.field ? (
            <>
              {' '}
              {t.ui.field} <code>{p.field}</code>
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

/** Whole grams as t / kg / g, exactly (format.ts: the same formatting as the CLI). */
export const mass = formatMass;

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

// ── Lists: server-side search, filters, sorting and pages ─────────────────────────────────────

export interface ListState {
  readonly q: string;
  readonly sort: string;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly offset: number;
  readonly filters: Readonly<Record<string, string>>;
}

/** The query string of a list state (empty values left out). */
export function listQueryString(s: ListState, extra: Readonly<Record<string, string>> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(s.filters)) if (v !== '') p.set(k, v);
  if (s.q.trim() !== '') p.set('q', s.q.trim());
  p.set('sort', s.sort);
  p.set('order', s.order);
  p.set('limit', String(s.limit));
  p.set('offset', String(s.offset));
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

/** One page of a list route, reloaded whenever the state changes (the server searches, sorts and pages). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON's type, as with get<T>
export function useList<T>(api: Api, path: string, initial: Omit<ListState, 'offset' | 'q'> & { q?: string }) {
  const [state, setState] = useState<ListState>({ q: '', offset: 0, ...initial });
  const qs = listQueryString(state);
  const page = useLoad(() => api.list<T>(`${path}?${qs}`), [path, qs]);
  /** Changes the state; any change but a page move goes back to the first page. */
  const update = (patch: Partial<ListState>) => setState((s) => ({ ...s, ...patch, offset: patch.offset ?? 0 }));
  return { state, update, page, path };
}

export interface ListOption {
  readonly value: string;
  readonly label: string;
}

/** Search box, filters, sort, order and page size of a list; the CSV button downloads every matching row. */
export function ListControls({
  label,
  list,
  sorts,
  filters,
  csv,
}: {
  label: string;
  list: { state: ListState; update: (p: Partial<ListState>) => void; path: string; api?: Api };
  sorts: readonly ListOption[];
  filters?: readonly { name: string; label: string; options: readonly ListOption[] }[];
  csv?: { api: Api; filename: string };
}) {
  const id = useId();
  const [draft, setDraft] = useState(list.state.q);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const { update } = list;
  useEffect(() => () => clearTimeout(timer.current), []);
  return (
    <form
      className="list-controls"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        clearTimeout(timer.current);
        update({ q: draft });
      }}
    >
      <div className="field grow">
        <label htmlFor={`${id}-q`}>{t.list.search}</label>
        <input
          id={`${id}-q`}
          type="search"
          value={draft}
          title={t.list.searchHint}
          onChange={(e) => {
            const v = e.target.value;
            setDraft(v);
            clearTimeout(timer.current);
            timer.current = setTimeout(() => update({ q: v }), 300);
          }}
        />
      </div>
      {(filters ?? []).map((f) => (
        <div className="field" key={f.name}>
          <label htmlFor={`${id}-${f.name}`}>{f.label}</label>
          <select
            id={`${id}-${f.name}`}
            name={f.name}
            value={list.state.filters[f.name] ?? ''}
            onChange={(e) => update({ filters: { ...list.state.filters, [f.name]: e.target.value } })}
          >
            {f.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      ))}
      <div className="field">
        <label htmlFor={`${id}-sort`}>{t.list.sortBy}</label>
        <select id={`${id}-sort`} value={list.state.sort} onChange={(e) => update({ sort: e.target.value })}>
          {sorts.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-order`}>{t.list.order}</label>
        <select
          id={`${id}-order`}
          value={list.state.order}
          onChange={(e) => update({ order: e.target.value === 'desc' ? 'desc' : 'asc' })}
        >
          <option value="asc">{t.list.ascending}</option>
          <option value="desc">{t.list.descending}</option>
        </select>
      </div>
      {csv ? (
        <CsvButton
          api={csv.api}
          path={`${list.path}?${listQueryString(list.state, { format: 'csv' })}`}
          filename={csv.filename}
        />
      ) : null}
    </form>
  );
}

/** "Showing 1–50 of 120" and the previous / next page buttons. */
export function Pager({
  list,
  total,
}: {
  list: { state: ListState; update: (p: Partial<ListState>) => void };
  total: number;
}) {
  const { offset, limit } = list.state;
  const id = useId();
  return (
    <nav className="pager" aria-label={t.list.pages}>
      <span role="status">{t.list.showing(offset + 1, Math.min(total, offset + limit), total)}</span>
      <button
        type="button"
        className="btn btn-plain"
        disabled={offset === 0}
        onClick={() => list.update({ offset: Math.max(0, offset - limit) })}
      >
        {t.list.previous}
      </button>
      <button
        type="button"
        className="btn btn-plain"
        disabled={offset + limit >= total}
        onClick={() => list.update({ offset: offset + limit })}
      >
        {t.list.next}
      </button>
      <label htmlFor={`${id}-per`}>{t.list.perPage}</label>
      <select id={`${id}-per`} value={limit} onChange={(e) => list.update({ limit: Number(e.target.value) })}>
        {[10, 25, 50, 100].map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </nav>
  );
}

/** Downloads a route's CSV (fetched with the API key, saved through a blob URL). */
export function CsvButton({
  api,
  path,
  filename,
  label,
}: {
  api: Api;
  path: string;
  filename: string;
  label?: string;
}) {
  const [error, setError] = useState<Error | undefined>();
  return (
    <span className="csv">
      <ActionButton
        busyLabel={t.list.downloading}
        onClick={async () => {
          setError(undefined);
          try {
            const text = await api.csv(path);
            const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
            const a = document.createElement('a');
            a.href = url;
            a.download = `${filename}.csv`;
            document.body.append(a);
            a.click();
            a.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          } catch (e) {
            setError(e as Error);
          }
        }}
      >
        {label ?? t.list.downloadCsv}
      </ActionButton>
      {error ? <ErrorBox error={error} title={t.ui.downloadFailed} /> : null}
    </span>
  );
}

/** A progress bar for long work: determinate when the fraction is known, indeterminate otherwise. */
export function ProgressBar({ label, value }: { label: string; value?: number }) {
  const id = useId();
  return (
    <div className="progress" data-testid="progress">
      <label htmlFor={id}>
        {label}
        {value === undefined ? '…' : ` (${Math.floor(value * 100)} %)`}
      </label>
      {value === undefined ? (
        <progress id={id} />
      ) : (
        <progress
          id={id}
          max={1}
          value={value}
          aria-valuenow={Math.floor(value * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        />
      )}
    </div>
  );
}

/** A modal confirmation (the native dialog element: focus trapped, Escape cancels). */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="confirm" aria-labelledby={`${id}-h`} onCancel={onCancel}>
      <h2 id={`${id}-h`}>{title}</h2>
      {children}
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" className="btn btn-plain" onClick={onCancel}>
          {cancelLabel}
        </button>
      </div>
    </dialog>
  );
}
