/**
 * The Temporal API message types, taken from @temporalio/proto (a protobufjs reflection root).
 * Owns: access to the root, short type aliases, and small conversions (Long, Duration, Timestamp).
 * Does not own: gRPC wiring (src/frontend/service-definition.ts).
 */
import * as protoRoot from '@temporalio/proto';
import { temporal, google } from '@temporalio/proto';
import type Long from 'long';

export const root = protoRoot as unknown as typeof protoRoot & {
  lookupService(name: string): import('protobufjs').Service;
  lookupType(name: string): import('protobufjs').Type;
};
export { temporal, google };

export const api = temporal.api;
export type IHistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type IPayloads = temporal.api.common.v1.IPayloads;
export type IPayload = temporal.api.common.v1.IPayload;
export type IFailure = temporal.api.failure.v1.IFailure;
export type IRetryPolicy = temporal.api.common.v1.IRetryPolicy;
export type IDuration = google.protobuf.IDuration;
export type ITimestamp = google.protobuf.ITimestamp;

export const EventType = temporal.api.enums.v1.EventType;
export const WorkflowExecutionStatus = temporal.api.enums.v1.WorkflowExecutionStatus;
export const CommandType = temporal.api.enums.v1.CommandType;
export const TimeoutType = temporal.api.enums.v1.TimeoutType;
export const RetryState = temporal.api.enums.v1.RetryState;
export const WorkflowTaskFailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;
export const TaskQueueKind = temporal.api.enums.v1.TaskQueueKind;

/** Any protobuf integer representation (number, Long, numeric string) as a JS number. */
export function num(v: number | Long | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

/** A google.protobuf.Duration as milliseconds; 0 when absent. */
export function durationMs(d: IDuration | null | undefined): number {
  if (!d) return 0;
  return num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function msToDuration(ms: number): IDuration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } as unknown as IDuration;
}

export function msToTimestamp(ms: number): ITimestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } as unknown as ITimestamp;
}

export function timestampMs(t: ITimestamp | null | undefined): number {
  if (!t) return 0;
  return num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** Encode a message of the given type (plain objects are converted first) to bytes. */
export function encodeMessage<T>(type: { fromObject(o: { [k: string]: unknown }): T; encode(m: T): { finish(): Uint8Array } }, obj: unknown): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj as { [k: string]: unknown })).finish());
}

/** Base64 of an encoded message, used to keep proto values inside JSON blobs. */
export function toB64<T>(type: { fromObject(o: { [k: string]: unknown }): T; encode(m: T): { finish(): Uint8Array } }, obj: unknown): string {
  return encodeMessage(type, obj).toString('base64');
}

export function fromB64<T>(type: { decode(b: Uint8Array): T }, b64: string): T {
  return type.decode(Buffer.from(b64, 'base64'));
}
