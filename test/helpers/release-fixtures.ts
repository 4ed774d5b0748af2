/**
 * Release fixtures on disk (test/fixtures/releases/<version>/<plugin>/): their manifest, and their
 * restore into fresh databases. The schema of a restored database is made by the fixture's own
 * release (its temporal-sql-tool and its ./schema directories, the upgrade page's commands), then the
 * rows are loaded; a SQLite fixture is copied (its files are the databases).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, uniqueDbName, toolConnectionFlags, type Engine } from './databases';
import { REPO_ROOT, runCli } from './processes';
import { installedRelease, type InstalledRelease } from './releases';
import { loadDatabase, type DatabaseDump } from './table-dump';
import type { TestDatabases as StoreDatabases } from './server-config';
import { MANIFEST_FORMAT, type FixtureManifest } from '../fixtures/releases/manifest';
import { shippedVersionedPath } from '../../src/schema/shipped';

export const STORES = ['temporal', 'visibility'] as const;
export type Store = (typeof STORES)[number];

export const fixtureDir = (release: string, plugin: Engine) => join(REPO_ROOT, 'test', 'fixtures', 'releases', release, plugin);

export function readFixtureManifest(release: string, plugin: Engine): FixtureManifest {
  const file = join(fixtureDir(release, plugin), 'manifest.json');
  if (!existsSync(file))
    throw new Error(`${file} is missing: the ${release} fixture of ${plugin} was never made (npm run fixtures:make -- ${release} ${plugin})`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as FixtureManifest;
  if (m.format !== MANIFEST_FORMAT) throw new Error(`${file}: format ${String(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (m.release !== release || m.plugin !== plugin) throw new Error(`${file} describes ${m.release}/${m.plugin}, not ${release}/${plugin}`);
  return m;
}

/** Runs a release's temporal-sql-tool in the release's directory; throws with its output on failure. */
export function releaseTool(release: InstalledRelease, plugin: Engine, db: string, args: string[]): string {
  const r = runCli(release.sqlToolBin, [...toolConnectionFlags(plugin, db), ...args], {}, release.dir);
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${release.version} ${args.join(' ')} on ${db} exited ${String(r.status)}:\n${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

/**
 * Fresh databases (or SQLite files in `dir`) with both stores' schema made by `release` exactly as
 * its upgrade page says: create-database, setup-schema -v 0.0, update-schema -d ./schema/.../versioned.
 */
export function createReleaseDatabases(release: InstalledRelease, plugin: Engine, dir: string, purpose: string): StoreDatabases {
  const dbs: StoreDatabases =
    plugin === 'sqlite'
      ? { temporal: join(dir, 'temporal.db'), visibility: join(dir, 'visibility.db') }
      : { temporal: uniqueDbName(`${purpose}_tmp`), visibility: uniqueDbName(`${purpose}_vis`) };
  for (const store of STORES) {
    releaseTool(release, plugin, dbs[store], ['create-database']);
    releaseTool(release, plugin, dbs[store], ['setup-schema', '-v', '0.0']);
    releaseTool(release, plugin, dbs[store], ['update-schema', '-d', `./${shippedVersionedPath(plugin, store)}`]);
  }
  return dbs;
}

export interface RestoredFixture {
  manifest: FixtureManifest;
  dbs: StoreDatabases;
  /** a temp dir for config files and (SQLite) the database files */
  dir: string;
  cleanup(): Promise<void>;
}

/** The fixture of `release` for `plugin` in fresh databases, ready for this checkout to upgrade. */
export async function restoreReleaseFixture(releaseVersion: string, plugin: Engine): Promise<RestoredFixture> {
  const manifest = readFixtureManifest(releaseVersion, plugin);
  const src = fixtureDir(releaseVersion, plugin);
  const dir = mkdtempSync(join(tmpdir(), `fixture-${releaseVersion}-${plugin}-`));
  if (plugin === 'sqlite') {
    // The files keep their names: the schema bookkeeping rows name the database by its file name.
    const dbs = { temporal: join(dir, manifest.files.temporal), visibility: join(dir, manifest.files.visibility) };
    for (const store of STORES) copyFileSync(join(src, manifest.files[store]), dbs[store]);
    return { manifest, dbs, dir, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const release = installedRelease(releaseVersion);
  const dbs = createReleaseDatabases(release, plugin, dir, `fx${releaseVersion.replace(/\./g, '')}`);
  const cleanup = async () => {
    for (const store of STORES) await dropDatabase(plugin, dbs[store]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const store of STORES) {
      const dump = JSON.parse(readFileSync(join(src, manifest.files[store]), 'utf8')) as DatabaseDump;
      await loadDatabase(plugin, dbs[store], dump);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { manifest, dbs, dir, cleanup };
}
