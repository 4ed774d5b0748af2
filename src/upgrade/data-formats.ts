/**
 * The stored data formats that a release rewrites in the background, and the start-up rule that
 * keeps them readable: a release reads its own format and the previous minor's, so before it may
 * start, the previous minor's background rewrite must have finished (recorded in data_format_rewrite).
 * Without this rule a skipped rewrite would surface weeks later as a workflow whose state cannot be
 * read; with it, the server refuses at once and says which version to run until when.
 */
import { FORMAT, READABLE, encodingOf, type DataRewriteRecord, type DataRewriteStore, type FormatKind } from '../persistence';
import type { ServerVersion } from './server-version';
import type { StartDecision } from './version-policy';

export interface RewrittenFormat {
  /** data_format_rewrite.store */
  readonly store: string;
  readonly kind: FormatKind;
  /** for people: what the rows are and where they live */
  readonly label: string;
  /** the format this release writes and rewrites into */
  readonly target: number;
  /** the formats this release can read */
  readonly readable: readonly number[];
}

/**
 * The kinds of blob that every start rewrites completely before the version becomes active (the
 * shard-metadata rewrite), so no row of an older format can outlive an upgrade.
 */
export const REWRITTEN_AT_START: readonly FormatKind[] = ['shardInfo'];

/**
 * What is rewritten in the background. Never remove an entry when a later release stops changing
 * that format: the start-up check below reads this list, and a kind missing from it is not checked.
 * test/upgrade/data-formats.test.ts fails when a format beyond v1 is in neither list.
 */
export const REWRITTEN_FORMATS: readonly RewrittenFormat[] = [
  { store: 'mutable_state', kind: 'mutableState', label: 'mutable state (executions.data)', target: FORMAT.mutableState, readable: READABLE.mutableState },
];

export function findRewrite(records: readonly DataRewriteRecord[], store: string, target: number): DataRewriteRecord | undefined {
  return records.find((r) => r.store === store && r.targetFormat === target);
}

/**
 * Why this binary may not start while rows may still hold a format older than it reads (the rewrite
 * into the oldest format it reads, or a later one, must be recorded complete); undefined when it may.
 */
export async function dataFormatRefusal(
  store: DataRewriteStore,
  formats: readonly RewrittenFormat[],
  binary: ServerVersion,
  decision: StartDecision,
): Promise<string | undefined> {
  // Only an upgrade starts on data an older minor wrote: a restart or a patch of the active minor was
  // checked when that minor started, and a database no version finished starting on has only rows
  // of this minor (a previous minor's unfinished start is refused by the version check).
  if (decision.kind !== 'upgrade') return undefined;
  const needed = formats.filter((f) => Math.min(...f.readable) > 1);
  if (needed.length === 0) return undefined;
  const records = await store.listDataRewrites();
  for (const f of needed) {
    const oldest = Math.min(...f.readable);
    if (records.some((r) => r.store === f.store && r.targetFormat >= oldest && r.completedMs !== undefined)) continue;
    const partial = records.find((r) => r.store === f.store && r.targetFormat === oldest);
    // 0.2.0 counted rows written since it began too: never say more than the total.
    const progress = partial
      ? `it has looked at ${Math.min(partial.rowsScanned, partial.rowsTotal ?? Infinity)} of ${partial.rowsTotal ?? '?'} rows`
      : 'it has not started';
    const prev = `${decision.active.major}.${decision.active.minor}.x`;
    return (
      `this is temporal-ts ${binary.text}, which reads ${f.label} only in ${f.readable.map((v) => encodingOf('json', v)).join(', ')}, but the background rewrite of that data into ${encodingOf('json', oldest)} has not finished on this database (${progress}). ` +
      `Start ${prev} again and keep it running until \`temporal-ts admin upgrade status\` reports the data rewrite done, then start ${binary.text}. Nothing was changed.`
    );
  }
  return undefined;
}
