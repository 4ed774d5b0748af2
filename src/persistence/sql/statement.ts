/**
 * What the shared SQL stores hand to a plugin's executor: statements in portable SQL (`?`
 * placeholders, the dialect's clauses already spliced in) and write programs.
 *
 * A program is a generator: it yields one statement at a time and receives its result (or has the
 * statement's error thrown in at that yield), and returns the write's answer. Written once, it runs
 * synchronously on SQLite (inside a group-commit savepoint, where no await may happen) and
 * asynchronously on a pooled PostgreSQL or MySQL connection; the executor decides how, and whether
 * several statements travel together. This module owns no connection and no table.
 */
export type Row = Record<string, unknown>;

export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /**
   * A locking read of rows no program writes (the shard fence): its answer holds until the
   * transaction ends, so an executor that runs several programs in one transaction (group commit)
   * may answer it again from the first time without asking the database (SQLite, whose group
   * transaction may also carry a write of those rows, asks again after one).
   */
  readonly sameUntilCommit?: boolean;
  /**
   * The program's one statement, all of whose writes are gated on its own checks (a one-statement
   * write, one-statement-writes.ts): when it fails a check it wrote nothing, so it needs no
   * transaction around it. An executor may run it in autocommit (on PostgreSQL one round trip
   * instead of BEGIN, it and COMMIT); the program must end after it.
   */
  readonly selfContained?: boolean;
  /**
   * Set by `together`: this statement stands for these writes, run in order, whose answers the
   * program does not read (its Result's count is their sum). An executor that can send several
   * statements at once (MySQL) sends them in one round trip; the others run them one by one.
   * The first error stops the rest and is the statement's error.
   */
  readonly batch?: readonly Statement[];
}

export interface Result {
  readonly rows: Row[];
  /** rows a write matched (found, whether or not their values changed), or the rows a read returned */
  readonly count: number;
}

/** A write (or a read that decides a write) as a sequence of statements; see the header. */
export type Program<T> = Generator<Statement, T, Result>;

export function stmt(sql: string, params: readonly unknown[] = []): Statement {
  return { sql, params };
}

/** Independent writes of a program as one yield (see Statement.batch); nothing for none. */
export function* together(statements: readonly Statement[]): Program<void> {
  if (statements.length === 0) return;
  if (statements.length === 1) yield statements[0]!;
  else yield { sql: statements.map((s) => s.sql).join('; '), params: statements.flatMap((s) => s.params), batch: statements };
}

/** Runs a program on a synchronous executor (SQLite). */
export function runProgram<T>(program: Program<T>, exec: (s: Statement) => Result): T {
  let step = program.next();
  while (!step.done) {
    let result: Result;
    try {
      result = exec(step.value);
    } catch (err) {
      step = program.throw(err);
      continue;
    }
    step = program.next(result);
  }
  return step.value;
}

/** Runs a program on an asynchronous executor (a pooled connection in a transaction). */
export async function runProgramAsync<T>(program: Program<T>, exec: (s: Statement) => Promise<Result>, first?: Statement): Promise<T> {
  // `first`: the statement the program yielded already (its first step was taken by the caller)
  let step: IteratorResult<Statement, T> = first ? { done: false, value: first } : program.next();
  while (!step.done) {
    let result: Result;
    try {
      result = await exec(step.value);
    } catch (err) {
      step = program.throw(err);
      continue;
    }
    step = program.next(result);
  }
  return step.value;
}

/** Rows per multi-row INSERT: far below every database's limit on parameters (SQLite 32766, PostgreSQL 65535). */
const ROWS_PER_INSERT = 200;

/**
 * The text of a multi-row INSERT, made once per table, columns and row count: the same string every
 * time, so the executors' per-text caches (prepared statements, placeholders) find it by a hash the
 * string keeps instead of building and hashing a new one for every write.
 */
const insertTexts = new Map<string, { columns: readonly string[]; byRows: string[] }[]>();

function insertText(table: string, columns: readonly string[], rows: number): string {
  let forTable = insertTexts.get(table);
  if (!forTable) insertTexts.set(table, (forTable = []));
  let known = forTable.find((k) => k.columns.length === columns.length && k.columns.every((c, i) => c === columns[i]));
  if (!known) forTable.push((known = { columns: [...columns], byRows: [] }));
  let text = known.byRows[rows];
  if (text === undefined) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text = known.byRows[rows] = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
  }
  return text;
}

/** INSERT statements for `rows` (one statement per ROWS_PER_INSERT rows; none for no rows). */
export function insertRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.length <= ROWS_PER_INSERT ? rows : rows.slice(i, i + ROWS_PER_INSERT);
    out.push(stmt(insertText(table, columns, chunk.length), chunk.length === 1 ? chunk[0]! : chunk.flat()));
  }
  return out;
}
