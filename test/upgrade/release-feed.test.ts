/** The release feed: parsing (with errors that name the place), version ranges, versionInfo and the sequential path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ReleaseFeedChecker, computeVersionInfo, parseReleaseFeed, readReleaseFeed, resolveNotesUrl, versionInRange } from '../../src/upgrade/release-feed';
import { mustParseServerVersion } from '../../src/upgrade/server-version';

const rel = (version: string, date: string, temporal: [string, boolean], visibility: [string, boolean] = ['1.0', false]) => ({
  version,
  date,
  schema: { temporal: { version: temporal[0], upgradeRequired: temporal[1] }, visibility: { version: visibility[0], upgradeRequired: visibility[1] } },
  dataFormats: [],
  notes: `notes of ${version}`,
});

const FEED = {
  product: 'temporal-ts',
  releases: [
    rel('0.3.0', '2027-02-01', ['1.2', true], ['1.1', true]),
    rel('0.1.0', '2026-11-25', ['1.0', true]),
    rel('0.2.0', '2027-01-01', ['1.1', true]),
    rel('0.2.1', '2027-01-15', ['1.1', false]),
    rel('0.4.0-rc.1', '2027-03-01', ['1.2', false]),
  ],
  alerts: [
    { appliesTo: '<0.2.1', severity: 'high', message: 'data loss bug in activity retries; upgrade' },
    { appliesTo: '>=0.3.0', severity: 'low', message: 'all good' },
  ],
};

test('version ranges', () => {
  const v = mustParseServerVersion('0.2.0');
  assert.equal(versionInRange(v, '*'), true);
  assert.equal(versionInRange(v, '<0.2.1'), true);
  assert.equal(versionInRange(v, '>=0.1.0 <0.2.0'), false);
  assert.equal(versionInRange(v, '=0.2.0'), true);
  assert.equal(versionInRange(v, 'garbage'), false);
});

test('versionInfo: newer recommended version, alerts for the running one, the sequential path with schema steps', () => {
  const info = computeVersionInfo(mustParseServerVersion('0.1.0'), parseReleaseFeed(FEED, 'feed'), 1000);
  assert.equal(info.current.version, '0.1.0');
  assert.equal(info.current.notes, 'notes of 0.1.0');
  assert.equal(info.recommended.version, '0.3.0', 'the newest stable release; a release candidate is never recommended');
  assert.equal(info.recommended.releaseTimeMs, Date.parse('2027-02-01T00:00:00Z'));
  assert.deepEqual(info.alerts, [{ severity: 'high', message: 'data loss bug in activity retries; upgrade' }]);
  assert.equal(
    info.instructions,
    'Upgrade one minor version at a time: 0.2.1 (upgrade the temporal schema to 1.1 first), then 0.3.0 (upgrade the temporal schema to 1.2 and the visibility schema to 1.1 first). Skipping patch versions is fine. Read the release notes of each step.',
  );
  assert.equal(info.lastUpdateTimeMs, 1000);
});

test('versionInfo: up to date means recommended = current and no instructions', () => {
  const info = computeVersionInfo(mustParseServerVersion('0.3.0'), parseReleaseFeed(FEED, 'feed'), 0);
  assert.equal(info.recommended.version, '0.3.0');
  assert.equal(info.instructions, '');
  assert.deepEqual(info.alerts, [{ severity: 'low', message: 'all good' }]);
  const pinned = computeVersionInfo(mustParseServerVersion('0.1.0'), parseReleaseFeed({ ...FEED, recommended: '0.2.1' }, 'feed'), 0);
  assert.equal(pinned.recommended.version, '0.2.1');
});

test('versionInfo: a newer patch (or the release of a -dev build) of the same minor is a binary swap, not a path', () => {
  for (const running of ['0.2.0', '0.2.1-dev']) {
    const info = computeVersionInfo(mustParseServerVersion(running), parseReleaseFeed({ ...FEED, recommended: '0.2.1' }, 'feed'), 0);
    assert.equal(info.recommended.version, '0.2.1');
    assert.equal(
      info.instructions,
      `0.2.1 is in the same minor version as ${running}: replace the binary and restart; patch releases change no schema and no data format.`,
    );
  }
});

test('a bad feed is refused with the place named', () => {
  assert.throws(() => parseReleaseFeed({ releases: [] }, 'f.json'), /f\.json: "product" must be a non-empty string/);
  assert.throws(
    () => parseReleaseFeed({ product: 'p', releases: [{ version: '1.0', date: '2026-01-01' }] }, 'f.json'),
    /f\.json: releases\[0\]: "version" must be MAJOR\.MINOR\.PATCH/,
  );
  assert.throws(
    () => parseReleaseFeed({ product: 'p', releases: [{ version: '1.0.0', date: 'yesterday' }] }, 'f.json'),
    /releases\[0\]: "date" must be YYYY-MM-DD/,
  );
  assert.throws(
    () => parseReleaseFeed({ product: 'p', releases: [{ version: '1.0.0', date: '2026-01-01', schema: {} }] }, 'f.json'),
    /"schema\.temporal" must be/,
  );
  assert.throws(() => parseReleaseFeed({ ...FEED, alerts: [{ severity: 'urgent', message: 'x' }] }, 'f.json'), /alerts\[0\] must be/);
});

test('the feed is read from a local file and from a URL (loopback); a failed check keeps the last answer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'feed-'));
  const file = join(dir, 'feed.json');
  writeFileSync(file, JSON.stringify(FEED));
  const server = createServer((req, res) => {
    if (req.url === '/feed.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(FEED));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal((await readReleaseFeed(file)).releases.length, 5);
    assert.equal((await readReleaseFeed(`http://127.0.0.1:${port}/feed.json`)).releases.length, 5);
    await assert.rejects(readReleaseFeed(`http://127.0.0.1:${port}/missing`), /answered HTTP 404/);

    const checker = new ReleaseFeedChecker(file, mustParseServerVersion('0.2.0'), 60_000, pino({ level: 'silent' }));
    await checker.start();
    assert.equal(checker.versionInfo()?.recommended.version, '0.3.0');
    writeFileSync(file, '{ not json');
    await checker.checkNow();
    assert.match(checker.error() ?? '', /is not JSON/);
    assert.equal(checker.versionInfo()?.recommended.version, '0.3.0', 'the previous answer is kept');
    checker.stop();
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('notesUrl: absolute ones stay as they are; relative ones are relative to the feed; a feed from the network names only web pages', async () => {
  assert.equal(resolveNotesUrl('https://example.com/notes/0.2.0#x', 'https://feeds.example/releases.json'), 'https://example.com/notes/0.2.0#x');
  assert.equal(
    resolveNotesUrl('CHANGELOG.md#020---2026-11-25', 'https://feeds.example/tts/releases.json'),
    'https://feeds.example/tts/CHANGELOG.md#020---2026-11-25',
  );
  assert.equal(resolveNotesUrl('file:///etc/passwd', 'https://feeds.example/releases.json'), undefined, 'a remote feed cannot name a local file');
  assert.equal(resolveNotesUrl('CHANGELOG.md#020---2026-11-25', '/opt/tts/releases.json'), 'file:///opt/tts/CHANGELOG.md#020---2026-11-25');
  assert.equal(resolveNotesUrl('https://example.com/n', '/opt/tts/releases.json'), 'https://example.com/n');

  // Read from a URL, a relative notesUrl comes back absolute; the text notes are untouched.
  const doc = { ...FEED, releases: FEED.releases.map((r) => ({ ...r, notesUrl: `notes/${r.version}.html` })) };
  const server = createServer((_req, res) => res.end(JSON.stringify(doc)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/feeds/releases.json`;
    const feed = await readReleaseFeed(base);
    const r = feed.releases.find((x) => x.version === '0.3.0')!;
    assert.equal(r.notesUrl, `http://127.0.0.1:${(server.address() as { port: number }).port}/feeds/notes/0.3.0.html`);
    assert.equal(r.notes, 'notes of 0.3.0');
    assert.equal(computeVersionInfo(mustParseServerVersion('0.1.0'), feed, 0).recommended.notesUrl, r.notesUrl);
  } finally {
    server.close();
  }
});
