/**
 * `temporal-ts operator namespace create|list|describe|update` and
 * `temporal-ts operator search-attribute create|list`, with the flags of Temporal's `temporal` CLI.
 * Namespaces go through WorkflowService (Register/Describe/List/UpdateNamespace), search attributes
 * through OperatorService, as in Temporal.
 */
import { type Command, Option } from 'commander';
import { temporal } from '../common/proto';
import { addClientOptions, collect, flagsOf, withClient, type CliContext } from './client-context';
import { CliError } from './output';
import { enumShort, humanDuration, messageToJson, parseDuration, parseKeyJsonPairs } from './proto-json';

import enums = temporal.api.enums.v1;
type IDescribeNamespaceResponse = temporal.api.workflowservice.v1.IDescribeNamespaceResponse;

const SA_TYPES = ['Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];
const saTypeValue = (t: string) =>
  (enums.IndexedValueType as unknown as Record<string, number>)[`INDEXED_VALUE_TYPE_${t.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`]!;
const saTypeName = (v: number | string) => enumShort(String(typeof v === 'string' ? v : (enums.IndexedValueType[v] ?? v)), 'INDEXED_VALUE_TYPE');

const archival = (s: string | undefined) =>
  s === undefined ? undefined : s === 'enabled' ? enums.ArchivalState.ARCHIVAL_STATE_ENABLED : enums.ArchivalState.ARCHIVAL_STATE_DISABLED;

function action<T extends object>(cmd: Command, fn: (ctx: CliContext, o: T, self: Command) => Promise<void>): Command {
  return cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const o = flagsOf<T>(self);
    await withClient(o, (ctx) => fn(ctx, o, self));
  });
}

/** The namespace a command is about: the positional argument, else -n/--namespace. */
function targetNamespace(self: Command, o: { namespace: string }, verb: string, requireExplicit: boolean): string {
  const args = self.args;
  if (args.length > 1) throw new CliError(`give at most one namespace to ${verb}, not ${args.length}`);
  if (args[0]) return args[0];
  const source = sourceOf(self, 'namespace');
  const raw = self.optsWithGlobals<{ namespace?: string }>().namespace;
  if (requireExplicit && (source === 'default' || !raw)) {
    throw new CliError(`name the namespace to ${verb}: temporal-ts operator namespace ${verb} --namespace NAME (or as an argument)`);
  }
  return o.namespace;
}

function sourceOf(cmd: Command, key: string): string | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const s = c.getOptionValueSource(key);
    if (s !== undefined) return s;
  }
  return undefined;
}

function namespaceRow(d: IDescribeNamespaceResponse): string[] {
  return [
    d.namespaceInfo?.name ?? '',
    d.namespaceInfo?.id ?? '',
    enumShort(String(enums.NamespaceState[d.namespaceInfo?.state ?? 0] ?? ''), 'NAMESPACE_STATE'),
    humanDuration(d.config?.workflowExecutionRetentionTtl),
    d.namespaceInfo?.description ?? '',
  ];
}

function printNamespace(ctx: CliContext, d: IDescribeNamespaceResponse): void {
  const info = d.namespaceInfo ?? {};
  const data = Object.entries(info.data ?? {}).map(([k, v]) => `${k}=${v}`);
  ctx.out.fields([
    ['Name', info.name ?? ''],
    ['Id', info.id ?? ''],
    ['State', enumShort(String(enums.NamespaceState[info.state ?? 0] ?? ''), 'NAMESPACE_STATE')],
    ['Description', info.description ?? ''],
    ['OwnerEmail', info.ownerEmail ?? ''],
    ['Retention', humanDuration(d.config?.workflowExecutionRetentionTtl)],
    ['HistoryArchivalState', enumShort(String(enums.ArchivalState[d.config?.historyArchivalState ?? 0] ?? ''), 'ARCHIVAL_STATE')],
    ['VisibilityArchivalState', enumShort(String(enums.ArchivalState[d.config?.visibilityArchivalState ?? 0] ?? ''), 'ARCHIVAL_STATE')],
    ['ActiveClusterName', d.replicationConfig?.activeClusterName ?? ''],
    ['Clusters', (d.replicationConfig?.clusters ?? []).map((c) => c.clusterName ?? '').join(', ')],
    ['IsGlobalNamespace', String(Boolean(d.isGlobalNamespace))],
    ...(data.length > 0 ? [['Data', data.join('\n')] as const] : []),
  ]);
}

