/** fetch() wrappers for the UI server's JSON API (/api/v1). Errors carry the gRPC status name. */
import type { ApiError } from '../../api-types';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly codeName: string,
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

async function handle<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiFailure(res.status, 'BAD_RESPONSE', `the UI server answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const e = (body as ApiError).error;
    throw new ApiFailure(res.status, e?.codeName ?? 'UNKNOWN', e?.message ?? `HTTP ${res.status}`, e?.code);
  }
  return body as T;
}

export function apiGet<T>(path: string, params: Record<string, string | number | undefined | null> = {}): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const q = qs.toString();
  return fetch(`/api/v1${path}${q ? `?${q}` : ''}`, { headers: { accept: 'application/json' } }).then((r) => handle<T>(r));
}

export function apiPost<T>(path: string, body: unknown): Promise<T> {
  return fetch(`/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => handle<T>(r));
}

export const enc = encodeURIComponent;

export function wfPath(ns: string, wid: string): string {
  return `/namespaces/${enc(ns)}/workflows/${enc(wid)}`;
}
