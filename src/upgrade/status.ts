/**
 * The state of an upgrade, read straight from the databases (so it works while a server refuses to
 * start): this binary's version, each store's schema version against the required one, the version
 * history with each version's shard-metadata rewrite, the data-format rewrite, and the next step to
 * take. `temporal-ts admin upgrade status` prints it; the Web UI's cluster page shows it.
 */
import { openPersistence, readJsonBlob, FORMAT } from '../persistence';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { toolCommand } from '../schema/compatibility';
import { shippedVersionedPath } from '../schema/shipped';
import type { StoreName } from '../schema/versioned-dir';
import { readStoreSchemaStatus } from './store-schema-status';
import type { RewriteProgress, UpgradeStatus, VersionHistoryItem } from './status-types';

export type { RewriteProgress, UpgradeStatus, VersionHistoryItem } from './status-types';
import type { ShardRewriteStatus } from './cluster-startup';
import { mustParseServerVersion } from './server-version';
import { decideStart } from './version-policy';
import { REWRITTEN_FORMATS, findRewrite, type RewrittenFormat } from './data-formats';
import { encodingOf, type DataRewriteStore, type ServerVersionRow } from '../persistence';

export interface UpgradeStatusInput {
  binaryVersion: string;
  clusterName: string;
  stores: { store: StoreName; config: SqlConnectConfig }[];
  /** the configured shard count; the cluster's recorded one wins when it exists */
  numHistoryShards: number;
  /** how to start the server, for the next-step sentence */
  startCommand: string;
}

