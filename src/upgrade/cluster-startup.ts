/**
 * What a server does with the cluster's records before and while it starts: the cluster metadata
 * (its shard count is fixed once data exists), the version-history check that enforces one minor
 * version at a time, and the shard-metadata rewrite that every start after a version change must
 * finish before the new version is recorded active — reported as log lines, a metric and a status
 * row that `temporal-ts admin upgrade status` reads.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/logger';
import { serverVersionActive, shardRewriteDone, shardRewriteTotal } from '../common/metrics';
import { FORMAT, jsonBlob, readJsonBlob, type PersistenceBundle } from '../persistence';
import type { ServerVersion } from './server-version';
import { decideStart, type StartDecision } from './version-policy';
import { REWRITTEN_FORMATS, dataFormatRefusal, type RewrittenFormat } from './data-formats';
import { cannotTellMessage, membershiplessHolders, stillRunningMessage } from './membershipless-server';

export class UpgradeRefusedError extends Error {
  override name = 'UpgradeRefusedError';
}

interface ClusterInfo {
  clusterId: string;
  numHistoryShards: number;
  createdTimeMs: number;
}

/** The status of one version's start-up work, stored with its version-history row. */
export interface ShardRewriteStatus {
  readonly shardsTotal: number;
  readonly shardsDone: number;
  readonly startedMs: number;
  readonly finishedMs?: number;
}

export interface ClusterStart {
  readonly clusterId: string;
  /** The shard count to run with: the one recorded when the cluster was created. */
  readonly numHistoryShards: number;
  readonly decision: StartDecision;
  /** Hear one acquired shard (progress line, metric, status row). */
  onShardProgress(done: number, total: number): void;
  /** Record this version active once every shard is rewritten. */
  activate(): Promise<void>;
}

export async function prepareClusterStart(
  store: PersistenceBundle,
  opts: {
    clusterName: string;
    numHistoryShards: number;
    binary: ServerVersion;
    log: Logger;
    /** the background-rewritten formats and what this binary reads (tests play a later release) */
    formats?: readonly RewrittenFormat[];
  },
): Promise<ClusterStart> {
  const { clusterName, binary, log } = opts;
  const info = await clusterInfo(store, clusterName, opts.numHistoryShards, log);

  const history = await store.cluster.listServerVersions(clusterName);
  const decision = decideStart(
    binary,
    history.map((h) => ({ serverVersion: h.serverVersion, firstStartedMs: h.firstStartedMs, activatedMs: h.activatedMs })),
  );
  if (decision.kind === 'refuse') throw new UpgradeRefusedError(decision.reason);
  const formatRefusal = await dataFormatRefusal(store.dataRewrite, opts.formats ?? REWRITTEN_FORMATS, binary, decision);
  if (formatRefusal) throw new UpgradeRefusedError(formatRefusal);
  // Before anything is recorded: a refused start must leave the database as the other server expects it.
  for (const holder of membershiplessHolders(await store.shards.listShards())) {
    if (holder.running === true) throw new UpgradeRefusedError(stillRunningMessage(binary.text, holder));
    if (holder.running === undefined) log.warn({ owner: holder.owner, serverVersion: holder.serverVersion }, cannotTellMessage(binary.text, holder));
  }
  const nowMs = Date.now();
  await store.cluster.recordServerVersionStart(clusterName, binary.text, nowMs);
  const alreadyActive = history.some((h) => h.serverVersion === binary.text && h.activatedMs !== undefined);
  if ((decision.kind === 'same' || decision.kind === 'patch') && decision.rollingTo)
    log.warn(
      { active: decision.active.text, rollingTo: decision.rollingTo },
      `a rolling upgrade to ${decision.rollingTo} is under way on this database (started, not active yet); this ${binary.text} member runs beside its members until they have replaced every ${decision.active.major}.${decision.active.minor}.x member`,
    );
  if (decision.kind === 'upgrade')
    log.info(
      { from: decision.active.text, to: binary.text },
      `upgrading from ${decision.active.text} to ${binary.text}: rewriting the metadata of ${info.numHistoryShards} shards`,
    );

  const started = Date.now();
  let lastReport = 0;
  let pending: Promise<void> = Promise.resolve();
  const saveStatus = (status: ShardRewriteStatus, activatedMs?: number) => {
    // One write at a time, in order: the status row is a record for operators, not a hot path.
    pending = pending.then(() => store.cluster.updateServerVersion(clusterName, binary.text, jsonBlob(status, FORMAT.serverVersionStatus), activatedMs));
    return pending;
  };
  // progress is news on an upgrade; on a database created a moment ago (or a restart) it is noise
  const upgrading = decision.kind === 'upgrade' || decision.kind === 'patch';
  const progress = upgrading ? log.info.bind(log) : log.debug.bind(log);
  shardRewriteTotal.set(info.numHistoryShards);
  shardRewriteDone.set(0);

  return {
    clusterId: info.clusterId,
    numHistoryShards: info.numHistoryShards,
    decision,
    onShardProgress(done, total) {
      shardRewriteDone.set(done);
      const step = Math.max(1, Math.floor(total / 10));
      if (done === total || done - lastReport >= step) {
        lastReport = done;
        progress({ done, total }, `shard metadata rewrite: ${done}/${total} shards (${Math.floor((100 * done) / total)}%)`);
        if (!alreadyActive && done < total) void saveStatus({ shardsTotal: total, shardsDone: done, startedMs: started });
      }
    },
    async activate() {
      if (!alreadyActive) {
        // In a cluster every member of the new version sees the moment at its next refresh; the
        // first one records it (and says so), the others only take note.
        const now = (await store.cluster.listServerVersions(clusterName)).find((h) => h.serverVersion === binary.text);
        if (now?.activatedMs !== undefined) {
          serverVersionActive.labels(binary.text).set(1);
          log.info({ version: binary.text }, `version ${binary.text} is active (recorded by another member at ${new Date(now.activatedMs).toISOString()})`);
          return;
        }
      }
      const finishedMs = Date.now();
      await saveStatus({ shardsTotal: info.numHistoryShards, shardsDone: info.numHistoryShards, startedMs: started, finishedMs }, finishedMs);
      serverVersionActive.labels(binary.text).set(1);
      progress(
        { version: binary.text, ms: finishedMs - started },
        `all ${info.numHistoryShards} shards rewritten in ${finishedMs - started} ms; version ${binary.text} is active`,
      );
    },
  };
}

async function clusterInfo(store: PersistenceBundle, clusterName: string, configured: number, log: Logger): Promise<ClusterInfo> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await store.cluster.getClusterMetadata(clusterName);
    if (row) {
      const info = readJsonBlob<ClusterInfo>(row.info, FORMAT.clusterMetadata);
      if (info.numHistoryShards !== configured) {
        // As in Temporal: the shard count is immutable once workflows are placed by it.
        log.warn(
          { configured, persisted: info.numHistoryShards },
          `numHistoryShards ${configured} in the config differs from the ${info.numHistoryShards} this cluster was created with; using ${info.numHistoryShards}`,
        );
      }
      return info;
    }
    const created: ClusterInfo = { clusterId: randomUUID(), numHistoryShards: configured, createdTimeMs: Date.now() };
    if (await store.cluster.saveClusterMetadata(clusterName, jsonBlob(created, FORMAT.clusterMetadata), undefined)) return created;
  }
  throw new Error(`could not read or create the cluster metadata of ${clusterName}`);
}
