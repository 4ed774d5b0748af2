/**
 * The real code of a released version, for upgrade tests: its packed build (releases/temporal-ts-
 * <version>.tgz, made from its tag when it was cut) extracted once per machine into the temp dir,
 * with this checkout's node_modules linked in. Nothing here re-creates an old release.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './processes';
import { FORMAT } from '../../src/persistence';
import type { Release, ReleaseManifest } from '../../src/upgrade/releases';
import { compareServerVersions, mustParseServerVersion } from '../../src/upgrade/server-version';

export interface InstalledRelease {
  readonly version: string;
  /** the extracted package: run its tools with this as cwd so ./schema/... is the release's own */
  readonly dir: string;
  readonly serverBin: string;
  readonly sqlToolBin: string;
}

export function installedRelease(version: string): InstalledRelease {
  const tgz = join(REPO_ROOT, 'releases', `temporal-ts-${version}.tgz`);
  if (!existsSync(tgz)) throw new Error(`${tgz} is missing: every released version keeps its packed build in releases/`);
  const digest = createHash('sha256').update(readFileSync(tgz)).digest('hex').slice(0, 12);
  const root = join(tmpdir(), 'temporal-ts-releases', `${version}-${digest}`);
  const dir = join(root, 'package');
  if (!existsSync(join(dir, 'node_modules'))) {
    // Extract beside the final place and rename, so a killed test never leaves half a release.
    const staging = `${root}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', staging]);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(staging, 'package', 'node_modules'), 'dir');
    mkdirSync(join(root, '..'), { recursive: true });
    // Test files run in parallel: the first rename wins, a later one finds the release in place and
    // drops its own copy (never removing one another process may be using).
    try {
      renameSync(staging, root);
    } catch (err) {
      if (!existsSync(join(dir, 'node_modules'))) throw err;
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  if (pkg.version !== version) throw new Error(`${tgz} holds version ${pkg.version}, not ${version}`);
  return { version, dir, serverBin: join(dir, 'bin', 'temporal-ts.js'), sqlToolBin: join(dir, 'bin', 'temporal-sql-tool.js') };
}

/** releases.json of this checkout. */
export function releaseEntries(): readonly Release[] {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'releases.json'), 'utf8')) as ReleaseManifest).releases;
}

/** The newest release of the minor before `version`'s: the one an upgrade to `version` starts from. */
export function previousMinorRelease(version: string): Release {
  const v = mustParseServerVersion(version);
  const older = releaseEntries().filter((r) => {
    const x = mustParseServerVersion(r.version);
    return x.major === v.major && x.minor === v.minor - 1;
  });
  if (older.length === 0) throw new Error(`releases.json has no release of the minor before ${version}`);
  return older[older.length - 1]!;
}

/** Whether this build writes a data format newer than `from` knew (then a background data rewrite must run after the upgrade). */
export function changesDataFormatsSince(from: string): boolean {
  const upTo = releaseEntries().filter((r) => compareServerVersions(mustParseServerVersion(r.version), mustParseServerVersion(from)) <= 0);
  return Object.entries(FORMAT).some(([kind, current]) => {
    const blob = kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const known = upTo
      .flatMap((r) => r.dataFormats)
      .filter((f) => f.blob === blob)
      .reduce((max, f) => Math.max(max, f.to), 1);
    return current > known;
  });
}

/**
 * This checkout's build, installed the way a release is (the package's `files`, this checkout's
 * node_modules linked in) but under another version: a second minor to run beside this one in a
 * rolling-upgrade test before that minor exists. Only package.json's version differs, so the
 * server reads it as it reads its own (src/common/package-info.ts): no test-only switch in the code.
 * Made fresh per process (the build it copies may change between runs); the caller removes `dir`'s parent.
 */
export function currentBuildAs(version: string, parent: string): InstalledRelease {
  mustParseServerVersion(version);
  const dir = join(parent, `temporal-ts-${version}`, 'package');
  mkdirSync(dir, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };
  for (const entry of pkg.files) {
    const from = join(REPO_ROOT, entry);
    if (existsSync(from)) cpSync(from, join(dir, entry), { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { version, dir, serverBin: join(dir, 'bin', 'temporal-ts.js'), sqlToolBin: join(dir, 'bin', 'temporal-sql-tool.js') };
}
