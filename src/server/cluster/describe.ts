/**
 * What `temporal-ts admin cluster describe` and the Web UI's cluster page show, read from the
 * default store itself (it works from any machine that reaches the database, server up or down):
 * the members (one per process, its roles and ports, version, session start, last heartbeat,
 * alive or expired) and the shards each holds (from the shards table: the process that last
 * acquired it). A shard held by a process without a membership row is listed apart (a SQLite server,
 * or a release without membership during a rolling upgrade).
 */
import { openPersistence, readJsonBlob, FORMAT, READABLE, type MemberRole } from '../../persistence';
import type { SqlConnectConfig } from '../../persistence/sql-config';

export interface ClusterMemberDescription {
  hostId: string;
  /** hostname:pid */
  identity: string;
  address: string;
  /** the port of each role: the frontend's is the SDK port, history's and matching's the internal API */
  ports: Partial<Record<MemberRole, number>>;
  serverVersion: string;
  sessionStart: string;
  lastHeartbeat: string;
  /** alive: heartbeating; expired: missed its heartbeats (stopped or killed; its shards go to the others) */
  state: 'alive' | 'expired';
  shards: number[];
}

export interface ClusterDescription {
  database: string;
  plugin: string;
  numHistoryShards: number;
  members: ClusterMemberDescription[];
  /** shards held by a process that has no membership row (identity -> shards) */
  otherOwners: { identity: string; shards: number[] }[];
}

export async function readClusterDescription(config: SqlConnectConfig): Promise<ClusterDescription> {
  const store = await openPersistence(config);
  try {
    const [rows, shards] = await Promise.all([store.membership.listAllMembers(), store.shards.listShards()]);
    const now = Date.now();
    const owners = new Map<string, number[]>();
    for (const s of shards) {
      let owner = '?';
      try {
        owner = readJsonBlob<{ owner?: string }>(s.info, FORMAT.shardInfo, READABLE.shardInfo).owner ?? '?';
      } catch {
        owner = `(shard info in a format this release cannot read: ${s.info.encoding})`;
      }
      owners.set(owner, [...(owners.get(owner) ?? []), s.shardId]);
    }
    const byHost = new Map<string, ClusterMemberDescription>();
    for (const r of rows) {
      let m = byHost.get(r.hostId);
      if (!m) {
        m = {
          hostId: r.hostId,
          identity: r.identity,
          address: r.rpcAddress,
          ports: {},
          serverVersion: r.serverVersion,
          sessionStart: new Date(r.sessionStartMs).toISOString(),
          lastHeartbeat: new Date(r.lastHeartbeatMs).toISOString(),
          state: r.recordExpiryMs > now ? 'alive' : 'expired',
          shards: [],
        };
        byHost.set(r.hostId, m);
      }
      m.ports[r.role] = r.rpcPort;
    }
    const members = [...byHost.values()].sort((a, b) => (a.state === b.state ? a.sessionStart.localeCompare(b.sessionStart) : a.state === 'alive' ? -1 : 1));
    // a process holds the shards its identity acquired; when a pid was reused, the live member gets them
    for (const m of members) {
      const held = owners.get(m.identity);
      if (held && (m.state === 'alive' || !members.some((x) => x !== m && x.identity === m.identity && x.state === 'alive'))) {
        m.shards = held;
        owners.delete(m.identity);
      }
    }
    const numHistoryShards = shards.length;
    return {
      database: config.databaseName,
      plugin: config.pluginName,
      numHistoryShards,
      members,
      otherOwners: [...owners.entries()].map(([identity, s]) => ({ identity, shards: s })),
    };
  } finally {
    await store.close();
  }
}

/** Shard ids as ranges: 1-4, 7. */
export function shardRanges(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ') || '-';
}
