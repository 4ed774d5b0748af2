/**
 * `temporal-ts schedule …`: the requests the commands build from the temporal CLI's flags (checked
 * by encoding them as the real protobuf messages and reading them back), every kind of bad flag
 * refused with one `error:` line before anything is sent, and the commands against a real dev server.
 *
 * Against the server: create / describe / list / toggle / trigger / update / backfill / delete /
 * list-matching-times end to end, and the server's refusals printed as one `error:` line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { root } from '../../src/common/proto';
import {
  buildBackfillPatch,
  buildCreateRequest,
  buildTogglePatch,
  buildUpdateRequest,
  calendarText,
  printDescribe,
  type CreateFlags,
} from '../../src/cli/schedule-commands';
import { Printer } from '../../src/cli/output';
import { Scheduler } from '../../src/scheduler/scheduler';
import { describeResponse } from '../../src/scheduler/views';
import { messageToJson } from '../../src/cli/proto-json';
import { freePort, runTemporalTs, startCli, TEMPORAL_TS, type LongRunning, type RunResult } from '../helpers/processes';

const tts = (args: readonly string[]): Promise<RunResult> => runTemporalTs(args);

/** The request as it goes over the wire: encoded as the proto message, decoded, printed as proto JSON. */
function wire(typeName: string, req: unknown): Record<string, unknown> {
  const T = root.lookupType(typeName);
  const decoded = T.toObject(T.decode(T.encode(req as never).finish())); // without defaults
  return messageToJson(T, decoded) as Record<string, unknown>;
}

const base: CreateFlags = { scheduleId: 'nightly', type: 'Report', taskQueue: 'reports', taskTimeout: '10s', overlapPolicy: 'Skip' };

