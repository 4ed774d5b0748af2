/** Small shared pieces: loading state, error boxes, JSON display, dialogs, time formatting. */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { Json } from '../../api-types';
import { ApiFailure } from './api';

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data?: T; error?: ApiFailure | Error; loading: boolean; reload(): void } {
  const [state, setState] = useState<{ data?: T; error?: ApiFailure | Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

const EXPLAIN: Record<string, string> = {
  UNIMPLEMENTED: 'This server does not implement this API yet.',
  NOT_FOUND: 'Not found.',
  FAILED_PRECONDITION: 'The server cannot do this in its current configuration.',
  INVALID_ARGUMENT: 'The server refused the request.',
  DEADLINE_EXCEEDED: 'The server did not answer in time.',
  UNAVAILABLE: 'The server is not reachable.',
};

export function ErrorBox({ error, what, testId }: { error: Error; what: string; testId?: string }) {
  const f = error instanceof ApiFailure ? error : undefined;
  return (
    <div className={`error-box ${f?.codeName === 'UNIMPLEMENTED' ? 'unavailable' : ''}`} role="alert" data-testid={testId ?? 'error'} data-code={f?.codeName}>
      <strong>
        {what}:{' '}
        {f ? `${EXPLAIN[f.codeName] ?? 'The request failed.'} (gRPC status ${f.codeName}${f.code !== undefined ? ` ${f.code}` : ''})` : 'the request failed'}
      </strong>
      <div className="error-detail">{error.message}</div>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="loading">Loading {what}…</div>;
}

function isPayloadBlob(v: Json): v is { _payload: { encoding: string; data: string } } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && '_payload' in v;
}

/** Pretty JSON of decoded payloads; undecodable payloads show their encoding and size. */
export function JsonView({ value, testId }: { value: Json | undefined; testId?: string }) {
  if (value === undefined) return <span className="muted">—</span>;
  const text = JSON.stringify(
    value,
    (_k, v: Json) => (isPayloadBlob(v) ? `<${v._payload.encoding || 'unknown encoding'} payload, ${Math.floor((v._payload.data.length * 3) / 4)} bytes>` : v),
    2,
  );
  return (
    <pre className="json" data-testid={testId}>
      {text}
    </pre>
  );
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export function fmtDuration(fromIso: string | null, toIso: string | null): string {
  if (!fromIso) return '';
  const ms = (toIso ? new Date(toIso).getTime() : Date.now()) - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status status-${status.toLowerCase()}`} data-testid="status">
      {status}
    </span>
  );
}

/** A modal confirmation: children are the form fields; confirm runs `onConfirm`, errors show inside. */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm(): Promise<void>;
  onClose(): void;
  children?: ReactNode;
  testId: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  };
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testId}>
        <h3>{props.title}</h3>
        {props.children}
        {error && <ErrorBox error={error} what={props.title} testId="dialog-error" />}
        <div className="modal-actions">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Close
          </button>
          <button type="button" className={props.danger ? 'danger' : 'primary'} onClick={confirm} disabled={busy} data-testid="confirm">
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
