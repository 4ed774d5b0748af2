/**
 * bench/data-rewrite: how fast the background data-format rewrite converts old mutable state when
 * its rate limit is out of the way, i.e. how long an operator waits before the next minor may start.
 * For each engine: one real run's executions row (written by this server), cloned BENCH_ROWS times
 * (default 20,000) and marked json/v1 as 0.1.x stored it, then one rewriter pass, timed.
 * Run: npm run bench:data-rewrite
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client, Connection } from '@temporalio/client';
import { startTemporalServer } from '../src/server/server';
import { ensureSchema } from '../src/schema/auto-setup';
import { silentReporter } from '../src/schema/reporter';
import { createPgPool } from '../src/persistence/postgres/pool';
import { openPersistence } from '../src/persistence';
import { DataFormatRewriter } from '../src/history/data-rewrite';
import { createLogger } from '../src/common/logger';
import type { SqlConnectConfig } from '../src/persistence/sql-config';
import { PG, dropDatabase, engineAvailability, uniqueDbName } from '../test/helpers/databases';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const COLUMNS = 'shard_id, namespace_id, workflow_id, run_id, next_event_id, db_record_version, data, data_encoding, state, state_encoding';

/** One real run, so the cloned blob is what the engine writes. */
async function seedOneRun(cfg: SqlConnectConfig): Promise<void> {
  await ensureSchema(cfg, 'temporal', silentReporter);
  const server = await startTemporalServer({ persistence: cfg, port: 0, logLevel: 'silent' });
  const connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  try {
    await new Client({ connection }).workflow.start('benchWorkflow', { taskQueue: 'bench', workflowId: 'seed', args: [{ some: 'input', list: [1, 2, 3] }] });
  } finally {
    await connection.close();
    await server.stop();
  }
}

async function timeRewrite(cfg: SqlConnectConfig): Promise<{ ms: number; rewritten: number }> {
  const store = await openPersistence(cfg);
  try {
    const rewriter = new DataFormatRewriter(store, { rowsPerSecond: 1_000_000, batchSize: 500 }, createLogger('silent'));
    const t = process.hrtime.bigint();
    await rewriter.start();
    await rewriter.finished;
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const [rec] = await store.dataRewrite.listDataRewrites();
    if (!rec?.completedMs) throw new Error('the rewrite did not complete');
    return { ms, rewritten: rec.rowsRewritten };
  } finally {
    await store.close();
  }
}

function report(engine: string, r: { ms: number; rewritten: number }): void {
  console.log(
    `${engine.padEnd(11)} ${r.rewritten} rows json/v1 -> json/v2 in ${(r.ms / 1000).toFixed(2)} s: ${Math.round((r.rewritten * 1000) / r.ms)} rows/s unthrottled (default limit: 1000 rows/s)`,
  );
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-rewrite-'));
  try {
    const file = join(tmp, 'rewrite.db');
    const sqlite: SqlConnectConfig = { pluginName: 'sqlite', host: '', port: 0, databaseName: file };
    await seedOneRun(sqlite);
    const db = new Database(file);
    const clone = db.prepare(
      `INSERT INTO executions (${COLUMNS}) SELECT shard_id, namespace_id, ?, ?, next_event_id, db_record_version, data, 'json/v1', state, state_encoding FROM executions WHERE workflow_id = 'seed'`,
    );
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) clone.run(`bench-${i}`, `run-${i}`);
    })();
    db.prepare('DELETE FROM data_format_rewrite').run();
    db.close();
    report('sqlite', await timeRewrite(sqlite));

    if (!(await engineAvailability('postgres12'))) {
      const name = uniqueDbName('bench_rewrite');
      const pg: SqlConnectConfig = { pluginName: 'postgres12', host: PG.host, port: PG.port, user: PG.user, password: PG.password, databaseName: name };
      try {
        await seedOneRun(pg);
        const pool = await createPgPool(pg);
        try {
          await pool.query(
            `INSERT INTO executions (${COLUMNS}) SELECT e.shard_id, e.namespace_id, 'bench-' || g, 'run-' || g, e.next_event_id, e.db_record_version, e.data, 'json/v1', e.state, e.state_encoding FROM executions e, generate_series(1, $1) g WHERE e.workflow_id = 'seed'`,
            [ROWS],
          );
          await pool.query('DELETE FROM data_format_rewrite');
        } finally {
          await pool.end();
        }
        report('postgres12', await timeRewrite(pg));
      } finally {
        await dropDatabase('postgres12', name);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
