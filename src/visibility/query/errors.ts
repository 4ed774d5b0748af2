/** The one error the List Filter parser and compiler throw: INVALID_ARGUMENT with a position. */
import { ServiceError } from '../../common/errors';

export class QueryError extends ServiceError {
  readonly kind = 'invalid-argument';
  /** 0-based offset into the query; column = offset + 1 */
  constructor(
    readonly detail: string,
    readonly offset: number | undefined,
  ) {
    super(offset === undefined ? `invalid query: ${detail}` : `invalid query: ${detail} (at column ${offset + 1})`);
  }
}
