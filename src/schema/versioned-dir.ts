/**
 * Reads a versioned schema directory (`…/<store>/versioned/vX.Y/manifest.json` + SQL files) in the
 * format of Temporal's tools, and checks all of it before anything touches a database: every
 * manifest parses and names its own directory, every listed file exists and splits into statements,
 * and the versions follow each other without gaps. Unlike the Go tool, a bad name or a gap is an
 * error, never a warning followed by "zero updates". A manifest may only name files inside its own
 * version directory. Which store a directory builds is not read from its path (see dir-shape.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SchemaDirError } from './errors';
import { type Statement, disallowedPrefix, splitStatements } from './statements';
import { type SchemaVersion, ZERO_VERSION, compareVersions, formatVersion, isNextVersion, parseVersion } from './version';
import type { SqlPluginName } from '../persistence/sql-config';

export interface Manifest {
  CurrVersion: string;
  MinCompatibleVersion: string;
  Description: string;
  SchemaUpdateCqlFiles: string[];
  AllowNoCqlFiles?: boolean;
}

export interface VersionFile {
  readonly name: string;
  readonly path: string;
  readonly statements: readonly Statement[];
}

export interface VersionStep {
  readonly version: SchemaVersion;
  readonly minCompatibleVersion: SchemaVersion;
  readonly description: string;
  readonly dir: string;
  /** Hex MD5 of the raw manifest.json bytes, as the Go tool stores it. */
  readonly manifestMd5: string;
  readonly files: readonly VersionFile[];
}

export type StoreName = 'temporal' | 'visibility';

export interface VersionedDir {
  readonly path: string;
  readonly steps: readonly VersionStep[];
  /**
   * The version the first step upgrades from: 0.0 when the first version is vX.0 (it holds the whole
   * base schema, as in Temporal's SQL directories); otherwise the version before it, which the
   * directory does not hold (Temporal's sqlite/v3/temporal/versioned starts at v0.2: v0.1 was the
   * schema.sql of the release that made the database).
   */
  readonly base: SchemaVersion;
  /** Which plugin the directory is for, from its path (schema/postgresql/…); undefined for other layouts. */
  readonly engine: SqlPluginName | undefined;
  readonly warnings: readonly string[];
  /**
   * The store's full schema.sql beside versioned/ (as Temporal and temporal-ts ship it: the schema
   * of the newest version), when there is one that splits into statements; dir-shape.ts uses it to
   * know the tables a version's statements do not name.
   */
  readonly fullSchema?: { readonly path: string; readonly statements: readonly Statement[] };
}

const DIR_NAME_RE = /^v\d+(\.\d+){0,2}$/;

