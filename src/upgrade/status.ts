/**
 * The state of an upgrade, read straight from the databases (so it works while a server refuses to
 * start): this binary's version, each store's schema version against the required one, the version
 * history with each version's shard-metadata rewrite, the data-format rewrite, and the next step to
 * take with its command lines (pasteable as printed: src/upgrade/tool-commands.ts). It is right in
 * every state: schemas missing, behind, current or too new (the records of the default store are
 * read whenever its schema can be). `temporal-ts admin upgrade status` prints it; the Web UI's
 * cluster page shows it.
 */
import { openPersistence, readJsonBlob, FORMAT, encodingOf, type DataRewriteStore, type ServerVersionRow } from '../persistence';
import type { SqlConnectConfig } from '../persistence/sql-config';
import type { StoreName } from '../schema/versioned-dir';
import { errorMessage } from '../schema/errors';
import { readStoreSchemaStatus } from './store-schema-status';
import type { RewriteProgress, StoreSchemaState, UpgradeStatus, VersionHistoryItem } from './status-types';
import type { ShardRewriteStatus } from './cluster-startup';
import { mustParseServerVersion } from './server-version';
import { decideStart } from './version-policy';
import { REWRITTEN_FORMATS, findRewrite, type RewrittenFormat } from './data-formats';
import { tooNewAdvice } from './schema-check';
import { passwordNote, setupSchemaCommands, updateSchemaCommand } from './tool-commands';

export type { RewriteProgress, UpgradeStatus, VersionHistoryItem } from './status-types';

export interface UpgradeStatusInput {
  binaryVersion: string;
  clusterName: string;
  stores: { store: StoreName; config: SqlConnectConfig }[];
  /** the configured shard count; the cluster's recorded one wins when it exists */
  numHistoryShards: number;
  /** the command line that starts this server, pasteable (tool-commands' temporalTsCommand) */
  startCommand: string;
  /** `upgrade.releaseFeed`: also asked which release needs a schema too new for this one */
  releaseFeed?: string;
}

