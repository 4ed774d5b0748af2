/**
 * Decides what update-schema would do to one database with one versioned directory, without
 * changing anything: the versions to apply, and every reason not to (the other store's directory,
 * another plugin's, a database that was not built from this directory, a database version the
 * directory does not know, a target out of range). Both `plan` and `update-schema` use it, so the
 * preview is exactly the run.
 *
 * The store is told from the database's tables and from what the directory's versions create
 * (store-identity.ts), never from folder names. A changed manifest of an applied version (drift)
 * stays a warning: Temporal itself rewrites applied manifests (PR #10371 emptied PostgreSQL
 * visibility v1.10-v1.12), so drift is a normal event on a real upgrade path, and the md5 only covers
 * the manifest's bytes, not the SQL; what drift used to hint at, the wrong directory, is refused by
 * the table checks before anything changes.
 */
import type { HistoryRow, SchemaAdminDB, StoredVersion } from '../persistence/schema-admin';
import { type DirShape, type TableShape, dirShape, knownVersions } from './dir-shape';
import { MismatchError, UsageError } from './errors';
import { bestMatches, conflictsOf, fitAt, holdsStore, listSome, readDbShape, storeMismatch } from './store-identity';
import { type VersionStep, type VersionedDir } from './versioned-dir';
import { type SchemaVersion, ZERO_VERSION, compareVersions, formatVersion, parseVersion } from './version';

export function statementsOf(step: VersionStep): { file: string; sql: string; line: number }[] {
  return step.files.flatMap((f) => f.statements.map((s) => ({ file: f.name, sql: s.sql, line: s.line })));
}

/**
 * A version commits as a whole where the engine has transactional DDL and none of its statements
 * must run outside a transaction; otherwise it runs statement by statement with checkpoints.
 */
export function isAtomic(db: SchemaAdminDB, step: VersionStep): boolean {
  return db.transactionalDdl && !statementsOf(step).some((st) => db.requiresAutocommit(st.sql));
}

export interface UpdatePlan {
  readonly current: SchemaVersion;
  readonly target: SchemaVersion;
  readonly steps: readonly VersionStep[];
  /** Drift and other findings that do not stop the run. */
  readonly warnings: readonly string[];
  /** Set when an interrupted run left checkpoints: the first version resumes after them. */
  readonly resumeAfter?: { readonly version: string; readonly applied: number; readonly total: number; readonly done: ReadonlySet<number> };
  /** Per step: true when it commits as one transaction, false when it runs with checkpoints. */
  readonly atomic: readonly boolean[];
  /** Set when there is nothing to do, with the reason. */
  readonly upToDate?: string;
}

export async function readCurrentVersion(db: SchemaAdminDB): Promise<{ stored: StoredVersion; version: SchemaVersion }> {
  const stored = await db.readVersion();
  if (!stored) {
    const others = await db.listVersionDbNames();
    if (others.length > 0) {
      throw new MismatchError(`${db.label} has no schema_version row for db_name "${db.dbName}" (rows exist for: ${others.join(', ')}); was the database renamed? Pass the name it was set up with, or run setup-schema -v 0.0 for a new one`);
    }
    const tables = (await readDbShape(db)).size;
    if (tables > 0) {
      throw new MismatchError(
        `${db.label} has ${tables} table(s) but no schema version: it was made without the schema tool (Temporal's dev server does that). Record the version its tables are at with setup-schema --baseline X.Y --schema-dir <the versioned directory> (it checks the tables first), then run update-schema`,
      );
    }
    throw new MismatchError(`${db.label} has no schema version yet: run setup-schema -v 0.0 first, then update-schema`);
  }
  const version = parseVersion(stored.currVersion);
  if (!version) throw new MismatchError(`${db.label} records schema version "${stored.currVersion}", which is not a version; the schema_version table was edited by hand or damaged`);
  return { stored, version };
}

/** Refuses a directory whose path names another engine's schema (schema/mysql/... with --pl sqlite). */
export function checkEngine(db: SchemaAdminDB, dir: VersionedDir): void {
  if (dir.engine && dir.engine !== db.plugin) {
    throw new MismatchError(`${dir.path} is a schema directory for ${dir.engine}, but the plugin is ${db.plugin}; use the directory of your database engine (schema/${db.plugin === 'postgres12' ? 'postgresql/v12' : db.plugin === 'mysql8' ? 'mysql/v8' : 'sqlite/v3'}/...) or the right --plugin`);
  }
}