export function readManifest(dir: string): { manifest: Manifest; md5: string } {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new SchemaDirError(`${file} is missing: every version directory needs a manifest.json (CurrVersion, MinCompatibleVersion, Description, SchemaUpdateCqlFiles)`);
  const raw = readFileSync(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new SchemaDirError(`${file} is not valid JSON (${(err as Error).message}); fix it or restore it from the release`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SchemaDirError(`${file} must hold a JSON object with CurrVersion, MinCompatibleVersion, Description and SchemaUpdateCqlFiles`);
  }
  const m = parsed as Record<string, unknown>;
  const need = (key: string) => {
    const v = m[key];
    if (typeof v !== 'string' || v.trim() === '') throw new SchemaDirError(`${file}: "${key}" must be a non-empty string`);
    return v;
  };
  const files = m.SchemaUpdateCqlFiles;
  if (files !== undefined && (!Array.isArray(files) || files.some((f) => typeof f !== 'string' || f.trim() === ''))) {
    throw new SchemaDirError(`${file}: "SchemaUpdateCqlFiles" must be a list of file names`);
  }
  if (m.AllowNoCqlFiles !== undefined && typeof m.AllowNoCqlFiles !== 'boolean') {
    throw new SchemaDirError(`${file}: "AllowNoCqlFiles" must be true or false`);
  }
  const manifest: Manifest = {
    CurrVersion: need('CurrVersion'),
    MinCompatibleVersion: need('MinCompatibleVersion'),
    Description: typeof m.Description === 'string' ? m.Description : '',
    SchemaUpdateCqlFiles: (files as string[] | undefined) ?? [],
    AllowNoCqlFiles: m.AllowNoCqlFiles as boolean | undefined,
  };
  return { manifest, md5: createHash('md5').update(raw).digest('hex') };
}

function readStep(dir: string, dirVersion: SchemaVersion): VersionStep {
  const { manifest, md5 } = readManifest(dir);
  const file = join(dir, 'manifest.json');
  const curr = parseVersion(manifest.CurrVersion);
  if (!curr) throw new SchemaDirError(`${file}: CurrVersion "${manifest.CurrVersion}" is not a version (expected e.g. "1.2")`);
  const minCompat = parseVersion(manifest.MinCompatibleVersion);
  if (!minCompat) throw new SchemaDirError(`${file}: MinCompatibleVersion "${manifest.MinCompatibleVersion}" is not a version (expected e.g. "1.0")`);
  if (compareVersions(curr, dirVersion) !== 0) {
    throw new SchemaDirError(`${file}: CurrVersion is "${manifest.CurrVersion}" but the directory is named ${basename(dir)}; they must agree`);
  }
  if (compareVersions(minCompat, curr) > 0) {
    throw new SchemaDirError(`${file}: MinCompatibleVersion ${manifest.MinCompatibleVersion} is newer than CurrVersion ${manifest.CurrVersion}`);
  }
  if (manifest.SchemaUpdateCqlFiles.length === 0 && !manifest.AllowNoCqlFiles) {
    throw new SchemaDirError(`${file}: SchemaUpdateCqlFiles is empty; list the SQL files of this version, or set "AllowNoCqlFiles": true for a version with no statements`);
  }
  const files = manifest.SchemaUpdateCqlFiles.map((name): VersionFile => {
    const p = join(dir, name);
    if (!inside(dir, resolve(dir, name)) || isAbsolute(name)) {
      throw new SchemaDirError(`${file} lists "${name}", which is outside ${dir}; a version's files must be inside its own directory`);
    }
    if (!existsSync(p) || !statSync(p).isFile()) {
      throw new SchemaDirError(`${file} lists "${name}" but ${p} does not exist; restore it from the release`);
    }
    if (!inside(realpathSync(dir), realpathSync(p))) {
      throw new SchemaDirError(`${file} lists "${name}", a link to ${realpathSync(p)} outside ${dir}; a version's files must be inside its own directory`);
    }
    const label = join(basename(dir), name);
    const statements = splitStatements(readFileSync(p, 'utf8'), label);
    for (const s of statements) {
      const bad = disallowedPrefix(s.sql);
      if (bad !== undefined) {
        throw new SchemaDirError(`${label}:${s.line}: statements in update files must start with CREATE, ALTER, INSERT, DROP, DO, UPDATE or DELETE (uppercase); this one starts with "${bad}"`);
      }
    }
    return { name, path: p, statements };
  });
  const count = files.reduce((a, f) => a + f.statements.length, 0);
  if (count === 0 && !manifest.AllowNoCqlFiles) {
    throw new SchemaDirError(`${dir}: the files of ${basename(dir)} hold no statements; add them, or set "AllowNoCqlFiles": true`);
  }
  return { version: curr, minCompatibleVersion: minCompat, description: manifest.Description, dir, manifestMd5: md5, files };
}

function inside(dir: string, path: string): boolean {
  const r = relative(resolve(dir), resolve(path));
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

/** The version a directory whose first version is `first` upgrades from (see VersionedDir.base). */
export function baseVersion(first: SchemaVersion): SchemaVersion {
  const v = (major: number, minor: number, patch = 0): SchemaVersion => ({ major, minor, patch, text: patch ? `${major}.${minor}.${patch}` : `${major}.${minor}` });
  if (first.patch > 0) return v(first.major, first.minor, first.patch - 1);
  if (first.minor > 0) return v(first.major, first.minor - 1);
  return ZERO_VERSION;
}

export function inferEngine(path: string): SqlPluginName | undefined {
  const parts = resolve(path).split(sep);
  const i = parts.lastIndexOf('schema');
  const engine = i >= 0 ? parts[i + 1] : undefined;
  if (engine === 'postgresql') return 'postgres12';
  if (engine === 'mysql') return 'mysql8';
  if (engine === 'sqlite') return 'sqlite';
  return undefined;
}

export function readVersionedDir(path: string): VersionedDir {
  if (!existsSync(path)) {
    throw new SchemaDirError(`schema directory ${path} does not exist; pass the "versioned" directory of the store, e.g. ./schema/postgresql/v12/temporal/versioned`);
  }
  if (!statSync(path).isDirectory()) throw new SchemaDirError(`${path} is a file; pass the "versioned" directory that holds the vX.Y directories`);
  const warnings: string[] = [];
  const found: { version: SchemaVersion; dir: string }[] = [];
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name);
    if (!statSync(p).isDirectory()) {
      warnings.push(`skipping ${p}: not a version directory`);
      continue;
    }
    if (name === 'versioned') {
      throw new SchemaDirError(`${path} is the store's directory, not its versioned directory; pass -d ${p} (the directory that holds the vX.Y directories)`);
    }
    if (!DIR_NAME_RE.test(name)) {
      throw new SchemaDirError(`${p}: version directories are named vMAJOR.MINOR (e.g. v1.2); rename or remove "${name}"`);
    }
    if (!existsSync(join(p, 'manifest.json')) && ['temporal', 'visibility'].some((store) => existsSync(join(p, store)))) {
      throw new SchemaDirError(`${path} is an engine's schema directory (its ${name} holds the stores); pass a store's versioned directory, e.g. -d ${join(p, 'temporal', 'versioned')}`);
    }
    found.push({ version: parseVersion(name)!, dir: p });
  }
  if (found.length === 0) {
    throw new SchemaDirError(`${path} holds no version directories (vX.Y); is this the "versioned" directory of the store?`);
  }
  found.sort((a, b) => compareVersions(a.version, b.version));
  for (let k = 1; k < found.length; k++) {
    const prev = found[k - 1]!;
    const cur = found[k]!;
    if (compareVersions(prev.version, cur.version) === 0) {
      throw new SchemaDirError(`${prev.dir} and ${cur.dir} are the same version; remove one`);
    }
    if (!isNextVersion(prev.version, cur.version)) {
      throw new SchemaDirError(`${path} has a gap: v${formatVersion(prev.version)} is followed by v${formatVersion(cur.version)}; a version directory is missing (restore the directory from the release)`);
    }
  }
  const steps = found.map((f) => readStep(f.dir, f.version));
  return { path, steps, base: baseVersion(steps[0]!.version), engine: inferEngine(path), warnings, ...readFullSchema(path) };
}

function readFullSchema(path: string): Pick<VersionedDir, 'fullSchema'> {
  const file = join(path, '..', 'schema.sql');
  if (!existsSync(file) || !statSync(file).isFile()) return {};
  try {
    return { fullSchema: { path: file, statements: splitStatements(readFileSync(file, 'utf8'), file) } };
  } catch {
    return {}; // not a schema file this tool can read: the versions alone describe the store
  }
}
