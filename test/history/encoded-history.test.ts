/**
 * Stored history bytes sent as they are (src/history/encoded-history.ts, src/frontend/response-encoding.ts):
 * events found by id in an encoded batch, a response with an encoded history decodes to the same
 * message as one encoded from objects, and reading `events` turns it into a plain history whose
 * changes are what is sent.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { num, temporal, type IHistoryEvent } from '../../src/common/proto';
import { encodedBytesOf, encodedHistory, encodeEvents, forEachEncodedEvent } from '../../src/history/encoded-history';
import { responseEncoder } from '../../src/frontend/response-encoding';

const History = temporal.api.history.v1.History;
const ET = temporal.api.enums.v1.EventType;
const ws = temporal.api.workflowservice.v1;

const events: IHistoryEvent[] = [
  {
    eventId: 1,
    eventType: ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    workflowExecutionStartedEventAttributes: { workflowType: { name: 'W' }, input: { payloads: [{ data: Buffer.alloc(300, 1) }] } },
  },
  { eventId: 2, eventType: ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, workflowTaskScheduledEventAttributes: { attempt: 1 } },
  // an id past 2^31 (a varint of 5 bytes)
  { eventId: 2 ** 40 + 3, eventType: ET.EVENT_TYPE_WORKFLOW_TASK_STARTED, workflowTaskStartedEventAttributes: { scheduledEventId: 2, identity: 'me' } },
] as never;

describe('encoded history', () => {
  test('forEachEncodedEvent: every event with its id, ranges that concatenate into a History', () => {
    const bytes = encodeEvents(events);
    const seen: { id: number; part: Buffer }[] = [];
    forEachEncodedEvent(bytes, (id, start, end) => {
      seen.push({ id, part: bytes.subarray(start, end) });
      return true;
    });
    assert.deepEqual(
      seen.map((s) => s.id),
      [1, 2, 2 ** 40 + 3],
    );
    const two = History.decode(Buffer.concat([seen[0]!.part, seen[2]!.part])).events;
    assert.deepEqual(
      two.map((e) => num(e.eventId)),
      [1, 2 ** 40 + 3],
    );
    let n = 0;
    forEachEncodedEvent(bytes, () => ++n < 2);
    assert.equal(n, 2, 'stops when asked');
    assert.throws(() => forEachEncodedEvent(bytes.subarray(0, bytes.length - 1), () => true), RangeError);
  });

  test('a response with an encoded history decodes as the one encoded from objects', () => {
    const enc = responseEncoder(ws.PollWorkflowTaskQueueResponse as never);
    const rest = { taskToken: Buffer.from('tok'), attempt: 2, workflowType: { name: 'W' }, startedEventId: 3 };
    const spliced = enc({ ...rest, history: encodedHistory(encodeEvents(events)) });
    const plain = enc({ ...rest, history: { events } });
    assert.deepEqual(ws.PollWorkflowTaskQueueResponse.decode(spliced).toJSON(), ws.PollWorkflowTaskQueueResponse.decode(plain).toJSON());
    const page = responseEncoder(ws.GetWorkflowExecutionHistoryResponse as never)({
      history: encodedHistory(encodeEvents(events)),
      nextPageToken: Buffer.from('x'),
    });
    const decoded = ws.GetWorkflowExecutionHistoryResponse.decode(page);
    assert.equal(decoded.history?.events?.length, 3);
    assert.equal(decoded.nextPageToken.toString(), 'x');
  });

  test('reading events decodes them once; a change to them is what is sent', () => {
    const h = encodedHistory(encodeEvents(events));
    assert.ok(encodedBytesOf(h));
    assert.deepEqual(Object.keys(h), ['events'], 'the bytes do not show (the cluster wire copies enumerable fields)');
    assert.equal(h.events.length, 3);
    assert.equal(encodedBytesOf(h), undefined, 'once read, the history is plain');
    h.events.pop();
    const out = ws.PollWorkflowTaskQueueResponse.decode(responseEncoder(ws.PollWorkflowTaskQueueResponse as never)({ history: h }));
    assert.equal(out.history?.events?.length, 2);
  });
});
