/**
 * Server versions (SemVer) and the rule the upgrade page states but Temporal never enforces: a
 * cluster moves one minor version at a time. Patch versions may be skipped or rolled back freely;
 * a minor may not be skipped; a minor that has run on the database may not be rolled back, because
 * it has rewritten data in formats the older minor cannot read.
 */
export interface ServerVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: string;
  readonly text: string;
}

const RE = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseServerVersion(text: string): ServerVersion | undefined {
  const m = RE.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? '', text: text.trim().replace(/^v/, '') };
}

export function mustParseServerVersion(text: string): ServerVersion {
  const v = parseServerVersion(text);
  if (!v) throw new Error(`"${text}" is not a server version (expected MAJOR.MINOR.PATCH, e.g. 0.2.1)`);
  return v;
}

/** Index of the minor line, so that 0.9 -> 1.0 counts as one step: major*1000 + minor. */
export function minorLine(v: ServerVersion): number {
  return v.major * 1000 + v.minor;
}

export function minorName(line: number): string {
  return `${Math.floor(line / 1000)}.${line % 1000}`;
}

export function compareServerVersions(a: ServerVersion, b: ServerVersion): number {
  const c = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (c !== 0) return c;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}
