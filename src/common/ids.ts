/** Identifiers: run ids, request ids, and the stable hash that places a workflow on a shard. */
import { randomUUID } from 'node:crypto';

export function newUuid(): string {
  return randomUUID();
}

/**
 * FNV-1a 32-bit over the UTF-8 bytes of `s`: stable across processes and versions (shard placement
 * must never change). The bytes are those Buffer.from(s, 'utf8') gives (a lone surrogate is U+FFFD),
 * computed here without making the Buffer (this runs for every call that names a workflow).
 */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const step = (b: number): void => {
    h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      step(c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else c = 0xfffd; // a lone surrogate
    }
    if (c < 0x800) {
      step(0xc0 | (c >> 6));
    } else if (c < 0x10000) {
      step(0xe0 | (c >> 12));
      step(0x80 | ((c >> 6) & 0x3f));
    } else {
      step(0xf0 | (c >> 18));
      step(0x80 | ((c >> 12) & 0x3f));
      step(0x80 | ((c >> 6) & 0x3f));
    }
    step(0x80 | (c & 0x3f));
  }
  return h >>> 0;
}

/** shardId = hash(namespaceId, workflowId) % numHistoryShards; shard ids start at 1 like Temporal's. */
export function shardIdFor(namespaceId: string, workflowId: string, numHistoryShards: number): number {
  return (fnv1a32(`${namespaceId}_${workflowId}`) % numHistoryShards) + 1;
}
