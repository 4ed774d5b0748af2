/**
 * A `server start --config` YAML file (Temporal's config shape) for one plugin, with the default and
 * the visibility store in two databases of the test PostgreSQL / MariaDB, or two SQLite files.
 * Written the same way for an old release and for this checkout, so both run on the same databases.
 */
import { writeFileSync } from 'node:fs';
import { MYSQL, PG, type Engine } from './databases';

export interface StoreDatabases {
  /** database names, or for SQLite absolute file paths */
  temporal: string;
  visibility: string;
}

function datastore(engine: Engine, db: string): string {
  if (engine === 'sqlite') return `sql:\n        pluginName: sqlite\n        databaseName: ${JSON.stringify(db)}`;
  const c = engine === 'postgres12' ? PG : MYSQL;
  return `sql:\n        pluginName: ${engine}\n        databaseName: ${db}\n        connectAddr: "${c.host}:${c.port}"\n        user: ${c.user}\n        password: "${c.password}"`;
}

export function writeServerConfig(file: string, engine: Engine, dbs: StoreDatabases, port: number, numHistoryShards: number): string {
  writeFileSync(
    file,
    [
      'log:',
      '  level: warn',
      'persistence:',
      '  defaultStore: default',
      '  visibilityStore: visibility',
      `  numHistoryShards: ${numHistoryShards}`,
      '  datastores:',
      '    default:',
      `      ${datastore(engine, dbs.temporal)}`,
      '    visibility:',
      `      ${datastore(engine, dbs.visibility)}`,
      'services:',
      '  frontend:',
      '    rpc:',
      `      grpcPort: ${port}`,
      '      bindOnIP: 127.0.0.1',
      'clusterMetadata:',
      '  currentClusterName: active',
      '',
    ].join('\n'),
  );
  return file;
}
