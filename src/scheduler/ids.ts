/**
 * The identities a schedule gives the workflows it starts, all derived from durable facts so that a
 * start repeated after a crash is recognised as the same start:
 * - workflow id: `<action workflow id>-<nominal time, RFC 3339 UTC, whole seconds>` (as Temporal);
 * - request id: a name-based UUID of (namespace id, schedule id, origin, nominal time, actual time),
 *   where the origin is "auto" for spec-driven starts, or the trigger's or backfill's own id. The
 *   history service returns the existing run for a repeated request id instead of starting another;
 * - the search attributes TemporalScheduledById and TemporalScheduledStartTime.
 * Owns: those derivations. Does not own: when a start happens (scheduler.ts).
 */
import { createHash } from 'node:crypto';
import type { temporal } from '../common/proto';

/** Where a buffered start came from: the spec ("auto"), a trigger or a backfill (their ids). */
export type StartOrigin = 'auto' | `trigger-${string}` | `backfill-${string}`;

/** RFC 3339 in UTC with whole seconds, Go's time.RFC3339 of a UTC time: 2022-03-23T12:00:00Z. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `<base>-<nominal time>`: each nominal time gets its own workflow id. */
export function scheduledWorkflowId(baseWorkflowId: string, nominalMs: number): string {
  return `${baseWorkflowId}-${rfc3339Seconds(nominalMs)}`;
}

/** A name-based (SHA-1, version 5 layout) UUID of the parts. */
function nameUuid(parts: readonly string[]): string {
  const h = createHash('sha1').update(JSON.stringify(parts)).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The start request id: the same inputs give the same id, in every process and after every restart. */
export function startRequestId(namespaceId: string, scheduleId: string, origin: StartOrigin, nominalMs: number, actualMs: number): string {
  return `sched-${origin.split('-')[0]}-${nameUuid([namespaceId, scheduleId, origin, String(nominalMs), String(actualMs)])}`;
}

/** The identity a schedule's own calls carry (as Temporal). */
export function schedulerIdentity(namespace: string, scheduleId: string): string {
  return `temporal-scheduler-${namespace}-${scheduleId}`;
}

const jsonPayload = (value: unknown): temporal.api.common.v1.IPayload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});

/** The action's search attributes plus TemporalScheduledById and TemporalScheduledStartTime (the nominal time). */
export function scheduledSearchAttributes(
  actionAttributes: temporal.api.common.v1.ISearchAttributes | null | undefined,
  scheduleId: string,
  nominalMs: number,
): temporal.api.common.v1.ISearchAttributes {
  return {
    indexedFields: {
      ...(actionAttributes?.indexedFields ?? {}),
      TemporalScheduledStartTime: jsonPayload(rfc3339Seconds(nominalMs)),
      TemporalScheduledById: jsonPayload(scheduleId),
    },
  };
}
