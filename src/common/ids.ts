/** Identifiers: run ids, request ids, and the stable hash that places a workflow on a shard. */
import { randomUUID } from 'node:crypto';

export function newUuid(): string {
  return randomUUID();
}

/** FNV-1a 32-bit: stable across processes and versions (shard placement must never change). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** shardId = hash(namespaceId, workflowId) % numHistoryShards; shard ids start at 1 like Temporal's. */
export function shardIdFor(namespaceId: string, workflowId: string, numHistoryShards: number): number {
  return (fnv1a32(`${namespaceId}_${workflowId}`) % numHistoryShards) + 1;
}
