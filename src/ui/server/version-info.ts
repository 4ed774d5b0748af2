/**
 * versionInfo for the Web UI's banner, from one of two sources:
 *  - the server's GetClusterInfo `versionInfo` (Temporal's field: current, recommended, alerts,
 *    instructions, lastUpdateTime), when the server fills it;
 *  - a local release feed file (`--release-feed FILE`, config `ui.releaseFeed`), read on every
 *    request, so that an operator (or a test) can feed the banner without network access.
 *
 * The release feed file has the format of src/upgrade/release-feed.ts (releases.json's manifest
 * plus "recommended" and "alerts" with "appliesTo" ranges), read on every request.
 */
import { statSync } from 'node:fs';
import type { AlertView, Json, JsonObject, ReleaseInfoView, VersionInfoView } from '../api-types';
import { computeVersionInfo, readReleaseFeed, type ReleaseFeed } from '../../upgrade/release-feed';
import { compareServerVersions, parseServerVersion } from '../../upgrade/server-version';

const SEVERITY_ORDER: Record<AlertView['severity'], number> = { high: 0, medium: 1, low: 2, unspecified: 3 };

export function severityOf(v: unknown): AlertView['severity'] {
  const s = String(v ?? '')
    .toLowerCase()
    .replace(/^severity_/, '');
  if (s === 'high' || s === '1') return 'high';
  if (s === 'medium' || s === '2') return 'medium';
  if (s === 'low' || s === '3') return 'low';
  return 'unspecified';
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

function releaseOf(v: Json | undefined): ReleaseInfoView | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const version = str(v.version);
  if (!version) return null;
  return { version, releaseTime: v.releaseTime ? str(v.releaseTime) : null, notes: str(v.notes) };
}

function alertsOf(v: Json | undefined): AlertView[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((a): a is JsonObject => !!a && typeof a === 'object' && !Array.isArray(a))
    .map((a) => ({ message: str(a.message), severity: severityOf(a.severity) }))
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** Temporal's VersionInfo (as readable JSON from GetClusterInfo, or a feed file in that shape). */
export function versionInfoFromJson(o: JsonObject): VersionInfoView {
  return {
    current: releaseOf(o.current),
    recommended: releaseOf(o.recommended),
    instructions: str(o.instructions),
    alerts: alertsOf(o.alerts),
    lastUpdateTime: o.lastUpdateTime ? str(o.lastUpdateTime) : null,
  };
}

function cmp(a: string, b: string): number {
  const va = parseServerVersion(a);
  const vb = parseServerVersion(b);
  if (!va || !vb) return a.localeCompare(b);
  return compareServerVersions(va, vb);
}

export class ReleaseFeedError extends Error {
  override name = 'ReleaseFeedError';
}

/**
 * Reads a release feed file (the upgrade machinery's format, src/upgrade/release-feed.ts: the
 * releases.json manifest plus "recommended" and "alerts") and answers the VersionInfo for a server
 * running `runningVersion`, computed by the same code the server uses (computeVersionInfo). The
 * notes link is the release's notesUrl, else its notes text.
 */
export async function versionInfoFromFeed(file: string, runningVersion: string): Promise<VersionInfoView> {
  const running = parseServerVersion(runningVersion);
  if (!running) throw new ReleaseFeedError(`the running version "${runningVersion}" is not a version`);
  let feed: ReleaseFeed;
  try {
    feed = await readReleaseFeed(file);
  } catch (err) {
    throw new ReleaseFeedError(`release feed ${file}: ${(err as Error).message}`);
  }
  let mtimeMs = Date.now();
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    // a URL or a file that vanished: now
  }
  const vi = computeVersionInfo(running, feed, mtimeMs);
  const release = (v: string): ReleaseInfoView => {
    const r = feed.releases.find((x) => x.version === v);
    const ts = v === vi.current.version ? vi.current.releaseTimeMs : vi.recommended.releaseTimeMs;
    return { version: v, releaseTime: ts && Number.isFinite(ts) ? new Date(ts).toISOString() : null, notes: r?.notesUrl ?? r?.notes ?? '' };
  };
  const alerts = vi.alerts.map((a) => ({ message: a.message, severity: severityOf(a.severity) }));
  alerts.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return {
    current: release(vi.current.version),
    recommended: release(vi.recommended.version),
    instructions: vi.instructions,
    alerts,
    lastUpdateTime: new Date(vi.lastUpdateTimeMs).toISOString(),
  };
}

/** True when `info` recommends a version newer than the one running. */
export function upgradeRecommended(info: VersionInfoView | null, runningVersion: string): boolean {
  if (!info?.recommended?.version) return false;
  const running = info.current?.version || runningVersion;
  return cmp(info.recommended.version, running) > 0;
}
