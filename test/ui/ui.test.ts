/**
 * The Web UI in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * `temporal-ts server start-dev` (gRPC + Web UI, --release-feed FILE) in a child process, a real
 * SDK worker in this process, real workflows. Every page and action; actions are checked through
 * the SDK client, not through the UI. Screenshots go to test-output/ui/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, TEMPORAL_TS, freePort, startCli, type LongRunning } from '../helpers/processes';
import * as activities from './workflows/activities';
import { packageVersion } from '../../src/common/package-info';
import { mustParseServerVersion } from '../../src/upgrade/server-version';
import { requiredVersion } from '../../src/schema/shipped';
import { formatVersion } from '../../src/schema/version';

/** The version this checkout runs as (the cluster page and the feed's "current" release). */
const VERSION = packageVersion();

/**
 * The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1 npm test -- ui), so an
 * ordinary test run leaves the checkout unchanged.
 */
async function readmeScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync(join(REPO_ROOT, 'docs', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshots', `${name}.png`), fullPage: true });
}

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(REPO_ROOT, 'test-output', 'ui');
const noBrowser = !existsSync(CHROMIUM);
const skip = noBrowser && process.env.CI !== 'true' ? `${CHROMIUM} is missing (apt-get install chromium); the Web UI tests need a real browser` : false;
if (skip) console.log(`SKIPPED test/ui: ${skip}`);

const id = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe('Web UI in headless Chromium', { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tts-ui-'));
  const feed = join(tmp, 'releases.json');
  const taskQueue = id('ui-tq');
  let server: LongRunning;
  let base: string;
  let conn: Connection;
  let client: Client;
  let browser: Browser;
  let page: Page;
  let stopWorker: () => void = () => undefined;
  let workerDone: Promise<unknown> = Promise.resolve();
  let listWorks = false;

  // the release feed format of src/upgrade/release-feed.ts
  const rel = (version: string, extra: object = {}) => ({
    version,
    date: '2026-02-01',
    schema: { temporal: { version: '1.0', upgradeRequired: false }, visibility: { version: '1.0', upgradeRequired: false } },
    notes: `temporal-ts ${version}`,
    notesUrl: `https://example.com/temporal-ts/releases/${version}`,
    ...extra,
  });
  const writeFeed = (releases: object[], alerts: object[] = []) => writeFileSync(feed, JSON.stringify({ product: 'temporal-ts', releases, alerts }, null, 2));
  const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  const go = async (path: string) => {
    await page.goto(`${base}${path}`);
  };
  const wfUrl = (wid: string) => `/namespaces/default/workflows/${encodeURIComponent(wid)}`;

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    writeFeed([rel(VERSION)]);
    const grpcPort = await freePort();
    const uiPort = await freePort();
    server = startCli(TEMPORAL_TS, [
      'server',
      'start-dev',
      '--port',
      String(grpcPort),
      '--ui-port',
      String(uiPort),
      '--release-feed',
      feed,
      '--log-level',
      'warn',
      '-n',
      'default',
      '-n',
      'ui-second',
    ]);
    await server.waitFor(/Web UI: http:\/\/127\.0\.0\.1:\d+/, 60_000);
    base = `http://127.0.0.1:${uiPort}`;
    const address = `127.0.0.1:${grpcPort}`;
    conn = await Connection.connect({ address });
    client = new Client({ connection: conn, namespace: 'default' });
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const nc = await NativeConnection.connect({ address });
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
    const worker = await Worker.create({ connection: nc, namespace: 'default', taskQueue, workflowBundle: bundle, activities });
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    stopWorker = release;
    workerDone = worker.runUntil(until).finally(() => nc.close());
    try {
      await conn.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 1 });
      listWorks = true;
    } catch (err) {
      listWorks = false;
      console.log(
        `note: ListWorkflowExecutions answers ${(err as { code?: number }).code} (${(err as Error).message}); list assertions check the "not available" message instead`,
      );
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    stopWorker();
    await workerDone.catch(() => undefined);
    await conn?.close();
    if (server) assert.equal(await server.stop(), 0, server.output());
    rmSync(tmp, { recursive: true, force: true });
  });

  test('workflow list: List Filter, status filter, counts, paging — or the clear "not available" message', async () => {
    const done = await client.workflow.start('greet', { taskQueue, workflowId: id('list-done'), args: ['list'] });
    await done.result();
    const running = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('list-running') });
    await go('/');
    await page.waitForURL(/\/namespaces\/default\/workflows$/);
    if (listWorks) {
      // visibility is eventually consistent: the page is reloaded until the rows are there
      for (let i = 0; i < 40; i++) {
        const text = (await page.locator('[data-testid=workflow-table]').textContent({ timeout: 10_000 })) ?? '';
        if (text.includes(done.workflowId) && text.includes(running.workflowId)) break;
        await page.waitForTimeout(250);
        await page.reload();
      }
      const table = page.locator('[data-testid=workflow-table]');
      await table.getByText(done.workflowId).waitFor();
      await table.getByText(running.workflowId).waitFor();
      await page.locator('[data-testid=count-total]').waitFor();
      assert.match((await page.locator('[data-testid=count-total]').textContent()) ?? '', /\d+ workflows?/);
      await page.locator('[data-testid=status-filter]').selectOption('Running');
      await page.waitForURL(/status=Running/);
      await table.getByText(running.workflowId).waitFor();
      await table.getByText(done.workflowId).waitFor({ state: 'detached' });
      await page.locator('[data-testid=status-filter]').selectOption('');
      await page.locator('[data-testid=list-filter]').fill(`WorkflowId = "${done.workflowId}"`);
      await page.locator('[data-testid=list-filter]').press('Enter');
      await page.waitForURL(/query=/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=workflow-row]').length === 1);
      await table.getByText(done.workflowId).waitFor();
      await page.getByRole('link', { name: done.workflowId }).click();
      await page.locator('[data-testid=workflow-page]').waitFor();
    } else {
      const err = page.locator('[data-testid=list-error]');
      await err.waitFor();
      const text = (await err.textContent()) ?? '';
      assert.match(text, /Listing workflows: This server does not implement this API yet\. \(gRPC status UNIMPLEMENTED 12\)/);
      assert.match(text, /ListWorkflowExecutions is not implemented/);
      assert.match((await page.locator('[data-testid=count-error]').textContent()) ?? '', /UNIMPLEMENTED/);
      assert.equal(await page.locator('[data-testid=workflow-row]').count(), 0, 'no fake rows');
      await shot('list-unavailable');
      // the open-by-id box still leads to the workflow
      await page.locator('[data-testid=open-id]').fill(done.workflowId);
      await page.locator('[data-testid=open-id]').press('Enter');
      await page.locator('[data-testid=workflow-page]').waitFor();
    }
    assert.equal(await page.locator('[data-testid=wf-type]').textContent(), 'greet');
    await running.terminate('test cleanup');
  });

  test('workflow list pages by 50 with the next-page token; counts by status', async (t) => {
    if (!listWorks) {
      t.skip('ListWorkflowExecutions is not available on this server (asserted by the previous test)');
      return;
    }
    const tq = id('paging-tq'); // no worker polls it: the workflows stay Running
    const handles = await Promise.all(
      Array.from({ length: 53 }, (_, i) => client.workflow.start('waitsForever', { taskQueue: tq, workflowId: id(`page-${i}`) })),
    );
    await handles[0]!.terminate('one terminated, for the counts');
    const q = encodeURIComponent(`TaskQueue = "${tq}"`);
    for (let i = 0; i < 40; i++) {
      await go(`/namespaces/default/workflows?query=${q}`);
      await page.locator('[data-testid=count-total]').waitFor();
      if (
        (await page.locator('[data-testid=count-total]').textContent()) === '53 workflows' &&
        (await page.locator('[data-testid=count-Terminated]').count()) === 1
      )
        break;
      await page.waitForTimeout(250);
    }
    assert.equal(await page.locator('[data-testid=count-total]').textContent(), '53 workflows');
    assert.equal(await page.locator('[data-testid=count-Running]').textContent(), 'Running 52');
    assert.equal(await page.locator('[data-testid=count-Terminated]').textContent(), 'Terminated 1');
    const rows = page.locator('[data-testid=workflow-row]');
    await rows.nth(49).waitFor();
    assert.equal(await rows.count(), 50);
    await shot('list');
    await page.locator('[data-testid=next-page]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=workflow-row]').length === 3);
    assert.equal(await page.locator('[data-testid=next-page]').isDisabled(), true);
    await page.locator('[data-testid=prev-page]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=workflow-row]').length === 50);
    // the status count chip filters
    await page.locator('[data-testid=count-Terminated]').click();
    await page.waitForURL(/status=Terminated/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=workflow-row]').length === 1);
    assert.equal(await rows.first().getByRole('link').textContent(), handles[0]!.workflowId);
    await Promise.all(handles.slice(1).map((h) => h.terminate('test cleanup')));
  });

  test('namespace switcher lists the namespaces and switches', async () => {
    await go('/namespaces/default/workflows');
    const sw = page.locator('[data-testid=namespace-switcher]');
    await sw.locator('option[value="ui-second"]').waitFor({ state: 'attached' });
    const options = await sw.locator('option').allTextContents();
    assert.ok(options.includes('default') && options.includes('ui-second'), options.join(','));
    await sw.selectOption('ui-second');
    await page.waitForURL(/\/namespaces\/ui-second\/workflows$/);
    assert.equal(await sw.inputValue(), 'ui-second');
    await sw.selectOption('default');
    await page.waitForURL(/\/namespaces\/default\/workflows$/);
  });

  test('workflow page: type, ids, task queue, input, result, history timeline with expandable events', async () => {
    const h = await client.workflow.start('greetViaActivity', { taskQueue, workflowId: id('page'), args: ['bob'] });
    assert.equal(await h.result(), 'hello bob from activity');
    await go(wfUrl(h.workflowId));
    await page.locator('[data-testid=workflow-page]').waitFor();
    assert.equal(await page.locator('[data-testid=status]').first().textContent(), 'Completed');
    assert.equal(await page.locator('[data-testid=wf-type]').textContent(), 'greetViaActivity');
    assert.equal(await page.locator('[data-testid=wf-task-queue]').textContent(), taskQueue);
    assert.equal(await page.locator('[data-testid=wf-run-id]').textContent(), h.firstExecutionRunId);
    assert.deepEqual(JSON.parse((await page.locator('[data-testid=wf-input]').textContent())!), ['bob']);
    assert.deepEqual(JSON.parse((await page.locator('[data-testid=wf-result]').textContent())!), ['hello bob from activity']);
    const events = page.locator('[data-testid=history-event]');
    await events.nth(10).waitFor();
    const types = await events.evaluateAll((els) => els.map((e) => e.getAttribute('data-event-type')));
    assert.deepEqual(types, [
      'WorkflowExecutionStarted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'ActivityTaskScheduled',
      'ActivityTaskStarted',
      'ActivityTaskCompleted',
      'WorkflowTaskScheduled',
      'WorkflowTaskStarted',
      'WorkflowTaskCompleted',
      'WorkflowExecutionCompleted',
    ]);
    // the timeline line of the activity says what it was; expanding shows the decoded details
    const scheduled = page.locator('[data-event-type=ActivityTaskScheduled]');
    assert.match((await scheduled.locator('.event-summary').textContent()) ?? '', /greetActivity .*\["bob"\]/);
    await scheduled.locator('summary').click();
    const details = JSON.parse((await scheduled.locator('[data-testid=event-details]').textContent())!) as { activityType: { name: string }; input: unknown };
    assert.equal(details.activityType.name, 'greetActivity');
    assert.deepEqual(details.input, ['bob']);
    await page.locator('[data-event-type=ActivityTaskCompleted] summary').click();
    await shot('workflow');
    await readmeScreenshot(page, 'workflow-page');
  });

  test('workflow page: a failed workflow shows its failure', async () => {
    const h = await client.workflow.start('failing', { taskQueue, workflowId: id('fail'), args: ['boom from the test'] });
    await assert.rejects(h.result(), WorkflowFailedError);
    await go(wfUrl(h.workflowId));
    await page.locator('[data-testid=wf-failure]').waitFor();
    assert.equal(await page.locator('[data-testid=status]').first().textContent(), 'Failed');
    const failure = JSON.parse((await page.locator('[data-testid=wf-failure]').textContent())!) as {
      message: string;
      applicationFailureInfo: { type: string };
    };
    assert.equal(failure.message, 'boom from the test');
    assert.equal(failure.applicationFailureInfo.type, 'TestFailure');
  });

  test('pending activities: attempt, last failure, heartbeat', async () => {
    const h = await client.workflow.start('retriesSlowly', { taskQueue, workflowId: id('pending') });
    // wait until the activity has failed at least once
    for (let i = 0; i < 100; i++) {
      const d = await h.describe();
      const pa = d.raw.pendingActivities?.[0];
      if (pa && (pa.attempt ?? 0) >= 2 && pa.lastFailure) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await go(wfUrl(h.workflowId));
    const row = page.locator('[data-testid=pending-activity]');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /failsSlowlyActivity/);
    assert.match((await row.locator('[data-testid=pa-attempt]').textContent()) ?? '', /^\d+ of 50$/);
    assert.ok(Number((await row.locator('[data-testid=pa-attempt]').textContent())!.split(' ')[0]) >= 2);
    assert.match((await row.locator('[data-testid=pa-failure]').textContent()) ?? '', /attempt \d+ failed: database unreachable/);
    await shot('pending-activity');
    await h.terminate('test cleanup');

    const hb = await client.workflow.start('cancellableActivity', { taskQueue, workflowId: id('heartbeat') });
    for (let i = 0; i < 100; i++) {
      const d = await hb.describe();
      if (d.raw.pendingActivities?.[0]?.lastHeartbeatTime) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await go(wfUrl(hb.workflowId));
    const hbRow = page.locator('[data-testid=pending-activity]');
    await hbRow.waitFor();
    assert.notEqual((await hbRow.locator('[data-testid=pa-heartbeat]').textContent())?.trim(), '—');
    assert.match((await hbRow.textContent()) ?? '', /heartbeatingActivity/);
    await hb.terminate('test cleanup');
  });

  test('children section and call stack (__stack_trace)', async () => {
    const h = await client.workflow.start('accumulator', { taskQueue, workflowId: id('stack') });
    await go(wfUrl(h.workflowId));
    await page.locator('[data-testid=children]').waitFor();
    assert.match((await page.locator('[data-testid=children]').textContent()) ?? '', /No child workflows/);
    await page.locator('[data-testid=load-stack]').click();
    const st = page.locator('[data-testid=stack-trace]');
    await st.waitFor({ timeout: 20_000 });
    assert.match((await st.textContent()) ?? '', /accumulator|condition/);
    await h.terminate('test cleanup');
  });

  test('children section: a pending child is listed with its type and links to its own page', async () => {
    const h = await client.workflow.start('parentWithPendingChild', { taskQueue, workflowId: id('parent') });
    const childId = `${h.workflowId}-child`;
    for (let i = 0; i < 100 && ((await h.describe()).raw.pendingChildren?.length ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await go(wfUrl(h.workflowId));
    const children = page.locator('[data-testid=children]');
    await children.locator('table').waitFor();
    const text = (await children.textContent()) ?? '';
    assert.ok(text.includes(childId), text);
    assert.match(text, /childWaiter/);
    await children.getByRole('link', { name: childId }).click();
    await page.locator('[data-testid=wf-type]').waitFor();
    assert.equal(await page.locator('[data-testid=wf-type]').textContent(), 'childWaiter');
    await h.terminate('test cleanup');
  });

  test('signal through the UI (JSON input) changes the real workflow', async () => {
    const h = await client.workflow.start('accumulator', { taskQueue, workflowId: id('signal') });
    await go(wfUrl(h.workflowId));
    await page.locator('[data-testid=action-signal]').click();
    const dlg = page.locator('[data-testid=signal-dialog]');
    await dlg.locator('[data-testid=signal-name]').fill('add');
    await dlg.locator('[data-testid=signal-input]').fill('[5]');
    await shot('signal-dialog');
    await dlg.locator('[data-testid=confirm]').click();
    await page.locator('[data-testid=notice]').getByText('Signal "add" sent.').waitFor();
    assert.equal(await h.query<number>('total'), 5);
    // bad JSON is refused with the reason, nothing is sent
    await page.locator('[data-testid=action-signal]').click();
    await dlg.locator('[data-testid=signal-name]').fill('add');
    await dlg.locator('[data-testid=signal-input]').fill('[oops');
    await dlg.locator('[data-testid=confirm]').click();
    assert.match((await dlg.locator('[data-testid=dialog-error]').textContent()) ?? '', /signal input is not valid JSON/);
    await dlg.getByRole('button', { name: 'Close' }).click();
    assert.equal(await h.query<number>('total'), 5);
    // the signal shows in the history
    await page.locator('[data-event-type=WorkflowExecutionSignaled]').waitFor();
    await page.locator('[data-testid=action-signal]').click();
    await dlg.locator('[data-testid=signal-name]').fill('done');
    await dlg.locator('[data-testid=signal-input]').fill('');
    await dlg.locator('[data-testid=confirm]').click();
    assert.equal(await h.result(), 5);
    await page.locator('[data-testid=status]').first().getByText('Completed').waitFor();
  });

  test('cancel through the UI, with confirmation', async () => {
    const h = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('cancel') });
    await go(wfUrl(h.workflowId));
    await page.locator('[data-testid=action-cancel]').click();
    const dlg = page.locator('[data-testid=cancel-dialog]');
    await dlg.waitFor();
    // closing the dialog does nothing
    await dlg.getByRole('button', { name: 'Close' }).click();
    assert.equal((await h.describe()).status.name, 'RUNNING');
    await page.locator('[data-testid=action-cancel]').click();
    await dlg.locator('[data-testid=cancel-reason]').fill('from the UI');
    await dlg.locator('[data-testid=confirm]').click();
    await page.locator('[data-testid=notice]').getByText('Cancellation requested.').waitFor();
    await assert.rejects(h.result(), WorkflowFailedError);
    assert.equal((await h.describe()).status.name, 'CANCELLED');
    await page.locator('[data-testid=refresh]').click();
    await page.locator('[data-testid=status]').first().getByText('Canceled').waitFor();
  });

  test('terminate through the UI requires a reason and records it', async () => {
    const h = await client.workflow.start('waitsForever', { taskQueue, workflowId: id('terminate') });
    await go(wfUrl(h.workflowId));
    await page.locator('[data-testid=action-terminate]').click();
    const dlg = page.locator('[data-testid=terminate-dialog]');
    await dlg.locator('[data-testid=confirm]').click();
    assert.match((await dlg.locator('[data-testid=dialog-error]').textContent()) ?? '', /a reason is required/);
    assert.equal((await h.describe()).status.name, 'RUNNING');
    await dlg.locator('[data-testid=terminate-reason]').fill('stuck since Monday');
    await dlg.locator('[data-testid=confirm]').click();
    await page.locator('[data-testid=notice]').getByText('Workflow terminated.').waitFor();
    assert.equal((await h.describe()).status.name, 'TERMINATED');
    const last = (await h.fetchHistory()).events!.at(-1)!;
    assert.equal(last.workflowExecutionTerminatedEventAttributes?.reason, 'stuck since Monday');
    assert.equal(last.workflowExecutionTerminatedEventAttributes?.identity, 'temporal-ts-web-ui');
    await page.locator('[data-testid=status]').first().getByText('Terminated').waitFor();
    assert.match((await page.locator('[data-testid=wf-result]').textContent()) ?? '', /stuck since Monday/);
  });

  test('start a workflow through the form', async () => {
    const wid = id('started-in-ui');
    await go('/namespaces/default/workflows');
    await page.locator('[data-testid=start-workflow-link]').click();
    await page.locator('[data-testid=start-form]').waitFor();
    await page.locator('[data-testid=start-type]').fill('greet');
    await page.locator('[data-testid=start-task-queue]').fill(taskQueue);
    await page.locator('[data-testid=start-workflow-id]').fill(wid);
    await page.locator('[data-testid=start-input]').fill('["from the browser"]');
    await page.locator('[data-testid=start-submit]').click();
    await page.locator('[data-testid=start-dialog] [data-testid=confirm]').click();
    await page.waitForURL(new RegExp(`/workflows/${wid}\\?runId=`));
    assert.equal(await client.workflow.getHandle(wid).result(), 'hello from the browser');
    await page.locator('[data-testid=refresh]').click();
    await page.locator('[data-testid=status]').first().getByText('Completed').waitFor();
    // the same id again: the server's ALREADY_EXISTS shows in the dialog
    await go('/namespaces/default/start');
    await page.locator('[data-testid=start-type]').fill('waitsForever');
    await page.locator('[data-testid=start-task-queue]').fill(taskQueue);
    await page.locator('[data-testid=start-workflow-id]').fill(wid);
    await page.locator('[data-testid=start-submit]').click();
    await page.locator('[data-testid=start-dialog] [data-testid=confirm]').click();
    // the first run is closed: by the default id reuse policy a new run starts
    await page.waitForURL(new RegExp(`/workflows/${wid}\\?runId=`));
    const running = await client.workflow.getHandle(wid).describe();
    assert.equal(running.status.name, 'RUNNING');
    await go('/namespaces/default/start');
    await page.locator('[data-testid=start-type]').fill('waitsForever');
    await page.locator('[data-testid=start-task-queue]').fill(taskQueue);
    await page.locator('[data-testid=start-workflow-id]').fill(wid);
    await page.locator('[data-testid=start-submit]').click();
    await page.locator('[data-testid=start-dialog] [data-testid=confirm]').click();
    assert.match((await page.locator('[data-testid=dialog-error]').textContent()) ?? '', /ALREADY_EXISTS/);
    await client.workflow.getHandle(wid).terminate('test cleanup');
  });

  test('cluster page: server version, schema versions vs required, shards, rewrites, version history', async () => {
    await go('/cluster');
    await page.locator('[data-testid=cluster-page]').waitFor();
    assert.equal(await page.locator('[data-testid=server-version]').textContent(), VERSION);
    assert.equal(await page.locator('[data-testid=api-version]').textContent(), VERSION, "GetClusterInfo's serverVersion");
    for (const store of ['temporal', 'visibility']) {
      const row = page.locator(`[data-testid=schema-${store}]`);
      const required = formatVersion(requiredVersion('sqlite', store as 'temporal' | 'visibility'));
      assert.equal(await row.locator('[data-testid=schema-current]').textContent(), required);
      assert.equal(await row.locator('[data-testid=schema-required]').textContent(), required);
      assert.match((await row.textContent()) ?? '', /sqlite.*ok/);
    }
    assert.equal(await page.locator('[data-testid=shard-count]').textContent(), '4');
    assert.match((await page.locator('[data-testid=shard-rewrite]').textContent()) ?? '', /done.*4 \/ 4.*active since/);
    // a dev database never held an older format: its rewrite finds nothing to convert
    assert.match(
      (await page.locator('[data-testid=data-rewrite]').textContent()) ?? '',
      /done.*mutable state \(executions\.data\) to json\/v2: no rows were in an older format when it began: nothing to rewrite/,
    );
    assert.ok(((await page.locator('[data-testid=version-history]').textContent()) ?? '').includes(VERSION));
    assert.match(
      (await page.locator('[data-testid=next-step]').textContent()) ?? '',
      /Next step: nothing to do: .* is active, its schemas are current and its data rewrite is done/,
    );
    assert.match((await page.locator('[data-testid=version-info]').textContent()) ?? '', /local release feed file/);
    await shot('cluster');
    await readmeScreenshot(page, 'cluster-page');
  });

  test('upgrade banner from the release feed: coloured by severity, links the notes, dismissed per version across reloads', async () => {
    // no newer release: no banner
    await go('/cluster');
    await page.locator('[data-testid=cluster-page]').waitFor();
    assert.equal(await page.locator('[data-testid=upgrade-banner]').count(), 0);

    // the next minor after the one running (VERSION may be a -dev build of a minor)
    const running = mustParseServerVersion(VERSION);
    const next = `${running.major}.${running.minor + 1}.0`;
    const nextRe = next.replace(/\./g, '\\.');
    const later = `${running.major}.${running.minor + 2}.0`;
    const latest = `${running.major}.${running.minor + 3}.0`;
    writeFeed([rel(VERSION), rel(next)], [{ appliesTo: `<${next}`, severity: 'high', message: 'Fixes a data-loss bug in timers.' }]);
    await page.reload();
    const banner = page.locator('[data-testid=upgrade-banner]');
    await banner.waitFor();
    assert.equal(await banner.getAttribute('data-severity'), 'high');
    assert.equal(await banner.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(217, 45, 32)');
    assert.match(
      (await banner.textContent()) ?? '',
      new RegExp(`${nextRe} is recommended .*Fixes a data-loss bug in timers\\..*Upgrade one minor version at a time: ${nextRe}`),
    );
    assert.equal(await banner.locator('[data-testid=release-notes]').getAttribute('href'), `https://example.com/temporal-ts/releases/${next}`);
    // the cluster page's panel loads the same answer on its own request: wait for it, not just for the banner
    await page.locator('[data-testid=recommended-version]').getByText(next).waitFor();
    assert.equal(await page.locator('[data-testid=recommended-version]').getByText(next).count(), 1);
    await shot('banner-high');

    await banner.locator('[data-testid=dismiss-banner]').click();
    assert.equal(await banner.count(), 0);
    await page.reload();
    await page.locator('[data-testid=cluster-page]').waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[data-testid=upgrade-banner]').count(), 0, 'dismissal survives a reload');
    assert.equal(await page.evaluate((v) => window.localStorage.getItem(`temporal-ts.upgrade-banner.dismissed.${v}`), next), '1');

    // a newer recommendation is not covered by the old dismissal
    writeFeed(
      [rel(next), rel(later)],
      [
        { appliesTo: '*', severity: 'medium', message: 'Slow startup on large shards.' },
        { appliesTo: '*', severity: 'low', message: 'Minor.' },
      ],
    );
    await page.reload();
    await banner.waitFor();
    assert.equal(await banner.getAttribute('data-version'), later);
    assert.equal(await banner.getAttribute('data-severity'), 'medium');
    assert.equal(await banner.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(220, 104, 3)');

    writeFeed([rel(latest)]);
    await page.reload();
    await banner.waitFor();
    assert.equal(await banner.getAttribute('data-version'), latest);
    assert.equal(await banner.getAttribute('data-severity'), 'none');
    assert.equal(await banner.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(21, 112, 239)');
    await go('/namespaces/default/workflows');
    await banner.waitFor();
    await shot('banner-none');
    writeFeed([rel(VERSION)]);
  });
});