export async function planUpdate(db: SchemaAdminDB, dir: VersionedDir, targetText: string | undefined): Promise<UpdatePlan> {
  checkEngine(db, dir);
  const { version: current } = await readCurrentVersion(db);
  const shape = dirShape(dir);
  const actual = await readDbShape(db);
  const otherStore = storeMismatch(shape, actual, dir.path, db.label);
  if (otherStore) throw new MismatchError(otherStore);

  const warnings: string[] = [];
  const history = await db.readHistory();
  warnings.push(...driftWarnings(dir, history, current));

  const firstDir = dir.steps[0]!;
  const last = dir.steps[dir.steps.length - 1]!;
  let target = last.version;
  if (targetText !== undefined) {
    const t = parseVersion(targetText);
    if (!t) throw new UsageError(`-v/--version "${targetText}" is not a version (expected e.g. 1.2)`);
    if (!dir.steps.some((s) => compareVersions(s.version, t) === 0)) {
      throw new UsageError(`target version ${targetText} has no directory in ${dir.path}; existing versions: ${dir.steps.map((s) => formatVersion(s.version)).join(', ')}`);
    }
    if (compareVersions(t, current) < 0) {
      throw new UsageError(`target version ${targetText} is older than the database's version ${formatVersion(current)}; schema downgrades are not supported (restore a backup instead)`);
    }
    target = t;
  }

  const isZero = compareVersions(current, ZERO_VERSION) === 0;
  const hasBase = compareVersions(dir.base, ZERO_VERSION) !== 0;
  const range = `${formatVersion(firstDir.version)}..${formatVersion(last.version)}${hasBase ? `, upgrading from ${formatVersion(dir.base)}` : ''}`;
  if (!isZero && compareVersions(current, last.version) > 0) {
    warnings.push(...notBuiltFrom(db, dir, shape, last.version, current, actual));
    // The database is newer than this directory: a rollback of the binaries after a schema upgrade.
    return { current, target: current, steps: [], atomic: [], warnings: [...warnings, `${db.label} is at ${formatVersion(current)}, newer than the newest version in ${dir.path} (${formatVersion(last.version)}); this directory belongs to an older release, nothing to apply`], upToDate: 'database is newer than this directory' };
  }
  if (isZero && hasBase) {
    throw new MismatchError(
      `${dir.path} starts at v${formatVersion(firstDir.version)}: it upgrades databases from ${formatVersion(dir.base)} (the schema its release set up, which the directory does not hold) and cannot build one from an empty database at 0.0. For a new database run the store's full schema (schema.sql beside versioned/) with setup-schema -v ${formatVersion(last.version)} -f <schema.sql>; for a database that already has the tables, record their version with setup-schema --baseline X.Y --schema-dir ${dir.path}`,
    );
  }
  if (!isZero && compareVersions(current, dir.base) !== 0 && !dir.steps.some((s) => compareVersions(s.version, current) === 0)) {
    throw new MismatchError(`${db.label} is at schema version ${formatVersion(current)}, but ${dir.path} has no v${formatVersion(current)} (it has ${range}); this is not the directory the database was built from, or it is incomplete`);
  }
  if (!isZero) warnings.push(...notBuiltFrom(db, dir, shape, current, current, actual));
  const steps = dir.steps.filter((s) => compareVersions(s.version, current) > 0 && compareVersions(s.version, target) <= 0);
  if (steps.length === 0) {
    return { current, target, steps, atomic: [], warnings, upToDate: `already at ${formatVersion(current)}` };
  }
  const first = steps[0]!;
  const atomic = steps.map((s) => isAtomic(db, s));
  let resumeAfter: UpdatePlan['resumeAfter'];
  if (!atomic[0]) {
    const done = await db.readCheckpoints(formatVersion(first.version));
    if (done.size > 0) {
      const applied = [...done.keys()].filter((i) => i >= 0).length;
      resumeAfter = { version: formatVersion(first.version), applied, total: statementsOf(first).length, done: new Set(done.keys()) };
    }
  }
  const conflicts = conflictsOf(
    shape,
    steps.map((s) => s.version),
    actual,
    resumeAfter?.version,
  );
  if (conflicts.length > 0) {
    const suggestion = isZero ? baselineHint(dir, shape, actual) : 'It was changed by hand or by another directory; compare it with the directory before going on';
    throw new MismatchError(`${db.label} (at schema version ${formatVersion(current)}) does not fit what ${dir.path} would apply: ${listSome(conflicts, 4)}. ${suggestion}`);
  }
  return { current, target, steps, warnings, atomic, ...(resumeAfter ? { resumeAfter } : {}) };
}

