/**
 * bench/visibility: List and Count latency at 100,000 closed workflows. Fills a fresh visibility
 * database directly through the VisibilityStore (no workflows), then runs typical queries through
 * the VisibilityManager (parser -> compiler -> SQL) and prints p50 / p99 per query and engine.
 * Run: npm run bench:visibility   (BENCH_ROWS, BENCH_ITER, BENCH_ENGINES=sqlite,postgres12,mysql8)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { SqlConnectConfig } from '../src/persistence/sql-config';
import { VisibilityManager } from '../src/visibility/manager';
import { openVisibilityStore } from '../src/visibility/open';
import { SqlVisibilityStore } from '../src/visibility/sql-store';
import type { VisibilityRecord } from '../src/visibility/store';
import { dropDatabase, engineAvailability, MYSQL, PG, toolConnectionFlags, uniqueDbName, type Engine } from '../test/helpers/databases';

const TOOL = join(__dirname, '..', '..', 'bin', 'temporal-sql-tool.js');
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const ITER = Number(process.env.BENCH_ITER ?? 50);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres12,mysql8').split(',') as Engine[];
const NS = 'bench-ns';
const IVT = temporal.api.enums.v1.IndexedValueType;
const VIS_DIRS: Record<Engine, string> = {
  sqlite: 'schema/sqlite/v3/visibility/versioned',
  postgres12: 'schema/postgresql/v12/visibility/versioned',
  mysql8: 'schema/mysql/v8/visibility/versioned',
};

function tool(engine: Engine, db: string, args: string[]): void {
  const r = spawnSync(process.execPath, [TOOL, ...toolConnectionFlags(engine, db), '-q', ...args], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} failed: ${r.stderr}`);
}

const T0 = Date.UTC(2024, 0, 1);
const TYPES = ['OrderWorkflow', 'PaymentWorkflow', 'ShippingWorkflow', 'EmailWorkflow', 'ReportWorkflow'];
const STATUSES = [2, 2, 2, 2, 3, 4, 5, 7]; // mostly Completed

function record(i: number, cols: Record<string, string>): VisibilityRecord {
  const start = T0 + i * 1000;
  const close = start + 1000 + (i % 97) * 50;
  return {
    namespaceId: NS,
    runId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    workflowId: `order-${i}`,
    workflowTypeName: TYPES[i % TYPES.length]!,
    taskQueue: `tq-${i % 4}`,
    status: STATUSES[i % STATUSES.length]!,
    startTimeMs: start,
    executionTimeMs: start,
    closeTimeMs: close,
    historyLength: 11 + (i % 20),
    historySizeBytes: 2000 + (i % 500),
    executionDurationMs: close - start,
    stateTransitionCount: null,
    memo: null,
    encoding: null,
    parentWorkflowId: null,
    parentRunId: null,
    rootWorkflowId: `order-${i}`,
    rootRunId: null,
    searchAttributes: { CustomerId: `cust-${i % 1000}`, Amount: i % 10_000 },
    columns: { [cols.CustomerId!]: `cust-${i % 1000}`, [cols.Amount!]: i % 10_000 },
  };
}

const QUERIES: [string, 'list' | 'count', string][] = [
  ['list: default order, page 100', 'list', ''],
  ['list: WorkflowType + ExecutionStatus', 'list', "WorkflowType = 'PaymentWorkflow' AND ExecutionStatus = 'Failed'"],
  ['list: custom Keyword =', 'list', "CustomerId = 'cust-42'"],
  ['list: CloseTime range', 'list', `CloseTime BETWEEN '${new Date(T0 + 50_000_000).toISOString()}' AND '${new Date(T0 + 51_000_000).toISOString()}'`],
  ['list: WorkflowId STARTS_WITH', 'list', "WorkflowId STARTS_WITH 'order-9999'"],
  ['list: ORDER BY custom Int', 'list', 'Amount > 9990 ORDER BY Amount DESC'],
  ['count: all', 'count', ''],
  ['count: ExecutionStatus = Failed', 'count', "ExecutionStatus = 'Failed'"],
  ['count: GROUP BY ExecutionStatus', 'count', 'GROUP BY ExecutionStatus'],
  ['count: custom Keyword + type', 'count', "CustomerId = 'cust-7' AND WorkflowType = 'OrderWorkflow'"],
];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function benchEngine(engine: Engine): Promise<void> {
  let tmp: string | undefined;
  let name: string;
  let cfg: SqlConnectConfig;
  if (engine === 'sqlite') {
    tmp = mkdtempSync(join(tmpdir(), 'bench-vis-'));
    name = join(tmp, 'visibility.db');
    cfg = { pluginName: 'sqlite', host: '', port: 0, databaseName: name };
  } else {
    name = uniqueDbName('bench_vis');
    const c = engine === 'postgres12' ? PG : MYSQL;
    cfg = { pluginName: engine, host: c.host, port: c.port, user: c.user, password: c.password || undefined, databaseName: name };
  }
  try {
    tool(engine, name, ['create-database']);
    tool(engine, name, ['setup-schema', '-v', '0.0']);
    tool(engine, name, ['update-schema', '-d', VIS_DIRS[engine]]);
    const vm = new VisibilityManager(await openVisibilityStore(cfg));
    await vm.addAttributes(NS, 'bench', { CustomerId: IVT.INDEXED_VALUE_TYPE_KEYWORD, Amount: IVT.INDEXED_VALUE_TYPE_INT });
    const cols = Object.fromEntries([...(await vm.registry.get(NS, 0)).custom.values()].map((c) => [c.name, c.column]));
    const fillStart = Date.now();
    const BATCH = 5000;
    for (let i = 0; i < ROWS; i += BATCH) {
      const recs = Array.from({ length: Math.min(BATCH, ROWS - i) }, (_, k) => record(i + k, cols));
      const s = vm.store;
      if (s instanceof SqlVisibilityStore) await s.upsertMany(recs);
    }
    if (engine === 'postgres12') await vm.store.select('ANALYZE executions_visibility', []);
    if (engine === 'mysql8') await vm.store.select('ANALYZE TABLE executions_visibility', []);
    if (engine === 'sqlite') await vm.store.select('ANALYZE', []).catch(() => undefined);
    console.log(
      `\n${engine}: ${ROWS} closed rows written through the VisibilityStore in ${((Date.now() - fillStart) / 1000).toFixed(1)} s; ${ITER} runs per query`,
    );
    console.log(`  ${'query'.padEnd(40)} ${'rows'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    for (const [label, kind, q] of QUERIES) {
      const times: number[] = [];
      let n = 0;
      for (let k = 0; k < ITER + 3; k++) {
        const t = process.hrtime.bigint();
        if (kind === 'list') n = (await vm.list(NS, q, 100, undefined)).executions.length;
        else n = (await vm.count(NS, q)).count;
        if (k >= 3) times.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      times.sort((a, b) => a - b);
      console.log(`  ${label.padEnd(40)} ${String(n).padStart(6)} ${pct(times, 50).toFixed(2).padStart(8)} ${pct(times, 99).toFixed(2).padStart(8)}`);
    }
    await vm.close();
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    else await dropDatabase(engine, name);
  }
}

async function main(): Promise<void> {
  for (const engine of ENGINES) {
    const skip = await engineAvailability(engine);
    if (skip) continue;
    await benchEngine(engine);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
