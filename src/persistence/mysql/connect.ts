/**
 * Opens a mysql2 connection from a SqlConnectConfig (MySQL 8; MariaDB 10.11 stands in for it in
 * tests): TLS files, connect attributes as session variables, errors that say what to check.
 */
import mysql from 'mysql2/promise';
import { type SqlConnectConfig } from '../sql-config';
import { tlsOptions } from '../tls';

export class MysqlConnectError extends Error {
  override name = 'MysqlConnectError';
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Driver options shared by single connections and pools: TLS, BIGINT as strings, one statement per query. */
export function mysqlConnectionOptions(cfg: SqlConnectConfig, database: string | null): mysql.ConnectionOptions {
  const tls = tlsOptions(cfg.tls, cfg.host);
  return {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: database ?? undefined,
    ssl: tls
      ? {
          ca: tls.ca as Buffer | undefined,
          cert: tls.cert as Buffer | undefined,
          key: tls.key as Buffer | undefined,
          rejectUnauthorized: tls.rejectUnauthorized,
          verifyIdentity: tls.rejectUnauthorized,
        }
      : undefined,
    multipleStatements: false,
    connectTimeout: 15_000,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

/** The connect attributes, checked to be variable names (they are spliced into SET SESSION). */
export function sessionVariables(cfg: SqlConnectConfig): [string, string][] {
  const attrs = Object.entries(cfg.connectAttributes ?? {});
  for (const [k] of attrs) {
    if (!IDENT_RE.test(k)) throw new MysqlConnectError(`connect attribute "${k}" is not a valid MySQL variable name`);
  }
  return attrs;
}

export async function connectMysql(cfg: SqlConnectConfig, database: string | null = cfg.databaseName): Promise<mysql.Connection> {
  const options = mysqlConnectionOptions(cfg, database);
  const attrs = sessionVariables(cfg);
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection(options);
  } catch (err) {
    throw new MysqlConnectError(describeMysqlConnectError(cfg, database, err));
  }
  conn.on('error', () => {
    /* reported through the failing query */
  });
  for (const [k, v] of attrs) await conn.query(`SET SESSION ${k} = ?`, [v]);
  return conn;
}

function describeMysqlConnectError(cfg: SqlConnectConfig, database: string | null, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const where = `MySQL at ${cfg.host}:${cfg.port} (database "${database ?? ''}", user "${cfg.user ?? ''}")`;
  let hint = 'check --endpoint/--port and that the server is running';
  if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR')
    hint = 'check --user/--password; the account may also require a client certificate (--tls-cert-file/--tls-key-file)';
  else if (e.code === 'ER_BAD_DB_ERROR') hint = `create it first: temporal-sql-tool ... --db ${database ?? ''} create-database`;
  else if (/certificate|self.signed|SSL|TLS|alert/i.test(e.message ?? ''))
    hint = 'check the --tls-* flags: CA file, client certificate and key, and --tls-server-name';
  return `cannot connect to ${where}: ${e.message ?? String(err)}; ${hint}`;
}