const duration = (ms: number) => (ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export async function readUpgradeStatus(input: UpgradeStatusInput): Promise<UpgradeStatus> {
  const stores = await Promise.all(input.stores.map((s) => readStoreSchemaStatus(s.store, s.config)));
  const base = {
    serverVersion: input.binaryVersion,
    stores,
    dataRewrite: { state: 'pending', done: null, total: null, note: 'the schemas come first' } as RewriteProgress,
    source: 'the databases: schema_version of both stores; server_version_history, cluster_metadata_info and data_format_rewrite of the default store',
  };
  const tooNew = stores.find((s) => s.state === 'incompatible');
  if (tooNew) {
    const step = `the ${tooNew.store} store's schema ${tooNew.current ?? '?'} needs a server that requires ${tooNew.minCompatible ?? '?'} or later; this release requires ${tooNew.required}: run the release that upgraded the schema (or a newer one)`;
    return {
      ...base,
      shardCount: input.numHistoryShards,
      shardMetadataRewrite: { state: 'pending', done: null, total: null, note: 'the schemas come first' },
      versionHistory: [],
      nextStep: step,
    };
  }
  const behind = stores.find((s) => s.state === 'behind' || s.state === 'unknown');
  const defaultStore = input.stores.find((s) => s.store === 'temporal');
  if (behind || !defaultStore) {
    const fix = behind && input.stores.find((s) => s.store === behind.store);
    const step = fix
      ? behind.current === null
        ? `set up the ${behind.store} store: ${toolCommand(fix.config, 'create-database')}, then ${toolCommand(fix.config, 'setup-schema -v 0.0')}, then ${toolCommand(fix.config, `update-schema -d ./${shippedVersionedPath(fix.config.pluginName, fix.store)}`)}`
        : `upgrade the ${behind.store} store's schema from ${behind.current} to ${behind.required}: ${toolCommand(fix.config, `update-schema -d ./${shippedVersionedPath(fix.config.pluginName, fix.store)}`)}`
      : 'configure the default store';
    // The version history has been there since schema 1.0: show which versions ran, even while behind.
    const ran = defaultStore && stores.find((x) => x.store === 'temporal')?.current ? await readVersionHistory(defaultStore.config, input.clusterName) : [];
    return {
      ...base,
      shardCount: input.numHistoryShards,
      shardMetadataRewrite: { state: 'pending', done: null, total: null, note: 'the schemas come first' },
      versionHistory: ran,
      nextStep: step,
    };
  }

  const store = await openPersistence(defaultStore.config);
  try {
    const meta = await store.cluster.getClusterMetadata(input.clusterName);
    const shardCount = meta ? readJsonBlob<{ numHistoryShards: number }>(meta.info, FORMAT.clusterMetadata).numHistoryShards : input.numHistoryShards;
    const rows = await store.cluster.listServerVersions(input.clusterName);
    const versionHistory = rows.map(historyItem);
    const mine = rows.find((r) => r.serverVersion === input.binaryVersion);
    const progress = mine?.progress ? readJsonBlob<ShardRewriteStatus>(mine.progress, FORMAT.serverVersionStatus) : undefined;
    const shardMetadataRewrite: RewriteProgress = !mine
      ? { state: 'pending', done: 0, total: shardCount, note: `${input.binaryVersion} has not started on this database yet` }
      : mine.activatedMs !== undefined
        ? {
            state: 'done',
            done: progress?.shardsDone ?? shardCount,
            total: shardCount,
            note: `finished ${iso(mine.activatedMs)}${progress?.finishedMs ? ` in ${progress.finishedMs - progress.startedMs} ms` : ''}; ${input.binaryVersion} is active`,
          }
        : {
            state: 'running',
            done: progress?.shardsDone ?? 0,
            total: shardCount,
            note: 'started but not finished (a server is starting, or a start was interrupted: start the server again)',
          };

    const decision = decideStart(
      mustParseServerVersion(input.binaryVersion),
      rows.map((r) => ({ serverVersion: r.serverVersion, firstStartedMs: r.firstStartedMs, activatedMs: r.activatedMs })),
    );
    const dataRewrite = await dataRewriteProgress(store.dataRewrite, REWRITTEN_FORMATS, input.binaryVersion);
    const nextStep =
      decision.kind === 'refuse'
        ? decision.reason
        : shardMetadataRewrite.state !== 'done'
          ? `start the server (${input.startCommand}) and wait for "version ${input.binaryVersion} is active"`
          : dataRewrite.state === 'running' || dataRewrite.state === 'pending'
            ? `keep ${input.binaryVersion} running until the data rewrite is done (${dataRewrite.done ?? 0} of ${dataRewrite.total ?? '?'} rows looked at); the next minor version refuses to start before that`
            : `nothing to do: ${input.binaryVersion} is active, its schemas are current and its data rewrite is done`;
    return { ...base, shardCount, shardMetadataRewrite, dataRewrite, versionHistory, nextStep };
  } finally {
    await store.close();
  }
}

function historyItem(r: ServerVersionRow): VersionHistoryItem {
  return { serverVersion: r.serverVersion, firstStartedTime: iso(r.firstStartedMs), activatedTime: iso(r.activatedMs) };
}

async function readVersionHistory(config: SqlConnectConfig, clusterName: string): Promise<VersionHistoryItem[]> {
  try {
    const store = await openPersistence(config);
    try {
      return (await store.cluster.listServerVersions(clusterName)).map(historyItem);
    } finally {
      await store.close();
    }
  } catch {
    return []; // a schema set up but not yet at 1.0 has no such table: nothing ran on it
  }
}

/** The background data-format rewrite of each rewritten store, as one progress line. */
export async function dataRewriteProgress(store: DataRewriteStore, formats: readonly RewrittenFormat[], binaryVersion: string): Promise<RewriteProgress> {
  if (formats.length === 0)
    return {
      state: 'not-applicable',
      done: null,
      total: null,
      note: 'this release reads and writes the same data formats as the one before it: no data rewrite to run',
    };
  const records = await store.listDataRewrites();
  const byEncoding = await store.countExecutionsByEncoding();
  const parts: RewriteProgress[] = formats.map((f) => {
    const target = encodingOf('json', f.target);
    const old = [...byEncoding.entries()].filter(([enc]) => enc !== target);
    const oldText = old.length === 0 ? `no rows left in older formats` : `rows still in older formats: ${old.map(([enc, n]) => `${n} in ${enc}`).join(', ')}`;
    const rec = findRewrite(records, f.store, f.target);
    if (!rec)
      return { state: 'pending', done: 0, total: null, note: `${f.label} to ${target}: starts in the background once ${binaryVersion} is active; ${oldText}` };
    if (rec.completedMs !== undefined) {
      return {
        state: 'done',
        done: rec.rowsScanned,
        // runs started while it ran are looked at too, so the count can pass the first total
        total: Math.max(rec.rowsTotal ?? 0, rec.rowsScanned),
        note: `${f.label} to ${target}: ${rec.rowsRewritten} rows rewritten (${rec.rowsScanned} looked at), finished ${iso(rec.completedMs)} in ${duration(rec.completedMs - rec.startedMs)}; ${oldText}`,
      };
    }
    return {
      state: 'running',
      done: rec.rowsScanned,
      total: rec.rowsTotal === undefined ? null : Math.max(rec.rowsTotal, rec.rowsScanned),
      note: `${f.label} to ${target}: ${rec.rowsRewritten} rows rewritten so far, last saved ${iso(rec.updatedMs ?? rec.startedMs)} (an old time means no server is running it: start the server and it resumes there); ${oldText}`,
    };
  });
  if (parts.length === 1) return parts[0]!;
  const order: RewriteProgress['state'][] = ['failed', 'running', 'pending', 'done', 'not-applicable'];
  const state = order.find((st) => parts.some((p) => p.state === st))!;
  const sum = (k: 'done' | 'total') => (parts.every((p) => p[k] !== null) ? parts.reduce((n, p) => n + p[k]!, 0) : null);
  return { state, done: sum('done'), total: sum('total'), note: parts.map((p) => p.note).join(' | ') };
}
