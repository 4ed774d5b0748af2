/**
 * update-schema: applies the versions of a versioned directory that the database does not have yet,
 * one version at a time, under the database's schema lock. Where DDL is transactional (PostgreSQL,
 * SQLite) a version's statements and its bookkeeping commit together or not at all; on MySQL each
 * statement is checkpointed so that a re-run resumes where a crash stopped, and a data change
 * commits in one transaction with its checkpoint, so it is never applied twice.
 */
import { createHash } from 'node:crypto';
import type { SchemaAdminDB } from '../persistence/schema-admin';
import { StatementError, errorMessage } from './errors';
import type { Reporter } from './reporter';
import { type UpdatePlan, planUpdate, statementsOf } from './update-plan';
import { type VersionStep, type VersionedDir } from './versioned-dir';
import { type SchemaVersion, formatVersion } from './version';

export interface UpdateResult {
  readonly from: string;
  readonly to: string;
  readonly applied: readonly string[];
}

export async function withSchemaLock<T>(db: SchemaAdminDB, reporter: Reporter, fn: () => Promise<T>): Promise<T> {
  await db.lock((holder) => reporter.info(`waiting for the schema lock of ${db.label}: held by ${holder}`));
  try {
    return await fn();
  } finally {
    await db.unlock().catch(() => undefined);
  }
}

export async function runUpdate(db: SchemaAdminDB, dir: VersionedDir, target: string | undefined, reporter: Reporter): Promise<UpdateResult> {
  for (const w of dir.warnings) reporter.warn(w);
  return withSchemaLock(db, reporter, async () => {
    // Planned under the lock: a run that waited sees what the run before it applied.
    const plan = await planUpdate(db, dir, target);
    for (const w of plan.warnings) reporter.warn(w);
    if (plan.upToDate) {
      reporter.info(`${db.label}: ${plan.upToDate}; nothing to apply`);
      return { from: formatVersion(plan.current), to: formatVersion(plan.current), applied: [] };
    }
    return applyPlan(db, plan, reporter);
  });
}

async function applyPlan(db: SchemaAdminDB, plan: UpdatePlan, reporter: Reporter): Promise<UpdateResult> {
  const applied: string[] = [];
  let previous: SchemaVersion = plan.current;
  reporter.info(`${db.label}: updating schema ${formatVersion(plan.current)} -> ${formatVersion(plan.target)} (${plan.steps.length} version(s))`);
  for (const [k, step] of plan.steps.entries()) {
    const started = Date.now();
    const count = step.files.reduce((a, f) => a + f.statements.length, 0);
    const atomic = plan.atomic[k] ?? false;
    const head = `[${k + 1}/${plan.steps.length}] v${formatVersion(step.version)}${step.description ? ` "${step.description}"` : ''}: ${count} statement(s)${atomic ? '' : ' (statement by statement, checkpointed)'}`;
    try {
      if (atomic) {
        await db.inTransaction(async () => {
          await execStep(db, step);
          await recordVersion(db, previous, step);
        });
      } else {
        await db.createCheckpointTable();
        await execStepWithCheckpoints(db, step, reporter);
        await recordVersion(db, previous, step);
        await db.clearCheckpoints(formatVersion(step.version));
      }
    } catch (err) {
      reporter.info(`${head} ... FAILED`);
      throw explainFailure(err, db, plan, step, atomic, applied);
    }
    reporter.info(`${head} ... ok (${Date.now() - started} ms)`);
    applied.push(formatVersion(step.version));
    previous = step.version;
  }
  reporter.info(`${db.label}: schema is now at ${formatVersion(previous)}`);
  return { from: formatVersion(plan.current), to: formatVersion(previous), applied };
}

async function recordVersion(db: SchemaAdminDB, previous: SchemaVersion, step: VersionStep): Promise<void> {
  await db.writeVersion(formatVersion(step.version), formatVersion(step.minCompatibleVersion));
  await db.writeHistory(formatVersion(previous), formatVersion(step.version), step.manifestMd5, step.description);
}