describe('requests built from flags', () => {
  test('create with every schedule, workflow and input flag', () => {
    const req = buildCreateRequest(
      {
        ...base,
        workflowId: 'report',
        cron: ['30 2 * * *'],
        calendar: ['{"dayOfWeek":"Fri","hour":"17","minute":"5"}', '{"day_of_month": 1, "comment": "first"}'],
        interval: ['90m', '6h/5h'],
        startTime: '2024-01-01T00:00:00Z',
        endTime: '2024-12-31T23:59:59+01:00',
        jitter: '30s',
        timeZone: 'Europe/Berlin',
        catchupWindow: '1h',
        pauseOnFailure: true,
        notes: 'quarterly numbers',
        paused: true,
        remainingActions: 3,
        overlapPolicy: 'BufferAll',
        runTimeout: '5m',
        executionTimeout: '1h',
        taskTimeout: '20s',
        searchAttribute: ['Env="prod"'],
        memo: ['owner={"team":"finance"}'],
        scheduleMemo: ['purpose="reports"'],
        scheduleSearchAttribute: ['Region="eu"'],
        staticSummary: 'nightly report',
        priorityKey: 2,
        input: ['"2024"', '{"full":true}'],
      },
      'finance',
      'alice@host temporal-ts-cli',
      'req-1',
    );
    assert.deepEqual(wire('temporal.api.workflowservice.v1.CreateScheduleRequest', req), {
      namespace: 'finance',
      scheduleId: 'nightly',
      schedule: {
        spec: {
          cronString: ['30 2 * * *'],
          calendar: [
            { dayOfWeek: 'Fri', hour: '17', minute: '5' },
            { dayOfMonth: '1', comment: 'first' },
          ],
          interval: [{ interval: '5400s' }, { interval: '21600s', phase: '18000s' }],
          startTime: '2024-01-01T00:00:00.000Z',
          endTime: '2024-12-31T22:59:59.000Z',
          jitter: '30s',
          timezoneName: 'Europe/Berlin',
        },
        action: {
          startWorkflow: {
            workflowId: 'report',
            workflowType: { name: 'Report' },
            taskQueue: { name: 'reports', kind: 'TASK_QUEUE_KIND_NORMAL' },
            input: ['2024', { full: true }],
            workflowExecutionTimeout: '3600s',
            workflowRunTimeout: '300s',
            workflowTaskTimeout: '20s',
            memo: { fields: { owner: { team: 'finance' } } },
            searchAttributes: { indexedFields: { Env: 'prod' } },
            userMetadata: { summary: 'nightly report' },
            priority: { priorityKey: 2 },
          },
        },
        policies: { overlapPolicy: 'SCHEDULE_OVERLAP_POLICY_BUFFER_ALL', catchupWindow: '3600s', pauseOnFailure: true },
        state: { notes: 'quarterly numbers', paused: true, limitedActions: true, remainingActions: '3' },
      },
      identity: 'alice@host temporal-ts-cli',
      requestId: 'req-1',
      memo: { fields: { purpose: 'reports' } },
      searchAttributes: { indexedFields: { Region: 'eu' } },
    });
  });

  test('defaults: overlap Skip sent explicitly, no limit, a UUID as base workflow id, 10s task timeout', () => {
    const j = wire('temporal.api.workflowservice.v1.CreateScheduleRequest', buildCreateRequest({ ...base, interval: ['1h'] }, 'default', 'me', 'r')) as {
      schedule: { policies: Record<string, unknown>; state?: Record<string, unknown>; action: { startWorkflow: Record<string, unknown> } };
    };
    assert.deepEqual(j.schedule.policies, { overlapPolicy: 'SCHEDULE_OVERLAP_POLICY_SKIP' });
    assert.deepEqual(j.schedule.state, {}, 'not paused, no notes, unlimited: all defaults');
    assert.match(String(j.schedule.action.startWorkflow.workflowId), /^[0-9a-f-]{36}$/);
    assert.equal(j.schedule.action.startWorkflow.workflowTaskTimeout, '10s');
  });

  test('update replaces the whole schedule and carries the conflict token', () => {
    const token = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]);
    const j = wire('temporal.api.workflowservice.v1.UpdateScheduleRequest', buildUpdateRequest({ ...base, cron: ['@hourly'] }, 'default', 'me', 'r2', token));
    assert.equal(j.conflictToken, Buffer.from(token).toString('base64'));
    assert.deepEqual((j.schedule as { spec: unknown }).spec, { cronString: ['@hourly'] });
  });

  test('toggle, trigger and backfill patches', () => {
    assert.deepEqual(buildTogglePatch({ pause: true, reason: 'maintenance' }), { pause: 'maintenance' });
    assert.deepEqual(buildTogglePatch({ unpause: true, reason: '(no reason provided)' }), { unpause: '(no reason provided)' });
    assert.deepEqual(
      wire(
        'temporal.api.schedule.v1.SchedulePatch',
        buildBackfillPatch({ startTime: '2022-05-01T00:00:00Z', endTime: '2022-05-31T23:59:59Z', overlapPolicy: 'AllowAll' }),
      ),
      {
        backfillRequest: [{ startTime: '2022-05-01T00:00:00.000Z', endTime: '2022-05-31T23:59:59.000Z', overlapPolicy: 'SCHEDULE_OVERLAP_POLICY_ALLOW_ALL' }],
      },
    );
  });

  test('describe text of a real schedule (the scheduler module answering what the CLI created)', async () => {
    const now = Date.parse('2024-03-01T08:00:00Z');
    const created = buildCreateRequest(
      {
        ...base,
        workflowId: 'report',
        cron: ['30 9 * * mon-fri'],
        interval: ['6h/1h'],
        timeZone: 'Europe/Berlin',
        notes: 'weekdays',
        remainingActions: 5,
        scheduleMemo: ['purpose="reports"'],
      },
      'default',
      'me',
      'r',
    );
    const noop = () => Promise.reject(new Error('not in this test'));
    const s = Scheduler.create(
      { namespace: 'default', namespaceId: 'ns', scheduleId: created.scheduleId!, schedule: created.schedule, memo: created.memo, now },
      { clock: () => now, actions: { startWorkflow: noop, describeRun: noop, cancelWorkflow: noop, terminateWorkflow: noop } },
    );
    let text = '';
    printDescribe(new Printer('text', false, (x) => (text += x)), 'nightly', describeResponse(s));
    assert.equal(
      text,
      [
        'Schedule:',
        '  ScheduleId        nightly',
        '  Action            start workflow Report (id report, task queue reports)',
        '  Spec              {"second":"0","minute":"30","hour":"9","dayOfMonth":"1-31","month":"1-12","year":"*","dayOfWeek":"1-5"}',
        '                    every 6h offset 1h',
        '  TimeZoneName      Europe/Berlin',
        '  OverlapPolicy     Skip',
        '  CatchupWindow     8760h',
        '  PauseOnFailure    false',
        '  Notes             weekdays',
        '  Paused            false',
        '  RemainingActions  5',
        '  NextRunTime       2024-03-01T08:30:00.000Z',
        '  LastRunTime',
        '  RunningWorkflows',
        '  CreatedAt         2024-03-01T08:00:00.000Z',
        '  ActionCounts      Total 0, MissedCatchupWindow 0, SkippedOverlap 0',
        '  Memo              purpose=reports',
        '',
      ].join('\n'),
    );
  });

  test('a structured calendar prints as calendar strings', () => {
    assert.equal(
      calendarText({
        second: [{ start: 0 }],
        minute: [{ start: 0, end: 30, step: 15 }],
        hour: [{ start: 9, end: 17 }],
        dayOfWeek: [{ start: 1, end: 5, step: 1 }],
        comment: 'office',
      }),
      '{"second":"0","minute":"0-30/15","hour":"9-17","dayOfMonth":"","month":"","year":"*","dayOfWeek":"1-5","comment":"office"}',
    );
  });
});

