/**
 * Decides whether this server binary may start on a database, from the versions that ran on it
 * (cluster metadata's version history). The answer is either "start" (recording the version if it
 * is new) or a refusal whose message is the exact sequential path to follow.
 */
import { type ServerVersion, compareServerVersions, minorLine, minorName, parseServerVersion } from './server-version';

export interface VersionHistoryEntry {
  readonly serverVersion: string;
  readonly firstStartedMs: number;
  /** When this version finished its start-up upgrade work (shard rewrite) and became active. */
  readonly activatedMs: number | undefined;
}

export type StartDecision =
  | { readonly kind: 'fresh' }
  /** rollingTo: the next minor has started on this database and is not active yet (a rolling upgrade under way) */
  | { readonly kind: 'same'; readonly active: ServerVersion; readonly rollingTo?: string }
  | { readonly kind: 'patch'; readonly active: ServerVersion; readonly rollingTo?: string }
  | { readonly kind: 'upgrade'; readonly active: ServerVersion }
  | { readonly kind: 'refuse'; readonly reason: string };

/** The newest version that became active; versions that never finished starting do not count. */
export function activeVersion(history: readonly VersionHistoryEntry[]): ServerVersion | undefined {
  let best: { v: ServerVersion; at: number } | undefined;
  for (const h of history) {
    const v = parseServerVersion(h.serverVersion);
    if (!v || h.activatedMs === undefined) continue;
    if (!best || h.activatedMs > best.at) best = { v, at: h.activatedMs };
  }
  return best?.v;
}

/** The newest minor line that ever started on this database, finished or not. */
function newestStartedLine(history: readonly VersionHistoryEntry[]): { line: number; version: string } | undefined {
  let best: { line: number; version: string } | undefined;
  for (const h of history) {
    const v = parseServerVersion(h.serverVersion);
    if (v && (!best || minorLine(v) > best.line)) best = { line: minorLine(v), version: v.text };
  }
  return best;
}

/**
 * The first minor whose members may run beside the next minor's (0.3: cluster membership; and from
 * 0.3 on, every format a minor writes is one the minor before reads, test/upgrade/data-formats.test.ts).
 * 0.2.x and older acquire every shard as if alone, and 0.2.0 wrote formats 0.1.x could not read.
 */
const FIRST_ROLLING_LINE = 3;

/** Every version of minor line `line` that started is not active yet, and `line` is the minor after the active one's. */
function rollingUpgradeUnderWay(history: readonly VersionHistoryEntry[], line: number): boolean {
  const ofLine = history.filter((h) => {
    const v = parseServerVersion(h.serverVersion);
    return v !== undefined && minorLine(v) === line;
  });
  return ofLine.length > 0 && ofLine.every((h) => h.activatedMs === undefined);
}

export function decideStart(binary: ServerVersion, history: readonly VersionHistoryEntry[]): StartDecision {
  const active = activeVersion(history);
  const started = newestStartedLine(history);
  if (!active && !started) return { kind: 'fresh' };
  const binLine = minorLine(binary);
  if (
    binLine >= FIRST_ROLLING_LINE &&
    active &&
    started &&
    started.line > binLine &&
    minorLine(active) === binLine &&
    rollingUpgradeUnderWay(history, started.line)
  ) {
    // A rolling upgrade to the next minor is under way and has not finished: that version writes
    // nothing the active one cannot read until it is active (it becomes active only once no member
    // of this version is left), so a member of the active version may still (re)start beside it.
    const kind = compareServerVersions(binary, active) === 0 ? 'same' : 'patch';
    return { kind, active, rollingTo: started.version };
  }
  if (started && started.line > binLine) {
    return {
      kind: 'refuse',
      reason: `this is temporal-ts ${binary.text}, but ${started.version} has already run on this database and may have rewritten data in formats ${minorName(binLine)}.x cannot read. Run ${minorName(started.line)}.x (or newer, one minor at a time); to go back, restore the backup taken before the upgrade.`,
    };
  }
  if (!active) {
    // Only unfinished starts so far (say the first start was killed during the shard rewrite):
    // the same minor may try again; another one must wait until that one has finished.
    if (started!.line === binLine) return { kind: 'same', active: binary };
    return {
      kind: 'refuse',
      reason: `the start of ${started!.version} on this database never finished; start ${minorName(started!.line)}.x again until it reports the version active, then upgrade`,
    };
  }
  const activeLine = minorLine(active);
  if (binLine === activeLine) return compareServerVersions(binary, active) === 0 ? { kind: 'same', active } : { kind: 'patch', active };
  // One step: the next minor, or the first minor of the next major.
  if (binLine === activeLine + 1 || (binary.major === active.major + 1 && binary.minor === 0)) {
    if (started && started.line > activeLine && started.line !== binLine) {
      return { kind: 'refuse', reason: `an earlier start of ${started.version} did not finish; run ${minorName(started.line)}.x` };
    }
    return { kind: 'upgrade', active };
  }
  const path: string[] = [];
  for (let line = activeLine + 1; line < binLine; line++) path.push(`${minorName(line)}.x`);
  return {
    kind: 'refuse',
    reason: `this is temporal-ts ${binary.text}, but the database was last run by ${active.text}: upgrades go one minor version at a time, so ${path.length === 1 ? 'a minor version is' : 'minor versions are'} skipped. Follow this path: run ${path.map((p, i) => (i === 0 ? p : `then ${p}`)).join(', ')} — each until its start-up reports the version active and \`temporal-ts admin upgrade status\` shows its data rewrite done — then ${binary.major}.${binary.minor}.x. Skipping patch versions is fine: use the latest patch of each minor.`,
  };
}
