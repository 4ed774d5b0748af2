/**
 * Protobuf messages (as decoded by @temporalio/client) to the readable JSON of the UI API
 * (src/ui/api-types.ts): walks the message with the protobufjs reflection of @temporalio/proto, so
 * every type is handled the same way; enums by name, Timestamp as ISO, Duration as "Ns", int64 as
 * numbers, bytes as base64 and Payload(s) decoded.
 */
import type { Enum, Field, Type } from 'protobufjs';
import type { Json, JsonObject } from '../api-types';
import { root } from '../../common/proto';

const typeCache = new Map<string, Type>();

export function lookupType(fullName: string): Type {
  let t = typeCache.get(fullName);
  if (!t) {
    t = root.lookupType(fullName);
    t.resolveAll();
    typeCache.set(fullName, t);
  }
  return t;
}

type Longish = { low: number; high: number; unsigned?: boolean; toString(): string; toNumber(): number };

function isLong(v: unknown): v is Longish {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Longish).low === 'number' &&
    typeof (v as Longish).high === 'number' &&
    typeof (v as Longish).toNumber === 'function'
  );
}

export function int64(v: unknown): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (isLong(v)) {
    const n = v.toNumber();
    return Number.isSafeInteger(n) ? n : v.toString();
  }
  return 0;
}

function bytesToB64(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'string') return v;
  return '';
}

function utf8(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return typeof v === 'string' ? v : '';
}

/** One Payload: json/plain to its value, binary/null to null, anything else kept as base64. */
export function decodePayload(p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null } | null | undefined): Json {
  if (!p) return null;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = utf8(v);
  const encoding = metadata.encoding ?? '';
  if (encoding === 'binary/null') return null;
  if (encoding === 'json/plain' || encoding === 'json/protobuf') {
    try {
      return JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8')) as Json;
    } catch {
      // fall through: shown as base64
    }
  }
  return { _payload: { encoding, metadata, data: bytesToB64(p.data ?? new Uint8Array()) } };
}

function timestampIso(m: { seconds?: unknown; nanos?: number | null }): string | null {
  const s = Number(int64(m.seconds ?? 0));
  const ms = s * 1000 + Math.floor((m.nanos ?? 0) / 1e6);
  const d = new Date(ms);
  // a time out of Date's range (a row stored before the range checks) is shown as unknown, never an exception
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) return null;
  return d.toISOString();
}

function durationText(m: { seconds?: unknown; nanos?: number | null }): string {
  const s = Number(int64(m.seconds ?? 0)) + (m.nanos ?? 0) / 1e9;
  return `${Number(s.toFixed(9))}s`;
}

/** Enum value name, shortened: EVENT_TYPE_WORKFLOW_EXECUTION_STARTED stays as is (see shortEnum for display). */
function enumName(e: Enum, v: unknown): Json {
  if (typeof v === 'string') return v;
  const n = Number(v);
  return e.valuesById[n] ?? n;
}

// Duck-typed, not instanceof: @temporalio/proto may carry its own copy of protobufjs.
const isType = (x: unknown): x is Type => !!x && typeof x === 'object' && 'fieldsArray' in x;
const isEnum = (x: unknown): x is Enum => !!x && typeof x === 'object' && 'valuesById' in x;

function convertValue(field: Field, v: unknown): Json {
  const rt = field.resolvedType;
  if (isType(rt)) return toJson(rt, v);
  if (isEnum(rt)) return enumName(rt, v);
  switch (field.type) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return int64(v);
    case 'bytes':
      return bytesToB64(v);
    case 'double':
    case 'float':
      return typeof v === 'number' && !Number.isFinite(v) ? String(v) : (v as number);
    default:
      return v as Json;
  }
}

/** A message of `type` (decoded instance or plain object) as readable JSON. */
export function toJson(type: Type | string, msg: unknown): Json {
  const t = typeof type === 'string' ? lookupType(type) : type;
  if (msg === null || msg === undefined) return null;
  const m = msg as Record<string, unknown>;
  switch (t.fullName) {
    case '.google.protobuf.Timestamp':
      return timestampIso(m);
    case '.google.protobuf.Duration':
      return durationText(m);
    case '.temporal.api.common.v1.Payload':
      return decodePayload(m as never);
    case '.temporal.api.common.v1.Payloads':
      return ((m.payloads as unknown[]) ?? []).map((p) => decodePayload(p as never));
    default:
      break;
  }
  const out: JsonObject = {};
  for (const field of t.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(m, field.name)) continue;
    const v = m[field.name];
    if (v === null || v === undefined) continue;
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) continue;
      const o: JsonObject = {};
      for (const [k, x] of entries) o[k] = convertValue(field, x);
      out[field.name] = o;
    } else if (field.repeated) {
      const arr = v as unknown[];
      if (arr.length === 0) continue;
      out[field.name] = arr.map((x) => convertValue(field, x));
    } else {
      out[field.name] = convertValue(field, v);
    }
  }
  return out;
}

/** "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED" -> "WorkflowExecutionStarted" */
export function pascalEnum(name: string, prefix: string): string {
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  return rest
    .toLowerCase()
    .split('_')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join('');
}
