/**
 * The internal API's wire format (src/server/cluster/wire.ts). During a rolling upgrade members of
 * two versions call each other, so what one sends the previous minor must read: a history still in
 * its stored encoding crosses as its events (tagged forms only for bytes, 64-bit integers, undefined
 * and dates, which 0.3.0 reads), never as a new tag an older member would pass on as a field. The
 * tagged forms survive the JSON.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Long from 'long';
import { google, temporal } from '../../src/common/proto';
import { encodedBytesOf } from '../../src/history';
import { encodedHistory } from '../../src/history/encoded-history';
import { fromWire, toWire } from '../../src/server/cluster/wire';

const History = temporal.api.history.v1.History;
const ET = temporal.api.enums.v1.EventType;
/** protobufjs's Long class (the one its decoded messages use) */
const LongClass = (google.protobuf.Timestamp.fromObject({ seconds: '1' }).seconds as Long).constructor as typeof Long;

const bytes = Buffer.from(
  History.encode({
    events: [
      {
        eventId: LongClass.fromNumber(1),
        eventType: ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        workflowExecutionStartedEventAttributes: { workflowType: { name: 'Wf' } },
      },
      { eventId: LongClass.fromNumber(2), eventType: ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, workflowTaskScheduledEventAttributes: { attempt: 1 } },
    ],
  }).finish(),
);

/** Through the wire as the internal API sends it: toWire, JSON text, parse, fromWire. */
const cross = (v: unknown): unknown => fromWire(JSON.parse(JSON.stringify(toWire(v))));

describe('internal API wire format', () => {
  test('an encoded history crosses as its events, in tags the previous minor reads', () => {
    const wire = toWire({ taskToken: Buffer.from('t'), history: encodedHistory(bytes) });
    const tags = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k.startsWith('$')) tags.add(k);
          walk(x);
        }
    };
    walk(wire);
    assert.deepEqual([...tags].sort(), ['$b', '$l'], "only 0.3.0's tags: bytes and 64-bit integers");
    const got = cross({ taskToken: Buffer.from('t'), history: encodedHistory(bytes) }) as { taskToken: Buffer; history: { events: unknown[] } };
    assert.equal(encodedBytesOf(got.history), undefined, 'arrives as plain events');
    assert.deepEqual(got.taskToken, Buffer.from('t'));
    const events = got.history.events as temporal.api.history.v1.IHistoryEvent[];
    assert.deepEqual(
      events.map((e) => [Number(e.eventId), e.eventType]),
      [
        [1, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED],
        [2, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED],
      ],
    );
  });

  test('a history whose events were read (and may have been changed) crosses as its events', () => {
    const h = encodedHistory(bytes);
    h.events = h.events.slice(0, 1);
    const got = cross({ history: h }) as { history: { events: { eventId: Long }[] } };
    assert.equal(encodedBytesOf(got.history), undefined);
    assert.deepEqual(
      got.history.events.map((e) => Number(e.eventId)),
      [1],
    );
  });

  test('bytes, 64-bit integers and undefined keep their types', () => {
    const got = cross([Buffer.from([0, 255]), LongClass.fromString('9007199254740993', true), undefined, { n: 3 }]) as unknown[];
    assert.deepEqual(got[0], Buffer.from([0, 255]));
    assert.equal((got[1] as Long).toString(), '9007199254740993');
    assert.equal((got[1] as Long).unsigned, true);
    assert.equal(got[2], undefined);
    assert.deepEqual(got[3], { n: 3 });
  });
});
