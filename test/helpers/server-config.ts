/**
 * A test's two databases on any plugin: set up with temporal-sql-tool, described in a server config
 * file (YAML, the shape `temporal-ts server start --config` reads), and opened from the test.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MYSQL, PG, toolConnectionFlags, type Engine } from './databases';
import { sqlTool } from './processes';
import { shippedVersionedPath } from '../../src/schema/shipped';
import type { StoreName } from '../../src/schema/versioned-dir';
import type { SqlConnectConfig } from '../../src/persistence/sql-config';
import { loadServerConfig, type ServerConfig } from '../../src/config/server-config';

export interface TestDatabases {
  temporal: string;
  visibility: string;
}

function datastoreYaml(engine: Engine, db: string, maxConns: number): string {
  if (engine === 'sqlite') return `sql:\n        pluginName: sqlite\n        databaseName: ${JSON.stringify(db)}`;
  const c = engine === 'postgres12' ? PG : MYSQL;
  return `sql:\n        pluginName: ${engine}\n        databaseName: ${db}\n        connectAddr: "${c.host}:${c.port}"\n        user: ${c.user}\n        password: "${c.password}"\n        maxConns: ${maxConns}`;
}

/**
 * Connections per store pool in test servers. The server's default (20 per store) is sized for one
 * process per database; test files run three at a time, some with three server processes each, on
 * one PostgreSQL whose max_connections is 100. Releases before 0.3.0 ignore the key.
 */
const TEST_MAX_CONNS = 6;

export interface ServerConfigOptions {
  /** persistence.numHistoryShards (default 4; a cluster keeps the count it was created with) */
  numHistoryShards?: number;
  /** persistence.datastores.*.sql.maxConns for PostgreSQL / MySQL (default TEST_MAX_CONNS) */
  maxConns?: number;
  /** log.level (default: the server's, info) */
  logLevel?: string;
  /** more top-level YAML, appended as is (e.g. an `upgrade:` or `ui:` section) */
  extra?: string;
  /** services.history and services.matching rpc ports (a cluster member's internal API) */
  rolePorts?: { history: number; matching: number };
}

/** Writes `<dir>/<name>.yaml`, a config both this release and 0.1.0 read (Temporal's shape). */
export function writeServerConfig(dir: string, name: string, engine: Engine, dbs: TestDatabases, port: number, o: ServerConfigOptions = {}): string {
  const file = join(dir, `${name}.yaml`);
  const lines = [
    ...(o.logLevel ? ['log:', `  level: ${o.logLevel}`] : []),
    'persistence:',
    '  defaultStore: default',
    '  visibilityStore: visibility',
    `  numHistoryShards: ${o.numHistoryShards ?? 4}`,
    '  datastores:',
    '    default:',
    `      ${datastoreYaml(engine, dbs.temporal, o.maxConns ?? TEST_MAX_CONNS)}`,
    '    visibility:',
    `      ${datastoreYaml(engine, dbs.visibility, o.maxConns ?? TEST_MAX_CONNS)}`,
    'services:',
    '  frontend:',
    '    rpc:',
    `      grpcPort: ${port}`,
    '      bindOnIP: 127.0.0.1',
    ...(o.rolePorts
      ? (['history', 'matching'] as const).flatMap((role) => [`  ${role}:`, '    rpc:', `      grpcPort: ${o.rolePorts![role]}`, '      bindOnIP: 127.0.0.1'])
      : []),
  ];
  writeFileSync(file, `${lines.join('\n')}\n${o.extra ?? ''}`);
  return file;
}

/** create-database, setup-schema -v 0.0, update-schema through every version, for one store. */
export function prepareStore(engine: Engine, db: string, store: StoreName): void {
  const flags = toolConnectionFlags(engine, db);
  for (const args of [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', shippedVersionedPath(engine, store)]]) {
    const r = sqlTool([...flags, ...args]);
    if (r.status !== 0) throw new Error(`temporal-sql-tool ${[...flags, ...args].join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  }
}

export function connectConfig(engine: Engine, db: string): SqlConnectConfig {
  if (engine === 'sqlite') return { pluginName: 'sqlite', host: '', port: 0, databaseName: db };
  const c = engine === 'postgres12' ? PG : MYSQL;
  return { pluginName: engine, host: c.host, port: c.port, user: c.user, password: c.password, databaseName: db };
}

/** The persistence section of a config on the local PostgreSQL (nothing connects when a config is only loaded). */
export const POSTGRES_CONFIG_BASE = `persistence:
  defaultStore: default
  visibilityStore: visibility
  datastores:
    default:
      sql: { pluginName: postgres12, databaseName: temporal, connectAddr: "127.0.0.1:5432", user: postgres }
    visibility:
      sql: { pluginName: postgres12, databaseName: temporal_visibility, connectAddr: "127.0.0.1:5432", user: postgres }
`;

/** Loads configs made of `base` and a test's own YAML after it, each written to a file of its own in `dir`. */
export function configLoader(dir: string, base: string): (yaml: string) => ServerConfig {
  let n = 0;
  return (yaml) => {
    const file = join(dir, `c${++n}.yaml`);
    writeFileSync(file, base + yaml);
    return loadServerConfig(file);
  };
}
