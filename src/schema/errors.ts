/**
 * Errors of the schema engine. Each one is a sentence a person can act on: what is wrong, where
 * (directory, file, statement), and what to do next. The CLI prints `message` and exits non-zero.
 */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/** Bad flags or flag combinations: nothing was touched. */
export class UsageError extends SchemaError {
  override name = 'UsageError';
}

/** The versioned directory (or a manifest in it) is not usable: nothing was touched. */
export class SchemaDirError extends SchemaError {
  override name = 'SchemaDirError';
}

/** The database could not be reached or refused us: nothing was touched. */
export class ConnectionError extends SchemaError {
  override name = 'ConnectionError';
}

/** The directory does not fit the database (other store, other plugin, gap, unknown version). */
export class MismatchError extends SchemaError {
  override name = 'MismatchError';
}

/** A statement failed while applying a version. */
export class StatementError extends SchemaError {
  override name = 'StatementError';
  constructor(
    message: string,
    readonly version: string,
    readonly file: string,
    readonly statementIndex: number,
    readonly statement: string,
  ) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
