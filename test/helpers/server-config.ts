/**
 * A server config file (YAML, the shape `temporal-ts server start --config` reads) for a test's two
 * databases on any plugin, and the matching connection config for opening them from the test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MYSQL, PG, type Engine } from './databases';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';

export interface TestDatabases {
  temporal: string;
  visibility: string;
}

function datastoreYaml(engine: Engine, db: string): string {
  if (engine === 'sqlite') return `sql:\n        pluginName: sqlite\n        databaseName: ${db}`;
  const c = engine === 'postgres12' ? PG : MYSQL;
  return `sql:\n        pluginName: ${engine}\n        databaseName: ${db}\n        connectAddr: "${c.host}:${c.port}"\n        user: ${c.user}\n        password: "${c.password}"`;
}

/** Writes `<dir>/<name>.yaml`; `extra` is appended as top-level YAML (e.g. an `upgrade:` section). */
export function writeServerConfig(dir: string, name: string, engine: Engine, dbs: TestDatabases, port: number, extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `persistence:\n  defaultStore: default\n  visibilityStore: visibility\n  numHistoryShards: 4\n  datastores:\n    default:\n      ${datastoreYaml(engine, dbs.temporal)}\n    visibility:\n      ${datastoreYaml(engine, dbs.visibility)}\nservices:\n  frontend:\n    rpc:\n      grpcPort: ${port}\n${extra}`,
  );
  return file;
}

export function connectConfig(engine: Engine, db: string): SqlConnectConfig {
  if (engine === 'sqlite') return { pluginName: 'sqlite', host: '', port: 0, databaseName: db };
  const c = engine === 'postgres12' ? PG : MYSQL;
  return { pluginName: engine, host: c.host, port: c.port, user: c.user, password: c.password, databaseName: db };
}
