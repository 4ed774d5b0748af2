/**
 * versionInfo for the Web UI's banner, from one of two sources:
 *  - the server's GetClusterInfo `versionInfo` (Temporal's field: current, recommended, alerts,
 *    instructions, lastUpdateTime), when the server fills it;
 *  - a local release feed file (`--release-feed FILE`, config `ui.releaseFeed`), read on every
 *    request, so that an operator (or a test) can feed the banner without network access.
 *
 * Release feed file (JSON):
 *   { "lastUpdateTime": "2025-06-01T00:00:00Z",            (optional; default: the file's mtime)
 *     "releases": [ { "version": "0.2.0", "releaseTime": "2025-05-30T00:00:00Z",
 *                     "notes": "https://example.com/releases/0.2.0",   (URL or text)
 *                     "recommended": true,                              (optional)
 *                     "instructions": "Upgrade one minor at a time.",  (optional)
 *                     "alerts": [ { "message": "...", "severity": "high" } ] } ] }
 * The recommended release is the one marked "recommended", else the newest without a prerelease
 * tag; the alerts are those of every release newer than the running one up to the recommended one,
 * most severe first. A file that already has Temporal's VersionInfo shape (`current`,
 * `recommended`, `alerts`, ...) is used as it is.
 */
import { readFileSync, statSync } from 'node:fs';
import type { AlertView, Json, JsonObject, ReleaseInfoView, VersionInfoView } from '../api-types';
import { compareServerVersions, parseServerVersion } from '../../upgrade/server-version';

const SEVERITY_ORDER: Record<AlertView['severity'], number> = { high: 0, medium: 1, low: 2, unspecified: 3 };

export function severityOf(v: unknown): AlertView['severity'] {
  const s = String(v ?? '').toLowerCase().replace(/^severity_/, '');
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

/** Reads a release feed file and answers the VersionInfo for a server running `runningVersion`. */
export function versionInfoFromFeed(file: string, runningVersion: string): VersionInfoView {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReleaseFeedError(`release feed ${file} cannot be read: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ReleaseFeedError(`release feed ${file} must be a JSON object with "releases"`);
  const o = doc as JsonObject;
  if (!Array.isArray(o.releases)) {
    if (o.recommended || o.current) return versionInfoFromJson(o);
    throw new ReleaseFeedError(`release feed ${file} has no "releases" array`);
  }
  const releases = o.releases.filter((r): r is JsonObject => !!r && typeof r === 'object' && !Array.isArray(r) && typeof r.version === 'string');
  for (const r of releases) {
    if (!parseServerVersion(str(r.version))) throw new ReleaseFeedError(`release feed ${file}: "${str(r.version)}" is not a version (MAJOR.MINOR.PATCH)`);
  }
  const sorted = [...releases].sort((a, b) => cmp(str(a.version), str(b.version)));
  const marked = sorted.filter((r) => r.recommended === true).pop();
  const stable = sorted.filter((r) => parseServerVersion(str(r.version))?.prerelease === '').pop();
  const rec = marked ?? stable;
  const cur = sorted.find((r) => str(r.version) === runningVersion);
  const alerts: AlertView[] = [];
  if (rec) {
    for (const r of sorted) {
      if (cmp(str(r.version), runningVersion) > 0 && cmp(str(r.version), str(rec.version)) <= 0) alerts.push(...alertsOf(r.alerts));
    }
  }
  alerts.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  let lastUpdateTime = o.lastUpdateTime ? str(o.lastUpdateTime) : null;
  if (!lastUpdateTime) {
    try {
      lastUpdateTime = statSync(file).mtime.toISOString();
    } catch {
      lastUpdateTime = null;
    }
  }
  return {
    current: cur ? releaseOf(cur) : { version: runningVersion, releaseTime: null, notes: '' },
    recommended: rec ? releaseOf(rec) : null,
    instructions: rec ? str(rec.instructions) : '',
    alerts,
    lastUpdateTime,
  };
}

/** True when `info` recommends a version newer than the one running. */
export function upgradeRecommended(info: VersionInfoView | null, runningVersion: string): boolean {
  if (!info?.recommended?.version) return false;
  const running = info.current?.version || runningVersion;
  return cmp(info.recommended.version, running) > 0;
}
