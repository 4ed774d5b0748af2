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
    if (!this.invalidUtf8 && !isUtf8(this.buf.subarray(start, end))) this.invalidUtf8 = true;
    return this.buf.toString('utf8', start, end);
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
}

function checkString(v: string, path: string, freeText: boolean, w: Walk): void {
  if (w.invalidUtf8 && v.includes('\uFFFD')) throw new InvalidArgumentError(path, 'is not valid UTF-8');
  if (!freeText && v.includes('\0')) throw new InvalidArgumentError(path, 'must not contain NUL (\\0) characters');
}

function walk(type: Type, msg: Record<string, unknown>, path: string, freeText: boolean, w: Walk, depth: number): void {
  if (depth > 100) throw new InvalidArgumentError(path || 'request', 'is nested more than 100 levels deep');
  for (const field of type.fieldsArray) {
    const v = msg[field.name];
    if (v === null || v === undefined) continue;
    const p = path ? `${path}.${field.name}` : field.name;
    const t = field.resolve().resolvedType;
    const sub = t && 'fieldsArray' in t ? (t as Type) : undefined;
    const visit = (value: unknown, at: string): void => {
      if (typeof value === 'string') checkString(value, at, freeText || FREE_TEXT_FIELDS.has(field.name), w);
      else if (sub && value && typeof value === 'object') {
        if (sub.fullName === '.google.protobuf.Duration') checkDuration(value as never, at);
        else if (sub.fullName === '.google.protobuf.Timestamp') checkTimestamp(value as never, at);
        else walk(sub, value as Record<string, unknown>, at, freeText || FREE_TEXT_TYPES.has(sub.fullName), w, depth + 1);
      }
    };
    if (field.map) {
      for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
        checkString(k, `${p}[key]`, freeText, w);
        visit(value, `${p}[${JSON.stringify(k.slice(0, 50))}]`);
      }
    } else if (field.repeated && Array.isArray(v)) v.forEach((e, i) => visit(e, `${p}[${i}]`));
    else visit(v, p);
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
  const w: Walk = { invalidUtf8: (request as Record<symbol, unknown>)[INVALID_UTF8] === true };
  walk(type, request as Record<string, unknown>, '', false, w, 0);
  // invalid bytes in a place the walk does not name (cannot happen for proto3 strings, but never pass them on)
  if (w.invalidUtf8) throw new InvalidArgumentError('request', 'contains a string that is not valid UTF-8');
}
