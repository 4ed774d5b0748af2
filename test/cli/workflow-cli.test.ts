/**
 * `temporal-ts workflow …` and `temporal-ts operator …` end to end: a real dev server
 * (`temporal-ts server start-dev --headless` on a free port), a real SDK worker running the engine
 * test workflows, and the CLI as a child process for every command, in text and JSON, with its
 * exit codes and its errors on bad input.
 *
 * Tests marked `todo` call RPCs the server answers UNIMPLEMENTED today (Register/UpdateNamespace);
 * they assert the real behaviour and turn green when the server implements them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runWorkerUntil } from '../engine/harness';
import { CLI_ENV, freePort, runTemporalTs, startCli, TEMPORAL_TS, type LongRunning, type RunResult } from '../helpers/processes';

const TQ = `cli-tq-${process.pid}`;
let server: LongRunning;
let address = '';
let releaseWorker: () => void = () => undefined;
let workerDone: Promise<unknown> = Promise.resolve();
let tmp = '';
let seq = 0;
const wid = (name: string) => `cli-${name}-${process.pid}-${++seq}`;

/** The CLI as a child process, asynchronously (the worker in this process must keep running). */
function tts(args: readonly string[], env: NodeJS.ProcessEnv = {}, withAddress = true): Promise<RunResult> {
  return runTemporalTs([...args, ...(withAddress ? ['--address', address] : [])], { ...CLI_ENV, ...env });
}

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.status, 0, `${what} exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.equal(r.stderr, '', `${what} wrote to stderr: ${r.stderr}`);
  return r;
}

/** Exit 1 with exactly one `error: …` line on stderr matching `pattern`. */
function fails(r: RunResult, pattern: RegExp, what: string): RunResult {
  assert.equal(r.status, 1, `${what} should exit 1, exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.match(r.stderr, /^error: /, `${what}: stderr starts with "error: "`);
  return r;
}

const json = <T = Record<string, unknown>>(r: RunResult): T => JSON.parse(r.stdout) as T;

async function startWf(type: string, id: string, ...extra: string[]) {
  return ok(await tts(['workflow', 'start', '--type', type, '-t', TQ, '-w', id, ...extra]), `start ${type}`);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tts-cli-'));
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(port), '--headless', '--log-level', 'warn', '-n', 'default', '-n', 'cli-second']);
  await server.waitFor(/gRPC on/, 30_000);
  const until = new Promise<void>((resolve) => (releaseWorker = resolve));
  workerDone = runWorkerUntil(port, TQ, until).catch((err: unknown) => {
    process.stderr.write(`worker failed: ${String(err)}\n`);
  });
});

