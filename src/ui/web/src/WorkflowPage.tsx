/**
 * One workflow: summary, input, result or failure, actions (signal, cancel, terminate, reset to a
 * completed workflow task, delete; each with a confirmation dialog), a link to its task queue's pollers, the event history as a timeline (pages of 100, each event expandable),
 * pending activities, children and the call stack (__stack_trace query).
 */
import { useEffect, useState } from 'react';
import type {
  ChildrenResponse,
  HistoryEventView,
  HistoryResponse,
  Json,
  JsonObject,
  ResetWorkflowResponse,
  StackTraceResponse,
  WorkflowDetails,
} from '../../api-types';
import { apiGet, apiPost, enc, wfPath } from './api';
import { ConfirmDialog, ErrorBox, JsonView, Loading, StatusBadge, fmtDuration, fmtTime, useLoad } from './common';
import { Link, useRouter } from './router';

const HISTORY_PAGE = 100;

function obj(v: Json | undefined): JsonObject {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function short(v: Json | undefined, max = 80): string {
  if (v === undefined) return '';
  const t = typeof v === 'string' ? v : JSON.stringify(v);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** One line about an event, so the timeline reads without expanding each one. */
export function eventSummary(e: HistoryEventView): string {
  const a = e.attributes;
  switch (e.eventType) {
    case 'WorkflowExecutionStarted':
      return `${short(obj(a.workflowType).name)} on ${short(obj(a.taskQueue).name)}, input ${short(a.input ?? [])}`;
    case 'WorkflowExecutionCompleted':
      return `result ${short(a.result ?? null)}`;
    case 'WorkflowExecutionFailed':
    case 'ActivityTaskFailed':
    case 'WorkflowTaskFailed':
      return short(obj(a.failure).message ?? a.cause);
    case 'WorkflowExecutionTerminated':
      return `reason: ${short(a.reason ?? '')}`;
    case 'WorkflowExecutionCancelRequested':
      return a.cause ? `cause: ${short(a.cause)}` : 'cancel requested';
    case 'WorkflowExecutionSignaled':
      return `${short(a.signalName)} ${short(a.input ?? [])}`;
    case 'ActivityTaskScheduled':
      return `${short(obj(a.activityType).name)} (id ${short(a.activityId)}) input ${short(a.input ?? [])}`;
    case 'ActivityTaskStarted':
      return `attempt ${short(a.attempt ?? 1)}${a.identity ? ` by ${short(a.identity, 40)}` : ''}`;
    case 'ActivityTaskCompleted':
      return `result ${short(a.result ?? null)}`;
    case 'ActivityTaskTimedOut':
      return short(obj(a.failure).message ?? 'timed out');
    case 'TimerStarted':
      return `timer ${short(a.timerId)} for ${short(a.startToFireTimeout)}`;
    case 'TimerFired':
      return `timer ${short(a.timerId)} fired`;
    case 'StartChildWorkflowExecutionInitiated':
      return `${short(obj(a.workflowType).name)} id ${short(a.workflowId)}`;
    case 'ChildWorkflowExecutionStarted':
    case 'ChildWorkflowExecutionCompleted':
    case 'ChildWorkflowExecutionFailed':
      return `${short(obj(a.workflowExecution).workflowId)}`;
    case 'WorkflowTaskStarted':
    case 'WorkflowTaskCompleted':
      return a.identity ? short(a.identity, 50) : '';
    default:
      return '';
  }
}

function category(t: string): string {
  if (t.startsWith('WorkflowTask')) return 'wft';
  if (t.startsWith('Activity')) return 'activity';
  if (t.startsWith('Timer')) return 'timer';
  if (t.includes('Signal')) return 'signal';
  if (t.includes('Child')) return 'child';
  if (/Failed|TimedOut|Terminated/.test(t)) return 'bad';
  if (t.startsWith('WorkflowExecution')) return 'workflow';
  return 'other';
}

function History({ namespace, workflowId, runId, version }: { namespace: string; workflowId: string; runId: string; version: number }) {
  const [pages, setPages] = useState<{ events: HistoryEventView[]; next: string | null; error?: Error; loading: boolean }>({
    events: [],
    next: null,
    loading: true,
  });
  const load = (token: string | null, append: boolean) => {
    setPages((p) => ({ ...p, loading: true }));
    apiGet<HistoryResponse>(`${wfPath(namespace, workflowId)}/history`, { runId, pageSize: HISTORY_PAGE, nextPageToken: token }).then(
      (r) => setPages((p) => ({ events: append ? [...p.events, ...r.events] : r.events, next: r.nextPageToken, loading: false })),
      (error: Error) => setPages((p) => ({ ...p, error, loading: false })),
    );
  };
  useEffect(() => {
    load(null, false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [namespace, workflowId, runId, version]);
  if (pages.error) return <ErrorBox error={pages.error} what="Reading the event history" testId="history-error" />;
  return (
    <div>
      <ol className="timeline" data-testid="history">
        {pages.events.map((e) => (
          <li key={e.eventId} className={`event cat-${category(e.eventType)}`} data-testid="history-event" data-event-type={e.eventType}>
            <details>
              <summary>
                <span className="event-id">{e.eventId}</span>
                <span className="event-time">{fmtTime(e.eventTime)}</span>
                <span className="event-type">{e.eventType}</span>
                <span className="event-summary">{eventSummary(e)}</span>
              </summary>
              <JsonView value={e.attributes} testId="event-details" />
            </details>
          </li>
        ))}
      </ol>
      {pages.loading && <Loading what="events" />}
      {pages.next && !pages.loading && (
        <button type="button" onClick={() => load(pages.next, true)} data-testid="more-history">
          Load more events
        </button>
      )}
    </div>
  );
}

function StackTrace({ namespace, workflowId, runId }: { namespace: string; workflowId: string; runId: string }) {
  const [st, setSt] = useState<{ text?: string; error?: Error; loading: boolean }>({ loading: false });
  const load = () => {
    setSt({ loading: true });
    apiGet<StackTraceResponse>(`${wfPath(namespace, workflowId)}/stack-trace`, { runId }).then(
      (r) => setSt({ text: r.stackTrace, loading: false }),
      (error: Error) => setSt({ error, loading: false }),
    );
  };
  return (
    <div>
      <button type="button" onClick={load} disabled={st.loading} data-testid="load-stack">
        {st.text ? 'Refresh call stack' : 'Show call stack'}
      </button>{' '}
      <span className="muted">Asks a worker (the __stack_trace query); needs a worker polling the task queue.</span>
      {st.loading && <Loading what="the call stack" />}
      {st.error && <ErrorBox error={st.error} what="Call stack" testId="stack-error" />}
      {st.text !== undefined && (
        <pre className="json" data-testid="stack-trace">
          {st.text || '(empty)'}
        </pre>
      )}
    </div>
  );
}

function Children({ namespace, workflowId, runId, version }: { namespace: string; workflowId: string; runId: string; version: number }) {
  const c = useLoad(() => apiGet<ChildrenResponse>(`${wfPath(namespace, workflowId)}/children`, { runId }), [namespace, workflowId, runId, version]);
  if (c.error) return <ErrorBox error={c.error} what="Children" />;
  if (!c.data) return <Loading what="children" />;
  return (
    <div data-testid="children">
      {c.data.children.length === 0 ? (
        <p className="muted">No child workflows.</p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Workflow ID</th>
              <th>Run ID</th>
              <th>Type</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {c.data.children.map((ch) => (
              <tr key={`${ch.workflowId}/${ch.runId}`}>
                <td>
                  <Link to={`${wfPath(namespace, ch.workflowId)}?runId=${enc(ch.runId)}`}>{ch.workflowId}</Link>
                </td>
                <td className="mono small">{ch.runId}</td>
                <td>{ch.type}</td>
                <td>{ch.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.data.listMessage && <p className="muted small">Only pending children are shown: listing closed children needs List ({c.data.listMessage}).</p>}
    </div>
  );
}

type Action = 'signal' | 'cancel' | 'terminate' | 'reset' | 'delete' | undefined;

/** The run's WorkflowTaskCompleted events: the points a reset can go back to (newest first). */
function ResetPoints({
  namespace,
  workflowId,
  runId,
  value,
  onChange,
}: {
  namespace: string;
  workflowId: string;
  runId: string;
  value: string;
  onChange(v: string): void;
}) {
  const h = useLoad(() => apiGet<HistoryResponse>(`${wfPath(namespace, workflowId)}/history`, { runId, pageSize: 1000 }), [namespace, workflowId, runId]);
  const points = (h.data?.events ?? []).filter((e) => e.eventType === 'WorkflowTaskCompleted').reverse();
  useEffect(() => {
    if (!value && points[0]) onChange(String(points[0].eventId));
  }, [value, points, onChange]);
  if (h.error) return <ErrorBox error={h.error} what="The reset points" />;
  return (
    <label>
      Reset to (a completed workflow task; events after it are replayed away)
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid="reset-event">
        {points.map((e) => (
          <option key={e.eventId} value={String(e.eventId)}>
            {e.eventId} · WorkflowTaskCompleted · {fmtTime(e.eventTime)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function WorkflowPage({ namespace, workflowId, runId: runIdParam }: { namespace: string; workflowId: string; runId: string }) {
  const [version, setVersion] = useState(0);
  const d = useLoad(() => apiGet<WorkflowDetails>(wfPath(namespace, workflowId), { runId: runIdParam }), [namespace, workflowId, runIdParam, version]);
  const [action, setAction] = useState<Action>();
  const [signalName, setSignalName] = useState('');
  const [signalInput, setSignalInput] = useState('');
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState('');
  const [resetEvent, setResetEvent] = useState('');
  const [reapplySignals, setReapplySignals] = useState(true);
  const { navigate } = useRouter();
  const refresh = () => setVersion((v) => v + 1);

  if (d.error) return <ErrorBox error={d.error} what={`Workflow ${workflowId}`} testId="workflow-error" />;
  if (!d.data) return <Loading what="the workflow" />;
  const w = d.data;
  const s = w.summary;
  const runId = s.runId || runIdParam;
  const running = s.status === 'Running';
  const base = wfPath(namespace, workflowId);
  const done = (msg: string) => {
    setNotice(msg);
    setTimeout(refresh, 300);
  };

  return (
    <section data-testid="workflow-page">
      <div className="page-head">
        <h1>
          <span className="mono">{s.workflowId}</span> <StatusBadge status={s.status} />
        </h1>
        <div className="actions">
          <button type="button" onClick={refresh} data-testid="refresh">
            Refresh
          </button>
          <button type="button" disabled={!running} onClick={() => setAction('signal')} data-testid="action-signal">
            Signal
          </button>
          <button type="button" disabled={!running} onClick={() => setAction('cancel')} data-testid="action-cancel">
            Request cancellation
          </button>
          <button type="button" className="danger" disabled={!running} onClick={() => setAction('terminate')} data-testid="action-terminate">
            Terminate
          </button>
          <button type="button" className="danger" onClick={() => setAction('reset')} data-testid="action-reset">
            Reset
          </button>
          <button type="button" className="danger" onClick={() => setAction('delete')} data-testid="action-delete">
            Delete
          </button>
        </div>
      </div>
      {notice && (
        <div className="notice" role="status" data-testid="notice">
          {notice}
        </div>
      )}
      <dl className="facts" data-testid="workflow-facts">
        <dt>Type</dt>
        <dd data-testid="wf-type">{s.type}</dd>
        <dt>Workflow ID</dt>
        <dd className="mono">{s.workflowId}</dd>
        <dt>Run ID</dt>
        <dd className="mono" data-testid="wf-run-id">
          {s.runId}
        </dd>
        <dt>Task queue</dt>
        <dd data-testid="wf-task-queue">
          <Link to={`/namespaces/${enc(namespace)}/task-queues/${enc(s.taskQueue)}`}>{s.taskQueue}</Link>
        </dd>
        <dt>Start</dt>
        <dd>{fmtTime(s.startTime)}</dd>
        <dt>End</dt>
        <dd>
          {fmtTime(s.closeTime)} {s.closeTime && <span className="muted">({fmtDuration(s.startTime, s.closeTime)})</span>}
        </dd>
        <dt>History</dt>
        <dd>
          {s.historyLength ?? '—'} events{w.historySizeBytes ? `, ${w.historySizeBytes} bytes` : ''}
        </dd>
        {w.parent && (
          <>
            <dt>Parent</dt>
            <dd>
              <Link to={`${wfPath(namespace, w.parent.workflowId)}?runId=${enc(w.parent.runId)}`}>{w.parent.workflowId}</Link>
            </dd>
          </>
        )}
        {w.resetRunId && (
          <>
            <dt>Reset to</dt>
            <dd data-testid="wf-reset-run">
              <Link to={`${base}?runId=${enc(w.resetRunId)}`}>{w.resetRunId}</Link>
            </dd>
          </>
        )}
        {w.runTimeout && w.runTimeout !== '0s' && (
          <>
            <dt>Run timeout</dt>
            <dd>{w.runTimeout}</dd>
          </>
        )}
      </dl>

      <div className="two-col">
        <div className="panel">
          <h2>Input</h2>
          <JsonView value={w.input} testId="wf-input" />
        </div>
        <div className="panel">
          <h2>{w.failure ? 'Failure' : s.status === 'Terminated' ? 'Termination' : 'Result'}</h2>
          {running ? (
            <p className="muted" data-testid="wf-result">
              Still running.
            </p>
          ) : w.failure ? (
            <JsonView value={w.failure} testId="wf-failure" />
          ) : (
            <JsonView value={w.result} testId="wf-result" />
          )}
        </div>
      </div>

      <div className="panel">
        <h2>Pending activities ({w.pendingActivities.length})</h2>
        {w.pendingActivities.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <table className="grid" data-testid="pending-activities">
            <thead>
              <tr>
                <th>Activity</th>
                <th>State</th>
                <th>Attempt</th>
                <th>Scheduled / started</th>
                <th>Last heartbeat</th>
                <th>Heartbeat details</th>
                <th>Last failure</th>
              </tr>
            </thead>
            <tbody>
              {w.pendingActivities.map((a) => (
                <tr key={a.activityId} data-testid="pending-activity">
                  <td>
                    {a.activityType} <span className="muted small">id {a.activityId}</span>
                  </td>
                  <td>{a.state}</td>
                  <td data-testid="pa-attempt">
                    {a.attempt}
                    {a.maximumAttempts ? ` of ${a.maximumAttempts}` : ''}
                  </td>
                  <td>
                    {fmtTime(a.scheduledTime)}
                    <br />
                    {fmtTime(a.lastStartedTime)}
                  </td>
                  <td data-testid="pa-heartbeat">{fmtTime(a.lastHeartbeatTime)}</td>
                  <td>{a.heartbeatDetails !== null ? <code>{short(a.heartbeatDetails, 60)}</code> : <span className="muted">—</span>}</td>
                  <td data-testid="pa-failure">{a.lastFailure ? short(obj(a.lastFailure).message ?? a.lastFailure, 100) : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <div className="panel">
        <h2>Children</h2>
        <Children namespace={namespace} workflowId={workflowId} runId={runId} version={version} />
      </div>

      <div className="panel">
        <h2>Call stack</h2>
        <StackTrace namespace={namespace} workflowId={workflowId} runId={runId} />
      </div>

      <div className="panel">
        <h2>Event history</h2>
        <History namespace={namespace} workflowId={workflowId} runId={runId} version={version} />
      </div>

      {action === 'signal' && (
        <ConfirmDialog
          title={`Signal ${s.workflowId}`}
          confirmLabel="Send signal"
          testId="signal-dialog"
          onClose={() => setAction(undefined)}
          onConfirm={async () => {
            await apiPost(`${base}/signal`, { runId, signalName, input: signalInput });
            done(`Signal "${signalName}" sent.`);
          }}
        >
          <label>
            Signal name
            <input value={signalName} onChange={(e) => setSignalName(e.target.value)} data-testid="signal-name" autoFocus />
          </label>
          <label>
            Input (JSON; an array is the argument list)
            <textarea value={signalInput} onChange={(e) => setSignalInput(e.target.value)} rows={4} data-testid="signal-input" placeholder="[1, 2]" />
          </label>
        </ConfirmDialog>
      )}
      {action === 'cancel' && (
        <ConfirmDialog
          title={`Request cancellation of ${s.workflowId}?`}
          confirmLabel="Request cancellation"
          danger
          testId="cancel-dialog"
          onClose={() => setAction(undefined)}
          onConfirm={async () => {
            await apiPost(`${base}/cancel`, { runId, reason });
            done('Cancellation requested.');
          }}
        >
          <p>The workflow is asked to cancel; its code decides how (it may clean up first).</p>
          <label>
            Reason (optional)
            <input value={reason} onChange={(e) => setReason(e.target.value)} data-testid="cancel-reason" />
          </label>
        </ConfirmDialog>
      )}
      {action === 'terminate' && (
        <ConfirmDialog
          title={`Terminate ${s.workflowId}?`}
          confirmLabel="Terminate"
          danger
          testId="terminate-dialog"
          onClose={() => setAction(undefined)}
          onConfirm={async () => {
            await apiPost(`${base}/terminate`, { runId, reason });
            done('Workflow terminated.');
          }}
        >
          <p>Terminating stops the workflow at once: no workflow code runs afterwards.</p>
          <label>
            Reason (required)
            <input value={reason} onChange={(e) => setReason(e.target.value)} data-testid="terminate-reason" />
          </label>
        </ConfirmDialog>
      )}
      {action === 'reset' && (
        <ConfirmDialog
          title={`Reset ${s.workflowId}?`}
          confirmLabel="Reset"
          danger
          testId="reset-dialog"
          onClose={() => setAction(undefined)}
          onConfirm={async () => {
            const r = await apiPost<ResetWorkflowResponse>(`${base}/reset`, { runId, eventId: Number(resetEvent), reason, reapplySignals });
            setNotice(`Workflow reset: the new run is ${r.runId}.`);
            navigate(`${base}?runId=${enc(r.runId)}`);
            setTimeout(refresh, 300);
          }}
        >
          <p>
            A new run replays this run&apos;s history up to the chosen workflow task and goes on from there; the current run, if still running, is terminated.
          </p>
          <ResetPoints namespace={namespace} workflowId={workflowId} runId={runId} value={resetEvent} onChange={setResetEvent} />
          <label>
            <input type="checkbox" checked={reapplySignals} onChange={(e) => setReapplySignals(e.target.checked)} data-testid="reset-reapply" /> Apply the
            signals received after that point again
          </label>
          <label>
            Reason (required)
            <input value={reason} onChange={(e) => setReason(e.target.value)} data-testid="reset-reason" />
          </label>
        </ConfirmDialog>
      )}
      {action === 'delete' && (
        <ConfirmDialog
          title={`Delete ${s.workflowId}?`}
          confirmLabel="Delete"
          danger
          testId="delete-dialog"
          onClose={() => setAction(undefined)}
          onConfirm={async () => {
            await apiPost(`${base}/delete`, { runId });
            navigate(`/namespaces/${enc(namespace)}/workflows`);
          }}
        >
          <p>The run and its history are deleted for good{running ? '; it is running and is terminated first' : ''}.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