/**
 * Refuses a database that does not hold what the directory gives a database at `at` (less than half
 * of its tables: another store or another project's directory); a few missing tables or columns
 * are returned as warnings.
 */
function notBuiltFrom(db: SchemaAdminDB, dir: VersionedDir, shape: DirShape, at: SchemaVersion, current: SchemaVersion, actual: TableShape): string[] {
  const fit = fitAt(shape, at, actual);
  if (!holdsStore(fit)) {
    throw new MismatchError(
      `${db.label} is at schema version ${formatVersion(current)}, but it does not have ${listSome(fit.missing)}, which ${dir.path} gives a database at ${formatVersion(at)} (it has ${fit.present} of those ${fit.required} tables): the database was not built from this directory. Use the directory it was built from, or --db the database this directory belongs to`,
    );
  }
  if (fit.missing.length === 0) return [];
  return [`${db.label} does not have ${listSome(fit.missing)}, which ${dir.path} gives a database at ${formatVersion(at)}; a database made from a full schema.sql (rather than by every version) can lack leftovers of old versions. Versions that change them would fail, and are refused before they run`];
}

/** What to tell the owner of a database at 0.0 that already holds tables: the version they match, if any. */
function baselineHint(dir: VersionedDir, shape: DirShape, actual: TableShape): string {
  const match = bestMatches(shape, knownVersions(shape), actual);
  const how = `record it with setup-schema --baseline X.Y --schema-dir ${dir.path} (it checks the tables first), then run update-schema`;
  if (match.length === 0) return `Its tables were not made by update-schema from 0.0 and match no version of this directory; if they are the store's tables, ${how}`;
  return `Its tables were not made by update-schema from 0.0; they match v${match.map((v) => formatVersion(v)).join(' and v')} of this directory: ${how.replace('X.Y', formatVersion(match[match.length - 1]!))}`;
}

function driftWarnings(dir: VersionedDir, history: readonly HistoryRow[], current: SchemaVersion): string[] {
  const out: string[] = [];
  const applied = new Map<string, HistoryRow>();
  for (const h of history) {
    const v = parseVersion(h.newVersion);
    if (v) applied.set(formatVersion(v), h);
  }
  for (const s of dir.steps) {
    if (compareVersions(s.version, current) > 0) break;
    const h = applied.get(formatVersion(s.version));
    if (h && h.manifestMd5 && h.manifestMd5 !== s.manifestMd5) {
      out.push(`v${formatVersion(s.version)}/manifest.json has changed since it was applied on ${h.updateTime} (recorded md5 ${h.manifestMd5}, now ${s.manifestMd5}); the directory differs from the one that built this database`);
    }
  }
  return out;
}

export function describePlan(plan: UpdatePlan, label: string): string[] {
  const lines: string[] = [];
  if (plan.upToDate) {
    lines.push(`${label}: ${plan.upToDate}; nothing to apply`);
    return lines;
  }
  const n = plan.steps.reduce((a, s) => a + s.files.reduce((b, f) => b + f.statements.length, 0), 0);
  lines.push(`${label}: ${formatVersion(plan.current)} -> ${formatVersion(plan.target)}, ${plan.steps.length} version(s), ${n} statement(s)`);
  if (plan.resumeAfter) {
    lines.push(`  an interrupted run left checkpoints: v${plan.resumeAfter.version} resumes after ${plan.resumeAfter.applied} of ${plan.resumeAfter.total} statement(s) (marked "done" below)`);
  }
  for (const [k, s] of plan.steps.entries()) {
    lines.push(`  v${formatVersion(s.version)}  ${s.description || '(no description)'}  [min compatible ${formatVersion(s.minCompatibleVersion)}, manifest md5 ${s.manifestMd5}${plan.atomic[k] ? '' : ', statement by statement with checkpoints'}]`);
    if (s.files.length === 0) lines.push('    (no files: version bump only)');
    let index = 0;
    for (const f of s.files) {
      lines.push(`    ${f.name}: ${f.statements.length} statement(s)`);
      f.statements.forEach((st, i) => {
        const done = k === 0 && plan.resumeAfter?.done.has(index);
        lines.push(`      ${i + 1}. ${done ? '(done) ' : ''}${st.sql.replace(/\s+/g, ' ')}`);
        index++;
      });
    }
  }
  return lines;
}
