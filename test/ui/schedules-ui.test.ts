/**
 * The Web UI's schedule pages in a real headless Chromium (/usr/bin/chromium via playwright-core):
 * `temporal-ts server start-dev` in a child process, schedules made with the SDK's ScheduleClient;
 * the list (with a List Filter), the detail page (spec, upcoming runs, recent runs), and its pause,
 * trigger and delete buttons, each checked through the SDK, not through the UI.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, TEMPORAL_TS, freePort, startCli, type LongRunning } from '../helpers/processes';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(REPO_ROOT, 'test-output', 'ui');
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `${CHROMIUM} is missing; the Web UI tests need a real browser` : false;
const id = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe('Web UI schedule pages in headless Chromium', { skip }, () => {
  let server: LongRunning;
  let base: string;
  let conn: Connection;
  let client: Client;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const grpcPort = await freePort();
    const uiPort = await freePort();
    server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(grpcPort), '--ui-port', String(uiPort), '--log-level', 'warn']);
    await server.waitFor(/Web UI: http:\/\/127\.0\.0\.1:\d+/, 60_000);
    base = `http://127.0.0.1:${uiPort}`;
    conn = await Connection.connect({ address: `127.0.0.1:${grpcPort}` });
    client = new Client({ connection: conn, namespace: 'default' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await conn?.close();
    if (server) assert.equal(await server.stop(), 0, server.output());
  });

  test('list with a filter, detail page, pause, trigger, delete', { timeout: 120_000 }, async () => {
    const scheduleId = id('ui-sched');
    const handle = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'greet', args: ['ui'], taskQueue: 'ui-sched-q', workflowId: `${scheduleId}-wf` },
      memo: { purpose: 'ui test' },
      state: { note: 'hourly' },
    });

    // the list: visibility is eventually consistent, reload until the row is there
    let row = page.locator('[data-testid=schedule-row]', { hasText: scheduleId });
    for (let i = 0; i < 40 && (await row.count()) === 0; i++) {
      await page.goto(`${base}/namespaces/default/schedules`);
      await page.waitForSelector('[data-testid=schedule-table], [data-testid=schedule-list-error]');
      row = page.locator('[data-testid=schedule-row]', { hasText: scheduleId });
      if ((await row.count()) === 0) await page.waitForTimeout(250);
    }
    assert.equal(await row.count(), 1, 'the schedule is listed');
    assert.equal(await row.locator('[data-testid=schedule-state]').textContent(), 'Active');
    assert.match((await row.textContent()) ?? '', /greet.*hourly/);

    // the detail page
    await row.getByRole('link', { name: scheduleId }).click();
    await page.waitForSelector('[data-testid=schedule-page]');
    assert.equal(await page.locator('[data-testid=upcoming-runs] li').count(), 10);
    assert.match((await page.locator('[data-testid=schedule-spec]').textContent()) ?? '', /"interval": "3600s"/);
    assert.equal(await page.locator('[data-testid=schedule-notes]').textContent(), 'hourly');
    await page.screenshot({ path: join(OUT, 'schedule-detail.png'), fullPage: true });

    // pause with a note
    await page.click('[data-testid=pause-button]');
    await page.fill('[data-testid=schedule-note]', 'maintenance window');
    await page.click('[data-testid=pause-dialog] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=schedule-paused]:has-text("Paused")');
    const paused = await handle.describe();
    assert.equal(paused.state.paused, true);
    assert.equal(paused.state.note, 'maintenance window');

    // the filter finds it among the paused ones only
    const listed = async (q: string) => {
      await page.goto(`${base}/namespaces/default/schedules?query=${encodeURIComponent(q)}`);
      await page.waitForSelector('[data-testid=schedule-table], [data-testid=schedule-list-error]');
      return page.locator('[data-testid=schedule-row]', { hasText: scheduleId }).count();
    };
    let n = 0;
    for (let i = 0; i < 40 && (n = await listed('TemporalSchedulePaused = true')) === 0; i++) await page.waitForTimeout(250);
    assert.equal(n, 1);
    assert.equal(await listed('TemporalSchedulePaused = false'), 0);

    // trigger: a run starts even while paused, and shows among the recent runs
    await page.goto(`${base}/namespaces/default/schedules/${encodeURIComponent(scheduleId)}`);
    await page.click('[data-testid=trigger-button]');
    await page.click('[data-testid=trigger-dialog] [data-testid=confirm]');
    const deadline = Date.now() + 30_000;
    while ((await handle.describe()).info.numActionsTaken < 1) {
      assert.ok(Date.now() < deadline, 'the trigger started a run');
      await page.waitForTimeout(200);
    }
    await page.reload();
    await page.waitForSelector('[data-testid=recent-runs] [data-testid=recent-run]');
    assert.match((await page.locator('[data-testid=recent-runs]').textContent()) ?? '', new RegExp(`${scheduleId}-wf-\\d{4}-`));
    assert.equal(await page.locator('[data-testid=action-count]').textContent(), '1');

    // delete: back to the list; the schedule is gone
    await page.click('[data-testid=delete-button]');
    await page.click('[data-testid=delete-dialog] [data-testid=confirm]');
    await page.waitForURL(/\/namespaces\/default\/schedules$/);
    await assert.rejects(handle.describe(), ScheduleNotFoundError);

    // an unknown schedule: the server's NOT_FOUND, said plainly
    await page.goto(`${base}/namespaces/default/schedules/${encodeURIComponent(scheduleId)}`);
    const err = page.locator('[data-testid=schedule-error]');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-code'), 'NOT_FOUND');
    assert.match((await err.textContent()) ?? '', /schedule not found/);
  });
});
