/**
 * How to reach one SQL database: the shape shared by the schema tool, the server's startup check and
 * the persistence plugins. It mirrors Temporal's `persistence.datastores.<name>.sql` config block.
 */
export type SqlPluginName = 'sqlite' | 'postgres12' | 'mysql8';

export interface SqlTlsConfig {
  enabled: boolean;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  serverName?: string;
  /** Skip certificate and host name checks (Temporal's `enableHostVerification: false`). */
  disableHostVerification?: boolean;
}

export interface SqlConnectConfig {
  pluginName: SqlPluginName;
  /** host (sqlite: ignored) */
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** Database name; for sqlite the file path, or ':memory:'. */
  databaseName: string;
  /** Extra driver settings, Temporal's `connectAttributes` (e.g. sslmode, mode=memory, cache=shared). */
  connectAttributes?: Record<string, string>;
  tls?: SqlTlsConfig;
  /** PostgreSQL / MySQL: most connections the server's pool opens (Temporal's `maxConns`; default DEFAULT_MAX_CONNS) */
  maxConns?: number;
}

/** Connections per pooled store when the config names no `maxConns`. */
export const DEFAULT_MAX_CONNS = 20;

export const DEFAULT_PORTS: Record<SqlPluginName, number> = { sqlite: 0, postgres12: 5432, mysql8: 3306 };
