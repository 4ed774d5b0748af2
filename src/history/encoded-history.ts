/**
 * History events kept in their stored encoding on their way to a worker or client. A history batch
 * is stored as an encoded History message, which is nothing but its events one after another (field
 * 1, length-delimited), and so is the `history` field of a poll or GetWorkflowExecutionHistory
 * response: the events a response needs are cut out of the stored batches by their ids and sent as
 * they are (the gRPC layer splices them into the response, src/frontend/response-encoding.ts),
 * instead of decoding every batch into objects and encoding them again for every poll.
 *
 * An EncodedHistory still reads as `{ events }`: the first read of `events` decodes them (for the
 * cluster's internal API, tests, the CLI), and from then on the object is a plain history whose
 * events may be changed; the stored bytes are then forgotten, so what is sent is always what
 * `events` holds.
 */
import { api, type IHistoryEvent } from '../common/proto';

const History = api.history.v1.History;

const ENCODED = Symbol('encodedHistory');

/** A History as `{ events }` that also carries its encoding (see encodedBytesOf). */
export interface EncodedHistory {
  events: IHistoryEvent[];
}

/** `bytes`: an encoded History message (its events, each as field 1). */
export function encodedHistory(bytes: Buffer): EncodedHistory {
  let decoded: IHistoryEvent[] | undefined;
  const h = {} as EncodedHistory & { [ENCODED]?: Buffer };
  Object.defineProperty(h, ENCODED, { value: bytes, writable: true, enumerable: false });
  Object.defineProperty(h, 'events', {
    enumerable: true,
    get: () => {
      if (!decoded) {
        decoded = History.decode(bytes).events;
        h[ENCODED] = undefined;
      }
      return decoded;
    },
    set: (v: IHistoryEvent[]) => {
      decoded = v;
      h[ENCODED] = undefined;
    },
  });
  return h;
}

/** The encoding of a history built by encodedHistory whose events nobody has read; undefined for any other value. */
export function encodedBytesOf(history: unknown): Buffer | undefined {
  return history !== null && typeof history === 'object' ? (history as { [ENCODED]?: Buffer })[ENCODED] : undefined;
}

/** Events appended after stored ones (a transient workflow task's), as History bytes. */
export function encodeEvents(events: readonly IHistoryEvent[]): Buffer {
  return Buffer.from(History.encode(History.fromObject({ events })).finish());
}

/**
 * Calls `each` with the id and the byte range (its field tag and length included, so ranges
 * concatenate into a History) of every event of an encoded History, in order; stops when `each`
 * returns false. Throws on bytes that are no History encoding.
 */
export function forEachEncodedEvent(bytes: Buffer, each: (eventId: number, start: number, end: number) => boolean): void {
  const r = { pos: 0 };
  while (r.pos < bytes.length) {
    const start = r.pos;
    const tag = varint(bytes, r);
    const len = skipValue(bytes, r, tag);
    // field 1 (events) is the only field History has; anything else is skipped
    if (tag !== 0x0a) continue;
    if (!each(eventIdOf(bytes, r.pos - len, r.pos), start, r.pos)) return;
  }
}

/** HistoryEvent.event_id (field 1, varint) of the event encoded in bytes[start, end); 0 when absent. */
function eventIdOf(bytes: Buffer, start: number, end: number): number {
  const r = { pos: start };
  let id = 0;
  while (r.pos < end) {
    const tag = varint(bytes, r);
    if (tag === 0x08) id = varint(bytes, r);
    else skipValue(bytes, r, tag);
  }
  return id;
}

/** Skips the value of a field with `tag` at r.pos; returns the length of a length-delimited value (else 0). */
function skipValue(bytes: Buffer, r: { pos: number }, tag: number): number {
  switch (tag & 7) {
    case 0:
      varint(bytes, r);
      return 0;
    case 1:
      r.pos += 8;
      break;
    case 2: {
      const len = varint(bytes, r);
      r.pos += len;
      if (r.pos > bytes.length) throw new RangeError('history batch: a field runs past its end');
      return len;
    }
    case 5:
      r.pos += 4;
      break;
    default:
      throw new RangeError(`history batch: wire type ${tag & 7} is not supported`);
  }
  if (r.pos > bytes.length) throw new RangeError('history batch: a field runs past its end');
  return 0;
}

/** An unsigned varint of up to 53 bits (event ids, lengths). */
function varint(bytes: Buffer, r: { pos: number }): number {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (r.pos >= bytes.length) throw new RangeError('history batch: a varint runs past its end');
    const b = bytes[r.pos++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) return v;
    mul *= 128;
  }
}
