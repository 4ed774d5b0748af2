/**
 * Which member owns a key: rendezvous (highest-random-weight) hashing, a form of consistent
 * hashing: every member scores the key and the highest score wins, so when a member joins or leaves
 * only the keys it wins or won move. Used for history shards and matching task queues over the live
 * members of the role (membership.ts).
 */
import { fnv1a32 } from '../../common/ids';

/** A well-mixed 32-bit score of (member, key) (fnv1a followed by a murmur3 finaliser). */
function score(hostId: string, key: string): number {
  let h = fnv1a32(`${hostId}|${key}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function ownerOf<M extends { hostId: string }>(key: string, members: readonly M[]): M | undefined {
  let best: M | undefined;
  let bestScore = -1;
  for (const m of members) {
    const s = score(m.hostId, key);
    if (s > bestScore || (s === bestScore && best && m.hostId < best.hostId)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** The shards (1..numShards) each member owns. */
export function shardOwners<M extends { hostId: string }>(numShards: number, members: readonly M[]): Map<number, M> {
  const out = new Map<number, M>();
  for (let id = 1; id <= numShards; id++) {
    const m = ownerOf(`shard/${id}`, members);
    if (m) out.set(id, m);
  }
  return out;
}