const duration = (ms: number) => (ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const others = (n: number) => (n === 1 ? 'the other one was' : `the other ${n} were`);
const FIRST = 'the schemas come first';

/** The default store's upgrade records: version history, this version's shard rewrite, the data rewrite. */
interface Records {
  shardCount: number;
  rows: ServerVersionRow[];
  shardMetadataRewrite: RewriteProgress;
  dataRewrite: RewriteProgress;
}

export async function readUpgradeStatus(input: UpgradeStatusInput): Promise<UpgradeStatus> {
  const stores = await Promise.all(input.stores.map((s) => readStoreSchemaStatus(s.store, s.config)));
  const configOf = (store: StoreName) => input.stores.find((s) => s.store === store)!.config;
  const base = {
    serverVersion: input.binaryVersion,
    stores,
    source: 'the databases: schema_version of both stores; server_version_history, cluster_metadata_info and data_format_rewrite of the default store',
  };
  const defaultStore = input.stores.find((s) => s.store === 'temporal');
  const temporalState = stores.find((s) => s.store === 'temporal');
  const pending = (note: string): RewriteProgress => ({ state: 'pending', done: null, total: null, note });

  // The version history has been there since schema 1.0, and the rewrite records since 1.1: read
  // what the default store's schema has, whatever the other store's state.
  let records: Records | undefined;
  let versionHistory: VersionHistoryItem[] = [];
  let recordsError: string | undefined;
  if (defaultStore && temporalState?.current) {
    try {
      records = await readRecords(defaultStore.config, input, temporalState.state === 'behind');
      versionHistory = records.rows.map(historyItem);
    } catch (err) {
      recordsError = errorMessage(err);
    }
  }
  const shardCount = records?.shardCount ?? input.numHistoryShards;

  const tooNew = stores.filter((s) => s.state === 'incompatible');
  if (tooNew.length > 0) {
    const ran = records?.rows.map((r) => r.serverVersion) ?? [];
    const steps = await Promise.all(
      tooNew.map(
        async (s) =>
          `the ${s.store} store's schema ${s.current ?? '?'} needs a server that requires ${s.minCompatible ?? '?'} or later; this release requires ${s.required}: ${await tooNewAdvice(s.store, s.current ?? '?', { releaseFeed: input.releaseFeed, ranOnDatabase: ran, binaryVersion: input.binaryVersion })}`,
      ),
    );
    const unreadable = (what: string): RewriteProgress => ({
      state: 'unknown',
      done: null,
      total: null,
      note: `${what} cannot be read on this schema${recordsError ? `: ${recordsError}` : ''}`,
    });
    return {
      ...base,
      shardCount,
      shardMetadataRewrite: records?.shardMetadataRewrite ?? unreadable('the shard-metadata rewrite'),
      dataRewrite: records?.dataRewrite ?? unreadable('the data rewrite'),
      versionHistory,
      nextStep: steps.join('; '),
      nextCommands: [],
    };
  }

  const notReady = stores.filter((s) => s.state === 'behind' || s.state === 'missing' || s.state === 'unknown');
  if (notReady.length > 0 || !defaultStore) {
    const { sentence, commands } = schemaStep(notReady, configOf);
    const fixable = commands.length > 0;
    return {
      ...base,
      shardCount,
      shardMetadataRewrite: pending(FIRST),
      dataRewrite: pending(FIRST),
      versionHistory,
      nextStep: defaultStore ? `${sentence}${fixable ? ', then start the server' : ''}` : 'configure the default store',
      nextCommands: defaultStore && fixable ? [...commands, input.startCommand] : [],
    };
  }

  if (!records) throw new Error(`cannot read the upgrade records of the default store: ${recordsError ?? 'unknown error'}`);
  const decision = decideStart(
    mustParseServerVersion(input.binaryVersion),
    records.rows.map((r) => ({ serverVersion: r.serverVersion, firstStartedMs: r.firstStartedMs, activatedMs: r.activatedMs })),
  );
  const { shardMetadataRewrite, dataRewrite } = records;
  let nextStep: string;
  let nextCommands: string[] = [];
  if (decision.kind === 'refuse') nextStep = decision.reason;
  else if (shardMetadataRewrite.state !== 'done') {
    nextStep = `start the server and wait for "version ${input.binaryVersion} is active"`;
    nextCommands = [input.startCommand];
  } else if (dataRewrite.state === 'running' || dataRewrite.state === 'pending')
    nextStep = `keep ${input.binaryVersion} running until the data rewrite is done (${dataRewrite.done ?? 0} of ${dataRewrite.total ?? '?'} rows done); the next minor version refuses to start before that`;
  else nextStep = `nothing to do: ${input.binaryVersion} is active, its schemas are current and its data rewrite is done`;
  return { ...base, shardCount, shardMetadataRewrite, dataRewrite, versionHistory, nextStep, nextCommands };
}

/** The schema step for every store that is not ready, as one sentence and all its commands. */
function schemaStep(notReady: readonly StoreSchemaState[], configOf: (store: StoreName) => SqlConnectConfig): { sentence: string; commands: string[] } {
  const parts: string[] = [];
  const commands: string[] = [];
  for (const s of notReady) {
    const cfg = configOf(s.store);
    if (s.state === 'behind') {
      parts.push(`upgrade the ${s.store} store's schema from ${s.current} to ${s.required}`);
      commands.push(updateSchemaCommand(cfg, s.store));
    } else if (s.state === 'missing') {
      parts.push(`set up the ${s.store} store's schema`);
      commands.push(...setupSchemaCommands(cfg, s.store, { createDatabase: false }));
    } else if (s.current === null) {
      // Not reachable, or no such database: create it (the tool says so if it exists), then set up.
      parts.push(`set up the ${s.store} store (${s.error ?? 'its schema cannot be read'})`);
      commands.push(...setupSchemaCommands(cfg, s.store, { createDatabase: true }));
    } else {
      parts.push(`repair the ${s.store} store's schema_version (${s.error ?? 'damaged'}): restore it from a backup`);
    }
  }
  const note = passwordNote(notReady.map((s) => configOf(s.store)));
  return { sentence: `${parts.join(', and ')}${note ? ` (${note})` : ''}`, commands };
}

async function readRecords(config: SqlConnectConfig, input: UpgradeStatusInput, schemaBehind: boolean): Promise<Records> {
  const store = await openPersistence(config);
  try {
    const meta = await store.cluster.getClusterMetadata(input.clusterName);
    const shardCount = meta ? readJsonBlob<{ numHistoryShards: number }>(meta.info, FORMAT.clusterMetadata).numHistoryShards : input.numHistoryShards;
    const rows = await store.cluster.listServerVersions(input.clusterName);
    if (schemaBehind) {
      // A schema older than this release's cannot hold its records (say, the rewrite's columns).
      const first: RewriteProgress = { state: 'pending', done: null, total: null, note: FIRST };
      return { shardCount, rows, shardMetadataRewrite: first, dataRewrite: first };
    }
    return {
      shardCount,
      rows,
      shardMetadataRewrite: shardRewriteProgress(rows, input.binaryVersion, shardCount),
      dataRewrite: await dataRewriteProgress(store.dataRewrite, REWRITTEN_FORMATS, input.binaryVersion),
    };
  } finally {
    await store.close();
  }
}

/**
 * This version's shard-metadata rewrite. Every start rewrites the shards again and saves that
 * start's times, while the activation time is the first start's: the two are shown apart, each
 * with its own start.
 */
function shardRewriteProgress(rows: readonly ServerVersionRow[], version: string, shardCount: number): RewriteProgress {
  const mine = rows.find((r) => r.serverVersion === version);
  const progress = mine?.progress ? readJsonBlob<ShardRewriteStatus>(mine.progress, FORMAT.serverVersionStatus) : undefined;
  if (!mine) return { state: 'pending', done: 0, total: shardCount, note: `${version} has not started on this database yet` };
  if (mine.activatedMs === undefined)
    return {
      state: 'running',
      done: progress?.shardsDone ?? 0,
      total: shardCount,
      note: 'started but not finished (a server is starting, or a start was interrupted: start the server again)',
    };
  const latest =
    progress?.finishedMs !== undefined
      ? `the latest start rewrote them at ${iso(progress.finishedMs)} in ${duration(progress.finishedMs - progress.startedMs)}; `
      : '';
  return {
    state: 'done',
    done: progress?.shardsDone ?? shardCount,
    total: shardCount,
    note: `${latest}${version} active since ${iso(mine.activatedMs)}`,
  };
}

function historyItem(r: ServerVersionRow): VersionHistoryItem {
  return { serverVersion: r.serverVersion, firstStartedTime: iso(r.firstStartedMs), activatedTime: iso(r.activatedMs) };
}

/**
 * The background data-format rewrite of each rewritten store, as one progress line. Its numbers
 * are the rewrite's own (data_format_rewrite): done of the rows that were in an older format when it
 * began, so they agree with its log lines and never pass 100 %.
 */
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
    // A record written by 0.2.0 counted every row it passed, and can hold more done than its total.
    const total = rec.rowsTotal ?? rec.rowsScanned;
    if (rec.completedMs !== undefined) {
      const what =
        total === 0
          ? 'no rows were in an older format when it began: nothing to rewrite'
          : rec.rowsRewritten >= total
            ? `all ${total} rows rewritten by the background rewrite`
            : `${rec.rowsRewritten} of the ${total} rows rewritten by the background rewrite (${others(total - rec.rowsRewritten)} rewritten by their workflows first, or before a restart)`;
      return {
        state: 'done',
        done: total,
        total,
        note: `${f.label} to ${target}: ${what}, finished ${iso(rec.completedMs)} in ${duration(rec.completedMs - rec.startedMs)}; ${oldText}`,
      };
    }
    return {
      state: 'running',
      done: Math.min(rec.rowsScanned, total),
      total,
      note: `${f.label} to ${target}: ${rec.rowsRewritten} rows rewritten so far, last saved ${iso(rec.updatedMs ?? rec.startedMs)} (an old time means no server is running it: start the server and it resumes there); ${oldText}`,
    };
  });
  if (parts.length === 1) return parts[0]!;
  const order: RewriteProgress['state'][] = ['failed', 'unknown', 'running', 'pending', 'done', 'not-applicable'];
  const state = order.find((st) => parts.some((p) => p.state === st))!;
  const sum = (k: 'done' | 'total') => (parts.every((p) => p[k] !== null) ? parts.reduce((n, p) => n + p[k]!, 0) : null);
  return { state, done: sum('done'), total: sum('total'), note: parts.map((p) => p.note).join(' | ') };
}
