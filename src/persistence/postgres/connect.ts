/**
 * Opens a pg connection from a SqlConnectConfig: TLS files, Temporal-style connect attributes
 * (sslmode, application_name, other keys as run-time parameters) and errors that say what to check.
 */
import { Client, type ClientConfig } from 'pg';
import { type SqlConnectConfig } from '../sql-config';
import { tlsOptions } from '../tls';

export class PgConnectError extends Error {
  override name = 'PgConnectError';
}

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function pgClientConfig(cfg: SqlConnectConfig, database: string): ClientConfig {
  const attrs = { ...(cfg.connectAttributes ?? {}) };
  let ssl: ClientConfig['ssl'] = tlsOptions(cfg.tls, cfg.host) ?? false;
  const sslmode = attrs.sslmode;
  delete attrs.sslmode;
  if (sslmode !== undefined) {
    // An explicit sslmode wins over --tls, as in Temporal 1.2x (issue #8436).
    if (sslmode === 'disable') ssl = false;
    else if (sslmode === 'require' || sslmode === 'prefer' || sslmode === 'allow') ssl = { ...(ssl || {}), rejectUnauthorized: false };
    else if (sslmode === 'verify-ca') ssl = { ...(ssl || {}), rejectUnauthorized: true, checkServerIdentity: () => undefined };
    else if (sslmode === 'verify-full') ssl = { ...(ssl || {}), rejectUnauthorized: true };
    else throw new PgConnectError(`connect attribute sslmode=${sslmode} is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  }
  const appName = attrs.application_name ?? 'temporal-ts';
  delete attrs.application_name;
  const params: string[] = [];
  for (const [k, v] of Object.entries(attrs)) {
    if (!IDENT_RE.test(k)) throw new PgConnectError(`connect attribute "${k}" is not a valid PostgreSQL parameter name`);
    params.push(`-c ${k}=${String(v).replace(/[\s\\]/g, (c) => `\\${c}`)}`);
  }
  return {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database,
    ssl,
    application_name: appName,
    options: params.length ? params.join(' ') : undefined,
    connectionTimeoutMillis: 15_000,
  };
}

export async function connectPg(cfg: SqlConnectConfig, database = cfg.databaseName): Promise<Client> {
  const client = new Client(pgClientConfig(cfg, database));
  client.on('error', () => {
    /* reported through the failing query */
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new PgConnectError(describePgConnectError(cfg, database, err));
  }
  return client;
}

function describePgConnectError(cfg: SqlConnectConfig, database: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const where = `PostgreSQL at ${cfg.host}:${cfg.port} (database "${database}", user "${cfg.user ?? ''}")`;
  let hint = 'check --endpoint/--port and that the server is running';
  if (e.code === '28P01' || e.code === '28000')
    hint = "check --user/--password and the server's pg_hba.conf (a client certificate may be required: --tls-cert-file/--tls-key-file)";
  else if (e.code === '3D000') hint = `create it first: temporal-sql-tool ... --db ${database} create-database`;
  else if (/certificate|self.signed|SSL|TLS|alert/i.test(e.message ?? ''))
    hint = 'check the --tls-* flags: CA file, client certificate and key, and --tls-server-name';
  else if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') hint = 'the host name does not resolve; check --endpoint';
  return `cannot connect to ${where}: ${e.message ?? String(err)}; ${hint}`;
}
