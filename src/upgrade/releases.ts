/**
 * The release manifest (releases.json at the root of the installation, and the same format in a
 * release feed): for every release, its date, whether each store's schema must be upgraded and to
 * which version, which stored data formats changed, and notes. Read and checked in one place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../common/package-info';
import { compareServerVersions, mustParseServerVersion, parseServerVersion, type ServerVersion } from './server-version';
import { compareVersions, parseVersion } from '../schema/version';

export type StoreKey = 'temporal' | 'visibility';

export interface StoreSchemaChange {
  /** The schema version this release needs. */
  readonly version: string;
  /**
   * True when moving to this release from the previous minor version needs update-schema for this
   * store (so a patch release repeats its minor's answer; patches never change a schema).
   */
  readonly upgradeRequired: boolean;
}

export interface DataFormatChange {
  /** What kind of stored blob, e.g. "mutable-state", "shard-info". */
  readonly blob: string;
  readonly from: number;
  readonly to: number;
  readonly description: string;
}

export interface Release {
  readonly version: string;
  readonly date: string;
  readonly schema: Readonly<Record<StoreKey, StoreSchemaChange>>;
  readonly dataFormats: readonly DataFormatChange[];
  readonly notes: string;
  /** Where the release notes can be read (CHANGELOG anchor or a URL). */
  readonly notesUrl?: string;
}

export interface ReleaseManifest {
  readonly product: string;
  readonly releases: readonly Release[];
}

export class ReleaseManifestError extends Error {
  override name = 'ReleaseManifestError';
}

function fail(where: string, what: string): never {
  throw new ReleaseManifestError(`${where}: ${what}`);
}

/** Validates a parsed document; `where` names it in errors (a file path or a feed URL). */
export function parseReleaseManifest(doc: unknown, where: string): ReleaseManifest {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(where, 'must be a JSON object with "product" and "releases"');
  const d = doc as Record<string, unknown>;
  if (typeof d.product !== 'string' || d.product === '') fail(where, '"product" must be a non-empty string');
  if (!Array.isArray(d.releases)) fail(where, '"releases" must be a list');
  const releases = d.releases.map((r, i): Release => {
    const at = `${where}: releases[${i}]`;
    if (typeof r !== 'object' || r === null) fail(at, 'must be an object');
    const x = r as Record<string, unknown>;
    if (typeof x.version !== 'string' || !parseServerVersion(x.version)) fail(at, `"version" must be MAJOR.MINOR.PATCH (got ${JSON.stringify(x.version)})`);
    if (typeof x.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(x.date)) fail(at, `"date" must be YYYY-MM-DD (got ${JSON.stringify(x.date)})`);
    const schema = x.schema as Record<string, unknown> | undefined;
    if (typeof schema !== 'object' || schema === null) fail(at, '"schema" must give "temporal" and "visibility"');
    const store = (k: StoreKey): StoreSchemaChange => {
      const s = schema[k] as Record<string, unknown> | undefined;
      if (typeof s !== 'object' || s === null || typeof s.version !== 'string' || typeof s.upgradeRequired !== 'boolean') {
        fail(at, `"schema.${k}" must be {"version": "X.Y", "upgradeRequired": true|false}`);
      }
      return { version: s.version as string, upgradeRequired: s.upgradeRequired as boolean };
    };
    const formats = x.dataFormats ?? [];
    if (!Array.isArray(formats)) fail(at, '"dataFormats" must be a list');
    return {
      version: x.version,
      date: x.date,
      schema: { temporal: store('temporal'), visibility: store('visibility') },
      dataFormats: formats.map((f, j) => {
        const y = f as Record<string, unknown>;
        if (typeof y.blob !== 'string' || typeof y.from !== 'number' || typeof y.to !== 'number')
          fail(`${at}.dataFormats[${j}]`, 'must be {"blob", "from", "to", "description"}');
        return { blob: y.blob, from: y.from, to: y.to, description: String(y.description ?? '') };
      }),
      notes: typeof x.notes === 'string' ? x.notes : '',
      notesUrl: typeof x.notesUrl === 'string' ? x.notesUrl : undefined,
    };
  });
  const sorted = [...releases].sort((a, b) => compareServerVersions(mustParseServerVersion(a.version), mustParseServerVersion(b.version)));
  return { product: d.product, releases: sorted };
}

export function loadReleaseManifest(file = join(packageRoot(), 'releases.json')): ReleaseManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReleaseManifestError(`cannot read the release manifest ${file}: ${(err as Error).message}`);
  }
  return parseReleaseManifest(doc, file);
}

export function findRelease(m: ReleaseManifest, v: ServerVersion): Release | undefined {
  return m.releases.find((r) => compareServerVersions(mustParseServerVersion(r.version), v) === 0);
}

/**
 * The release that needs schema `version` for `store`: the first one whose schema is exactly that
 * version (the release that introduced it), else undefined.
 */
export function releaseNeedingSchema(m: ReleaseManifest, store: StoreKey, version: string): Release | undefined {
  const want = parseVersion(version);
  if (!want) return undefined;
  return m.releases.find((r) => {
    const v = parseVersion(r.schema[store].version);
    return v !== undefined && compareVersions(v, want) === 0;
  });
}
