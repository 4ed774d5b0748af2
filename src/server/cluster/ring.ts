/**
 * Which member owns a key: rendezvous (highest-random-weight) hashing, a form of consistent
 * hashing: every member scores the key and the highest score wins, so when a member joins or leaves
 * only the keys it wins or won move. Used for history shards and matching task queues over the live
 * members of the role (membership.ts).
 *
 * Shards are few (4 to 32 in practice), and plain rendezvous hashing spreads few keys unevenly: 4
 * shards over 3 members often come out 3/1/0, and the member with 3 then does three quarters of
 * the history work while another idles (issue 12: a 3-process bench ran slower than one process).
 * So shards use bounded loads: each shard goes to its best-scoring member that still has room
 * under its share (shards / members, rounded), which keeps the spread within one shard and still
 * moves few shards when a member joins or leaves. Task queues are many, and keep plain rendezvous
 * hashing.
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

/** The members by their score for a key, best first (ties by host id, so every member ranks alike). */
function ranked<M extends { hostId: string }>(key: string, members: readonly M[]): M[] {
  return members
    .map((m) => ({ m, s: score(m.hostId, key) }))
    .sort((a, b) => b.s - a.s || (a.m.hostId < b.m.hostId ? -1 : a.m.hostId > b.m.hostId ? 1 : 0))
    .map((x) => x.m);
}

/**
 * The owner of each shard (1..numShards): its best-scoring member among those with room. Each
 * member holds floor(numShards / members) shards, and the first (numShards mod members) to fill up
 * one more, so no member holds more than one shard above another. Every member computes the same
 * table from the same live members (whatever their order).
 */
export function shardOwners<M extends { hostId: string }>(numShards: number, members: readonly M[]): Map<number, M> {
  const out = new Map<number, M>();
  const hosts = new Set(members.map((m) => m.hostId)).size;
  if (hosts === 0) return out;
  const base = Math.floor(numShards / hosts);
  let extra = numShards % hosts; // members that may still hold base + 1
  const load = new Map<string, number>();
  const room = (c: M) => {
    const l = load.get(c.hostId) ?? 0;
    return l < base || (l === base && extra > 0);
  };
  for (let id = 1; id <= numShards; id++) {
    const order = ranked(`shard/${id}`, members);
    const m = order.find(room) ?? order[0]!;
    const l = (load.get(m.hostId) ?? 0) + 1;
    if (l === base + 1) extra--;
    load.set(m.hostId, l);
    out.set(id, m);
  }
  return out;
}
