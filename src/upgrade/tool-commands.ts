/**
 * The temporal-sql-tool command lines that the server's refusals and `admin upgrade status` print,
 * written so that an operator can paste them wherever they stand: the tool is named by the absolute
 * path of this installation's bin (a bare `temporal-sql-tool` is on no PATH unless installed
 * globally, and `npx temporal-sql-tool` outside the install directory would ask the registry), the
 * schema directory by the absolute path of the directory this release ships, and every path and
 * value is shell-quoted. The password is never printed: the tool reads it from SQL_PASSWORD.
 * What the tool does with these flags is src/cli/sql-tool.ts's business, not this module's.
 */
import { join, resolve } from 'node:path';
import { packageRoot } from '../common/package-info';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { shippedVersionedPath } from '../schema/shipped';
import type { StoreName } from '../schema/versioned-dir';

/**
 * POSIX shell quoting: words of safe characters as they are, anything else in single quotes. A
 * library for this one rule would be a dependency for four lines.
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-.,:/@%+=]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** This installation's temporal-sql-tool, as a command word that works from any directory. */
export function sqlToolPath(): string {
  return join(packageRoot(), 'bin', 'temporal-sql-tool.js');
}

/** The absolute path of the versioned schema directory this release ships for a store. */
export function shippedSchemaDir(cfg: SqlConnectConfig, store: StoreName): string {
  return join(packageRoot(), shippedVersionedPath(cfg.pluginName, store));
}

/** True when the printed commands leave out a password that the tool must read from SQL_PASSWORD. */
export function needsPassword(cfg: SqlConnectConfig): boolean {
  return cfg.pluginName !== 'sqlite' && Boolean(cfg.password);
}

/**
 * One temporal-sql-tool command line for a store's config (`args`: the command and its flags, as
 * words). Relative file names in the config are the server's, resolved against its working
 * directory, so they are printed absolute.
 */
export function toolCommand(cfg: SqlConnectConfig, args: readonly string[]): string {
  const words: string[] = [sqlToolPath()];
  if (cfg.pluginName !== 'sqlite') {
    if (cfg.tls?.enabled) {
      words.push('--tls');
      if (cfg.tls.certFile) words.push('--tls-cert-file', resolve(cfg.tls.certFile));
      if (cfg.tls.keyFile) words.push('--tls-key-file', resolve(cfg.tls.keyFile));
      if (cfg.tls.caFile) words.push('--tls-ca-file', resolve(cfg.tls.caFile));
      if (cfg.tls.serverName) words.push('--tls-server-name', cfg.tls.serverName);
      if (cfg.tls.disableHostVerification) words.push('--tls-disable-host-verification');
    }
    words.push('--ep', cfg.host, '-p', String(cfg.port));
    if (cfg.user) words.push('-u', cfg.user);
    const attrs = Object.entries(cfg.connectAttributes ?? {});
    if (attrs.length > 0) words.push('--ca', attrs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
  }
  const db = cfg.pluginName === 'sqlite' && cfg.databaseName !== ':memory:' ? resolve(cfg.databaseName) : cfg.databaseName;
  words.push('--pl', cfg.pluginName, '--db', db, ...args);
  return words.map(shellQuote).join(' ');
}

/** update-schema with the schema directory this release ships for the store. */
export function updateSchemaCommand(cfg: SqlConnectConfig, store: StoreName): string {
  return toolCommand(cfg, ['update-schema', '-d', shippedSchemaDir(cfg, store)]);
}

/** Adopts a store whose tables exist without bookkeeping: X.Y is for the operator to fill in (the tool checks it). */
export function baselineSchemaCommand(cfg: SqlConnectConfig, store: StoreName): string {
  return toolCommand(cfg, ['setup-schema', '--baseline', 'X.Y', '--schema-dir', shippedSchemaDir(cfg, store)]);
}

/**
 * The page's commands for a store without a schema: create the database (when it does not exist
 * yet), set up the bookkeeping at 0.0, update through every version.
 */
export function setupSchemaCommands(cfg: SqlConnectConfig, store: StoreName, o: { createDatabase: boolean }): string[] {
  return [
    ...(o.createDatabase ? [toolCommand(cfg, ['create-database'])] : []),
    toolCommand(cfg, ['setup-schema', '-v', '0.0']),
    updateSchemaCommand(cfg, store),
  ];
}

/** The sentence that goes before printed commands when they leave the password out. */
export function passwordNote(configs: readonly SqlConnectConfig[]): string | undefined {
  return configs.some(needsPassword)
    ? 'the commands leave the database password out: export it as SQL_PASSWORD first (the tool reads it from there)'
    : undefined;
}

/** This installation's temporal-ts command line (say, the server start the status asks for). */
export function temporalTsCommand(args: readonly string[]): string {
  return [join(packageRoot(), 'bin', 'temporal-ts.js'), ...args].map(shellQuote).join(' ');
}