const stringData = (flag: string, items: string[] | undefined) =>
  Object.fromEntries(Object.entries(parseKeyJsonPairs(flag, items ?? [])).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));

interface NamespaceFlags {
  namespace: string;
  description?: string;
  email?: string;
  retention?: string;
  data?: string[];
  global?: boolean;
  activeCluster?: string;
  cluster?: string[];
  historyArchivalState?: string;
  historyUri?: string;
  visibilityArchivalState?: string;
  visibilityUri?: string;
  promoteGlobal?: boolean;
}

function namespaceSettingOptions(cmd: Command, defaults: boolean): Command {
  return cmd
    .option('--description <text>', 'namespace description')
    .option('--email <address>', 'owner email')
    .option('--retention <duration>', `how long closed workflows are kept (e.g. 72h, 30d)${defaults ? ' (default: 72h)' : ''}`)
    .option('--data <key=json>', 'namespace data as KEY=JSON; repeatable', collect)
    .option('--active-cluster <name>', 'active cluster name')
    .option('--cluster <name>', 'cluster names; repeatable', collect)
    .addOption(new Option('--history-archival-state <state>', 'history archival state').choices(['disabled', 'enabled']))
    .option('--history-uri <uri>', 'archive history to this URI')
    .addOption(new Option('--visibility-archival-state <state>', 'visibility archival state').choices(['disabled', 'enabled']))
    .option('--visibility-uri <uri>', 'archive visibility data to this URI');
}

