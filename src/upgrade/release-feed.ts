/**
 * The newer-version notice: a release feed (a URL or a local file in the releases.json format, plus
 * optional alerts) is read at start and then periodically; from it and the running version comes
 * the `versionInfo` that GetClusterInfo returns and the Web UI turns into a banner. No feed
 * configured means no check and no traffic.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../common/logger';
import { type Release, type ReleaseManifest, parseReleaseManifest } from './releases';
import { type ServerVersion, compareServerVersions, minorLine, minorName, mustParseServerVersion, parseServerVersion } from './server-version';

export type AlertSeverity = 'high' | 'medium' | 'low';

export interface FeedAlert {
  /** Which running versions the alert is for: comparators joined by spaces, e.g. ">=0.1.0 <0.1.3". */
  readonly appliesTo: string;
  readonly severity: AlertSeverity;
  readonly message: string;
}

export interface ReleaseFeed extends ReleaseManifest {
  /** The version the feed recommends; the newest release when absent. */
  readonly recommended?: string;
  readonly alerts: readonly FeedAlert[];
}

export interface ReleaseSummary {
  readonly version: string;
  readonly releaseTimeMs?: number;
  readonly notes?: string;
  /** where the notes can be read: an absolute URL (readReleaseFeed resolves relative ones) */
  readonly notesUrl?: string;
}

export interface VersionInfo {
  readonly current: ReleaseSummary;
  readonly recommended: ReleaseSummary;
  readonly instructions: string;
  readonly alerts: readonly { readonly severity: AlertSeverity; readonly message: string }[];
  readonly lastUpdateTimeMs: number;
}

export function parseReleaseFeed(doc: unknown, where: string): ReleaseFeed {
  const manifest = parseReleaseManifest(doc, where);
  const d = doc as Record<string, unknown>;
  if (d.recommended !== undefined && (typeof d.recommended !== 'string' || !parseServerVersion(d.recommended))) {
    throw new Error(`${where}: "recommended" must be MAJOR.MINOR.PATCH`);
  }
  const alerts = (Array.isArray(d.alerts) ? d.alerts : []).map((a, i) => {
    const x = a as Record<string, unknown>;
    if (typeof x.message !== 'string' || !['high', 'medium', 'low'].includes(String(x.severity))) {
      throw new Error(`${where}: alerts[${i}] must be {"appliesTo", "severity": high|medium|low, "message"}`);
    }
    return { appliesTo: typeof x.appliesTo === 'string' ? x.appliesTo : '*', severity: x.severity as AlertSeverity, message: x.message };
  });
  return { ...manifest, recommended: d.recommended as string | undefined, alerts };
}

