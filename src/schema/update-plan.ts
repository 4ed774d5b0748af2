/**
 * Decides what update-schema would do to one database with one versioned directory, without
 * changing anything: the versions to apply, and every reason not to (wrong store, wrong plugin, a
 * database version the directory does not know, a target out of range). Both `plan` and
 * `update-schema` use it, so the preview is exactly the run.
 */
import type { HistoryRow, SchemaAdminDB, StoredVersion } from '../persistence/schema-admin';
import { MismatchError, UsageError } from './errors';
import { type StoreName, type VersionStep, type VersionedDir } from './versioned-dir';
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

const STORE_MARKERS: Record<StoreName, string> = { temporal: 'executions', visibility: 'executions_visibility' };

/** Which store a database holds, judged by its tables (works for databases made by Temporal too). */
export function detectStore(tables: readonly string[]): StoreName | undefined {
  const set = new Set(tables.map((t) => t.toLowerCase()));
  if (set.has(STORE_MARKERS.visibility)) return 'visibility';
  if (set.has(STORE_MARKERS.temporal) || set.has('shards')) return 'temporal';
  return undefined;
}

export async function readCurrentVersion(db: SchemaAdminDB): Promise<{ stored: StoredVersion; version: SchemaVersion }> {
  const stored = await db.readVersion();
  if (!stored) {
    const others = await db.listVersionDbNames();
    if (others.length > 0) {
      throw new MismatchError(`${db.label} has no schema_version row for db_name "${db.dbName}" (rows exist for: ${others.join(', ')}); was the database renamed? Pass the name it was set up with, or run setup-schema -v 0.0 for a new one`);
    }
    throw new MismatchError(`${db.label} has no schema version yet: run setup-schema -v 0.0 first, then update-schema`);
  }
  const version = parseVersion(stored.currVersion);
  if (!version) throw new MismatchError(`${db.label} records schema version "${stored.currVersion}", which is not a version; the schema_version table was edited by hand or damaged`);
  return { stored, version };
}

export async function planUpdate(db: SchemaAdminDB, dir: VersionedDir, targetText: string | undefined): Promise<UpdatePlan> {
  if (dir.engine && dir.engine !== db.plugin) {
    throw new MismatchError(`${dir.path} is a schema directory for ${dir.engine}, but the plugin is ${db.plugin}; use the directory of your database engine (schema/${db.plugin === 'postgres12' ? 'postgresql/v12' : db.plugin === 'mysql8' ? 'mysql/v8' : 'sqlite/v3'}/...) or the right --plugin`);
  }
  const { version: current } = await readCurrentVersion(db);
  const tables = await db.listTables();
  const dbStore = detectStore(tables);
  if (dir.store && dbStore && dir.store !== dbStore) {
    throw new MismatchError(`${dir.path} is the ${dir.store} store's directory, but ${db.label} holds the ${dbStore} store; use ./schema/.../${dbStore}/versioned for this database, or --db the ${dir.store} database`);
  }

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
  if (!isZero && compareVersions(current, last.version) > 0) {
    // The database is newer than this directory: a rollback of the binaries after a schema upgrade.
    return { current, target: current, steps: [], atomic: [], warnings: [...warnings, `${db.label} is at ${formatVersion(current)}, newer than the newest version in ${dir.path} (${formatVersion(last.version)}); this directory belongs to an older release, nothing to apply`], upToDate: 'database is newer than this directory' };
  }
  if (!isZero && !dir.steps.some((s) => compareVersions(s.version, current) === 0)) {
    throw new MismatchError(`${db.label} is at schema version ${formatVersion(current)}, but ${dir.path} has no v${formatVersion(current)} (it has ${formatVersion(firstDir.version)}..${formatVersion(last.version)}); this is not the directory the database was built from, or it is incomplete`);
  }
  const steps = dir.steps.filter((s) => compareVersions(s.version, current) > 0 && compareVersions(s.version, target) <= 0);
  if (steps.length === 0) {
    return { current, target, steps, atomic: [], warnings, upToDate: `already at ${formatVersion(current)}` };
  }
  const first = steps[0]!;
  const atomic = steps.map((s) => isAtomic(db, s));
  if (!atomic[0]) {
    const done = await db.readCheckpoints(formatVersion(first.version));
    if (done.size > 0) {
      const applied = [...done.keys()].filter((i) => i >= 0).length;
      const resumeAfter = { version: formatVersion(first.version), applied, total: statementsOf(first).length, done: new Set(done.keys()) };
      return { current, target, steps, warnings, atomic, resumeAfter };
    }
  }
  return { current, target, steps, warnings, atomic };
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