export function registerOperatorCommands(program: Command): void {
  const operator = addClientOptions(program.command('operator').description('manage namespaces and search attributes'));
  const ns = operator.command('namespace').description('create, list, describe and update namespaces');

  action(
    namespaceSettingOptions(
      ns.command('create').argument('[namespace]', 'namespace to create (or --namespace)').description('register a new namespace'),
      true,
    ).option('--global', 'enable multi-region replication'),
    async (ctx, o: NamespaceFlags, self) => {
      const name = targetNamespace(self, o, 'create', true);
      await ctx.workflow('registerNamespace', {
        namespace: name,
        description: o.description ?? '',
        ownerEmail: o.email ?? '',
        workflowExecutionRetentionPeriod: parseDuration('--retention', o.retention ?? '72h'),
        clusters: (o.cluster ?? []).map((clusterName) => ({ clusterName })),
        activeClusterName: o.activeCluster ?? '',
        data: stringData('--data', o.data),
        isGlobalNamespace: Boolean(o.global),
        historyArchivalState: archival(o.historyArchivalState ?? 'disabled'),
        historyArchivalUri: o.historyUri ?? '',
        visibilityArchivalState: archival(o.visibilityArchivalState ?? 'disabled'),
        visibilityArchivalUri: o.visibilityUri ?? '',
      });
      if (ctx.out.json) ctx.out.printJson({ namespace: name, registered: true });
      else ctx.out.line(`Namespace ${name} successfully registered.`);
    },
  );

  action(ns.command('list').description('list the namespaces of the server'), async (ctx) => {
    const all: IDescribeNamespaceResponse[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const res = await ctx.workflow('listNamespaces', { pageSize: 100, nextPageToken });
      all.push(...(res.namespaces ?? []));
      nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
    } while (nextPageToken);
    if (ctx.out.json) return ctx.out.printJson(all.map((d) => messageToJson('temporal.api.workflowservice.v1.DescribeNamespaceResponse', d)));
    ctx.out.table(['Name', 'Id', 'State', 'Retention', 'Description'], all.map(namespaceRow));
  });

  action(
    ns
      .command('describe')
      .argument('[namespace]', 'namespace to describe (or --namespace)')
      .description('show a namespace')
      .option('--namespace-id <id>', 'namespace ID (instead of its name)'),
    async (ctx, o: NamespaceFlags & { namespaceId?: string }, self) => {
      const req = o.namespaceId ? { id: o.namespaceId } : { namespace: targetNamespace(self, o, 'describe', false) };
      const res = await ctx.workflow('describeNamespace', req);
      if (ctx.out.json) return ctx.out.printJson(messageToJson('temporal.api.workflowservice.v1.DescribeNamespaceResponse', res));
      printNamespace(ctx, res);
    },
  );

  action(
    namespaceSettingOptions(ns.command('update').argument('[namespace]', 'namespace to update (or --namespace)').description('change a namespace'), false)
      .option('--promote-global', 'promote to a global (replicated) namespace')
      .addOption(new Option('--replication-state <state>', 'replication state').choices(['normal', 'handover'])),
    async (ctx, o: NamespaceFlags & { replicationState?: string }, self) => {
      const name = targetNamespace(self, o, 'update', true);
      const data = stringData('--data', o.data);
      const updateInfo = {
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(o.email !== undefined ? { ownerEmail: o.email } : {}),
        ...(Object.keys(data).length > 0 ? { data } : {}),
      };
      const config = {
        ...(o.retention ? { workflowExecutionRetentionTtl: parseDuration('--retention', o.retention) } : {}),
        ...(o.historyArchivalState ? { historyArchivalState: archival(o.historyArchivalState) } : {}),
        ...(o.historyUri ? { historyArchivalUri: o.historyUri } : {}),
        ...(o.visibilityArchivalState ? { visibilityArchivalState: archival(o.visibilityArchivalState) } : {}),
        ...(o.visibilityUri ? { visibilityArchivalUri: o.visibilityUri } : {}),
      };
      const replication = {
        ...(o.activeCluster ? { activeClusterName: o.activeCluster } : {}),
        ...(o.cluster ? { clusters: o.cluster.map((clusterName) => ({ clusterName })) } : {}),
        ...(o.replicationState
          ? { state: o.replicationState === 'handover' ? enums.ReplicationState.REPLICATION_STATE_HANDOVER : enums.ReplicationState.REPLICATION_STATE_NORMAL }
          : {}),
      };
      if (Object.keys(updateInfo).length + Object.keys(config).length + Object.keys(replication).length === 0 && !o.promoteGlobal) {
        throw new CliError(
          'nothing to update: pass --description, --email, --retention, --data, --active-cluster, --cluster, archival flags or --promote-global',
        );
      }
      await ctx.workflow('updateNamespace', {
        namespace: name,
        updateInfo: Object.keys(updateInfo).length > 0 ? updateInfo : undefined,
        config: Object.keys(config).length > 0 ? config : undefined,
        replicationConfig: Object.keys(replication).length > 0 ? replication : undefined,
        promoteNamespace: Boolean(o.promoteGlobal),
      });
      if (ctx.out.json) ctx.out.printJson({ namespace: name, updated: true });
      else ctx.out.line(`Namespace ${name} update succeeded.`);
    },
  );

  const sa = operator.command('search-attribute').description('add and list custom search attributes');

  action(
    sa
      .command('create')
      .description('add custom search attributes to the namespace (--name and --type pair up in order)')
      .requiredOption('--name <name>', 'search attribute name; repeatable', collect)
      .addOption(
        new Option('--type <type>', 'search attribute type; repeatable, one per --name')
          .choices(SA_TYPES)
          .argParser(collectChoice(SA_TYPES))
          .makeOptionMandatory(),
      ),
    async (ctx, o: { name: string[]; type: string[] }) => {
      if (o.name.length !== o.type.length) throw new CliError(`give one --type per --name (got ${o.name.length} names and ${o.type.length} types)`);
      const searchAttributes = Object.fromEntries(o.name.map((n, i) => [n, saTypeValue(o.type[i]!)]));
      await ctx.operator('addSearchAttributes', { namespace: ctx.namespace, searchAttributes });
      if (ctx.out.json) ctx.out.printJson({ namespace: ctx.namespace, added: o.name.map((n, i) => ({ name: n, type: o.type[i] })) });
      else ctx.out.line(`Search attributes have been added: ${o.name.map((n, i) => `${n} (${o.type[i]})`).join(', ')}`);
    },
  );

  action(sa.command('list').description('list the search attributes of the namespace'), async (ctx) => {
    const res = await ctx.operator('listSearchAttributes', { namespace: ctx.namespace });
    const rows = [
      ...Object.entries(res.customAttributes ?? {}).map(([name, t]) => ({ name, type: saTypeName(t), kind: 'custom' })),
      ...Object.entries(res.systemAttributes ?? {}).map(([name, t]) => ({ name, type: saTypeName(t), kind: 'system' })),
    ].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    if (ctx.out.json) return ctx.out.printJson(rows);
    ctx.out.table(
      ['Name', 'Type', 'Kind'],
      rows.map((r) => [r.name, r.type, r.kind]),
    );
  });
}

/** Repeatable enum flag: checks each value against the choices and collects them. */
function collectChoice(choices: readonly string[]) {
  return (value: string, previous: string[] | undefined): string[] => {
    const match = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!match) throw new CliError(`--type "${value}" is not a search attribute type (one of ${choices.join(', ')})`);
    return [...(previous ?? []), match];
  };
}
