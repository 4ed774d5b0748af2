/**
 * Request decompression for the gRPC server without a zlib stream per message.
 *
 * The official SDK's core sends every request gzip-compressed. grpc-js inflates each message
 * through a new Gunzip stream (`BaseServerInterceptingCall.decompressMessage`), whose set-up and
 * stream machinery cost 10-15 % of the server's CPU under the official worker (profile: zlib
 * `processChunk`), far more than the inflating itself for messages of a few hundred bytes.
 * `installFastInflate` replaces that method once per process: a message whose compressed size is
 * at most SYNC_LIMIT is inflated with one synchronous call (bounded by the server's
 * max_receive_message_length, as before); larger ones, identity, and unknown encodings take
 * grpc-js's own path. Errors keep grpc-js's statuses (INTERNAL, RESOURCE_EXHAUSTED).
 * Checked against @grpc/grpc-js 1.14: if the method is not where it was, nothing is replaced.
 */
import { inflateSync, gunzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
// the class is exported by this internal module only (not by the package's index); see the header
import * as interceptors from '@grpc/grpc-js/build/src/server-interceptors';

/** Compressed messages up to this size are inflated synchronously (microseconds). */
const SYNC_LIMIT = 256 * 1024;

interface CallWithLimits {
  maxReceiveMessageSize: number;
}

type Decompress = (this: CallWithLimits, message: Buffer, encoding: string) => Buffer | Promise<Buffer>;

let installed = false;

export function installFastInflate(): boolean {
  if (installed) return true;
  const proto = (interceptors as unknown as { BaseServerInterceptingCall?: { prototype: { decompressMessage?: Decompress } } }).BaseServerInterceptingCall
    ?.prototype;
  const original = proto?.decompressMessage;
  if (!proto || typeof original !== 'function') return false;
  proto.decompressMessage = function (this: CallWithLimits, message: Buffer, encoding: string): Buffer | Promise<Buffer> {
    if ((encoding !== 'gzip' && encoding !== 'deflate') || message.length - 5 > SYNC_LIMIT) return original.call(this, message, encoding);
    const contents = message.subarray(5);
    const limit = this.maxReceiveMessageSize;
    try {
      const opts = limit !== -1 ? { maxOutputLength: limit } : {};
      return encoding === 'gzip' ? gunzipSync(contents, opts) : inflateSync(contents, opts);
    } catch (err) {
      const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return Promise.reject(
        tooBig
          ? { code: status.RESOURCE_EXHAUSTED, details: `Received message that decompresses to a size larger than ${limit}` }
          : { code: status.INTERNAL, details: 'Failed to decompress message' },
      );
    }
  };
  installed = true;
  return true;
}
