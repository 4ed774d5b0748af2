/**
 * A mysql2/promise pool from a SqlConnectConfig, for the engine stores (MySQL 8; MariaDB 10.11 in
 * tests). Same options as connectMysql: TLS, connect attributes as session variables (applied to
 * every new pooled connection), BIGINT returned as strings. One probe connection through
 * connectMysql first, so a misconfiguration fails here with its explanatory message.
 */
import mysql from 'mysql2/promise';
import { type SqlConnectConfig } from '../sql-config';
import { tlsOptions } from '../tls';
import { connectMysql } from './connect';

export interface MysqlPoolOptions {
  /** maximum open connections (default 10) */
  connectionLimit?: number;
}

export async function createMysqlPool(cfg: SqlConnectConfig, options: MysqlPoolOptions = {}, database: string = cfg.databaseName): Promise<mysql.Pool> {
  // validates connect attributes and reachability, with connectMysql's error messages
  const probe = await connectMysql(cfg, database);
  await probe.end().catch(() => undefined);
  const tls = tlsOptions(cfg.tls, cfg.host);
  const attrs = Object.entries(cfg.connectAttributes ?? {});
  const pool = mysql.createPool({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database,
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
    connectionLimit: options.connectionLimit ?? 10,
    waitForConnections: true,
  });
  if (attrs.length > 0) {
    // The core connection queues commands in order: these run before the first query of the borrower.
    pool.on('connection', (conn: { query(sql: string, values: unknown[], cb: (err: unknown) => void): void }) => {
      for (const [k, v] of attrs) conn.query(`SET SESSION ${k} = ?`, [v], () => undefined);
    });
  }
  return pool;
}