async function execStep(db: SchemaAdminDB, step: VersionStep): Promise<void> {
  for (const [i, st] of statementsOf(step).entries()) {
    try {
      await db.exec(st.sql);
    } catch (err) {
      throw new StatementError(errorMessage(err), formatVersion(step.version), st.file, i, st.sql);
    }
  }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Index of the checkpoint row that marks "a run of this version has started". */
const STARTED_MARKER = -1;

async function execStepWithCheckpoints(db: SchemaAdminDB, step: VersionStep, reporter: Reporter): Promise<void> {
  const version = formatVersion(step.version);
  const done = await db.readCheckpoints(version);
  const all = statementsOf(step);
  // Only a version that an earlier run started can have a statement that took effect unrecorded.
  const resumed = done.size > 0;
  const applied = [...done.keys()].filter((i) => i !== STARTED_MARKER).length;
  if (resumed) reporter.info(`  v${version}: resuming after ${applied} of ${all.length} statement(s) applied by an earlier run`);
  else await db.writeCheckpoint(version, STARTED_MARKER, step.manifestMd5);
  let firstExecuted = true;
  for (const [i, st] of all.entries()) {
    const sum = md5(st.sql);
    const recorded = done.get(i);
    if (recorded !== undefined) {
      if (recorded !== sum) {
        throw new StatementError(`statement ${i + 1} of v${version} was applied by an earlier run but its text has changed since; restore the directory of the release that started this upgrade`, version, st.file, i, st.sql);
      }
      continue;
    }
    // A statement that can share a transaction with its checkpoint (MySQL: a data change; PostgreSQL:
    // all but CONCURRENTLY) either took effect and is checkpointed, or did neither: a re-run after a
    // kill never applies it twice, even when the killed run's statement finished on the server.
    const together = db.commitsWithCheckpoint(st.sql);
    try {
      if (together) {
        await db.inTransaction(async () => {
          await db.exec(st.sql);
          await db.writeCheckpoint(version, i, sum);
        });
      } else {
        await db.exec(st.sql);
      }
    } catch (err) {
      // Only the first statement after the last checkpoint of an interrupted run can have run
      // without its checkpoint, and only if it commits on its own.
      if (resumed && firstExecuted && !together && db.isAlreadyAppliedError(err)) {
        reporter.warn(`v${version}/${st.file}:${st.line} (statement ${i + 1} of v${version}) had already taken effect in an interrupted run (${errorMessage(err)}); continuing`);
      } else {
        // Nothing of the version took effect: drop the "started" marker so a re-run is a first run.
        if (!resumed && firstExecuted) await db.clearCheckpoints(version);
        throw new StatementError(errorMessage(err), version, st.file, i, st.sql);
      }
    }
    firstExecuted = false;
    if (together) continue;
    if (db.requiresAutocommit(st.sql)) {
      // A CONCURRENTLY build that failed earlier leaves an INVALID index which IF NOT EXISTS (or the
      // "already exists" accepted above) passes over: never record such a statement as applied.
      const invalid = await db.invalidIndexes();
      if (invalid.length > 0) {
        throw new StatementError(
          `${db.label} has ${invalid.length === 1 ? 'an INVALID index' : 'INVALID indexes'} ${invalid.join(', ')}, left by a CREATE INDEX CONCURRENTLY that failed or was interrupted; PostgreSQL keeps but never uses it. Drop it (${invalid.map((n) => `DROP INDEX CONCURRENTLY ${n};`).join(' ')}) and run update-schema again`,
          version,
          st.file,
          i,
          st.sql,
        );
      }
    }
    await db.writeCheckpoint(version, i, sum);
  }
}

function explainFailure(err: unknown, db: SchemaAdminDB, plan: UpdatePlan, step: VersionStep, atomic: boolean, applied: readonly string[]): Error {
  const version = formatVersion(step.version);
  const before = applied.length ? `v${applied.join(', v')} applied and kept; ` : '';
  const state = atomic
    ? `${before}nothing of v${version} was applied (its transaction was rolled back); the database is at ${applied.length ? applied[applied.length - 1] : formatVersion(plan.current)}`
    : `${before}the statements of v${version} before this one took effect and are checkpointed; a re-run resumes with this statement`;
  if (err instanceof StatementError) {
    const stmt = err.statement.length > 400 ? err.statement.slice(0, 400) + ' …' : err.statement;
    // file:line, then the position in the version (the plan numbers statements per file).
    const line = statementsOf(step)[err.statementIndex]?.line;
    return new StatementError(
      `v${version}/${err.file}${line !== undefined ? `:${line}` : ''} (statement ${err.statementIndex + 1} of v${version}) failed: ${err.message}\n  statement: ${stmt.replace(/\s+/g, ' ')}\n  ${state}.\n  Fix the cause (or restore the schema directory from the release) and run update-schema again.`,
      err.version,
      err.file,
      err.statementIndex,
      err.statement,
    );
  }
  return new Error(`applying v${version} to ${db.label} failed: ${errorMessage(err)}; ${state}`);
}
