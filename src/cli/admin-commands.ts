/**
 * `temporal-ts admin upgrade status`: where an upgrade stands, read from the databases themselves
 * (it works while the server is down or refuses to start): this binary's version, both stores'
 * schema versions against the required ones, the shard-metadata and data rewrites, the versions
 * that ran, and the next step.
 */
import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { loadServerConfig } from '../config/server-config';
import { packageVersion } from '../common/package-info';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { UsageError } from '../schema/errors';
import { readUpgradeStatus, type RewriteProgress, type UpgradeStatus } from '../upgrade/status';
import { temporalTsCommand } from '../upgrade/tool-commands';
import { visibilityFileFor } from './server-commands';
import { readClusterDescription, shardRanges, type ClusterDescription } from '../server/cluster/describe';
import { formatTable } from './output';

export function formatClusterDescription(d: ClusterDescription): string {
  const alive = d.members.filter((m) => m.state === 'alive').length;
  const lines = [
    `Cluster on ${d.plugin} database ${d.database}: ${alive} member(s) alive${d.members.length > alive ? `, ${d.members.length - alive} expired` : ''}, ${d.numHistoryShards} history shards`,
    '',
  ];
  if (d.members.length === 0) lines.push('  no members registered (a SQLite server serves alone; PostgreSQL and MySQL servers register here)');
  else
    lines.push(
      ...formatTable(
        ['MEMBER', 'STATE', 'ADDRESS', 'FRONTEND', 'HISTORY', 'MATCHING', 'VERSION', 'SESSION START', 'LAST HEARTBEAT', 'SHARDS'],
        d.members.map((m) => [
          m.identity,
          m.state,
          m.address,
          String(m.ports.frontend ?? '-'),
          String(m.ports.history ?? '-'),
          String(m.ports.matching ?? '-'),
          m.serverVersion,
          m.sessionStart,
          m.lastHeartbeat,
          `${m.shards.length} (${shardRanges(m.shards)})`,
        ]),
      ).map((l) => `  ${l.trimEnd()}`),
    );
  for (const o of d.otherOwners)
    lines.push(`  shards ${shardRanges(o.shards)} were last acquired by ${o.identity}, which is not a member (a server without membership)`);
  return lines.join('\n') + '\n';
}

function rewriteLine(r: RewriteProgress): string {
  const n = r.total !== null ? ` ${r.done ?? 0}/${r.total}` : '';
  return `${r.state}${n} — ${r.note}`;
}

export function formatUpgradeStatus(s: UpgradeStatus): string {
  const lines = [`Server version (this binary)  ${s.serverVersion}`, '', 'Schemas'];
  for (const st of s.stores) {
    const detail =
      st.state === 'ok'
        ? 'ok'
        : st.state === 'ahead'
          ? `newer than required (min compatible ${st.minCompatible ?? '?'})`
          : st.state === 'behind'
            ? 'BEHIND: the server will refuse to start'
            : st.state === 'incompatible'
              ? `TOO NEW for this release (min compatible ${st.minCompatible ?? '?'}): the server will refuse to start`
              : st.state === 'missing'
                ? 'MISSING: the schema was not set up; the server will refuse to start'
                : `unknown${st.error ? `: ${st.error}` : ''}`;
    lines.push(`  ${st.store.padEnd(10)} ${st.database}: ${st.current ?? '-'} (required ${st.required}) ${detail}`);
  }
  lines.push(
    '',
    `History shards  ${s.shardCount}`,
    `Shard-metadata rewrite  ${rewriteLine(s.shardMetadataRewrite)}`,
    `Data rewrite  ${rewriteLine(s.dataRewrite)}`,
    '',
    'Versions that ran on this cluster',
  );
  if (s.versionHistory.length === 0) lines.push('  (none yet)');
  for (const v of s.versionHistory)
    lines.push(`  ${v.serverVersion.padEnd(14)} first started ${v.firstStartedTime ?? '-'}  active since ${v.activatedTime ?? '(not active)'}`);
  lines.push('', `Next step: ${s.nextStep}${s.nextCommands.length > 0 ? ':' : ''}`);
  for (const c of s.nextCommands) lines.push(`  ${c}`);
  return lines.join('\n') + '\n';
}

export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('operate a temporal-ts cluster');
  const upgrade = admin.command('upgrade').description('upgrades of the server and its databases');
  upgrade
    .command('status')
    .description('server version, schema versions and the required ones, shard and data rewrite progress, version history, and the next step')
    .option('-c, --config <file>', 'the server config (as for temporal-ts server start)')
    .option('-f, --db-filename <file>', 'the dev server SQLite file (as for temporal-ts server start-dev)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { config?: string; dbFilename?: string; output: string }) => {
      if (Boolean(o.config) === Boolean(o.dbFilename))
        throw new UsageError('give the server config with --config FILE, or the dev server database with --db-filename FILE (one of them)');
      let stores: { store: 'temporal' | 'visibility'; config: SqlConnectConfig }[];
      let numHistoryShards = 4;
      let clusterName = 'active';
      let startCommand: string;
      let releaseFeed: string | undefined;
      if (o.config) {
        const cfg = loadServerConfig(o.config);
        stores = [
          { store: 'temporal', config: cfg.defaultStore },
          { store: 'visibility', config: cfg.visibilityStore },
        ];
        numHistoryShards = cfg.numHistoryShards;
        clusterName = cfg.clusterName;
        startCommand = temporalTsCommand(['server', 'start', '--config', resolve(o.config)]);
        releaseFeed = cfg.upgrade.releaseFeed;
      } else {
        const sqlite = (databaseName: string): SqlConnectConfig => ({ pluginName: 'sqlite', host: '', port: 0, databaseName });
        stores = [
          { store: 'temporal', config: sqlite(o.dbFilename!) },
          { store: 'visibility', config: sqlite(visibilityFileFor(o.dbFilename!)) },
        ];
        startCommand = temporalTsCommand(['server', 'start-dev', '--db-filename', resolve(o.dbFilename!)]);
      }
      const status = await readUpgradeStatus({ binaryVersion: packageVersion(), clusterName, stores, numHistoryShards, startCommand, releaseFeed });
      process.stdout.write(o.output === 'json' ? JSON.stringify(status, null, 2) + '\n' : formatUpgradeStatus(status));
    });

  admin
    .command('cluster')
    .description('the server processes sharing the database')
    .command('describe')
    .description('members (roles, addresses and ports, version, session start, last heartbeat) and the history shards each one holds')
    .requiredOption('-c, --config <file>', 'the server config (as for temporal-ts server start)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: { config: string; output: string }) => {
      const cfg = loadServerConfig(o.config);
      const d = await readClusterDescription(cfg.defaultStore);
      process.stdout.write(o.output === 'json' ? JSON.stringify(d, null, 2) + '\n' : formatClusterDescription(d));
    });
}
