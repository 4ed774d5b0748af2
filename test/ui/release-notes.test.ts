/**
 * The release-notes link of the upgrade banner when the feed comes from the server's config
 * (`upgrade.releaseFeed`), i.e. through GetClusterInfo: the UI's JSON API and notes route over HTTP,
 * and the banner in a real headless Chromium (without /usr/bin/chromium that part is skipped with
 * a message, except under CI=true, where it fails):
 *  - an absolute notesUrl reaches the banner unchanged;
 *  - a relative one (as in the shipped releases.json: `CHANGELOG.md#<release>`) is relative to the
 *    feed file, and the Web UI serves that CHANGELOG's section of the release at its own URL.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { TEMPORAL_TS, freePort, startCli, type LongRunning } from '../helpers/processes';
import { prepareStore, writeServerConfig } from '../helpers/server-config';
import { packageVersion } from '../../src/common/package-info';
import type { VersionInfoResponse } from '../../src/ui/api-types';

const CHROMIUM = '/usr/bin/chromium';
const noBrowser = !existsSync(CHROMIUM) && process.env.CI !== 'true';
if (noBrowser) console.log(`test/ui/release-notes: ${CHROMIUM} is missing: the banner is not checked in a browser (the API and the notes route are)`);
const NEXT = '0.9.0';

describe('release notes link through GetClusterInfo', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tts-notes-'));
  const dbs = { temporal: join(tmp, 'temporal.db'), visibility: join(tmp, 'visibility.db') };
  let browser: Browser | undefined;

  const release = (version: string, notesUrl: string) => ({
    version,
    date: version === NEXT ? '2027-06-01' : '2026-11-25',
    schema: { temporal: { version: '1.1', upgradeRequired: false }, visibility: { version: '1.1', upgradeRequired: false } },
    dataFormats: [],
    notes: `the notes of ${version} as text`,
    notesUrl,
  });

  /** `server start --config` with the feed in `upgrade.releaseFeed` only (no ui.releaseFeed), and its UI's address. */
  async function serve(name: string, feed: object): Promise<{ server: LongRunning; base: string }> {
    const file = join(tmp, `${name}.json`);
    writeFileSync(file, JSON.stringify(feed));
    const uiPort = await freePort();
    const config = writeServerConfig(tmp, name, 'sqlite', dbs, await freePort(), {
      extra: `upgrade:\n  releaseFeed: ${JSON.stringify(file)}\nui:\n  port: ${uiPort}\n`,
    });
    const server = startCli(TEMPORAL_TS, ['server', 'start', '--config', config]);
    await server.waitFor(/Web UI: http:/, 60_000);
    return { server, base: `http://127.0.0.1:${uiPort}` };
  }

  async function versionInfo(base: string): Promise<VersionInfoResponse> {
    const res = await fetch(`${base}/api/v1/version-info`);
    assert.equal(res.status, 200);
    return (await res.json()) as VersionInfoResponse;
  }

  /** The banner's release-notes link as Chromium shows it; undefined without a browser. */
  async function bannerLink(base: string): Promise<string | null | undefined> {
    if (!browser) return undefined;
    const page = await browser.newPage();
    try {
      await page.goto(base);
      const banner = page.locator('[data-testid=upgrade-banner]');
      await banner.waitFor();
      assert.equal(await banner.getAttribute('data-version'), NEXT);
      return await banner.locator('[data-testid=release-notes]').getAttribute('href');
    } finally {
      await page.close();
    }
  }

  before(async () => {
    prepareStore('sqlite', dbs.temporal, 'temporal');
    prepareStore('sqlite', dbs.visibility, 'visibility');
    if (!noBrowser) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('an absolute notesUrl reaches the banner unchanged', async () => {
    const url = `https://example.com/temporal-ts/releases/${NEXT}?from=feed#notes`;
    const { server, base } = await serve('absolute', {
      product: 'temporal-ts',
      releases: [release(packageVersion(), 'https://example.com/current'), release(NEXT, url)],
    });
    try {
      const vi = await versionInfo(base);
      assert.equal(vi.source, 'server', 'the UI has no feed of its own: the answer is GetClusterInfo');
      assert.equal(vi.versionInfo?.recommended?.notes, url);
      const link = await bannerLink(base);
      if (browser) assert.equal(link, url);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });

  test("a relative notesUrl names the CHANGELOG beside the feed file; the UI serves that release's section", async () => {
    writeFileSync(
      join(tmp, 'CHANGELOG.md'),
      `# Changelog\n\n## ${NEXT} - 2027-06-01\n\n**Schema:** temporal store 1.1.\n- the ${NEXT} change\n\n## ${packageVersion()} - 2026-11-25\n\n- an older change\n`,
    );
    const { server, base } = await serve('relative', {
      product: 'temporal-ts',
      releases: [release(packageVersion(), 'CHANGELOG.md#older'), release(NEXT, 'CHANGELOG.md#090---2027-06-01')],
    });
    try {
      const vi = await versionInfo(base);
      assert.equal(vi.versionInfo?.recommended?.notes, `/release-notes/${NEXT}`);
      const href = `/release-notes/${NEXT}`;
      const link = await bannerLink(base);
      if (browser) assert.equal(link, href);
      const res = await fetch(`${base}${href}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await res.text(), `## ${NEXT} - 2027-06-01\n\n**Schema:** temporal store 1.1.\n- the ${NEXT} change\n`);
      // The browser opens it too (a file: link would not open from an http page).
      if (browser) {
        const page = await browser.newPage();
        try {
          await page.goto(`${base}${href}`);
          assert.match((await page.textContent('body')) ?? '', new RegExp(`the ${NEXT.replace(/\./g, '\\.')} change`));
        } finally {
          await page.close();
        }
      }
      // Only the notes the versionInfo names are served.
      const other = await fetch(`${base}/release-notes/..%2F..%2Fetc%2Fpasswd`);
      assert.equal(other.status, 404);
      assert.doesNotMatch(await other.text(), /root:/);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });
});
