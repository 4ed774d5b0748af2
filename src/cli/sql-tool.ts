/**
 * temporal-sql-tool: Temporal's SQL schema tool, with the same commands, flags, aliases and
 * environment variables, so the commands of the "Upgrade the Temporal Server" page work as written
 * (`-pw temporal`, `--pl postgres`, `--tls-enable-host-verification`). Beyond the Go tool: `plan`
 * previews an update without changing anything, the removed `--dryrun` is refused with the reason,
 * every mismatch between directory and database is an error (see src/schema/update-plan.ts), and
 * `setup-schema --baseline X.Y --schema-dir DIR` adopts a database that has tables but no version
 * after checking them (src/schema/baseline-task.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { packageRoot, packageVersion } from '../common/package-info';
import { databaseAdmin, openSchemaAdmin, resolvePlugin } from '../persistence/plugins';
import { DEFAULT_PORTS, type SqlConnectConfig } from '../persistence/sql-config';
import type { SchemaAdminDB } from '../persistence/schema-admin';
import { ConnectionError, SchemaError, UsageError, errorMessage } from '../schema/errors';
import { type Reporter, consoleReporter } from '../schema/reporter';
import { runBaseline } from '../schema/baseline-task';
import { runSetup } from '../schema/setup-task';
import { describePlan, planUpdate } from '../schema/update-plan';
import { runUpdate } from '../schema/update-task';
import { inferEngine, readVersionedDir } from '../schema/versioned-dir';
import { formatVersion } from '../schema/version';
import { type AliasMap, normalizeFlags } from './go-style-args';

const GLOBAL_ALIASES: AliasMap = { ep: 'endpoint', pw: 'password', db: 'database', pl: 'plugin', ca: 'connect-attributes' };
const GLOBAL_LONG = new Set([
  'endpoint',
  'port',
  'user',
  'password',
  'database',
  'plugin',
  'connect-attributes',
  'tls',
  'tls-cert-file',
  'tls-key-file',
  'tls-ca-file',
  'tls-server-name',
  'tls-disable-host-verification',
  'tls-enable-host-verification',
  'quiet',
]);
const COMMANDS = new Set(['create-database', 'create', 'drop-database', 'drop', 'setup-schema', 'setup', 'update-schema', 'update', 'plan', 'help']);

interface GlobalOpts {
  endpoint?: string;
  port?: string;
  user?: string;
  password?: string;
  database: string;
  plugin: string;
  connectAttributes?: string;
  tls?: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsCaFile?: string;
  tlsServerName?: string;
  tlsDisableHostVerification?: boolean;
  tlsEnableHostVerification?: boolean;
  quiet?: boolean;
}

class ToolContext {
  readonly reporter: Reporter;
  constructor(readonly opts: GlobalOpts) {
    this.reporter = consoleReporter(Boolean(opts.quiet));
  }

  config(): SqlConnectConfig {
    const o = this.opts;
    const { plugin, note } = resolvePlugin(o.plugin);
    if (note) process.stderr.write(`note: ${note}\n`);
    const port = o.port !== undefined ? Number(o.port) : DEFAULT_PORTS[plugin];
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${o.port}" is not a port number (1-65535)`);
    const host = o.endpoint ?? process.env.MYSQL_SEEDS ?? '127.0.0.1';
    if (plugin !== 'sqlite' && host.trim() === '')
      throw new UsageError('missing sql endpoint: pass --endpoint/--ep (host name or address of the database server)');
    if (!o.database) throw new UsageError('missing database name: pass --database/--db');
    return {
      pluginName: plugin,
      host,
      port,
      user: o.user,
      password: o.password,
      databaseName: o.database,
      connectAttributes: parseConnectAttributes(o.connectAttributes),
      tls: {
        enabled: Boolean(o.tls) || envBool('SQL_TLS') || envBool('SQL_TLS_ENABLED'),
        certFile: o.tlsCertFile,
        keyFile: o.tlsKeyFile,
        caFile: o.tlsCaFile,
        serverName: o.tlsServerName,
        disableHostVerification: Boolean(o.tlsDisableHostVerification) || envBool('SQL_TLS_DISABLE_HOST_VERIFICATION'),
      },
    };
  }

  async open(): Promise<SchemaAdminDB> {
    const cfg = this.config();
    try {
      return await openSchemaAdmin(cfg);
    } catch (err) {
      throw new ConnectionError(errorMessage(err));
    }
  }
}

function envBool(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

export function parseConnectAttributes(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const out: Record<string, string> = {};
  for (const part of text.replace(/^\?/, '').split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--connect-attributes "${text}": "${part}" is not key=value (expected e.g. sslmode=require&application_name=x)`);
    const k = decodeURIComponent(part.slice(0, eq));
    if (k in out) throw new UsageError(`--connect-attributes "${text}": "${k}" is given twice`);
    out[k] = decodeURIComponent(part.slice(eq + 1));
  }
  return out;
}

function resolveSchemaName(name: string, plugin: string): string {
  const dir = join(packageRoot(), 'schema', name);
  if (!existsSync(dir)) {
    throw new UsageError(
      `unknown schema name "${name}" (-s): use one of sqlite/v3/temporal, sqlite/v3/visibility, postgresql/v12/temporal, postgresql/v12/visibility, mysql/v8/temporal, mysql/v8/visibility`,
    );
  }
  const engine = inferEngine(dir);
  const { plugin: p } = resolvePlugin(plugin);
  if (engine && engine !== p) throw new UsageError(`schema "${name}" (-s) is for ${engine}, but the plugin is ${p}`);
  return dir;
}

async function confirm(question: string, forceFlag: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UsageError(`${question.replace(/\?$/, '')}: refusing without confirmation; run it on a terminal to be asked, or pass ${forceFlag}`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function withDb<T>(ctx: ToolContext, fn: (db: SchemaAdminDB) => Promise<T>): Promise<T> {
  const db = await ctx.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function buildProgram(): Command {
  const program = new Command('temporal-sql-tool');
  program
    .description('Sets up and upgrades the SQL schemas of temporal-ts (and of Temporal) databases.')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .version(packageVersion(), '-v, --version', "print the tool's version")
    .addOption(new Option('--endpoint <host>', 'database host (alias --ep)').env('SQL_HOST'))
    .addOption(new Option('-p, --port <port>', 'database port (default: 5432 for postgres12, 3306 for mysql8)').env('SQL_PORT'))
    .addOption(new Option('-u, --user <user>', 'database user').env('SQL_USER'))
    .addOption(new Option('--password <password>', 'database password (alias --pw)').env('SQL_PASSWORD'))
    .addOption(new Option('--database <name>', 'database name; for sqlite the file path (alias --db)').env('SQL_DATABASE').default('temporal'))
    .addOption(new Option('--plugin <name>', 'sqlite, postgres12 or mysql8 (aliases postgres, mysql) (alias --pl)').env('SQL_PLUGIN').default('mysql8'))
    .addOption(
      new Option('--connect-attributes <query>', 'driver attributes as a URL query, e.g. sslmode=verify-full (alias --ca)').env('SQL_CONNECT_ATTRIBUTES'),
    )
    .option('--tls', 'connect with TLS (env SQL_TLS)')
    .addOption(new Option('--tls-cert-file <path>', 'client certificate').env('SQL_TLS_CERT_FILE'))
    .addOption(new Option('--tls-key-file <path>', "client certificate's private key").env('SQL_TLS_KEY_FILE'))
    .addOption(new Option('--tls-ca-file <path>', "CA that signed the server's certificate").env('SQL_TLS_CA_FILE'))
    .addOption(new Option('--tls-server-name <name>', "name to expect in the server's certificate").env('SQL_TLS_SERVER_NAME'))
    .option('--tls-disable-host-verification', "do not verify the server's certificate (env SQL_TLS_DISABLE_HOST_VERIFICATION)")
    .option('--tls-enable-host-verification', 'verify the server certificate and host name (the default; kept because the upgrade page uses it)')
    .option('-q, --quiet', 'print only warnings and errors');

  const ctx = () => new ToolContext(program.opts<GlobalOpts>());

  program
    .command('create-database')
    .alias('create')
    .description('creates the database (sqlite: the file) if it does not exist')
    .option('--defaultdb <name>', 'database to connect to while creating (postgres: postgres, then defaultdb; mysql: none)')
    .action(async (o: { defaultdb?: string }) => {
      const c = ctx();
      const cfg = c.config();
      const r = await (await databaseAdmin(cfg, o.defaultdb)).createDatabase(cfg.databaseName);
      c.reporter.info(r === 'created' ? `created database ${cfg.databaseName}` : `database ${cfg.databaseName} already exists`);
    });

  program
    .command('drop-database')
    .alias('drop')
    .description('drops the database and everything in it (asks first unless --force)')
    .option('--defaultdb <name>', 'database to connect to while dropping')
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (o: { defaultdb?: string; force?: boolean }) => {
      const c = ctx();
      const cfg = c.config();
      if (!o.force && !(await confirm(`Drop database ${cfg.databaseName} and all its data?`, '--force'))) {
        throw new UsageError('not dropped: not confirmed');
      }
      const r = await (await databaseAdmin(cfg, o.defaultdb)).dropDatabase(cfg.databaseName);
      c.reporter.info(r === 'dropped' ? `dropped database ${cfg.databaseName}` : `database ${cfg.databaseName} does not exist; nothing dropped`);
    });

  program
    .command('setup-schema')
    .alias('setup')
    .description('creates the version tables and sets the initial version (usually -v 0.0), optionally running a schema file')
    .option('-v, --version <version>', 'initial schema version to record, e.g. 0.0')
    .option('-f, --schema-file <path>', 'SQL file to run first (e.g. schema/postgresql/v12/temporal/schema.sql)')
    .option(
      '-s, --schema-name <name>',
      'a schema shipped with temporal-ts, e.g. postgresql/v12/temporal (runs its schema.sql; with --baseline: checks against its versioned directory)',
    )
    .option('-d, --disable-versioning', 'run the schema file without version tracking')
    .option('-o, --overwrite', 'drop all tables of the database first (asks first unless --force)')
    .option('--force', 'with --overwrite: do not ask for confirmation')
    .option(
      '--baseline <version>',
      'adopt a database that has tables but no schema version: check that its tables are those of this version of --schema-dir, then record it',
    )
    .option('--schema-dir <path>', 'with --baseline: the versioned directory the tables are checked against')
    .action(
      async (o: {
        version?: string;
        schemaFile?: string;
        schemaName?: string;
        disableVersioning?: boolean;
        overwrite?: boolean;
        force?: boolean;
        baseline?: string;
        schemaDir?: string;
      }) => {
        const c = ctx();
        if (o.baseline !== undefined || o.schemaDir !== undefined) return baseline(c, o);
        if (o.schemaFile && o.schemaName) throw new UsageError('-f/--schema-file and -s/--schema-name cannot both be given');
        let schemaFile = o.schemaFile;
        let version = o.version;
        if (o.schemaName) {
          const dir = resolveSchemaName(o.schemaName, c.opts.plugin);
          schemaFile = join(dir, 'schema.sql');
          if (version === undefined && !o.disableVersioning) {
            const steps = readVersionedDir(join(dir, 'versioned')).steps;
            version = formatVersion(steps[steps.length - 1]!.version);
          }
        }
        await withDb(c, async (db) => {
          if (o.overwrite && !o.force && !(await confirm(`--overwrite drops every table of ${db.label}. Continue?`, '--force'))) {
            throw new UsageError('nothing changed: --overwrite not confirmed');
          }
          await runSetup(db, { version, schemaFile, disableVersioning: Boolean(o.disableVersioning), overwrite: Boolean(o.overwrite) }, c.reporter);
        });
      },
    );

  const baseline = async (
    c: ToolContext,
    o: { version?: string; schemaFile?: string; schemaName?: string; disableVersioning?: boolean; overwrite?: boolean; baseline?: string; schemaDir?: string },
  ) => {
    if (o.baseline === undefined)
      throw new UsageError('--schema-dir goes with --baseline X.Y (setup-schema --baseline X.Y --schema-dir DIR); update-schema takes its directory as -d');
    const other = [o.version !== undefined && '-v', o.schemaFile && '-f', o.disableVersioning && '-d', o.overwrite && '-o'].filter(Boolean);
    if (other.length > 0) throw new UsageError(`--baseline records the version of tables that exist; it cannot be combined with ${other.join(', ')}`);
    if (!o.schemaDir && !o.schemaName)
      throw new UsageError('--baseline needs the versioned directory to check the tables against: --schema-dir DIR (or -s NAME for a shipped schema)');
    const dir = readVersionedDir(dirOf({ schemaDir: o.schemaDir, schemaName: o.schemaName }, c.opts.plugin, '--schema-dir'));
    await withDb(c, (db) => runBaseline(db, dir, o.baseline!, c.reporter));
  };

  function dirOf(o: { schemaDir?: string; schemaName?: string }, plugin: string, dirFlag = '-d/--schema-dir'): string {
    if (o.schemaDir && o.schemaName) throw new UsageError(`${dirFlag} and -s/--schema-name cannot both be given`);
    if (o.schemaName) return join(resolveSchemaName(o.schemaName, plugin), 'versioned');
    if (!o.schemaDir)
      throw new UsageError(
        'pass the versioned schema directory with -d/--schema-dir (e.g. -d ./schema/postgresql/v12/temporal/versioned) or a schema name with -s',
      );
    return resolve(o.schemaDir);
  }

  program
    .command('update-schema')
    .alias('update')
    .description('applies the versions of a versioned directory that the database does not have yet')
    .option('-v, --version <version>', 'target version (default: the newest in the directory)')
    .option('-d, --schema-dir <path>', 'the versioned directory, e.g. ./schema/postgresql/v12/temporal/versioned')
    .option('-s, --schema-name <name>', 'a schema shipped with temporal-ts, e.g. postgresql/v12/temporal')
    .action(async (o: { version?: string; schemaDir?: string; schemaName?: string }) => {
      const c = ctx();
      const dir = readVersionedDir(dirOf(o, c.opts.plugin));
      await withDb(c, (db) => runUpdate(db, dir, o.version, c.reporter));
    });

  program
    .command('plan')
    .description('prints exactly which versions, files and statements update-schema would apply; changes nothing')
    .option('-v, --version <version>', 'target version (default: the newest in the directory)')
    .option('-d, --schema-dir <path>', 'the versioned directory')
    .option('-s, --schema-name <name>', 'a schema shipped with temporal-ts, e.g. postgresql/v12/temporal')
    .action(async (o: { version?: string; schemaDir?: string; schemaName?: string }) => {
      const c = ctx();
      const dir = readVersionedDir(dirOf(o, c.opts.plugin));
      for (const w of dir.warnings) c.reporter.warn(w);
      await withDb(c, async (db) => {
        const plan = await planUpdate(db, dir, o.version);
        for (const w of plan.warnings) c.reporter.warn(w);
        for (const line of describePlan(plan, db.label)) process.stdout.write(line + '\n');
      });
    });

  return program;
}

const DRYRUN_RE = /^-{1,2}(dryrun|y)(=.*)?$/;

/** Rewrites Go-style argv for commander; throws UsageError for flags that must not run. */
export function prepareArgs(args: readonly string[]): string[] {
  // Only in flag positions: a password may well be "-y".
  if (args.some((a, i) => DRYRUN_RE.test(a) && !isFlagExpectingValue(args[i - 1]))) {
    throw new UsageError(
      '--dryrun/-y is not supported: in Temporal\'s tools before v1.8 it ran against a fresh copy created by dropping the target, and destroyed data (temporalio/temporal #392, #1197), so it was removed. To preview an update safely, run the same command with "plan" instead of "update-schema": it prints every version, file and statement and changes nothing.',
    );
  }
  const normalizedHead: string[] = [];
  let i = 0;
  // The global part ends at the first command name that is not the value of a flag.
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (COMMANDS.has(a) && !isFlagExpectingValue(args[i - 1])) break;
    normalizedHead.push(a);
  }
  const head = normalizeFlags(normalizedHead, GLOBAL_ALIASES);
  if (i >= args.length) return head;
  const cmd = args[i]!;
  const tail = normalizeFlags(args.slice(i + 1), {});
  for (const t of tail) {
    const m = /^--([a-z-]+)/.exec(t);
    const name = m?.[1];
    if (name && (GLOBAL_LONG.has(name) || GLOBAL_ALIASES[name]) && !['version'].includes(name)) {
      throw new UsageError(
        `--${GLOBAL_ALIASES[name] ?? name} is a global flag: put it before the command "${cmd}" (e.g. temporal-sql-tool --${GLOBAL_ALIASES[name] ?? name} ... ${cmd} ...)`,
      );
    }
  }
  return [...head, cmd, ...tail];
}

const VALUE_FLAGS = new Set([
  '--endpoint',
  '--ep',
  '-ep',
  '-p',
  '--port',
  '-port',
  '-u',
  '--user',
  '-user',
  '--password',
  '--pw',
  '-pw',
  '-password',
  '--database',
  '--db',
  '-db',
  '-database',
  '--plugin',
  '--pl',
  '-pl',
  '-plugin',
  '--connect-attributes',
  '--ca',
  '-ca',
  '--tls-cert-file',
  '-tls-cert-file',
  '--tls-key-file',
  '-tls-key-file',
  '--tls-ca-file',
  '-tls-ca-file',
  '--tls-server-name',
  '-tls-server-name',
]);

function isFlagExpectingValue(prev: string | undefined): boolean {
  return prev !== undefined && VALUE_FLAGS.has(prev);
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    const args = prepareArgs(argv);
    if (args.length === 0) {
      program.outputHelp();
      return 1;
    }
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 1;
    }
    const msg = err instanceof SchemaError ? err.message : errorMessage(err);
    process.stderr.write(`error: ${msg}\n`);
    return 1;
  }
}
