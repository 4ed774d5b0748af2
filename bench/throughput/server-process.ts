/**
 * The benchmark's server, in its own process so that its RSS is its own: reads a JSON
 * SqlConnectConfig (+ numHistoryShards) from argv[2], prints "PORT <n>" once it serves, prints
 * "STATS <json>" (the SQL statement counts so far and the V8 heap figures) on SIGUSR2, stops on SIGTERM/SIGINT and exits.
 */
import { sqlStatementStats } from '../../src/persistence/sql/statement-stats';
import { startTemporalServer } from '../../src/server/server';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';

void (async () => {
  const cfg = JSON.parse(process.argv[2]!) as SqlConnectConfig & { numHistoryShards?: number };
  const server = await startTemporalServer({
    persistence: cfg,
    port: 0,
    logLevel: process.env.TTS_LOG_LEVEL ?? 'warn',
    numHistoryShards: cfg.numHistoryShards ?? 4,
  });
  process.stdout.write(`PORT ${server.port}\n`);
  const stop = (): void => {
    void server.stop().finally(() => process.exit(0));
  };
  process.on('SIGUSR2', () => {
    const m = process.memoryUsage();
    const mb = (n: number): number => Math.round(n / 1048576);
    const memory = { heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
    process.stdout.write(`STATS ${JSON.stringify({ ...sqlStatementStats(), memory })}\n`);
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