after(async () => {
  releaseWorker();
  await workerDone;
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('workflow start / execute / result', () => {
  test('execute prints the start, the progress and the result; --output json is one document', async () => {
    const id = wid('greet');
    const r = ok(await tts(['workflow', 'execute', '--type', 'greet', '--task-queue', TQ, '--workflow-id', id, '--input', '"World"']), 'execute');
    assert.match(r.stdout, /Running execution:\n {2}WorkflowId +cli-greet/);
    assert.match(r.stdout, /Args +\["World"\]/);
    assert.match(r.stdout, /Progress:\n {2}ID +Time +Type +Details\n/);
    assert.match(r.stdout, /WorkflowExecutionStarted +workflowType=greet .*input=\["World"\]/);
    assert.match(r.stdout, /WorkflowExecutionCompleted +result=\["hello World"\]/);
    assert.match(r.stdout, /Results:\n {2}RunTime +[\d.]+s\n {2}Status +COMPLETED\n {2}Result +"hello World"\n$/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');

    const j = json(ok(await tts(['workflow', 'execute', '--type', 'greet', '-t', TQ, '-w', wid('greet'), '-i', '"json"', '-o', 'json']), 'execute -o json'));
    assert.equal(j.status, 'COMPLETED');
    assert.equal(j.result, 'hello json');
    assert.equal(j.type, 'greet');
    assert.equal(j.namespace, 'default');
    assert.equal(j.taskQueue, TQ);
    assert.match(String(j.runId), /^[0-9a-f-]{36}$/);
  });

  test('execute of a failing workflow prints the failure and exits 1', async () => {
    const id = wid('failing');
    const r = await tts(['workflow', 'execute', '--type', 'failing', '-t', TQ, '-w', id, '-i', '"boom"']);
    fails(r, new RegExp(`^error: workflow ${id} failed: boom\\n$`), 'execute failing');
    assert.match(r.stdout, /Status +FAILED\n {2}Failure +boom \(TestFailure\)/);

    const j = await tts(['workflow', 'execute', '--type', 'failing', '-t', TQ, '-w', wid('failing'), '-i', '"kaput"', '-o', 'json']);
    assert.equal(j.status, 1);
    const doc = json<{ status: string; failure: { message: string; applicationFailureInfo: { type: string } } }>(j);
    assert.equal(doc.status, 'FAILED');
    assert.equal(doc.failure.message, 'kaput');
    assert.equal(doc.failure.applicationFailureInfo.type, 'TestFailure');
  });

  test('start prints the IDs; flags for input file, timeouts, memo, search attributes and ID reuse reach the server', async () => {
    const id = wid('start');
    const file = join(tmp, 'input.json');
    writeFileSync(file, '"from file"\n');
    ok(await tts(['operator', 'search-attribute', 'create', '--name', 'CustomKeywordField', '--type', 'Keyword']), 'search-attribute create');
    const r = ok(
      await tts([
        'workflow',
        'start',
        '--type',
        'waitsForever',
        '-t',
        TQ,
        '-w',
        id,
        '--input-file',
        file,
        '--execution-timeout',
        '1h',
        '--run-timeout',
        '30m',
        '--task-timeout',
        '15s',
        '--memo',
        'owner="cli"',
        '--memo',
        'n={"a":[1,2]}',
        '--search-attribute',
        'CustomKeywordField="k1"',
        '--id-reuse-policy',
        'RejectDuplicate',
      ]),
      'start',
    );
    assert.match(
      r.stdout,
      new RegExp(
        `^Running execution:\\n {2}WorkflowId +${id}\\n {2}RunId +[0-9a-f-]{36}\\n {2}Type +waitsForever\\n {2}Namespace +default\\n {2}TaskQueue +${TQ}\\n {2}Args +\\["from file"\\]\\n$`,
      ),
    );

    const d = json<{ executionConfig: Record<string, unknown>; workflowExecutionInfo: { memo: { fields: Record<string, unknown> }; status: string } }>(
      ok(await tts(['workflow', 'describe', '-w', id, '-o', 'json']), 'describe -o json'),
    );
    assert.equal(d.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.deepEqual(d.workflowExecutionInfo.memo.fields, { owner: 'cli', n: { a: [1, 2] } });
    assert.equal(d.executionConfig.workflowExecutionTimeout, '3600s');
    assert.equal(d.executionConfig.workflowRunTimeout, '1800s');
    assert.equal(d.executionConfig.defaultWorkflowTaskTimeout, '15s');

    const started = json(ok(await tts(['workflow', 'start', '--type', 'greet', '-t', TQ, '-i', '"x"', '-o', 'json']), 'start without -w'));
    assert.match(String(started.workflowId), /^[0-9a-f-]{36}$/, 'a workflow ID is generated');
    assert.deepEqual(Object.keys(started), ['workflowId', 'runId', 'type', 'namespace', 'taskQueue']);

    ok(await tts(['workflow', 'terminate', '-w', id]), 'terminate');
    fails(
      await tts(['workflow', 'start', '--type', 'greet', '-t', TQ, '-w', id, '--id-reuse-policy', 'RejectDuplicate']),
      /ALREADY_EXISTS|already/i,
      'RejectDuplicate',
    );
  });

  test('result waits for the close event; exits 1 for a workflow that did not complete', async () => {
    const id = wid('sleeper');
    const { runId } = json(ok(await tts(['workflow', 'start', '--type', 'sleeper', '-t', TQ, '-w', id, '-i', '300', '-o', 'json']), 'start'));
    const r = ok(await tts(['workflow', 'result', '-w', id]), 'result');
    assert.equal(r.stdout, 'Results:\n  Status  COMPLETED\n  Result  "slept enough"\n');
    assert.deepEqual(json(ok(await tts(['workflow', 'result', '-w', id, '-r', String(runId), '-o', 'json']), 'result -o json')), {
      workflowId: id,
      runId,
      status: 'COMPLETED',
      result: 'slept enough',
    });
  });
});

describe('signal / query / stack / describe / show', () => {
  test('a running accumulator: signal, query (text, JSON, __stack_trace), describe, then done and result', async () => {
    const id = wid('acc');
    await startWf('accumulator', id);
    assert.equal(ok(await tts(['workflow', 'signal', '-w', id, '--name', 'add', '-i', '5']), 'signal').stdout, 'Signal workflow succeeded\n');
    assert.deepEqual(json(ok(await tts(['workflow', 'signal', '-w', id, '--type', 'add', '--input', '7', '-o', 'json']), 'signal -o json')), {
      workflowId: id,
      runId: '',
      signal: 'add',
    });

    assert.equal(ok(await tts(['workflow', 'query', '-w', id, '--name', 'total']), 'query').stdout, 'Query result:\n12\n');
    assert.deepEqual(json(ok(await tts(['workflow', 'query', '-w', id, '--type', 'total', '-o', 'json']), 'query -o json')), { queryResult: 12 });

    const stack = ok(await tts(['workflow', 'query', '-w', id, '--name', '__stack_trace']), 'query __stack_trace');
    assert.match(stack.stdout, /^Query result:\n/);
    assert.match(stack.stdout, /accumulator/, 'the stack names the workflow function');
    assert.match(ok(await tts(['workflow', 'stack', '-w', id]), 'stack').stdout, /accumulator/);

    const d = ok(await tts(['workflow', 'describe', '-w', id]), 'describe');
    assert.match(d.stdout, /^Execution Info:\n/);
    assert.match(d.stdout, new RegExp(`WorkflowId +${id}\\n`));
    assert.match(d.stdout, /Type +accumulator\n/);
    assert.match(d.stdout, /Status +RUNNING\n/);
    assert.match(d.stdout, new RegExp(`TaskQueue +${TQ}\\n`));
    assert.match(d.stdout, /Pending Activities: 0\nPending Child Workflows: 0\n$/);

    ok(await tts(['workflow', 'signal', '-w', id, '--name', 'done']), 'signal done');
    const res = ok(await tts(['workflow', 'result', '-w', id]), 'result');
    assert.match(res.stdout, /Result +12\n/);

    const closed = ok(await tts(['workflow', 'describe', '-w', id]), 'describe closed');
    assert.match(closed.stdout, /Status +COMPLETED\n/);
    assert.match(closed.stdout, /Results:\n {2}Status +COMPLETED\n {2}Result +12\n/);

    const show = ok(await tts(['workflow', 'show', '-w', id]), 'show');
    const lines = show.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ {2}ID +Time +Type +Details$/);
    assert.match(show.stdout, /WorkflowExecutionSignaled +signalName=add input=\[5\]/);
    assert.match(show.stdout, /WorkflowExecutionSignaled +signalName=add input=\[7\]/);
    assert.match(lines[lines.length - 1]!, /WorkflowExecutionCompleted +result=\[12\]/);
    assert.match(ok(await tts(['workflow', 'show', '-w', id, '--detailed']), 'show --detailed').stdout, /Event 1 WorkflowExecutionStarted\n {2}Time /);

    const history = json<{ events: Array<{ eventId: string; eventType: string; workflowExecutionSignaledEventAttributes?: { signalName: string } }> }>(
      ok(await tts(['workflow', 'show', '-w', id, '-o', 'json']), 'show -o json'),
    );
    assert.equal(history.events[0]!.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    assert.equal(history.events[0]!.eventId, '1');
    assert.equal(history.events.at(-1)!.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    assert.equal(history.events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'add').length, 2);
  });

  test('--color always colours headings and status; never (and auto off a terminal) does not', async () => {
    const id = wid('color');
    await startWf('accumulator', id);
    assert.match(
      ok(await tts(['workflow', 'describe', '-w', id, '--color', 'always']), 'color always').stdout,
      /\u001b\[35mExecution Info:\u001b\[39m[\s\S]*\u001b\[34mRUNNING\u001b\[39m/,
    );
    assert.doesNotMatch(ok(await tts(['workflow', 'describe', '-w', id, '--color', 'never']), 'color never').stdout, /\u001b\[/);
    assert.doesNotMatch(
      ok(await tts(['workflow', 'describe', '-w', id, '--color', 'always', '-o', 'json']), 'json').stdout,
      /\u001b\[/,
      'JSON is never coloured',
    );
    ok(await tts(['workflow', 'terminate', '-w', id]), 'terminate');
  });
});

describe('cancel / terminate', () => {
  test('cancel requests cancellation; the workflow ends CANCELED and result exits 1', async () => {
    const id = wid('cancel');
    await startWf('waitsForever', id);
    assert.equal(ok(await tts(['workflow', 'cancel', '-w', id, '--reason', 'no longer needed']), 'cancel').stdout, 'Cancellation requested\n');
    const r = fails(await tts(['workflow', 'result', '-w', id]), new RegExp(`^error: workflow ${id} ended CANCELED\\n$`), 'result of canceled');
    assert.match(r.stdout, /Status +CANCELED/);
    const show = ok(await tts(['workflow', 'show', '-w', id]), 'show');
    assert.match(show.stdout, /WorkflowExecutionCancelRequested +.*cause=no longer needed/);
  });

  test('terminate with a reason; describe and result show it', async () => {
    const id = wid('term');
    await startWf('waitsForever', id);
    assert.deepEqual(json(ok(await tts(['workflow', 'terminate', '-w', id, '--reason', 'ops said so', '-o', 'json']), 'terminate -o json')), {
      workflowId: id,
      runId: '',
      terminated: true,
      reason: 'ops said so',
    });
    const r = fails(
      await tts(['workflow', 'result', '-w', id]),
      new RegExp(`^error: workflow ${id} ended TERMINATED: ops said so\\n$`),
      'result of terminated',
    );
    assert.match(r.stdout, /Status +TERMINATED\n {2}Reason +ops said so\n/);
    const d = ok(await tts(['workflow', 'describe', '-w', id]), 'describe');
    assert.match(d.stdout, /Status +TERMINATED/);
    assert.match(d.stdout, /Reason +ops said so/);
    // Terminating again is an error from the server, printed as one sentence.
    fails(await tts(['workflow', 'terminate', '-w', id]), /^error: .+\n$/, 'terminate twice');
  });
});

describe('update', () => {
  test('update execute / start: the result, a rejection (exit 1), the same update id answered once', async () => {
    const id = wid('upd');
    await startWf('updatable', id);
    const r = ok(await tts(['workflow', 'update', 'execute', '-w', id, '--name', 'inc', '-i', '3', '--update-id', 'u1']), 'update execute');
    assert.match(r.stdout, /Result +3/);
    assert.deepEqual(
      json(ok(await tts(['workflow', 'update', 'execute', '-w', id, '--name', 'inc', '-i', '3', '--update-id', 'u1', '-o', 'json']), 'same id')),
      { name: 'inc', updateId: 'u1', result: 3 },
    );
    assert.match(
      ok(await tts(['workflow', 'update', 'start', '-w', id, '--name', 'slowInc', '-i', '4', '--wait-for-stage', 'accepted']), 'update start').stdout,
      /Stage +accepted/,
    );
    fails(
      await tts(['workflow', 'update', 'execute', '-w', id, '--name', 'inc', '-i', '-1']),
      /^error: update inc failed: .*negative/,
      'a validator rejection',
    );
    fails(await tts(['workflow', 'update', 'execute', '-w', id, '--name', 'setTotal']), /No registered handler for update: setTotal/, 'an unknown update');
    fails(
      await tts(['workflow', 'update', 'start', '-w', id, '--name', 'setTotal']),
      /required option '--wait-for-stage <stage>' not specified/,
      'update start without --wait-for-stage',
    );
    fails(await tts(['workflow', 'update', 'execute', '-w', id]), /--name is required/, 'update without --name');
    ok(await tts(['workflow', 'terminate', '-w', id]), 'terminate');
  });
});

describe('list / count (visibility)', () => {
  test('list shows executions as a table and as a JSON array; --limit, --query', async () => {
    const id = wid('listed');
    await startWf('greet', id, '-i', '"list"');
    ok(await tts(['workflow', 'result', '-w', id]), 'result');
    const r = ok(await tts(['workflow', 'list']), 'list');
    assert.match(r.stdout, /^ {2}Status +WorkflowId +Type +StartTime\n/);
    assert.match(r.stdout, new RegExp(`COMPLETED +${id} +greet `));
    const arr = json<Array<{ execution: { workflowId: string } }>>(
      ok(await tts(['workflow', 'list', '-o', 'json', '--query', `WorkflowId = '${id}'`]), 'list -q'),
    );
    assert.deepEqual(
      arr.map((e) => e.execution.workflowId),
      [id],
    );
    assert.equal(json<unknown[]>(ok(await tts(['workflow', 'list', '-o', 'json', '--limit', '1']), 'list --limit')).length, 1);
  });

  test('count prints the total (text and JSON)', async () => {
    const id = wid('counted');
    await startWf('greet', id, '-i', '"count"');
    ok(await tts(['workflow', 'result', '-w', id]), 'result');
    assert.match(ok(await tts(['workflow', 'count']), 'count').stdout, /^Total: [1-9]\d*\n$/);
    assert.deepEqual(json(ok(await tts(['workflow', 'count', '-q', `WorkflowId = '${id}'`, '-o', 'json']), 'count -o json')), { count: 1 });
  });
});

describe('operator namespace / search-attribute', () => {
  test('namespace list and describe (table, key/values, JSON)', async () => {
    const list = ok(await tts(['operator', 'namespace', 'list']), 'namespace list');
    assert.match(list.stdout, /^ {2}Name +Id +State +Retention +Description\n/);
    assert.match(list.stdout, /\n {2}default +[0-9a-f-]{36} +Registered +72h/);
    assert.match(list.stdout, /\n {2}cli-second +[0-9a-f-]{36} +Registered/);
    const arr = json<Array<{ namespaceInfo: { name: string } }>>(ok(await tts(['operator', 'namespace', 'list', '-o', 'json']), 'namespace list -o json'));
    assert.deepEqual(arr.map((n) => n.namespaceInfo.name).sort(), ['cli-second', 'default']);

    const d = ok(await tts(['operator', 'namespace', 'describe', '-n', 'cli-second']), 'describe');
    assert.match(d.stdout, /^ {2}Name +cli-second\n {2}Id +[0-9a-f-]{36}\n {2}State +Registered\n/);
    assert.match(d.stdout, /Retention +72h\n/);
    const byArg = json<{ namespaceInfo: { name: string; id: string }; config: { workflowExecutionRetentionTtl: string } }>(
      ok(await tts(['operator', 'namespace', 'describe', 'cli-second', '-o', 'json']), 'describe NAME -o json'),
    );
    assert.equal(byArg.namespaceInfo.name, 'cli-second');
    assert.equal(byArg.config.workflowExecutionRetentionTtl, '259200s');
    const byId = json<{ namespaceInfo: { name: string } }>(
      ok(await tts(['operator', 'namespace', 'describe', '--namespace-id', byArg.namespaceInfo.id, '-o', 'json']), 'describe --namespace-id'),
    );
    assert.equal(byId.namespaceInfo.name, 'cli-second');
    fails(await tts(['operator', 'namespace', 'describe', '-n', 'no-such-ns']), /^error: .*no-such-ns.*\n$/, 'describe unknown namespace');
  });

  test('--namespace/-n and TEMPORAL_NAMESPACE select the namespace of workflow commands', async () => {
    const id = wid('ns2');
    ok(await tts(['workflow', 'start', '-n', 'cli-second', '--type', 'greet', '-t', `${TQ}-nobody`, '-w', id]), 'start in cli-second');
    assert.match(ok(await tts(['workflow', 'describe', '-w', id], { TEMPORAL_NAMESPACE: 'cli-second' }), 'describe via env').stdout, /Namespace +cli-second/);
    fails(await tts(['workflow', 'describe', '-w', id]), /not found/i, 'not in default');
    ok(await tts(['workflow', 'terminate', '-w', id, '--namespace', 'cli-second']), 'terminate');
  });

  test('namespace create registers a namespace with retention and description', async () => {
    const name = `cli-created-${process.pid}`;
    assert.equal(
      ok(
        await tts([
          'operator',
          'namespace',
          'create',
          '-n',
          name,
          '--retention',
          '5d',
          '--description',
          'made by the CLI',
          '--email',
          'ops@example.com',
          '--data',
          'team="core"',
        ]),
        'create',
      ).stdout,
      `Namespace ${name} successfully registered.\n`,
    );
    const d = json<{
      namespaceInfo: { description: string; ownerEmail: string; data: Record<string, string> };
      config: { workflowExecutionRetentionTtl: string };
    }>(ok(await tts(['operator', 'namespace', 'describe', name, '-o', 'json']), 'describe'));
    assert.equal(d.namespaceInfo.description, 'made by the CLI');
    assert.equal(d.namespaceInfo.ownerEmail, 'ops@example.com');
    assert.deepEqual(d.namespaceInfo.data, { team: 'core' });
    assert.equal(d.config.workflowExecutionRetentionTtl, '432000s');
    fails(await tts(['operator', 'namespace', 'create', name]), /already|exists/i, 'create twice');
  });

  test('namespace update changes description and retention', async () => {
    assert.equal(
      ok(await tts(['operator', 'namespace', 'update', 'cli-second', '--description', 'updated', '--retention', '48h']), 'update').stdout,
      'Namespace cli-second update succeeded.\n',
    );
    const d = json<{ namespaceInfo: { description: string }; config: { workflowExecutionRetentionTtl: string } }>(
      ok(await tts(['operator', 'namespace', 'describe', 'cli-second', '-o', 'json']), 'describe'),
    );
    assert.equal(d.namespaceInfo.description, 'updated');
    assert.equal(d.config.workflowExecutionRetentionTtl, '172800s');
  });

  test('search-attribute create and list', async () => {
    assert.match(
      ok(await tts(['operator', 'search-attribute', 'create', '--name', 'CliColor', '--type', 'Keyword', '--name', 'CliSize', '--type', 'Int']), 'create')
        .stdout,
      /CliColor \(Keyword\), CliSize \(Int\)/,
    );
    const list = ok(await tts(['operator', 'search-attribute', 'list']), 'list');
    assert.match(list.stdout, /^ {2}Name +Type +Kind\n/);
    assert.match(list.stdout, /CliColor +Keyword +custom/);
    assert.match(list.stdout, /WorkflowId +Keyword +system/);
    const arr = json<Array<{ name: string; type: string; kind: string }>>(
      ok(await tts(['operator', 'search-attribute', 'list', '-o', 'json']), 'list -o json'),
    );
    assert.deepEqual(
      arr.find((a) => a.name === 'CliSize'),
      { name: 'CliSize', type: 'Int', kind: 'custom' },
    );
  });

  test('operator commands the server does not implement yet fail with one clear sentence', async () => {
    // Documents today's behaviour of the RPCs behind the todo tests above (any answer but a crash).
    for (const args of [
      ['operator', 'search-attribute', 'list'],
      ['operator', 'namespace', 'create', '-n', 'cli-probe'],
    ]) {
      const r = await tts(args);
      if (r.status === 0) continue; // implemented by now
      fails(r, /^error: the server at 127\.0\.0\.1:\d+ does not implement \w+Service\.\w+ yet \(UNIMPLEMENTED: .+\)\n$/, args.join(' '));
    }
  });
});

describe('bad input and connection errors', () => {
  test('malformed JSON, files, durations, policies and missing flags: one sentence, exit 1, nothing started', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['workflow', 'start', '--type', 'greet', '-t', TQ, '-i', '{bad'], /^error: --input is not valid JSON \(.+\): "\{bad"\n$/],
      [
        ['workflow', 'start', '--type', 'greet', '-t', TQ, '--input-file', join(tmp, 'missing.json')],
        /^error: cannot read --input-file .*missing\.json: ENOENT/,
      ],
      [
        ['workflow', 'start', '--type', 'greet', '-t', TQ, '-i', '1', '--input-file', join(tmp, 'x.json')],
        /^error: --input and --input-file cannot be combined/,
      ],
      [['workflow', 'start', '--type', 'greet', '-t', TQ, '--memo', 'nokey'], /^error: --memo "nokey" must be KEY=VALUE/],
      [['workflow', 'start', '--type', 'greet', '-t', TQ, '--memo', 'k=notjson'], /^error: --memo k is not valid JSON/],
      [['workflow', 'start', '--type', 'greet', '-t', TQ, '--search-attribute', 'k={'], /^error: --search-attribute k is not valid JSON/],
      [['workflow', 'start', '--type', 'greet', '-t', TQ, '--execution-timeout', 'soon'], /^error: --execution-timeout "soon" is not a duration/],
      [
        ['workflow', 'start', '--type', 'greet', '-t', TQ, '--id-reuse-policy', 'Sometimes'],
        /argument 'Sometimes' is invalid\. Allowed choices are AllowDuplicate/,
      ],
      [['workflow', 'start', '-t', TQ], /^error: --type is required/],
      [['workflow', 'start', '--type', 'greet'], /required option '-t, --task-queue <name>' not specified/],
      [['workflow', 'describe'], /required option '-w, --workflow-id <id>' not specified/],
      [['workflow', 'signal', '-w', 'x'], /^error: --name is required/],
      [['workflow', 'query', '-w', 'x'], /^error: --name \(or --type\) is required/],
      [['workflow', 'signal', '-w', 'x', '--name', 'add', '-i', 'NaN?'], /^error: --input is not valid JSON/],
      [['workflow', 'list', '--limit', '0'], /^error: --limit "0" must be a whole number of at least 1/],
      [['workflow', 'list', '-o', 'yaml'], /option '-o, --output <format>' argument 'yaml' is invalid\. Allowed choices are text, json\./],
      [['workflow', 'list', '--color', 'sometimes'], /argument 'sometimes' is invalid\. Allowed choices are auto, always, never\./],
      [['workflow', 'frobnicate'], /unknown command 'frobnicate'/],
      [['operator', 'search-attribute', 'create', '--name', 'X', '--type', 'Colour'], /^error: --type "Colour" is not a search attribute type/],
      [
        ['operator', 'search-attribute', 'create', '--name', 'X', '--name', 'Y', '--type', 'Int'],
        /^error: give one --type per --name \(got 2 names and 1 types\)/,
      ],
      [['operator', 'namespace', 'create'], /^error: name the namespace to create/],
      [['operator', 'namespace', 'update', 'default'], /^error: nothing to update/],
      [['operator', 'namespace', 'create', '-n', 'x', '--retention', '3 weeks'], /^error: --retention "3 weeks" is not a duration/],
    ];
    // four CLIs at a time: two dozen node processes at once on a busy 2-core machine outlast the kill timer
    const results: RunResult[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => tts(args)))));
    results.forEach((r, i) => {
      const [args, pattern] = cases[i]!;
      assert.equal(r.status, 1, `${args.join(' ')} should exit 1; stderr: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.match(r.stderr, /^error: /, `${args.join(' ')}: stderr starts with "error: "`);
    });
  });

  test('an unknown workflow is NOT_FOUND, in one sentence', async () => {
    fails(await tts(['workflow', 'describe', '-w', 'no-such-workflow']), /^error: .*no-such-workflow.* \(NOT_FOUND\)\n$/, 'describe unknown');
    fails(await tts(['workflow', 'signal', '-w', 'no-such-workflow', '--name', 'x']), /NOT_FOUND/, 'signal unknown');
  });

  test('no server: "cannot reach the temporal-ts server at ADDRESS", exit 1, quickly; TEMPORAL_ADDRESS is read', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const t0 = Date.now();
    const r = await tts(['workflow', 'list', '--address', dead], {}, false);
    fails(
      r,
      new RegExp(
        `^error: cannot reach the temporal-ts server at ${dead.replace(/\./g, '\\.')}: connection refused .*; start it with \`temporal-ts server start-dev\` or pass --address\\n$`,
      ),
      'refused',
    );
    assert.ok(Date.now() - t0 < 10_000, 'fails fast');
    fails(
      await tts(['operator', 'namespace', 'list'], { TEMPORAL_ADDRESS: dead }, false),
      new RegExp(`cannot reach the temporal-ts server at ${dead.replace(/\./g, '\\.')}`),
      'env address',
    );
    ok(await tts(['operator', 'namespace', 'list'], { TEMPORAL_ADDRESS: address }, false), 'TEMPORAL_ADDRESS');
    fails(await tts(['workflow', 'list', '--address', 'nonsense'], {}, false), /^error: --address "nonsense" is not HOST:PORT/, 'bad address');
  });

  test('--help lists the commands and their Temporal flag names', async () => {
    const r = ok(await tts(['workflow', 'start', '--help'], {}, false), 'help');
    for (const flag of [
      '--type',
      '--task-queue',
      '--workflow-id',
      '--input',
      '--input-file',
      '--execution-timeout',
      '--run-timeout',
      '--task-timeout',
      '--id-reuse-policy',
      '--search-attribute',
      '--memo',
      '--address',
      '--namespace',
      '--output',
      '--color',
    ]) {
      assert.ok(r.stdout.includes(flag), `workflow start --help mentions ${flag}`);
    }
    const top = ok(await tts(['workflow', '--help'], {}, false), 'workflow help');
    for (const c of ['start', 'execute', 'list', 'count', 'describe', 'show', 'result', 'signal', 'query', 'stack', 'update', 'cancel', 'terminate'])
      assert.match(top.stdout, new RegExp(`\\n  ${c} `));
  });
});
