/**
 * The cluster's ownership tables (src/server/cluster/ring.ts): shards spread within one of even over
 * any set of members (issue 12: plain rendezvous hashing left a member of three with 3 of 4 shards and
 * another with none), every member computes the same table, and a member joining or leaving moves
 * a bounded number of shards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ownerOf, shardOwners } from '../../src/server/cluster/ring';

const membersOf = (n: number) => Array.from({ length: n }, () => ({ hostId: randomUUID() }));

function loads(owners: Map<number, { hostId: string }>, members: readonly { hostId: string }[]): number[] {
  return members.map((m) => [...owners.values()].filter((o) => o.hostId === m.hostId).length);
}

test('shards are spread within one shard of even, for any members', () => {
  for (let run = 0; run < 300; run++) {
    for (const [shards, n] of [
      [4, 3],
      [8, 3],
      [16, 3],
      [8, 2],
      [32, 5],
      [3, 4],
    ] as const) {
      const members = membersOf(n);
      const owners = shardOwners(shards, members);
      assert.equal(owners.size, shards);
      const l = loads(owners, members);
      assert.ok(Math.max(...l) - Math.min(...l) <= 1, `${shards} shards over ${n} members: ${l.join('/')}`);
    }
  }
});

test('every member computes the same table, whatever the order of the members', () => {
  const members = membersOf(4);
  const a = shardOwners(16, members);
  const b = shardOwners(16, [...members].reverse());
  for (let id = 1; id <= 16; id++) assert.equal(a.get(id)!.hostId, b.get(id)!.hostId);
});

test('a member leaving moves its own shards and few others; no member means no owner', () => {
  let moved = 0;
  for (let run = 0; run < 100; run++) {
    const members = membersOf(3);
    const before = shardOwners(16, members);
    const gone = members[run % 3]!;
    const after = shardOwners(
      16,
      members.filter((m) => m !== gone),
    );
    for (let id = 1; id <= 16; id++) {
      if (before.get(id) === gone) assert.notEqual(after.get(id), gone);
      else if (before.get(id) !== after.get(id)) moved++;
    }
  }
  // the survivors keep most of their shards (a full reshuffle would move about half of them)
  assert.ok(moved / 100 < 4, `on average ${moved / 100} shards moved between survivors`);
  assert.equal(shardOwners(4, []).size, 0);
  assert.equal(ownerOf('queue/x', []), undefined);
});
