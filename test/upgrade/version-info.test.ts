/**
 * GetClusterInfo's versionInfo comes from the configured release feed, and is absent without one;
 * a release's notesUrl is what its notes field carries (the Web UI links it), else its notes text.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startTemporalServer } from '../../src/server/server';
import { ensureSchema } from '../../src/schema/auto-setup';
import { silentReporter } from '../../src/schema/reporter';

const tmp = mkdtempSync(join(tmpdir(), 'version-info-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const release = (version: string, date: string, schema: string) => ({
  version,
  date,
  schema: { temporal: { version: schema, upgradeRequired: schema !== '1.0' }, visibility: { version: '1.0', upgradeRequired: false } },
  dataFormats: [],
  notes: `what changed in ${version}`,
  ...(version === '0.2.0' ? { notesUrl: `https://example.invalid/notes/${version}#changes` } : {}),
});

async function clusterInfo(feed: string | undefined, serverVersion: string) {
  const file = join(tmp, `${serverVersion}-${feed ? 'feed' : 'none'}.db`);
  await ensureSchema({ pluginName: 'sqlite', host: '', port: 0, databaseName: file }, 'temporal', silentReporter);
  const server = await startTemporalServer({
    persistence: { pluginName: 'sqlite', host: '', port: 0, databaseName: file },
    port: 0,
    serverVersion,
    releaseFeed: feed,
    logLevel: 'silent',
  });
  const conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  try {
    return await conn.workflowService.getClusterInfo({});
  } finally {
    await conn.close();
    await server.stop();
  }
}

test('with a feed: current, recommended, instructions, alerts with severity, last update time', async () => {
  const feed = join(tmp, 'feed.json');
  writeFileSync(
    feed,
    JSON.stringify({
      product: 'temporal-ts',
      releases: [release('0.1.0', '2026-11-25', '1.0'), release('0.2.0', '2027-01-10', '1.1')],
      alerts: [{ appliesTo: '<0.2.0', severity: 'medium', message: '0.2.0 fixes a timer bug' }],
    }),
  );
  const before = Date.now();
  const info = await clusterInfo(feed, '0.1.0');
  assert.equal(info.serverVersion, '0.1.0');
  assert.match(info.clusterId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'the id recorded when the cluster was created');
  assert.equal(info.clusterName, 'active');
  const v = info.versionInfo!;
  assert.equal(v.current?.version, '0.1.0');
  assert.equal(v.recommended?.version, '0.2.0');
  assert.equal(v.recommended?.notes, 'https://example.invalid/notes/0.2.0#changes', "the feed's notesUrl, unchanged");
  assert.equal(v.current?.notes, 'what changed in 0.1.0', 'without a notesUrl: the notes text');
  assert.equal(Number(v.recommended?.releaseTime?.seconds), Date.parse('2027-01-10T00:00:00Z') / 1000);
  assert.match(v.instructions ?? '', /^Upgrade one minor version at a time: 0\.2\.0 \(upgrade the temporal schema to 1\.1 first\)/);
  assert.deepEqual(
    v.alerts?.map((a) => [a.message, a.severity]),
    [['0.2.0 fixes a timer bug', temporal.api.enums.v1.Severity.SEVERITY_MEDIUM]],
  );
  assert.ok(Number(v.lastUpdateTime?.seconds) * 1000 >= before - 1000);
});

test('without a feed there is no versionInfo (and no check)', async () => {
  const info = await clusterInfo(undefined, '0.1.0');
  assert.equal(info.versionInfo ?? null, null);
});
