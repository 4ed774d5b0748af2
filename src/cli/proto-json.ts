/**
 * Conversions between the CLI's text and the Temporal API messages: JSON flags to payloads,
 * payloads back to JSON values, and any API message to the JSON the CLI prints (proto3 JSON
 * style: enum names, int64 as strings, Timestamps as ISO strings, Durations as "10s", with
 * Payloads shortened to their JSON values as Temporal's CLI does by default).
 */
import type { Enum, Field, Type } from 'protobufjs';
import { type google, root, temporal } from '../common/proto';
import { CliError } from './output';

type IPayload = temporal.api.common.v1.IPayload;

const utf8 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

/** Parse one JSON flag value, naming the flag when it is not JSON. */
export function parseJsonFlag(flag: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`${flag} is not valid JSON (${(err as Error).message}): ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`);
  }
}

/** A json/plain payload of an already-validated JSON value. */
export function jsonPayload(value: unknown): IPayload {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
}

/** `KEY=JSON` flags (--memo, --search-attribute, --data): keys must be identifiers, values JSON. */
export function parseKeyJsonPairs(flag: string, items: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag} "${item}" must be KEY=VALUE with a JSON value, e.g. ${flag} 'Key="value"'`);
    const key = item.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new CliError(`${flag} key "${key}" is not an identifier`);
    out[key] = parseJsonFlag(`${flag} ${key}`, item.slice(eq + 1));
  }
  return out;
}

/** Back to a JSON value; non-JSON payloads keep their metadata and base64 data. */
export function payloadToValue(p: IPayload | null | undefined): unknown {
  if (!p) return null;
  const meta = p.metadata ?? {};
  const encoding = utf8(meta.encoding);
  if (encoding === 'json/plain' || encoding === 'json/protobuf') {
    try {
      return JSON.parse(utf8(p.data)) as unknown;
    } catch {
      return utf8(p.data);
    }
  }
  if (encoding === 'binary/null') return null;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) metadata[k] = utf8(v);
  return { metadata, data: Buffer.from(p.data ?? []).toString('base64') };
}

export function payloadsToValues(ps: temporal.api.common.v1.IPayloads | null | undefined): unknown[] {
  return (ps?.payloads ?? []).map(payloadToValue);
}

interface LongLike {
  low: number;
  high: number;
  toString(): string;
}
const isLong = (v: unknown): v is LongLike => typeof v === 'object' && v !== null && 'low' in v && 'high' in v;

export function toNumber(v: number | LongLike | null | undefined): number {
  if (v == null) return 0;
  return typeof v === 'number' ? v : Number(v.toString());
}

export function timestampToDate(t: { seconds?: number | LongLike | null; nanos?: number | null } | null | undefined): Date | undefined {
  if (!t || (t.seconds == null && !t.nanos)) return undefined;
  return new Date(toNumber(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
}

/** ISO 8601; a time no Date can hold (a row stored before the range checks) as its seconds, never an exception. */
export function timestampText(t: Parameters<typeof timestampToDate>[0]): string {
  const d = timestampToDate(t);
  if (!d) return '';
  return Number.isNaN(d.getTime()) ? `${toNumber(t?.seconds)}s since 1970 (out of range)` : d.toISOString();
}

export function durationText(d: { seconds?: number | LongLike | null; nanos?: number | null } | null | undefined): string {
  if (!d) return '';
  const s = toNumber(d.seconds) + (d.nanos ?? 0) / 1e9;
  return `${Number(s.toFixed(9))}s`;
}

/** A duration for people: 72h, 1h30m, 10s, 1.5s; '' when zero or absent. */
export function humanDuration(d: { seconds?: number | LongLike | null; nanos?: number | null } | null | undefined): string {
  if (!d) return '';
  const total = toNumber(d.seconds) + (d.nanos ?? 0) / 1e9;
  if (total === 0) return '';
  if (!Number.isInteger(total)) return `${Number(total.toFixed(3))}s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/** Temporal CLI durations: 10s, 1.5m, 72h, 3d, 1h30m, 500ms (a bare number is seconds). */
