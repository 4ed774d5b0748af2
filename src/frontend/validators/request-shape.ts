/**
 * Checks every request of every method gets, whatever its method, before the method's own
 * validator: strings are valid UTF-8 and (outside failure texts) free of NUL, which no plugin's
 * text column stores the same way; every google.protobuf.Duration is a valid, non-negative duration
 * that fits in int64 nanoseconds (Go's time.Duration, Temporal's limit); every Timestamp lies within
 * 0001-01-01..9999-12-31 (what protobuf allows, and every store's time column holds). Walks the
 * decoded message with the protobufjs reflection types, naming the failing field by its path.
 *
 * protobufjs refuses invalid UTF-8 while decoding, with an error that names no field (grpc-js then
 * answers INTERNAL "Error deserializing request"); so the request is decoded with a reader that
 * notes invalid bytes instead (`decodeRequest`), and the walk names the field they are in. A message
 * that cannot be decoded at all is INVALID_ARGUMENT too, never INTERNAL.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type { Reader as ReaderType, Type } from 'protobufjs';
import { InvalidArgumentError } from '../../common/errors';

/** The protobufjs instance @temporalio/proto decodes with (a Reader of another copy would not be accepted). */
const protobufMinimal = createRequire(require.resolve('@temporalio/proto'))('protobufjs/minimal') as {
  BufferReader: new (b: Buffer) => ReaderType & { buf: Buffer; pos: number; len: number; size?(): number };
};

class Utf8CheckingReader extends protobufMinimal.BufferReader {
  invalidUtf8 = false;
  override string(): string {
    const len = this.size ? this.size() : this.uint32();
    const start = this.pos;
    const end = start + len;
    if (end > this.len) throw new RangeError(`index out of range: ${start} + ${len} > ${this.len}`);
    this.pos = end;
    const s = this.buf.toString('utf8', start, end);
    // invalid bytes always decode to U+FFFD: only a string holding one needs the exact check
    if (!this.invalidUtf8 && s.includes('\uFFFD') && !isUtf8(this.buf.subarray(start, end))) this.invalidUtf8 = true;
    return s;
  }
  /** protobufjs 8 reads proto3 strings with this one (and throws on invalid UTF-8) */
  stringVerify(): string {
    return this.string();
  }
}

const INVALID_UTF8 = Symbol('invalidUtf8');
const UNDECODABLE = Symbol('undecodable');

/**
 * Decodes a request, marking it when any string field held bytes that are not UTF-8; bytes that are
 * no message of `type` give an empty request marked with the reason (refused by checkRequestShape).
 */
export function decodeRequest(type: Type, bytes: Buffer): object {
  const reader = new Utf8CheckingReader(bytes);
  let msg: object;
  try {
    msg = type.decode(reader as unknown as ReaderType) as object;
  } catch (err) {
    const empty = type.create({});
    Object.defineProperty(empty, UNDECODABLE, { value: err instanceof Error ? err.message : String(err) });
    return empty;
  }
  if (reader.invalidUtf8) Object.defineProperty(msg, INVALID_UTF8, { value: true });
  return msg;
}

/** int64 nanoseconds: 9223372036.854775807 s (about 292 years). */
const MAX_DURATION_SECONDS = 9_223_372_036;
const MAX_DURATION_LAST_NANOS = 854_775_807;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, protobuf's Timestamp range. */
const MIN_TIMESTAMP_SECONDS = -62_135_596_800;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799;

/** Message types whose text is free-form (stack traces, messages): NUL is kept, they are stored as blobs. */
const FREE_TEXT_TYPES = new Set(['.temporal.api.failure.v1.Failure']);
const FREE_TEXT_FIELDS = new Set(['message', 'errorMessage', 'stackTrace', 'details']);

function int64Of(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return Number((v as { toString(): string }).toString());
}

function checkDuration(d: { seconds?: unknown; nanos?: number | null }, path: string): void {
  const s = int64Of(d.seconds);
  const n = d.nanos ?? 0;
  if (n <= -1e9 || n >= 1e9) throw new InvalidArgumentError(path, `nanos ${n} is out of range (-999,999,999 to 999,999,999)`);
  if ((s < 0 && n > 0) || (s > 0 && n < 0)) throw new InvalidArgumentError(path, 'seconds and nanos have different signs');
  if (s < 0 || n < 0) throw new InvalidArgumentError(path, 'must not be negative');
  if (s > MAX_DURATION_SECONDS || (s === MAX_DURATION_SECONDS && n > MAX_DURATION_LAST_NANOS))
    throw new InvalidArgumentError(path, `${s}s is out of range: durations are at most ${MAX_DURATION_SECONDS}s (about 292 years, int64 nanoseconds)`);
}

function checkTimestamp(t: { seconds?: unknown; nanos?: number | null }, path: string): void {
  const s = int64Of(t.seconds);
  const n = t.nanos ?? 0;
  if (n < 0 || n >= 1e9) throw new InvalidArgumentError(path, `nanos ${n} is out of range (0 to 999,999,999)`);
  if (s < MIN_TIMESTAMP_SECONDS || s > MAX_TIMESTAMP_SECONDS)
    throw new InvalidArgumentError(path, `seconds ${s} is out of range: timestamps lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z`);
}

