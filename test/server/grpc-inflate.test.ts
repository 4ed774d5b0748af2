/**
 * Request inflating without a zlib stream per message (src/server/grpc-inflate.ts): gzip-compressed
 * requests, as the official SDK's core sends them, are served; a corrupt one is INTERNAL and one that
 * inflates past the receive limit RESOURCE_EXHAUSTED, as grpc-js itself answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { Connection } from '@temporalio/client';
import * as interceptors from '@grpc/grpc-js/build/src/server-interceptors';
import { installFastInflate } from '../../src/server/grpc-inflate';
import { startServer, tempDbFile } from '../engine/harness';

type Decompress = (this: { maxReceiveMessageSize: number }, m: Buffer, e: string) => Buffer | Promise<Buffer>;
const framed = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), payload]);

test('gzip and deflate inflate in one call; limits and corrupt input keep grpc-js statuses', async () => {
  assert.equal(installFastInflate(), true);
  const decompress = (interceptors.BaseServerInterceptingCall.prototype as unknown as { decompressMessage: Decompress }).decompressMessage;
  const body = Buffer.from('temporal '.repeat(200));
  const out = decompress.call({ maxReceiveMessageSize: -1 }, framed(gzipSync(body)), 'gzip');
  assert.ok(Buffer.isBuffer(out), 'a small message is inflated synchronously');
  assert.deepEqual(out, body);
  assert.deepEqual(decompress.call({ maxReceiveMessageSize: -1 }, framed(deflateSync(body)), 'deflate'), body);
  await assert.rejects(
    Promise.resolve(decompress.call({ maxReceiveMessageSize: 100 }, framed(gzipSync(body)), 'gzip')),
    (e: { code: number; details: string }) => {
      assert.equal(e.code, 8 /* RESOURCE_EXHAUSTED */);
      assert.match(e.details, /larger than 100/);
      return true;
    },
  );
  await assert.rejects(Promise.resolve(decompress.call({ maxReceiveMessageSize: -1 }, framed(Buffer.from([1, 2, 3])), 'gzip')), { code: 13 });
  assert.deepEqual(await decompress.call({ maxReceiveMessageSize: -1 }, framed(body), 'identity'), body);
});

test('a client that gzips its requests is served', async () => {
  const db = tempDbFile();
  const server = await startServer(db.file);
  try {
    const conn = await Connection.connect({ address: `127.0.0.1:${server.port}`, channelArgs: { 'grpc.default_compression_algorithm': 2 } });
    try {
      const ns = await conn.workflowService.describeNamespace({ namespace: 'default' });
      assert.equal(ns.namespaceInfo?.name, 'default');
      const bad = await conn.workflowService.describeNamespace({ namespace: 'x'.repeat(5000) }).catch((e: unknown) => e);
      assert.ok(bad instanceof Error, 'a big compressed request reaches the validator');
      assert.doesNotMatch(bad.message, /decompress/);
    } finally {
      await conn.close();
    }
  } finally {
    await server.stop();
    db.cleanup();
  }
});