export function parseDuration(flag: string, text: string): google.protobuf.IDuration {
  const units: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) total = Number(t);
  else {
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
    let m: RegExpExecArray | null;
    let consumed = 0;
    while ((m = re.exec(t))) {
      total += Number(m[1]) * units[m[2]!]!;
      consumed = re.lastIndex;
    }
    if (consumed !== t.length || t.length === 0) throw new CliError(`${flag} "${text}" is not a duration (examples: 10s, 5m, 72h, 3d, 1h30m)`);
  }
  const seconds = Math.floor(total);
  // int64 fields take plain numbers when encoded
  return { seconds, nanos: Math.round((total - seconds) * 1e9) } as unknown as google.protobuf.IDuration;
}

function enumName(e: Enum, v: unknown): unknown {
  if (typeof v === 'string') return v;
  return e.valuesById[v as number] ?? v;
}

// Duck-typed: @temporalio/proto carries its own copy of protobufjs, so `instanceof` would not work.
const isType = (t: unknown): t is Type => typeof t === 'object' && t !== null && 'fieldsArray' in t;
const isEnum = (t: unknown): t is Enum => typeof t === 'object' && t !== null && 'valuesById' in t;

function fieldValue(field: Field, v: unknown, opts: JsonOptions): unknown {
  const t = field.resolvedType;
  if (isType(t)) return messageToJson(t, v, opts);
  if (isEnum(t)) return enumName(t, v);
  if (isLong(v)) return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

const isDefault = (v: unknown) =>
  v === undefined || v === null || v === '' || v === 0 || v === '0' || v === false || (typeof v === 'string' && v.endsWith('_UNSPECIFIED'));

export interface JsonOptions {
  /** Keep payloads as proto3 JSON ({metadata, data} in base64), as replayable history files have them. */
  rawPayloads?: boolean;
}

/**
 * Any API message (a decoded instance or a plain object) to printable JSON: proto3 JSON, with
 * payloads shortened to their JSON values unless `rawPayloads`.
 */
export function messageToJson(type: Type | string, msg: unknown, opts: JsonOptions = {}): unknown {
  const t = typeof type === 'string' ? root.lookupType(type) : type;
  if (msg == null) return null;
  const m = msg as Record<string, unknown>;
  switch (opts.rawPayloads && t.fullName.startsWith('.temporal.api.common.v1.Payload') ? '' : t.fullName) {
    case '.google.protobuf.Timestamp':
      return timestampText(m as never);
    case '.google.protobuf.Duration':
      return durationText(m as never);
    case '.temporal.api.common.v1.Payload':
      return payloadToValue(m as IPayload);
    case '.temporal.api.common.v1.Payloads':
      return payloadsToValues(m as temporal.api.common.v1.IPayloads);
  }
  const out: Record<string, unknown> = {};
  for (const field of t.fieldsArray) {
    field.resolve();
    const v = m[field.name];
    if (v == null) continue;
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, x]) => [k, fieldValue(field, x, opts)]));
    } else if (field.repeated) {
      const arr = v as unknown[];
      if (arr.length === 0) continue;
      out[field.name] = arr.map((x) => fieldValue(field, x, opts));
    } else {
      const x = fieldValue(field, v, opts);
      if (!isDefault(x)) out[field.name] = x;
    }
  }
  return out;
}

/** EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> WorkflowExecutionStarted */
export function enumShort(name: string, prefix: string): string {
  return name
    .replace(new RegExp(`^${prefix}_`), '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
/** WORKFLOW_EXECUTION_STATUS_COMPLETED -> COMPLETED */
export function statusName(s: number | string | null | undefined): string {
  const name = typeof s === 'string' ? s : (Status[s ?? 0] ?? String(s));
  return String(name).replace(/^WORKFLOW_EXECUTION_STATUS_/, '');
}

/** A failure as readable lines: message (type), then each cause. */
export function failureText(f: temporal.api.failure.v1.IFailure | null | undefined): string {
  const parts: string[] = [];
  for (let cur = f, depth = 0; cur && depth < 10; cur = cur.cause, depth++) {
    const type = cur.applicationFailureInfo?.type;
    const kind = type
      ? ` (${type})`
      : cur.timeoutFailureInfo
        ? ' (timeout)'
        : cur.canceledFailureInfo
          ? ' (canceled)'
          : cur.terminatedFailureInfo
            ? ' (terminated)'
            : '';
    parts.push(`${depth === 0 ? '' : 'cause: '}${cur.message ?? ''}${kind}`);
  }
  return parts.join('\n');
}
