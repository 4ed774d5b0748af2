/**
 * releases.json and CHANGELOG.md tell the truth: every release is listed in both, its schema versions
 * are the ones this checkout ships for every plugin (for the release being built), patch releases
 * change no schema and no data format, and a release that changes formats names them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, packageVersion } from '../../src/common/package-info';
import { loadReleaseManifest, parseReleaseManifest, releaseNeedingSchema } from '../../src/upgrade/releases';
import { resolveNotesUrl } from '../../src/upgrade/release-feed';
import { sectionOf } from '../../src/ui/server/release-notes';
import { fileURLToPath } from 'node:url';
import { minorLine, mustParseServerVersion } from '../../src/upgrade/server-version';
import { requiredVersion } from '../../src/schema/shipped';
import { compareVersions, formatVersion, parseVersion } from '../../src/schema/version';
import { PLUGIN_NAMES } from '../../src/persistence/plugins';
import { FORMAT, READABLE, type FormatKind } from '../../src/persistence/blob';

const manifest = loadReleaseManifest();
const changelog = readFileSync(join(packageRoot(), 'CHANGELOG.md'), 'utf8');

test('every release has a CHANGELOG section that states its schema versions', () => {
  assert.ok(manifest.releases.length > 0);
  for (const r of manifest.releases) {
    const heading = new RegExp(`^## ${r.version.replace(/\./g, '\\.')} - ${r.date}$`, 'm');
    assert.match(changelog, heading, `CHANGELOG.md needs "## ${r.version} - ${r.date}"`);
    const section = changelog.slice(changelog.search(heading)).split(/^## /m)[1]!;
    assert.match(
      section,
      new RegExp(`temporal store ${r.schema.temporal.version.replace('.', '\\.')}`),
      `${r.version}: CHANGELOG states the temporal schema version`,
    );
    assert.match(
      section,
      new RegExp(`visibility store ${r.schema.visibility.version.replace('.', '\\.')}`),
      `${r.version}: CHANGELOG states the visibility schema version`,
    );
  }
});

test('the release being built ships exactly the schema versions its entry names, on every plugin', () => {
  const v = mustParseServerVersion(packageVersion());
  // A -dev version builds toward the next release; its entry is written when it is cut.
  const entry = manifest.releases.find((r) => r.version === v.text) ?? (v.prerelease ? undefined : assert.fail(`releases.json has no entry for ${v.text}`));
  const newest = manifest.releases[manifest.releases.length - 1]!;
  const expected = entry ?? newest;
  for (const plugin of PLUGIN_NAMES) {
    for (const store of ['temporal', 'visibility'] as const) {
      const shipped = formatVersion(requiredVersion(plugin, store));
      if (entry)
        assert.equal(shipped, expected.schema[store].version, `${plugin} ${store}: shipped ${shipped}, releases.json says ${expected.schema[store].version}`);
      else
        assert.ok(
          compareVersions(parseVersion(shipped)!, parseVersion(expected.schema[store].version)!) >= 0,
          `${plugin} ${store}: a dev build never ships an older schema than the last release`,
        );
    }
  }
});

test('patch releases change no schema and no data format', () => {
  for (const r of manifest.releases) {
    const v = mustParseServerVersion(r.version);
    if (v.patch === 0) continue;
    const base = manifest.releases.find((x) => x.version === `${v.major}.${v.minor}.0`);
    assert.ok(base, `${r.version}: releases.json lacks ${v.major}.${v.minor}.0`);
    assert.deepEqual(r.schema.temporal.version, base.schema.temporal.version, `${r.version} changes the temporal schema`);
    assert.deepEqual(r.schema.visibility.version, base.schema.visibility.version, `${r.version} changes the visibility schema`);
    assert.deepEqual(r.dataFormats, [], `${r.version} changes a data format`);
  }
});

test('every data format this build writes beyond v1 is announced by a release, and announced formats are readable', () => {
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const announced = manifest.releases.flatMap((r) => r.dataFormats.map((f) => ({ ...f, release: r.version })));
  for (const [kind, current] of Object.entries(FORMAT) as [FormatKind, number][]) {
    if (current > 1) {
      const entry = announced.find((f) => f.blob === kebab(kind) && f.to === current);
      assert.ok(entry, `FORMAT.${kind} is ${current}, but no release in releases.json announces ${kebab(kind)} ${current - 1} -> ${current}`);
      assert.equal(entry.from, current - 1);
      // The format before it is read by the minor that introduced the change only (the one after reads its own and that one's).
      const introducedHere = minorLine(mustParseServerVersion(entry.release)) === minorLine(mustParseServerVersion(packageVersion()));
      if (introducedHere) assert.ok(READABLE[kind].includes(entry.from), `${kind}: the format before ${current} must still be readable by this build`);
    }
  }
  for (const f of announced) {
    const kind = (Object.keys(FORMAT) as FormatKind[]).find((k) => kebab(k) === f.blob);
    assert.ok(kind, `${f.release}: releases.json names an unknown blob kind "${f.blob}"`);
    assert.ok(f.to <= FORMAT[kind], `${f.release}: ${f.blob} ${f.to} is newer than this build writes`);
  }
});

test("every release's notesUrl, relative to releases.json, names its own section of the CHANGELOG beside it", () => {
  for (const r of manifest.releases) {
    assert.ok(r.notesUrl, `${r.version} has a notesUrl`);
    const url = new URL(resolveNotesUrl(r.notesUrl, join(packageRoot(), 'releases.json'))!);
    assert.equal(url.protocol, 'file:');
    assert.equal(fileURLToPath(url), join(packageRoot(), 'CHANGELOG.md'));
    const section = sectionOf(changelog, decodeURIComponent(url.hash.slice(1)));
    assert.ok(section?.startsWith(`## ${r.version} - ${r.date}\n`), `${r.notesUrl} finds no "## ${r.version} - ${r.date}" heading in CHANGELOG.md`);
  }
});

test('the release that needs a schema: the one that introduced it', () => {
  const m = parseReleaseManifest(
    {
      product: 'p',
      releases: ['0.1.0:1.0', '0.2.0:1.1', '0.2.1:1.1', '0.3.0:1.2'].map((x) => {
        const [version, schema] = x.split(':') as [string, string];
        return {
          version,
          date: '2026-01-01',
          schema: { temporal: { version: schema, upgradeRequired: true }, visibility: { version: '1.0', upgradeRequired: false } },
        };
      }),
    },
    'm',
  );
  assert.equal(releaseNeedingSchema(m, 'temporal', '1.1')?.version, '0.2.0');
  assert.equal(releaseNeedingSchema(m, 'temporal', 'v1.2')?.version, '0.3.0');
  assert.equal(releaseNeedingSchema(m, 'temporal', '1.3'), undefined);
  assert.equal(releaseNeedingSchema(m, 'visibility', '1.0')?.version, '0.1.0');
  assert.equal(releaseNeedingSchema(m, 'temporal', 'garbage'), undefined);
});
