/**
 * How a method's response becomes bytes for grpc-js: protobufjs `fromObject` (handlers answer with
 * plain objects) and `encode`. A `history` whose events are still in their stored encoding (polls
 * and GetWorkflowExecutionHistory, src/history/encoded-history.ts) is not decoded and encoded again:
 * the rest of the response is encoded and the history appended as its field, bytes as they are
 * (protobuf allows a message's fields in any order, and the receiver reads the same message).
 */
import type { Type } from 'protobufjs';
import { encodedBytesOf } from '../history';

const HISTORY_TYPE = '.temporal.api.history.v1.History';

export function responseEncoder(type: Type): (response: object) => Buffer {
  const encode = (o: object): Buffer => asBuffer(type.encode(type.fromObject(o)).finish());
  const field = type.fields.history;
  if (!field || field.repeated || field.resolve().resolvedType?.fullName !== HISTORY_TYPE) return encode;
  const tag = (field.id << 3) | 2;
  return (o) => {
    const history = encodedBytesOf((o as { history?: unknown }).history);
    if (!history) return encode(o);
    // the field's tag, its length and the bytes, after the rest
    return asBuffer(
      type
        .encode(type.fromObject({ ...o, history: undefined }))
        .uint32(tag)
        .bytes(history)
        .finish(),
    );
  };
}

/** protobufjs's writer gives a Buffer under Node: no copy then. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
