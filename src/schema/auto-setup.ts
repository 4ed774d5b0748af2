/**
 * What the dev server (and tests) do to get a ready database: create it, `setup-schema -v 0.0`,
 * then `update-schema` with the shipped directory of its store, exactly the operator's two commands.
 * Production servers never do this: `server start` only checks and refuses.
 */
import { databaseAdmin, openSchemaAdmin } from '../persistence/plugins';
import type { SqlConnectConfig } from '../persistence/sql-config';
import { type Reporter } from './reporter';
import { runSetup } from './setup-task';
import { shippedVersionedDir } from './shipped';
import { runUpdate } from './update-task';
import type { StoreName } from './versioned-dir';

export async function ensureSchema(cfg: SqlConnectConfig, store: StoreName, reporter: Reporter): Promise<void> {
  await (await databaseAdmin(cfg)).createDatabase(cfg.databaseName);
  const db = await openSchemaAdmin(cfg);
  try {
    await runSetup(db, { version: '0.0', disableVersioning: false, overwrite: false }, reporter);
    await runUpdate(db, shippedVersionedDir(cfg.pluginName, store), undefined, reporter);
  } finally {
    await db.close();
  }
}