/** True when `v` satisfies every comparator of `range` ("*" matches everything). */
export function versionInRange(v: ServerVersion, range: string): boolean {
  for (const part of range.trim().split(/\s+/)) {
    if (part === '*' || part === '') continue;
    const m = /^(<=|>=|<|>|=)?v?(.+)$/.exec(part);
    const bound = m ? parseServerVersion(m[2]!) : undefined;
    if (!m || !bound) return false;
    const c = compareServerVersions(v, bound);
    const ok = { '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0, '=': c === 0 }[(m[1] ?? '=') as '<' | '<=' | '>' | '>=' | '='];
    if (!ok) return false;
  }
  return true;
}

function summary(r: Release | undefined, version: string): ReleaseSummary {
  return r ? { version: r.version, releaseTimeMs: Date.parse(`${r.date}T00:00:00Z`), notes: r.notes, notesUrl: r.notesUrl } : { version };
}

/** The sequential path from `running` to `target`: the newest patch of every minor in between. */
export function upgradePath(running: ServerVersion, target: ServerVersion, releases: readonly Release[]): Release[] {
  const byLine = new Map<number, Release>();
  for (const r of releases) {
    const v = mustParseServerVersion(r.version);
    if (v.prerelease || minorLine(v) <= minorLine(running) || compareServerVersions(v, target) > 0) continue;
    const prev = byLine.get(minorLine(v));
    if (!prev || compareServerVersions(v, mustParseServerVersion(prev.version)) > 0) byLine.set(minorLine(v), r);
  }
  return [...byLine.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

export function computeVersionInfo(running: ServerVersion, feed: ReleaseFeed, nowMs: number): VersionInfo {
  const find = (v: ServerVersion) => feed.releases.find((r) => compareServerVersions(mustParseServerVersion(r.version), v) === 0);
  const stable = feed.releases.filter((r) => !mustParseServerVersion(r.version).prerelease);
  const newest = stable[stable.length - 1];
  const recommendedVersion = feed.recommended ? mustParseServerVersion(feed.recommended) : newest ? mustParseServerVersion(newest.version) : running;
  const newer = compareServerVersions(recommendedVersion, running) > 0;
  const current = summary(find(running), running.text);
  const recommended = newer ? summary(find(recommendedVersion), recommendedVersion.text) : current;
  let instructions = '';
  if (newer && minorLine(recommendedVersion) === minorLine(running)) {
    // Same minor (a patch, or the release of a pre-release build): no schema or data format changes.
    instructions = `${recommendedVersion.text} is in the same minor version as ${running.text}: replace the binary and restart; patch releases change no schema and no data format.`;
  } else if (newer) {
    const path = upgradePath(running, recommendedVersion, feed.releases);
    // A step needs a schema upgrade when its schema version differs from the step before it (known
    // from the feed's entry of that version); the release's own flag is the fallback.
    let previous = find(running)?.schema;
    const steps = path.map((r) => {
      const schemas = (['temporal', 'visibility'] as const)
        .filter((k) => (previous ? r.schema[k].version !== previous[k].version : r.schema[k].upgradeRequired))
        .map((k) => `${k} schema to ${r.schema[k].version}`);
      previous = r.schema;
      return `${r.version}${schemas.length ? ` (upgrade the ${schemas.join(' and the ')} first)` : ' (no schema upgrade)'}`;
    });
    instructions = `Upgrade one minor version at a time: ${steps.join(', then ')}. Skipping patch versions is fine. Read the release notes of each step.`;
    if (path.length === 0 || minorLine(mustParseServerVersion(path[path.length - 1]!.version)) !== minorLine(recommendedVersion)) {
      instructions += ` (the feed lists no release for every minor up to ${minorName(minorLine(recommendedVersion))})`;
    }
  }
  const alerts = feed.alerts.filter((a) => versionInRange(running, a.appliesTo)).map((a) => ({ severity: a.severity, message: a.message }));
  return { current, recommended, instructions, alerts, lastUpdateTimeMs: nowMs };
}

export async function readReleaseFeed(source: string, timeoutMs = 10_000): Promise<ReleaseFeed> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`release feed ${source} answered HTTP ${res.status}`);
    text = await res.text();
  } else {
    text = await readFile(source.replace(/^file:\/\//, ''), 'utf8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`release feed ${source} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const feed = parseReleaseFeed(doc, source);
  return { ...feed, releases: feed.releases.map((r) => (r.notesUrl === undefined ? r : { ...r, notesUrl: resolveNotesUrl(r.notesUrl, source) })) };
}

/**
 * A release's notesUrl as an absolute URL: a relative one (the shipped releases.json says
 * `CHANGELOG.md#020---2026-11-25`) is relative to the feed it is in, like any link in a document, so
 * a feed served over HTTP(S) gives HTTP(S) links and a feed file gives a file: URL of the CHANGELOG
 * beside it (which the Web UI serves at a URL of its own). A feed fetched over the network may only
 * name HTTP(S) pages: anything else (say, a file: URL of the server's disk) is dropped.
 */
export function resolveNotesUrl(notesUrl: string, source: string): string | undefined {
  const remote = /^https?:\/\//i.test(source);
  let url: URL;
  try {
    url = new URL(notesUrl, remote ? source : pathToFileURL(resolve(source.replace(/^file:\/\//, ''))));
  } catch {
    return undefined;
  }
  if (remote && url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.href;
}

/** Checks the feed at start and every `intervalMs`; keeps the last good answer when a check fails. */
export class ReleaseFeedChecker {
  private info: VersionInfo | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly source: string,
    private readonly running: ServerVersion,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async checkNow(): Promise<void> {
    try {
      const feed = await readReleaseFeed(this.source);
      this.info = computeVersionInfo(this.running, feed, Date.now());
      this.lastError = undefined;
      if (compareServerVersions(mustParseServerVersion(this.info.recommended.version), this.running) > 0) {
        this.log.info({ recommended: this.info.recommended.version }, `a newer temporal-ts version is recommended: ${this.info.recommended.version}`);
      }
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.warn({ err: this.lastError }, 'release feed check failed; keeping the previous answer');
    }
  }

  versionInfo(): VersionInfo | undefined {
    return this.info;
  }

  error(): string | undefined {
    return this.lastError;
  }
}
