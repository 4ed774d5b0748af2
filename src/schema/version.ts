/**
 * Schema versions as the Go tool reads them: "v" prefix allowed, missing parts are zero
 * ("1.10" is 1.10.0), compared numerically. Unlike the Go tool, a version that does not parse is an
 * error for the caller to report, never silently 0.0.
 */
export interface SchemaVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** As written (without "v"), e.g. "1.10". */
  readonly text: string;
}

const VERSION_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;

export function parseVersion(text: string): SchemaVersion | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    text: text.trim().replace(/^v/, ''),
  };
}

export function compareVersions(a: SchemaVersion, b: SchemaVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function versionEquals(a: SchemaVersion, b: SchemaVersion): boolean {
  return compareVersions(a, b) === 0;
}

export function formatVersion(v: SchemaVersion): string {
  return v.patch === 0 ? `${v.major}.${v.minor}` : `${v.major}.${v.minor}.${v.patch}`;
}

/**
 * True when `next` directly follows `prev` in a versioned directory: the next minor (1.3 → 1.4),
 * the next major's first minor (1.9 → 2.0), or a patch step inside one minor (1.3 → 1.3.1).
 */
export function isNextVersion(prev: SchemaVersion, next: SchemaVersion): boolean {
  if (next.major === prev.major && next.minor === prev.minor) return next.patch === prev.patch + 1;
  if (next.major === prev.major) return next.minor === prev.minor + 1 && next.patch === 0;
  return next.major === prev.major + 1 && next.minor === 0 && next.patch === 0;
}

export const ZERO_VERSION: SchemaVersion = { major: 0, minor: 0, patch: 0, text: '0.0' };
