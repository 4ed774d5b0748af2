/**
 * setup-schema --baseline X.Y: adopts a database that has a store's tables but no bookkeeping (made
 * by Temporal's dev server, by hand, or left at 0.0 by an earlier `setup-schema -v 0.0`). It checks
 * that the tables and columns are those the versioned directory gives a database at X.Y (all there,
 * nothing a later version adds), then records X.Y so that update-schema continues from there.
 * Anything else is refused before a change, naming what differs and the versions the tables do match.
 */
import type { SchemaAdminDB } from '../persistence/schema-admin';
import { dirShape, knownVersions, shapeAt } from './dir-shape';
import { MismatchError, UsageError } from './errors';
import type { Reporter } from './reporter';
import { bestMatches, fitAt, listSome, readDbShape, storeMismatch } from './store-identity';
import { checkEngine } from './update-plan';
import { withSchemaLock } from './update-task';
import type { VersionedDir } from './versioned-dir';
import { ZERO_VERSION, compareVersions, formatVersion, parseVersion } from './version';

export async function runBaseline(db: SchemaAdminDB, dir: VersionedDir, versionText: string, reporter: Reporter): Promise<void> {
  const version = parseVersion(versionText);
  if (!version) throw new UsageError(`--baseline "${versionText}" is not a version (expected e.g. 1.2)`);
  if (compareVersions(version, ZERO_VERSION) === 0) throw new UsageError('--baseline 0.0 would record an empty database; for a new database use setup-schema -v 0.0, then update-schema');
  const shape = dirShape(dir);
  const known = knownVersions(shape);
  if (!known.some((v) => compareVersions(v, version) === 0)) {
    throw new UsageError(`--baseline ${versionText}: ${dir.path} has no v${versionText} (it has ${known.map((v) => formatVersion(v)).join(', ')}); pass the version of the release that made the database`);
  }
  checkEngine(db, dir);
  const at = formatVersion(version);
  await withSchemaLock(db, reporter, async () => {
    const stored = await db.readVersion();
    const storedVersion = stored ? parseVersion(stored.currVersion) : undefined;
    if (stored && (!storedVersion || compareVersions(storedVersion, ZERO_VERSION) !== 0)) {
      throw new MismatchError(`${db.label} already records schema version ${stored.currVersion}; --baseline is for a database that has tables but no version. Run update-schema to continue from ${stored.currVersion}`);
    }
    const actual = await readDbShape(db);
    if (actual.size === 0) throw new MismatchError(`${db.label} has no tables to check; a new database is set up with setup-schema -v 0.0, then update-schema`);
    const otherStore = storeMismatch(shape, actual, dir.path, db.label);
    if (otherStore) throw new MismatchError(otherStore);
    const expected = shapeAt(shape, version);
    if (expected.size === 0) {
      throw new MismatchError(`${dir.path} says nothing this tool can read about the tables of v${at} (its statements up to v${at} create no table), so the tables cannot be checked; nothing was recorded`);
    }
    const fit = fitAt(shape, version, actual);
    const matches = bestMatches(shape, known, actual);
    if (!matches.some((v) => compareVersions(v, version) === 0)) {
      const differs = [fit.missing.length ? `it lacks ${listSome(fit.missing)}` : '', fit.later.length ? `it already has ${listSome(fit.later)}, which later versions add` : ''].filter(Boolean).join('; ');
      const hint = matches.length
        ? `Its tables match v${matches.map((v) => formatVersion(v)).join(' and v')}: setup-schema --baseline ${formatVersion(matches[matches.length - 1]!)} --schema-dir ${dir.path}`
        : 'They match no version of this directory: is it the directory of the release (and store) that made the database?';
      throw new MismatchError(`${db.label} does not have the tables of v${at} of ${dir.path}: ${differs || 'another version fits them better'}. ${hint}; nothing was recorded`);
    }
    if (fit.missing.length > 0) {
      reporter.warn(`${db.label} does not have ${listSome(fit.missing)}, which v${at} of ${dir.path} has; no version of the directory fits better (a database made from a full schema.sql lacks leftovers of old versions)`);
    }
    if (matches.length > 1) {
      reporter.warn(`the tables fit v${matches.map((v) => formatVersion(v)).join(' and v')} alike (what those versions change cannot be seen in table and column names); make sure ${at} is the version of the release that made the database`);
    }
    const step = dir.steps.find((s) => compareVersions(s.version, version) === 0);
    await db.createVersionTables();
    await db.inTransaction(async () => {
      await db.writeVersion(at, step ? formatVersion(step.minCompatibleVersion) : at);
      await db.writeHistory(stored?.currVersion ?? '0', at, step?.manifestMd5 ?? '', `baseline: ${fit.required} table(s) checked against v${at}`);
    });
    reporter.info(`${db.label}: schema version set to ${at} (baseline: ${fit.present} of the ${fit.required} tables of v${at} found with their columns, nothing of a later version)`);
  });
}
