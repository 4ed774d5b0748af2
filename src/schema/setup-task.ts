/**
 * setup-schema: creates the bookkeeping tables, optionally runs a whole schema file, and records the
 * initial version. Safe to re-run: a database already past the initial version is left alone (the
 * usual bootstrap is `setup-schema -v 0.0` followed by `update-schema`).
 */
import { readFileSync, existsSync } from 'node:fs';
import type { SchemaAdminDB } from '../persistence/schema-admin';
import { SchemaDirError, StatementError, UsageError, errorMessage } from './errors';
import type { Reporter } from './reporter';
import { splitStatements } from './statements';
import { withSchemaLock } from './update-task';
import { compareVersions, formatVersion, parseVersion } from './version';

export interface SetupOptions {
  version?: string;
  schemaFile?: string;
  disableVersioning: boolean;
  overwrite: boolean;
}

export function validateSetupOptions(o: SetupOptions): void {
  if ((o.version === undefined) === !o.disableVersioning) {
    throw new UsageError(o.disableVersioning ? '-v/--version and -d/--disable-versioning cannot both be given: -d sets up a schema without version tracking' : 'setup-schema needs -v/--version (e.g. -v 0.0) or -d/--disable-versioning');
  }
  if (o.disableVersioning && !o.schemaFile) throw new UsageError('-d/--disable-versioning needs a schema file (-f) or a schema name (-s) to run');
  if (o.version !== undefined && !parseVersion(o.version)) throw new UsageError(`-v/--version "${o.version}" is not a version (expected e.g. 0.0 or 1.2)`);
  if (o.schemaFile && !existsSync(o.schemaFile)) throw new UsageError(`schema file ${o.schemaFile} (-f) does not exist`);
}

export async function runSetup(db: SchemaAdminDB, o: SetupOptions, reporter: Reporter): Promise<void> {
  validateSetupOptions(o);
  const statements = o.schemaFile ? splitStatements(readFileSync(o.schemaFile, 'utf8'), o.schemaFile) : [];
  if (o.schemaFile && statements.length === 0) throw new SchemaDirError(`schema file ${o.schemaFile} holds no statements`);
  await withSchemaLock(db, reporter, async () => {
    if (o.overwrite) {
      const tables = await db.listTables();
      reporter.info(`${db.label}: dropping ${tables.length} table(s) (--overwrite)`);
      await db.dropAllTables();
    }
    if (!o.disableVersioning) await db.createVersionTables();
    const initial = o.version !== undefined ? parseVersion(o.version)! : undefined;
    const stored = o.disableVersioning ? undefined : await db.readVersion();
    const current = stored ? parseVersion(stored.currVersion) : undefined;
    if (initial && current && compareVersions(current, initial) >= 0 && !o.overwrite) {
      if (statements.length > 0) {
        throw new UsageError(`${db.label} is already at schema version ${formatVersion(current)}; running ${o.schemaFile} again would fail or duplicate it. Use update-schema, or --overwrite to start over (drops all tables)`);
      }
      reporter.info(`${db.label}: already at schema version ${formatVersion(current)} (>= ${formatVersion(initial)}); nothing to set up`);
      return;
    }
    await db.inTransaction(async () => {
      for (const [i, st] of statements.entries()) {
        try {
          await db.exec(st.sql);
        } catch (err) {
          throw new StatementError(
            `${o.schemaFile}:${st.line} statement ${i + 1} failed: ${errorMessage(err)}${db.transactionalDdl ? ' (rolled back: nothing was created)' : ' (statements before it took effect; drop the database or use --overwrite before retrying)'}`,
            o.version ?? '',
            o.schemaFile ?? '',
            i,
            st.sql,
          );
        }
      }
      if (initial) {
        await db.writeVersion(formatVersion(initial), formatVersion(initial));
        await db.writeHistory('0', formatVersion(initial), '', 'initial version');
      }
    });
    if (statements.length) reporter.info(`${db.label}: ran ${statements.length} statement(s) of ${o.schemaFile}`);
    reporter.info(initial ? `${db.label}: schema version set to ${formatVersion(initial)}` : `${db.label}: schema set up without versioning`);
  });
}
