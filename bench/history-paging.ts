/**
 * History paging benchmark: builds one workflow with a long history (50,000 events by default: a
 * start and signals, no worker), then reads it page by page through GetWorkflowExecutionHistory as
 * a client does, and prints the total time and the time of the first, middle and last pages (the
 * cost of a page should not depend on where it is in the history).
 *
 * Usage: npm run bench:history-paging -- [--db sqlite|postgres|mysql] [--events 50000] [--page-size 1000]
 * PostgreSQL at PGHOST/PGPORT/PGUSER, MySQL at MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { startTemporalServer } from '../src/server/server';
import type { SqlConnectConfig } from '../src/persistence/sql-config';

const REPO = resolve(__dirname, '..', '..');
const SQL_TOOL = join(REPO, 'bin', 'temporal-sql-tool.js');

function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
}

function sqlTool(conn: string[], ...args: string[]): void {
  const r = spawnSync(process.execPath, [SQL_TOOL, ...conn, '-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

function createDb(kind: string): { config: SqlConnectConfig; cleanup(): void } {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tts-bench-history-'));
    const file = join(dir, 'temporal.db');
    const conn = ['--pl', 'sqlite', '--db', file];
    sqlTool(conn, 'create-database');
    sqlTool(conn, 'setup-schema', '-v', '0.0');
    sqlTool(conn, 'update-schema', '-s', 'sqlite/v3/temporal');
    return { config: { pluginName: 'sqlite', host: '', port: 0, databaseName: file }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `tts_bench_history_${process.pid}_${Date.now().toString(36)}`;
  const s =
    kind === 'postgres'
      ? {
          plugin: 'postgres12' as const,
          host: process.env.PGHOST ?? '127.0.0.1',
          port: Number(process.env.PGPORT ?? 5432),
          user: process.env.PGUSER ?? 'postgres',
          password: '',
          dir: 'postgresql/v12/temporal',
        }
      : {
          plugin: 'mysql8' as const,
          host: process.env.MYSQL_HOST ?? '127.0.0.1',
          port: Number(process.env.MYSQL_PORT ?? 3306),
          user: process.env.MYSQL_USER ?? 'root',
          password: process.env.MYSQL_PASSWORD ?? '',
          dir: 'mysql/v8/temporal',
        };
  const conn = ['--pl', s.plugin, '--ep', s.host, '-p', String(s.port), '-u', s.user, ...(s.password ? ['--pw', s.password] : []), '--db', name];
  sqlTool(conn, 'create-database');
  sqlTool(conn, 'setup-schema', '-v', '0.0');
  sqlTool(conn, 'update-schema', '-s', s.dir);
  return {
    config: { pluginName: s.plugin, host: s.host, port: s.port, user: s.user, password: s.password, databaseName: name },
    cleanup: () => sqlTool(conn, 'drop-database', '--force'),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const kind = flag(argv, 'db', 'sqlite');
  if (!['sqlite', 'postgres', 'mysql'].includes(kind)) throw new Error(`--db takes sqlite, postgres or mysql, not ${kind}`);
  const events = Number(flag(argv, 'events', '50000'));
  const pageSize = Number(flag(argv, 'page-size', '1000'));
  if (!(events >= 10) || !(pageSize >= 1)) throw new Error('--events must be at least 10 and --page-size at least 1');

  const db = createDb(kind);
  const server = await startTemporalServer({ persistence: db.config, port: 0, logLevel: 'warn' });
  const connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  const client = new Client({ connection, namespace: 'default' });
  try {
    // no worker polls: the first workflow task stays scheduled, so every signal is one event of history
    const workflowId = `history-paging-${Date.now()}`;
    const handle = await client.workflow.start('neverRuns', { taskQueue: 'nobody-polls', workflowId });
    const signals = events - 2; // started, workflow task scheduled, then the signals
    const t0 = performance.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < signals) {
          sent++;
          await handle.signal('tick', sent);
        }
      }),
    );
    const buildS = (performance.now() - t0) / 1000;

    const pageMs: number[] = [];
    let read = 0;
    let token: Uint8Array | undefined;
    const r0 = performance.now();
    do {
      const p0 = performance.now();
      const page = await connection.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId },
        maximumPageSize: pageSize,
        nextPageToken: token,
      });
      pageMs.push(performance.now() - p0);
      read += page.history?.events?.length ?? 0;
      token = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
    } while (token);
    const totalMs = performance.now() - r0;
    const at = (q: number): number => +(pageMs[Math.min(pageMs.length - 1, Math.floor(q * pageMs.length))] ?? NaN).toFixed(1);
    const result = {
      db: kind,
      events: read,
      pages: pageMs.length,
      pageSize,
      readSeconds: +(totalMs / 1000).toFixed(3),
      firstPageMs: at(0),
      middlePageMs: at(0.5),
      lastPageMs: +(pageMs[pageMs.length - 1] ?? NaN).toFixed(1),
      buildSeconds: +buildS.toFixed(1),
    };
    console.log(JSON.stringify(result));
    console.log(
      `\n${kind}: read ${read} events in ${result.pages} pages of ${pageSize} in ${result.readSeconds} s (first page ${result.firstPageMs} ms, middle ${result.middlePageMs} ms, last ${result.lastPageMs} ms); building them took ${result.buildSeconds} s`,
    );
    await handle.terminate('bench done');
  } finally {
    await connection.close();
    await server.stop();
    db.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
