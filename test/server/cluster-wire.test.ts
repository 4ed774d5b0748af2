/**
 * The internal API's wire format (src/server/cluster/wire.ts): a history still in its stored
 * encoding crosses as its bytes and arrives as an encoded history (so the receiving frontend splices
 * it as for a local call); a history whose events were read crosses as events; the tagged forms
 * (bytes, 64-bit integers, undefined) survive the JSON.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Long from 'long';
import { google, temporal } from '../../src/common/proto';
import { encodedBytesOf, encodedHistory } from '../../src/history';
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
  test('an encoded history crosses as its bytes and arrives encoded, its events the same', () => {
    const wire = toWire({ taskToken: Buffer.from('t'), history: encodedHistory(bytes) }) as { history: unknown };
    assert.deepEqual(Object.keys(wire.history as object), ['$h'], 'the bytes, not the events');
    const got = cross({ taskToken: Buffer.from('t'), history: encodedHistory(bytes) }) as { taskToken: Buffer; history: { events: unknown[] } };
    assert.ok(encodedBytesOf(got.history)?.equals(bytes), 'arrives as an encoded history with the same bytes');
    assert.deepEqual(got.taskToken, Buffer.from('t'));
    const events = got.history.events as temporal.api.history.v1.IHistoryEvent[];
    assert.deepEqual(
      events.map((e) => [Number(e.eventId), e.eventType]),
      [
        [1, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED],
        [2, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED],
      ],
    );
    assert.equal(encodedBytesOf(got.history), undefined, 'once its events are read it is a plain history');
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