interface Walk {
  invalidUtf8: boolean;
  /** the path of the value being visited, one segment per level (".name", an index, a map key), formatted only for an error */
  path: Segment[];
}

type Segment = string | number | { mapKey: string };

function pathOf(w: Walk): string {
  let p = '';
  for (const s of w.path) p += typeof s === 'string' ? s : typeof s === 'number' ? `[${s}]` : `[${JSON.stringify(s.mapKey.slice(0, 50))}]`;
  return p.startsWith('.') ? p.slice(1) : p;
}

/**
 * What the walk does with a message type, computed once per type: only the fields that can break a
 * rule (strings, messages, maps) are visited, so a request's numbers, enums and bytes cost nothing.
 */
interface TypePlan {
  fields: FieldPlan[];
}

interface FieldPlan {
  name: string;
  /** ".name": the field's path segment */
  segment: string;
  map: boolean;
  repeated: boolean;
  /** the field's own text is free-form (NUL kept) */
  freeTextField: boolean;
  /** 'string', or the kind of message the value is (a Duration or Timestamp is checked, any other is walked) */
  kind: 'string' | 'duration' | 'timestamp' | 'message' | 'scalar';
  sub: Type | undefined;
  /** the values below are free-form text (a Failure) */
  subFreeText: boolean;
}

const plans = new WeakMap<Type, TypePlan>();

function planOf(type: Type): TypePlan {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = { fields: [] };
  plans.set(type, plan);
  for (const field of type.fieldsArray) {
    const t = field.resolve().resolvedType;
    const sub = t && 'fieldsArray' in t ? (t as Type) : undefined;
    const kind: FieldPlan['kind'] = sub
      ? sub.fullName === '.google.protobuf.Duration'
        ? 'duration'
        : sub.fullName === '.google.protobuf.Timestamp'
          ? 'timestamp'
          : 'message'
      : field.type === 'string'
        ? 'string'
        : 'scalar';
    // a map's keys may be strings even when its values are not
    if (kind === 'scalar' && !field.map) continue;
    plan.fields.push({
      name: field.name,
      segment: `.${field.name}`,
      map: !!field.map,
      repeated: field.repeated,
      freeTextField: FREE_TEXT_FIELDS.has(field.name),
      kind,
      sub,
      subFreeText: !!sub && FREE_TEXT_TYPES.has(sub.fullName),
    });
  }
  return plan;
}

function checkString(v: string, freeText: boolean, w: Walk): void {
  if (w.invalidUtf8 && v.includes('\uFFFD')) throw new InvalidArgumentError(pathOf(w), 'is not valid UTF-8');
  if (!freeText && v.includes('\0')) throw new InvalidArgumentError(pathOf(w), 'must not contain NUL (\\0) characters');
}

function visit(f: FieldPlan, value: unknown, freeText: boolean, w: Walk, depth: number): void {
  if (typeof value === 'string') {
    checkString(value, freeText || f.freeTextField, w);
  } else if (f.sub && value && typeof value === 'object') {
    if (f.kind === 'duration') checkDuration(value as never, pathOf(w));
    else if (f.kind === 'timestamp') checkTimestamp(value as never, pathOf(w));
    else walk(f.sub, value as Record<string, unknown>, freeText || f.subFreeText, w, depth + 1);
  }
}

function walk(type: Type, msg: Record<string, unknown>, freeText: boolean, w: Walk, depth: number): void {
  if (depth > 100) throw new InvalidArgumentError(pathOf(w) || 'request', 'is nested more than 100 levels deep');
  const path = w.path;
  for (const f of planOf(type).fields) {
    const v = msg[f.name];
    if (v === null || v === undefined) continue;
    path.push(f.segment);
    if (f.map) {
      for (const k of Object.keys(v as Record<string, unknown>)) {
        path.push('[key]');
        checkString(k, freeText, w);
        if (f.kind !== 'scalar') {
          path[path.length - 1] = { mapKey: k };
          visit(f, (v as Record<string, unknown>)[k], freeText, w, depth);
        }
        path.pop();
      }
    } else if (f.repeated && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        visit(f, v[i], freeText, w, depth);
        path.pop();
      }
    } else visit(f, v, freeText, w, depth);
    path.pop();
  }
}

/** Throws InvalidArgumentError naming the first field that breaks a rule above. */
export function checkRequestShape(type: Type, request: object): void {
  const undecodable = (request as Record<symbol, unknown>)[UNDECODABLE];
  if (typeof undecodable === 'string')
    throw new InvalidArgumentError(
      'request',
      `is not a valid ${type.name} message (${undecodable.slice(0, 200)}); send the protobuf encoding of ${type.fullName.slice(1)}`,
    );
  const w: Walk = { invalidUtf8: (request as Record<symbol, unknown>)[INVALID_UTF8] === true, path: [] };
  walk(type, request as Record<string, unknown>, false, w, 0);
  // invalid bytes in a place the walk does not name (cannot happen for proto3 strings, but never pass them on)
  if (w.invalidUtf8) throw new InvalidArgumentError('request', 'contains a string that is not valid UTF-8');
}
