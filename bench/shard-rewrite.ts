/**
 * bench/shard-rewrite: how long the start-up shard-metadata rewrite of an upgrade takes (the upgrade
 * page says to "allow approximately 10 minutes"). For each engine and shard count: create the cluster
 * as 0.1.0, then time the start of 0.2.0, which acquires every shard, bumps its range_id, rewrites its
 * metadata and records the version active. Run: npm run bench:shard-rewrite
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTemporalServer } from '../src/server/server';
import { ensureSchema } from '../src/schema/auto-setup';
import { silentReporter } from '../src/schema/reporter';
import type { SqlConnectConfig } from '../src/persistence/sql-config';
import { PG, dropDatabase, engineAvailability, uniqueDbName } from '../test/helpers/databases';

const COUNTS = (process.env.BENCH_SHARDS ?? '512,4096').split(',').map(Number);

async function timeUpgradeStart(cfg: SqlConnectConfig, shards: number): Promise<number> {
  await ensureSchema(cfg, 'temporal', silentReporter);
  const first = await startTemporalServer({ persistence: cfg, port: 0, numHistoryShards: shards, serverVersion: '0.1.0', logLevel: 'silent' });
  await first.stop();
  const t = process.hrtime.bigint();
  const second = await startTemporalServer({ persistence: cfg, port: 0, numHistoryShards: shards, serverVersion: '0.2.0', logLevel: 'silent' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await second.stop();
  return ms;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-shards-'));
  try {
    for (const shards of COUNTS) {
      const ms = await timeUpgradeStart({ pluginName: 'sqlite', host: '', port: 0, databaseName: join(tmp, `s${shards}.db`) }, shards);
      console.log(`sqlite      ${String(shards).padStart(5)} shards: upgrade start (rewrite all shard metadata, version active) ${ms.toFixed(0)} ms`);
    }
    if (!(await engineAvailability('postgres12'))) {
      for (const shards of COUNTS) {
        const name = uniqueDbName('bench_shards');
        try {
          const ms = await timeUpgradeStart(
            { pluginName: 'postgres12', host: PG.host, port: PG.port, user: PG.user, password: PG.password, databaseName: name },
            shards,
          );
          console.log(`postgres12  ${String(shards).padStart(5)} shards: upgrade start (rewrite all shard metadata, version active) ${ms.toFixed(0)} ms`);
        } finally {
          await dropDatabase('postgres12', name);
        }
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
