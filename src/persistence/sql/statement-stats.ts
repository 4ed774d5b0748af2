/**
 * Process-wide counts of what the SQL executors send to their databases, for the throughput bench
 * (bench/throughput) and for anyone asking "how many statements does a workflow cost": statements
 * (BEGIN and COMMIT included), round trips (a pooled statement is one; on SQLite nothing leaves the
 * process, so its round trips stay 0) and transactions. With TTS_SQL_STATS_TEXTS=1 the statements are
 * also counted per SQL text (a map lookup per statement, so only on request).
 */
export interface SqlStatementStats {
  statements: number;
  roundTrips: number;
  transactions: number;
  /** per SQL text (the first 120 characters), only with TTS_SQL_STATS_TEXTS=1 */
  byText?: Record<string, number>;
}

const byText = process.env.TTS_SQL_STATS_TEXTS === '1' ? new Map<string, number>() : undefined;
const counts = { statements: 0, roundTrips: 0, transactions: 0 };

/** One statement ran; `remote` when it went over the network (a round trip). */
export function countStatement(sql: string, remote: boolean): void {
  counts.statements++;
  if (remote) counts.roundTrips++;
  if (byText) {
    const key = sql.slice(0, 120);
    byText.set(key, (byText.get(key) ?? 0) + 1);
  }
}

/** One transaction began (a group commit's transaction counts once). */
export function countTransaction(): void {
  counts.transactions++;
}

export function sqlStatementStats(): SqlStatementStats {
  return { ...counts, ...(byText ? { byText: Object.fromEntries(byText) } : {}) };
}
