/**
 * The mixed-version rule's start-up check (README, "Running a cluster", "Mixed versions"): a
 * database is served either by one server without cluster membership (0.2.x and older, which take
 * every shard at start and assume they are alone) or by cluster members, never both. Such a server
 * leaves no membership row and no heartbeat; what it leaves is its name (host:pid) and version in
 * the metadata of the shards it holds. Before a server of this release records anything, it looks
 * there: a holder of that kind still running on this host refuses the start (it would otherwise lose
 * every shard to the new one and answer errors to its clients); one on another host cannot be seen,
 * so the start goes on with a warning naming it (its writes are fenced by range_id from then on).
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { FORMAT, READABLE, readJsonBlob, type ShardRow } from '../persistence';
import { minorLine, parseServerVersion } from './server-version';

/** 0.3: the first minor with cluster membership. */
const FIRST_MEMBERSHIP_LINE = 3;

export interface MembershiplessHolder {
  /** host:pid, as the holder wrote it into the shard metadata */
  readonly owner: string;
  readonly serverVersion: string;
  readonly shards: readonly number[];
  /** true: running on this host now; false: gone; undefined: on another host, cannot tell */
  readonly running: boolean | undefined;
}

/** Whether `pid` on this host is alive and (where /proc tells) a temporal-ts process. */
export function localServerRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  // a reused pid of another program is not the server
  return !existsSync(cmdline) || readFileSync(cmdline, 'utf8').includes('temporal-ts');
}

/** The servers without membership named as holders in the shard metadata, and whether each still runs. */
export function membershiplessHolders(
  rows: readonly ShardRow[],
  probe: { host: string; running(pid: number): boolean } = { host: hostname(), running: localServerRunning },
): MembershiplessHolder[] {
  const byOwner = new Map<string, { serverVersion: string; shards: number[] }>();
  for (const row of rows) {
    let info: { owner?: string; serverVersion?: string };
    try {
      info = readJsonBlob(row.info, FORMAT.shardInfo, READABLE.shardInfo);
    } catch {
      continue; // a format this release cannot read: the start-up checks name that on their own
    }
    const v = info.serverVersion ? parseServerVersion(info.serverVersion) : undefined;
    if (!info.owner || !v || minorLine(v) >= FIRST_MEMBERSHIP_LINE) continue;
    const entry = byOwner.get(info.owner) ?? { serverVersion: v.text, shards: [] };
    entry.shards.push(row.shardId);
    byOwner.set(info.owner, entry);
  }
  return [...byOwner.entries()].map(([owner, e]) => {
    const at = owner.lastIndexOf(':');
    const host = owner.slice(0, at);
    const pid = Number(owner.slice(at + 1));
    const running = host === probe.host && Number.isInteger(pid) && pid > 0 ? probe.running(pid) : host === probe.host ? false : undefined;
    return { owner, serverVersion: e.serverVersion, shards: e.shards.sort((a, b) => a - b), running };
  });
}

export function stillRunningMessage(binary: string, h: MembershiplessHolder): string {
  return (
    `temporal-ts ${h.serverVersion} (${h.owner}) still serves this database: it has no cluster membership and holds ${h.shards.length} shard(s). ` +
    `A server without membership and cluster members must not serve one database at once (this ${binary} would take every shard from it and it would answer errors). ` +
    `Stop it (SIGTERM), then start this server again; see "Mixed versions" under "Running a cluster" in the README. Nothing was changed.`
  );
}

export function cannotTellMessage(binary: string, h: MembershiplessHolder): string {
  return (
    `the shards were last held by temporal-ts ${h.serverVersion} on ${h.owner}, another host: a server without cluster membership. ` +
    `If it still runs, stop it now: this ${binary} takes its shards, and from now on its writes are refused (range_id fencing).`
  );
}
