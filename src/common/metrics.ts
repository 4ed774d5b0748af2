/** The server's metrics (prom-client), in one registry that an HTTP endpoint can expose. */
import { Counter, Gauge, Registry } from 'prom-client';

export const metricsRegistry = new Registry();

export const shardRewriteDone = new Gauge({
  name: 'temporal_ts_shard_rewrite_shards_done',
  help: 'Shards whose metadata this start has rewritten (range_id bumped, current format)',
  registers: [metricsRegistry],
});

export const shardRewriteTotal = new Gauge({
  name: 'temporal_ts_shard_rewrite_shards_total',
  help: 'Shards to rewrite at this start (numHistoryShards)',
  registers: [metricsRegistry],
});

export const serverVersionActive = new Gauge({
  name: 'temporal_ts_server_version_active',
  help: '1 once this server version has finished its start-up upgrade work and is recorded active',
  labelNames: ['version'],
  registers: [metricsRegistry],
});

export const dataRewriteRowsScanned = new Gauge({
  name: 'temporal_ts_data_rewrite_rows_scanned',
  help: 'Rows of temporal_ts_data_rewrite_rows_total now in the current format, rewritten by the background rewrite or by their workflows (never above the total)',
  labelNames: ['store'],
  registers: [metricsRegistry],
});

export const dataRewriteRowsTotal = new Gauge({
  name: 'temporal_ts_data_rewrite_rows_total',
  help: 'Rows in an older data format when the background data-format rewrite began (rows written since are in the current format)',
  labelNames: ['store'],
  registers: [metricsRegistry],
});

export const dataRewriteDone = new Gauge({
  name: 'temporal_ts_data_rewrite_done',
  help: '1 once the background data-format rewrite of a store is recorded complete',
  labelNames: ['store'],
  registers: [metricsRegistry],
});

export const eagerActivitiesDispatched = new Counter({
  name: 'temporal_ts_activity_eager_execution_total',
  help: 'Activities started with the workflow task completion that scheduled them and returned to its worker (eager activity dispatch)',
  registers: [metricsRegistry],
});
