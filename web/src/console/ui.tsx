import type { ComponentChildren, PartialInputHTMLAttributes, TargetedSubmitEvent } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, newKey } from '../shared/api.ts';
import type { Money } from '../shared/types.ts';

/** What a page reads from the API: the answer, the refusal, whether it is on its way. */
export type Loaded<T> = Readonly<{
  data?: T;
  error?: unknown;
  loading: boolean;
  /** Reads again; the answer shown so far stays until the new one arrives. */
  reload: () => void;
}>;

/**
 * Reads with `load` whenever `key` changes (the previous read is aborted). The data of another key is
 * dropped at once, so a page never shows one order's lines under another's heading.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: unknown; loading: boolean }>({
    key,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => (s.key === key ? { ...s, loading: true } : { key, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key, data, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ key, error, loading: false });
      },
    );
    return () => controller.abort();
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const current = state.key === key ? state : { loading: true };
  return { ...current, reload };
}

/** A form's submission: busy while it runs, its refusal kept for the alert, its outcome for the status line. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const run = async (action: () => Promise<string | undefined | void>) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const message = await action();
      if (message) setDone(message);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run, clear: () => (setError(undefined), setDone(undefined)) };
}

/**
 * One Idempotency-Key per attempt: the same body sent again (a retry after a timeout) carries the same
 * key, so it cannot ship or refund twice; a changed body is a new attempt with a new key.
 */
export function useIdempotencyKey() {
  const last = useRef<{ body: string; key: string } | undefined>(undefined);
  return {
    keyFor(body: unknown): string {
      const text = JSON.stringify(body);
      if (last.current?.body !== text) last.current = { body: text, key: newKey() };
      return last.current.key;
    },
    /** After a success: the next submission is another attempt. */
    reset() {
      last.current = undefined;
    },
  };
}

/** The API's refusal, explained: its title, its detail and the fields at fault. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  if (error instanceof ApiError) {
    const { problem } = error;
    const fields = (problem.errors ?? []) as readonly Readonly<{
      field?: string;
      message?: string;
      problem?: string;
    }>[];
    return (
      <div role="alert" class="alert">
        <p>
          <strong>{problem.title}</strong>
          {problem.status ? <span class="alert-code"> ({problem.status})</span> : null}
          {problem.detail ? `: ${problem.detail}` : null}
        </p>
        {fields.length > 0 && (
          <ul>
            {fields.map((field, i) => (
              <li key={i}>
                {field.field ? <code>{field.field}</code> : null} {field.problem ?? field.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div role="alert" class="alert">
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

/**
 * What came of a form: the check it failed in the page (`invalid`), the API's refusal, or its
 * outcome's status line.
 */
export function Outcome({
  invalid,
  action,
}: {
  invalid?: string | undefined;
  action: Readonly<{ error: unknown; done?: string | undefined }>;
}) {
  return (
    <>
      {invalid && (
        <div role="alert" class="alert">
          <p>{invalid}</p>
        </div>
      )}
      <ProblemAlert error={action.error} />
      <Done message={action.done} />
    </>
  );
}

/** A polite status line (saved, shipped, refunded…). */
export function Done({ message }: { message?: string | undefined }) {
  if (!message) return null;
  return (
    <p role="status" class="done">
      {message}
    </p>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </p>
  );
}

/** The loaded state of a page section: spinner, alert or the content. */
export function Show<T>({
  loaded,
  children,
  what,
}: {
  loaded: Loaded<T>;
  children: (data: T) => ComponentChildren;
  what?: string;
}) {
  if (loaded.data !== undefined)
    return (
      <>
        {loaded.error !== undefined && <ProblemAlert error={loaded.error} />}
        <div aria-busy={loaded.loading ? 'true' : 'false'}>{children(loaded.data)}</div>
      </>
    );
  if (loaded.error !== undefined) return <ProblemAlert error={loaded.error} />;
  return <Loading what={what} />;
}

/** A wide table scrolls sideways on a phone; the region can be scrolled with the keyboard too. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={`${label} table`} tabIndex={0}>
      {children}
    </div>
  );
}

export function Field({
  label,
  hint,
  children,
  id,
}: {
  label: string;
  hint?: string;
  id: string;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
}

/**
 * A labelled text input: `onValue` gets each edit; the hint, when there is one, describes the input.
 */
export function TextField({
  id,
  label,
  hint,
  value,
  onValue,
  ...input
}: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onValue: (value: string) => void;
} & Pick<
  PartialInputHTMLAttributes<HTMLInputElement>,
  'required' | 'maxLength' | 'autoComplete' | 'inputMode'
>) {
  return (
    <Field id={id} label={label} hint={hint}>
      <input
        {...input}
        id={id}
        aria-describedby={hint ? `${id}-hint` : undefined}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </Field>
  );
}

/** Links to the filtered views of one list, the one shown marked as the current page. */
export function FilterTabs({
  label,
  filters,
  current,
  href,
}: {
  label: string;
  filters: readonly Readonly<{ value: string; label: string }>[];
  current: string;
  href: (value: string) => string;
}) {
  return (
    <nav aria-label={label} class="tabs">
      <ul>
        {filters.map((f) => (
          <li key={f.value}>
            <a href={href(f.value)} aria-current={f.value === current ? 'page' : undefined}>
              {f.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The page's heading, focused when the page changes so a screen reader announces where it is. */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  useEffect(() => {
    document.title = `${title} · Console · eventful-commerce`;
  }, [title]);
  return (
    <h1 tabIndex={-1} id="page-title">
      {children}
    </h1>
  );
}

/** A form's submit handler: the page stays, `handler` runs. */
export const submitting =
  (handler: () => void) =>
  (event: TargetedSubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    handler();
  };

/** `{amount: 1999, currency}` <- "19.99" in the currency's major unit; undefined when not a number. */
export function parseMoney(text: string, currency: string): Money | undefined {
  const trimmed = text.trim().replace(/^\$/, '');
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return undefined;
  const [whole, fraction = ''] = trimmed.split('.');
  return { amount: Number(whole) * 100 + Number(fraction.padEnd(2, '0')), currency };
}

/** 1999 -> "19.99" (for an input's value). */
export const moneyInput = (amount: number): string => (amount / 100).toFixed(2);

const twoDigits = (n: number) => String(n).padStart(2, '0');

/** An instant as a `datetime-local` input's value (local time, to the second). */
export function localInput(date: Date): string {
  return (
    `${date.getFullYear()}-${twoDigits(date.getMonth() + 1)}-${twoDigits(date.getDate())}` +
    `T${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`
  );
}

/** A `datetime-local` value (local time) as an ISO instant; undefined when empty or invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const timeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
/** To the second: an auditor compares moments. */
export const formatTime = (iso: string): string => timeFormat.format(new Date(iso));

export const shortId = (id: string): string => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

export const statusLabel = (status: string): string => status.replace(/_/g, ' ');

/** Builds `path?query` from the values that are set. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Offers `text` as a file download (a link cannot carry the bearer token, so the data is fetched first). */
export function download(name: string, text: string | Blob, type = 'application/x-ndjson'): void {
  const blob = typeof text === 'string' ? new Blob([text], { type }) : text;
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