describe('bad flags: one error line, exit 1, nothing sent', { concurrency: 4 }, () => {
  // --address points nowhere: a command that got past its flags would fail with "cannot reach"
  const create = (...extra: string[]) => tts(['schedule', 'create', '-s', 'x', '--type', 'T', '-t', 'q', '--address', '127.0.0.1:1', ...extra]);
  const cases: Array<[string, () => Promise<RunResult>, RegExp]> = [
    ['no spec', () => create(), /at least one of --cron, --calendar or --interval/],
    ['bad interval', () => create('--interval', '10q'), /--interval "10q" is not a duration/],
    ['interval below 1s', () => create('--interval', '500ms'), /--interval "500ms": the interval must be at least 1s/],
    ['too many slashes in interval', () => create('--interval', '1h/1m/1s'), /must be <duration> or <duration>\/<phase>/],
    ['phase not below interval', () => create('--interval', '1h/2h'), /--interval: phase 7200s must be less than the interval 3600s/],
    ['cron field out of range', () => create('--cron', '61 * * * *'), /--cron minute: "61" is not a number in 0-59/],
    ['cron with 4 fields', () => create('--cron', '0 0 * *'), /--cron: "0 0 \* \*" has 4 fields/],
    ['calendar not JSON', () => create('--calendar', '{hour:1}'), /--calendar is not valid JSON/],
    ['calendar unknown field', () => create('--calendar', '{"hours":"1"}'), /--calendar has an unknown field "hours"/],
    ['calendar bad value', () => create('--calendar', '{"hour":"25"}'), /--calendar hour: "25" is not a number in 0-23/],
    ['calendar not an object', () => create('--calendar', '[1]'), /--calendar must be a JSON object/],
    ['unknown time zone', () => create('--cron', '@daily', '--time-zone', 'Mars/Base'), /--time-zone: unknown time zone "Mars\/Base"/],
    ['unknown CRON_TZ', () => create('--cron', 'CRON_TZ=Nowhere 0 0 * * *'), /--cron CRON_TZ: unknown time zone "Nowhere"/],
    ['bad start time', () => create('--interval', '1h', '--start-time', 'yesterday'), /--start-time "yesterday" is not an RFC 3339 time/],
    [
      'end before start',
      () => create('--interval', '1h', '--start-time', '2024-02-01T00:00:00Z', '--end-time', '2024-01-01T00:00:00Z'),
      /--end-time .* is before --start-time/,
    ],
    [
      'negative remaining actions',
      () => create('--interval', '1h', '--remaining-actions', '-2'),
      /--remaining-actions -2 must be a whole number of at least 0/,
    ],
    ['remaining actions not a number', () => create('--interval', '1h', '--remaining-actions', 'lots'), /--remaining-actions "lots" is not a whole number/],
    [
      'unknown overlap policy',
      () => create('--interval', '1h', '--overlap-policy', 'Sometimes'),
      /argument 'Sometimes' is invalid. Allowed choices are Skip, BufferOne/,
    ],
    ['bad jitter', () => create('--interval', '1h', '--jitter', 'soon'), /--jitter "soon" is not a duration/],
    ['memo without =', () => create('--interval', '1h', '--memo', 'nokey'), /--memo "nokey" must be KEY=VALUE/],
    ['input not JSON', () => create('--interval', '1h', '--input', '{bad'), /--input is not valid JSON/],
    ['priority out of range', () => create('--interval', '1h', '--priority-key', '9'), /--priority-key 9 must be a whole number from 1 to 5/],
    [
      'no task queue',
      () => tts(['schedule', 'create', '-s', 'x', '--type', 'T', '--interval', '1h']),
      /required option '-t, --task-queue <name>' not specified/,
    ],
    ['no type', () => tts(['schedule', 'create', '-s', 'x', '-t', 'q', '--interval', '1h', '--address', '127.0.0.1:1']), /--type is required/],
    ['no schedule id', () => tts(['schedule', 'describe']), /required option '-s, --schedule-id <id>' not specified/],
    ['toggle without a direction', () => tts(['schedule', 'toggle', '-s', 'x', '--address', '127.0.0.1:1']), /exactly one of --pause or --unpause is required/],
    [
      'toggle both ways',
      () => tts(['schedule', 'toggle', '-s', 'x', '--pause', '--unpause', '--address', '127.0.0.1:1']),
      /exactly one of --pause or --unpause/,
    ],
    ['backfill without times', () => tts(['schedule', 'backfill', '-s', 'x']), /required option '--start-time <time>' not specified/],
    [
      'backfill backwards',
      () => tts(['schedule', 'backfill', '-s', 'x', '--start-time', '2024-02-01T00:00:00Z', '--end-time', '2024-01-01T00:00:00Z', '--address', '127.0.0.1:1']),
      /--end-time .* is before --start-time/,
    ],
    [
      'matching times bad time',
      () => tts(['schedule', 'list-matching-times', '-s', 'x', '--start-time', '2024-01-01', '--end-time', '2024-02-01T00:00:00Z', '--address', '127.0.0.1:1']),
      /--start-time "2024-01-01" is not an RFC 3339 time/,
    ],
  ];
  for (const [name, run, pattern] of cases) {
    test(name, async () => {
      const r = await run();
      assert.equal(r.status, 1, `exit ${r.status}\nstderr: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /cannot reach/, 'refused before connecting');
      assert.equal(r.stdout, '');
    });
  }

  test('good flags get as far as connecting', async () => {
    const r = await create('--interval', '1h');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: cannot reach the temporal-ts server at 127\.0\.0\.1:1/);
  });
});

describe('against a dev server', () => {
  let server: LongRunning;
  let address = '';
  const cmd = (...args: string[]) => tts(['schedule', ...args, '--address', address]);

  before(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    server = startCli(TEMPORAL_TS, ['server', 'start-dev', '--port', String(port), '--headless', '--log-level', 'warn']);
    await server.waitFor(/gRPC on/, 60_000);
  });

  after(async () => {
    await server?.stop();
  });

  test('create, describe, list, toggle, trigger, delete', async () => {
    const ok = (r: RunResult, what: string) => assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    ok(
      await cmd(
        'create',
        '-s',
        'e2e',
        '--type',
        'greet',
        '-t',
        'q',
        '-w',
        'e2e-wf',
        '--cron',
        '30 9 * * mon-fri',
        '--time-zone',
        'Europe/Berlin',
        '--notes',
        'weekdays',
      ),
      'create',
    );
    const d = JSON.parse((await cmd('describe', '-s', 'e2e', '-o', 'json')).stdout) as {
      schedule: { spec: { timezoneName: string; structuredCalendar: unknown[] }; state: { notes: string } };
    };
    assert.equal(d.schedule.spec.timezoneName, 'Europe/Berlin');
    assert.equal(d.schedule.spec.structuredCalendar.length, 1);
    assert.equal(d.schedule.state.notes, 'weekdays');
    const text = (await cmd('describe', '-s', 'e2e')).stdout;
    assert.match(text, /ScheduleId +e2e/);
    assert.match(text, /OverlapPolicy +Skip/);
    assert.match((await cmd('list')).stdout, /e2e +greet +false/);
    ok(await cmd('toggle', '-s', 'e2e', '--pause', '--reason', 'holiday'), 'toggle');
    assert.match((await cmd('describe', '-s', 'e2e')).stdout, /Paused +true/);
    ok(await cmd('trigger', '-s', 'e2e'), 'trigger');
    ok(await cmd('delete', '-s', 'e2e'), 'delete');
    const gone = await cmd('describe', '-s', 'e2e');
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /NOT_FOUND/);
  });

  test('list-matching-times prints the spec times in the range', async () => {
    assert.equal((await cmd('create', '-s', 'times', '--type', 'greet', '-t', 'q', '--interval', '6h')).status, 0);
    const r = await cmd('list-matching-times', '-s', 'times', '--start-time', '2024-01-01T00:00:00Z', '--end-time', '2024-01-02T00:00:00Z', '-o', 'json');
    assert.deepEqual(JSON.parse(r.stdout), {
      startTime: ['2024-01-01T06:00:00.000Z', '2024-01-01T12:00:00.000Z', '2024-01-01T18:00:00.000Z', '2024-01-02T00:00:00.000Z'],
    });
  });

  test('update replaces the spec, backfill starts the missed times, an unknown search attribute and an unknown schedule are refused', async () => {
    const ok = (r: RunResult, what: string) => assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    ok(
      await cmd('create', '-s', 'upd', '--type', 'greet', '-t', 'q', '-w', 'upd-wf', '--cron', '0 * * * *', '--paused', '--overlap-policy', 'AllowAll'),
      'create',
    );
    ok(await cmd('update', '-s', 'upd', '--type', 'greet', '-t', 'q', '-w', 'upd-wf', '--interval', '2h', '--notes', 'every two hours'), 'update');
    const d = JSON.parse((await cmd('describe', '-s', 'upd', '-o', 'json')).stdout) as {
      schedule: { spec: { interval: { interval: string }[]; cronString?: unknown }; state: { notes: string } };
    };
    assert.equal(d.schedule.spec.interval[0]!.interval, '7200s');
    assert.equal(d.schedule.state.notes, 'every two hours');
    ok(
      await cmd('backfill', '-s', 'upd', '--start-time', '2024-01-01T00:00:00Z', '--end-time', '2024-01-01T04:00:00Z', '--overlap-policy', 'AllowAll'),
      'backfill',
    );
    // 00:00, 02:00 and 04:00 (backfill start times are inclusive), as runs of their own
    const deadline = Date.now() + 30_000;
    let info: { info: { actionCount?: string; recentActions?: { startWorkflowResult: { workflowId: string } }[] } };
    for (;;) {
      info = JSON.parse((await cmd('describe', '-s', 'upd', '-o', 'json')).stdout) as typeof info;
      if (Number(info.info.actionCount ?? 0) >= 3 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(info.info.recentActions?.map((a) => a.startWorkflowResult.workflowId).sort(), [
      'upd-wf-2024-01-01T00:00:00Z',
      'upd-wf-2024-01-01T02:00:00Z',
      'upd-wf-2024-01-01T04:00:00Z',
    ]);
    // refused by the server (the CLI cannot know the namespace's search attributes)
    const bad = await cmd('create', '-s', 'bad', '--type', 'greet', '-t', 'q', '--interval', '1h', '--schedule-search-attribute', 'NoSuchAttribute="x"');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: .*NoSuchAttribute is not defined in this namespace.*\(INVALID_ARGUMENT\)/);
    assert.equal((await cmd('describe', '-s', 'bad')).status, 1, 'the refused schedule was not created');
    const missing = await cmd('toggle', '-s', 'no-such-schedule', '--pause');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^error: schedule not found: no-such-schedule \(NOT_FOUND\)/);
    ok(await cmd('delete', '-s', 'upd'), 'delete');
  });
});
