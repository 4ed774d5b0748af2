/**
 * The start-up check of the mixed-version rule: which shard holders are servers without membership
 * (0.2.x and older), and whether each still runs (this host: by pid; another host: cannot tell).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonBlob, FORMAT, type ShardRow } from '../../src/persistence';
import { localServerRunning, membershiplessHolders, stillRunningMessage } from '../../src/upgrade/membershipless-server';

const row = (shardId: number, owner: string, serverVersion: string): ShardRow => ({
  shardId,
  rangeId: 3,
  info: jsonBlob({ shardId, owner, serverVersion, acquiredTimeMs: 0 }, FORMAT.shardInfo),
});

test('holders without membership are found by version, grouped, and probed on this host only', () => {
  const rows = [
    row(1, 'here:100', '0.2.0'),
    row(2, 'here:100', '0.2.0'),
    row(3, 'here:200', '0.3.0'),
    row(4, 'there:100', '0.2.1'),
    row(5, 'here:300', '0.2.0'),
  ];
  const probed: number[] = [];
  const holders = membershiplessHolders(rows, {
    host: 'here',
    running: (pid) => {
      probed.push(pid);
      return pid === 100;
    },
  });
  assert.deepEqual(
    holders.map((h) => [h.owner, h.serverVersion, h.shards, h.running]),
    [
      ['here:100', '0.2.0', [1, 2], true],
      ['there:100', '0.2.1', [4], undefined],
      ['here:300', '0.2.0', [5], false],
    ],
  );
  assert.deepEqual(probed.sort(), [100, 300], 'a cluster member (0.3.0) is not a server without membership; another host is not probed');
  assert.match(
    stillRunningMessage('0.3.0', holders[0]!),
    /temporal-ts 0\.2\.0 \(here:100\) still serves this database: it has no cluster membership and holds 2 shard\(s\)\. .*Stop it \(SIGTERM\)/,
  );
});

test('a pid nobody uses is not running', () => {
  assert.equal(localServerRunning(2 ** 22 + 12345), false);
});
