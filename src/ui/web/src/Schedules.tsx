/**
 * Schedules of a namespace (ListSchedules with a List Filter) and one schedule's page: spec,
 * action, policies, state, upcoming runs, recent runs, with pause/unpause, trigger and delete.
 */
import { useState, type FormEvent } from 'react';
import type { ScheduleAction, ScheduleDetails, ScheduleListResponse } from '../../api-types';
import { apiGet, apiPost, enc, wfPath } from './api';
import { ConfirmDialog, ErrorBox, JsonView, Loading, StatusBadge, fmtTime, useLoad } from './common';
import { Link, useRouter } from './router';

export const schedPath = (ns: string, id: string) => `/namespaces/${enc(ns)}/schedules/${enc(id)}`;

export function ScheduleList({ namespace }: { namespace: string }) {
  const { search, navigate } = useRouter();
  const query = new URLSearchParams(search).get('query') ?? '';
  const [draft, setDraft] = useState(query);
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const pageToken = tokens[tokens.length - 1] ?? null;
  const list = useLoad(
    () => apiGet<ScheduleListResponse>(`/namespaces/${enc(namespace)}/schedules`, { query, pageSize: 50, nextPageToken: pageToken }),
    [namespace, query, pageToken],
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTokens([null]);
    const q = draft.trim();
    navigate(`/namespaces/${enc(namespace)}/schedules${q ? `?query=${enc(q)}` : ''}`);
  };
  return (
    <section>
      <div className="page-head">
        <h1>Schedules</h1>
      </div>
      <form className="search" onSubmit={submit}>
        <input
          type="search"
          placeholder="List Filter, e.g. TemporalSchedulePaused = true"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          aria-label="Schedule filter"
          data-testid="schedule-filter"
        />
        <button type="submit">Search</button>
      </form>
      {list.error ? (
        <ErrorBox error={list.error} what="Listing schedules" testId="schedule-list-error" />
      ) : !list.data ? (
        <Loading what="schedules" />
      ) : (
        <>
          <table className="grid" data-testid="schedule-table">
            <thead>
              <tr>
                <th>Schedule ID</th>
                <th>State</th>
                <th>Workflow type</th>
                <th>Last run</th>
                <th>Next run</th>
                <th>Notes</th>
              </tr>
            </thead>
            <tbody>
              {list.data.schedules.map((sc) => {
                const last = sc.recentActions[sc.recentActions.length - 1];
                return (
                  <tr key={sc.scheduleId} data-testid="schedule-row">
                    <td>
                      <Link to={schedPath(namespace, sc.scheduleId)}>{sc.scheduleId}</Link>
                    </td>
                    <td data-testid="schedule-state">{sc.paused ? 'Paused' : 'Active'}</td>
                    <td>{sc.workflowType}</td>
                    <td>{last ? fmtTime(last.actualTime) : '—'}</td>
                    <td>{fmtTime(sc.nextActionTimes[0])}</td>
                    <td>{sc.notes}</td>
                  </tr>
                );
              })}
              {list.data.schedules.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No schedules match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens((t) => t.slice(0, -1))}>
              Previous
            </button>
            <span className="muted">Page {tokens.length}</span>
            <button type="button" disabled={!list.data.nextPageToken} onClick={() => setTokens((t) => [...t, list.data!.nextPageToken])}>
              Next
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function RunsTable({ namespace, actions, testId }: { namespace: string; actions: ScheduleAction[]; testId: string }) {
  if (actions.length === 0) return <p className="muted">None yet.</p>;
  return (
    <table className="grid" data-testid={testId}>
      <thead>
        <tr>
          <th>Status</th>
          <th>Workflow ID</th>
          <th>Scheduled for</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {[...actions].reverse().map((a) => (
          <tr key={`${a.workflowId}/${a.runId}`} data-testid="recent-run">
            <td>
              <StatusBadge status={a.status} />
            </td>
            <td>
              <Link to={`${wfPath(namespace, a.workflowId)}?runId=${enc(a.runId)}`}>{a.workflowId}</Link>
            </td>
            <td>{fmtTime(a.scheduleTime)}</td>
            <td>{fmtTime(a.actualTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Dialog = 'pause' | 'unpause' | 'trigger' | 'delete' | undefined;

export function SchedulePage({ namespace, scheduleId }: { namespace: string; scheduleId: string }) {
  const { navigate } = useRouter();
  const d = useLoad(() => apiGet<ScheduleDetails>(`/namespaces/${enc(namespace)}/schedules/${enc(scheduleId)}`), [namespace, scheduleId]);
  const [dialog, setDialog] = useState<Dialog>();
  const [note, setNote] = useState('');
  const base = `/namespaces/${enc(namespace)}/schedules/${enc(scheduleId)}`;
  const act = async (what: Exclude<Dialog, undefined>) => {
    await apiPost(`${base}/${what}`, { note });
    setNote('');
    if (what === 'delete') navigate(`/namespaces/${enc(namespace)}/schedules`);
    else d.reload();
  };
  if (d.error) return <ErrorBox error={d.error} what={`Schedule ${scheduleId}`} testId="schedule-error" />;
  if (!d.data) return <Loading what="the schedule" />;
  const s = d.data;
  return (
    <section data-testid="schedule-page">
      <div className="page-head">
        <h1>
          Schedule <span className="mono">{s.scheduleId}</span>
        </h1>
        <span className={`status ${s.state.paused ? 'status-paused' : 'status-running'}`} data-testid="schedule-paused">
          {s.state.paused ? 'Paused' : 'Active'}
        </span>
      </div>
      <div className="actions">
        {s.state.paused ? (
          <button type="button" onClick={() => setDialog('unpause')} data-testid="unpause-button">
            Unpause
          </button>
        ) : (
          <button type="button" onClick={() => setDialog('pause')} data-testid="pause-button">
            Pause
          </button>
        )}
        <button type="button" onClick={() => setDialog('trigger')} data-testid="trigger-button">
          Trigger now
        </button>
        <button type="button" className="danger" onClick={() => setDialog('delete')} data-testid="delete-button">
          Delete
        </button>
        <button type="button" onClick={() => d.reload()}>
          Refresh
        </button>
      </div>
      {dialog && (
        <ConfirmDialog
          title={
            dialog === 'delete' ? 'Delete schedule' : dialog === 'trigger' ? 'Start a run now' : dialog === 'pause' ? 'Pause schedule' : 'Unpause schedule'
          }
          confirmLabel={dialog === 'delete' ? 'Delete' : dialog === 'trigger' ? 'Trigger' : dialog === 'pause' ? 'Pause' : 'Unpause'}
          danger={dialog === 'delete'}
          onConfirm={() => act(dialog)}
          onClose={() => setDialog(undefined)}
          testId={`${dialog}-dialog`}
        >
          {(dialog === 'pause' || dialog === 'unpause') && (
            <label>
              Note <input value={note} onChange={(e) => setNote(e.target.value)} data-testid="schedule-note" />
            </label>
          )}
          {dialog === 'delete' && <p>The runs it started are kept.</p>}
        </ConfirmDialog>
      )}
      <dl className="facts">
        <dt>Notes</dt>
        <dd data-testid="schedule-notes">{s.state.notes || '—'}</dd>
        <dt>Workflow</dt>
        <dd>
          {s.action.workflowType} on <span className="mono">{s.action.taskQueue}</span>, ID <span className="mono">{s.action.workflowId}</span>-&lt;time&gt;
        </dd>
        <dt>Overlap policy</dt>
        <dd>{s.policies.overlapPolicy}</dd>
        <dt>Catch-up window</dt>
        <dd>{s.policies.catchupWindow ?? '—'}</dd>
        <dt>Pause on failure</dt>
        <dd>{s.policies.pauseOnFailure ? 'yes' : 'no'}</dd>
        <dt>Remaining actions</dt>
        <dd>{s.state.limitedActions ? s.state.remainingActions : 'unlimited'}</dd>
        <dt>Actions taken</dt>
        <dd data-testid="action-count">{s.info.actionCount}</dd>
        <dt>Missed (catch-up window)</dt>
        <dd>{s.info.missedCatchupWindow}</dd>
        <dt>Skipped (overlap)</dt>
        <dd>{s.info.overlapSkipped}</dd>
        <dt>Created</dt>
        <dd>{fmtTime(s.info.createTime)}</dd>
        <dt>Updated</dt>
        <dd>{fmtTime(s.info.updateTime)}</dd>
      </dl>
      <h2>Spec</h2>
      <JsonView value={s.spec} testId="schedule-spec" />
      <h2>Upcoming runs</h2>
      {s.info.futureActionTimes.length === 0 ? (
        <p className="muted">None{s.state.paused ? ' (paused)' : ''}.</p>
      ) : (
        <ol data-testid="upcoming-runs">
          {s.info.futureActionTimes.map((t) => (
            <li key={t}>{fmtTime(t)}</li>
          ))}
        </ol>
      )}
      <h2>Running</h2>
      {s.info.runningWorkflows.length === 0 ? (
        <p className="muted">Nothing the schedule started is running.</p>
      ) : (
        <ul>
          {s.info.runningWorkflows.map((w) => (
            <li key={w.workflowId}>
              <Link to={`${wfPath(namespace, w.workflowId)}?runId=${enc(w.runId)}`}>{w.workflowId}</Link>
            </li>
          ))}
        </ul>
      )}
      <h2>Recent runs</h2>
      <RunsTable namespace={namespace} actions={s.info.recentActions} testId="recent-runs" />
      <h2>Memo and search attributes</h2>
      <JsonView value={{ memo: s.memo, searchAttributes: s.searchAttributes }} />
    </section>
  );
}
