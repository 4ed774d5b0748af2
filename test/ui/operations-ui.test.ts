/**
 * The Web UI's operations in a real headless Chromium (/usr/bin/chromium, playwright-core): reset and
 * delete on the workflow page, and the task queue page with its pollers and backlog. A dev server
 * (`server start-dev`, gRPC + Web UI) in a child process, a real SDK worker in this process; what the
 * UI did is checked through the SDK client.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runWorkerUntil } from '../engine/harness';
import { REPO_ROOT, TEMPORAL_TS, freePort, startCli, type LongRunning } from '../helpers/processes';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(REPO_ROOT, 'test-output', 'ui');
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `${CHROMIUM} is missing; the Web UI tests need a real browser` : false;
const ET = temporal.api.enums.v1.EventType;
const id = (p: string) => `${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Web UI operations in headless Chromium', { skip }, () => {
  const taskQueue = id('ui-ops-tq');
  let server: LongRunning;
  let base = '';
  let conn: Connection;
  let client: Client;
  let browser: Browser;
  let page: Page;
  let release: () => void = () => undefined;
  let workerDone: Promise<unknown> = Promise.resolve();
  const wfUrl = (wid: string) => `${base}/namespaces/default/workflows/${encodeURIComponent(wid)}`;

  async function completedTasks(workflowId: string, count: number): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const h = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
      if ((h.history?.events ?? []).filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length >= count) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${workflowId}: ${count} workflow tasks did not complete`);
  }

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const grpcPort = await freePort();
    const uiPort = await freePort();
    server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(grpcPort), '--ui-port', String(uiPort), '--log-level', 'warn', '-n', 'default']);
    await listening(grpcPort, 60_000);
    await listening(uiPort, 60_000);
    base = `http://127.0.0.1:${uiPort}`;
    conn = await Connection.connect({ address: `127.0.0.1:${grpcPort}` });
    client = new Client({ connection: conn, namespace: 'default' });
    const until = new Promise<void>((r) => (release = r));
    workerDone = runWorkerUntil(grpcPort, taskQueue, until).catch((err: unknown) => process.stderr.write(`worker failed: ${String(err)}\n`));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    release();
    await workerDone;
    await conn?.close();
    if (server) assert.equal(await server.stop(), 0, server.output());
  });

  test('reset from the workflow page: pick a completed task, the page shows the new run, the worker completes it', async () => {
    const h = await client.workflow.start('signalCollector', { workflowId: id('ui-reset'), taskQueue });
    await completedTasks(h.workflowId, 1);
    await h.signal('add', 'one');
    await completedTasks(h.workflowId, 2);
    await h.signal('add', 'two');
    await completedTasks(h.workflowId, 3);

    await page.goto(wfUrl(h.workflowId));
    await page.locator('[data-testid=action-reset]').click();
    const dialog = page.locator('[data-testid=reset-dialog]');
    await dialog.waitFor();
    // the reset points come from the run's history, fetched once the dialog is open
    await page.locator('[data-testid=reset-event] option').nth(2).waitFor({ state: 'attached' });
    const options = await page.locator('[data-testid=reset-event] option').allTextContents();
    assert.equal(options.length, 3, options.join('\n'));
    assert.match(options[0]!, /^12 · WorkflowTaskCompleted/);
    await page.locator('[data-testid=reset-event]').selectOption('8'); // the task that saw "one"
    await page.locator('[data-testid=reset-reapply]').uncheck();
    // no reason: the UI server refuses, the dialog shows why, nothing changes
    await dialog.locator('[data-testid=confirm]').click();
    await page
      .locator('[data-testid=dialog-error]')
      .getByText(/a reason is required to reset a workflow/)
      .waitFor();
    assert.equal((await client.workflow.getHandle(h.workflowId).describe()).runId, h.firstExecutionRunId);
    await page.locator('[data-testid=reset-reason]').fill('try again from one');
    await dialog.locator('[data-testid=confirm]').click();
    await page
      .locator('[data-testid=notice]')
      .getByText(/Workflow reset: the new run is [0-9a-f-]{36}\./)
      .waitFor();
    const newRunId = /the new run is ([0-9a-f-]{36})/.exec((await page.locator('[data-testid=notice]').textContent()) ?? '')![1]!;
    await page.waitForURL(new RegExp(`runId=${newRunId}`));
    await page.locator('[data-testid=wf-run-id]').getByText(newRunId).waitFor();
    await page.screenshot({ path: join(OUT, 'workflow-reset.png'), fullPage: true });

    // the old run's page links the new run
    await page.goto(`${wfUrl(h.workflowId)}?runId=${h.firstExecutionRunId}`);
    await page.locator('[data-testid=wf-reset-run]').getByText(newRunId).waitFor();
    const current = client.workflow.getHandle(h.workflowId);
    assert.equal((await current.describe()).runId, newRunId);
    await current.signal('done');
    assert.equal(await current.result(), 'one', 'the signal after the point was not reapplied');
  });

  test('the task queue page lists the worker polling it and the backlog of a queue nobody polls', async () => {
    await page.goto(`${base}/namespaces/default/task-queues/${encodeURIComponent(taskQueue)}`);
    await page.locator('[data-testid=task-queue-page]').waitFor();
    await page.locator('[data-testid=tq-workflow-poller]').first().waitFor();
    await page.locator('[data-testid=tq-activity-poller]').first().waitFor();
    assert.match((await page.locator('[data-testid=tq-workflow-poller]').first().textContent()) ?? '', /@/);
    await page.screenshot({ path: join(OUT, 'task-queue.png'), fullPage: true });

    const unpolled = id('ui-unpolled');
    const h = await client.workflow.start('externallyCompleted', { workflowId: id('ui-backlog'), taskQueue, args: [unpolled] });
    for (let i = 0; i < 100 && ((await h.describe()).raw.pendingActivities ?? []).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await page.goto(`${base}/namespaces/default/task-queues/${encodeURIComponent(unpolled)}`);
    await page.locator('[data-testid=tq-activity-none]').waitFor();
    assert.equal(await page.locator('[data-testid=tq-activity-backlog]').textContent(), '1');
    // the workflow page links its task queue
    await page.goto(wfUrl(h.workflowId));
    await page.locator('[data-testid=wf-task-queue] a').click();
    await page.waitForURL(new RegExp(`/task-queues/${taskQueue}$`));
    await page.locator('[data-testid=tq-workflow-poller]').first().waitFor();
    await client.workflowService.respondActivityTaskCompletedById({ namespace: 'default', workflowId: h.workflowId, activityId: '1' });
  });

  test('delete from the workflow page terminates a running run, deletes it and goes back to the list', async () => {
    const h = await client.workflow.start('signalCollector', { workflowId: id('ui-delete'), taskQueue });
    await page.goto(wfUrl(h.workflowId));
    await page.locator('[data-testid=action-delete]').click();
    await page
      .locator('[data-testid=delete-dialog]')
      .getByText(/it is running and is terminated first/)
      .waitFor();
    await page.locator('[data-testid=delete-dialog] [data-testid=confirm]').click();
    await page.waitForURL(/\/namespaces\/default\/workflows$/);
    await assert.rejects(h.describe(), (e: Error) => e.name === 'WorkflowNotFoundError');
  });
});
