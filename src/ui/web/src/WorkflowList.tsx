/** Workflows of a namespace: List Filter, status filter, counts, pages of 50 with next-page tokens. */
import { useState, type FormEvent } from 'react';
import type { WorkflowCountResponse, WorkflowListResponse } from '../../api-types';
import { apiGet, enc, wfPath } from './api';
import { ErrorBox, Loading, StatusBadge, fmtTime, useLoad } from './common';
import { Link, useRouter } from './router';

export const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'];
const PAGE_SIZE = 50;

export function WorkflowList({ namespace }: { namespace: string }) {
  const { search, navigate } = useRouter();
  const params = new URLSearchParams(search);
  const query = params.get('query') ?? '';
  const status = params.get('status') ?? '';
  const [draft, setDraft] = useState(query);
  const [openId, setOpenId] = useState('');
  // tokens of the pages before this one (Previous) and of this one
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const pageToken = tokens[tokens.length - 1] ?? null;

  const list = useLoad(
    () => apiGet<WorkflowListResponse>(`/namespaces/${enc(namespace)}/workflows`, { query, status, pageSize: PAGE_SIZE, nextPageToken: pageToken }),
    [namespace, query, status, pageToken],
  );
  const counts = useLoad(() => apiGet<WorkflowCountResponse>(`/namespaces/${enc(namespace)}/count`, { query }), [namespace, query]);

  const go = (q: string, st: string) => {
    setTokens([null]);
    const p = new URLSearchParams();
    if (q) p.set('query', q);
    if (st) p.set('status', st);
    const s = p.toString();
    navigate(`/namespaces/${enc(namespace)}/workflows${s ? `?${s}` : ''}`);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(draft.trim(), status);
  };
  const open = (e: FormEvent) => {
    e.preventDefault();
    if (openId.trim()) navigate(wfPath(namespace, openId.trim()));
  };

  return (
    <section>
      <div className="page-head">
        <h1>Workflows</h1>
        <Link to={`/namespaces/${enc(namespace)}/start`} className="button primary" data-testid="start-workflow-link">
          Start workflow
        </Link>
      </div>
      <form className="search" onSubmit={submit}>
        <input
          type="search"
          placeholder={'List Filter, e.g. WorkflowType = "greet" AND ExecutionStatus = "Running"'}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          aria-label="List Filter"
          data-testid="list-filter"
        />
        <select value={status} onChange={(e) => go(query, e.target.value)} aria-label="Status" data-testid="status-filter">
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="submit">Search</button>
      </form>
      <form className="open-by-id" onSubmit={open}>
        <input
          placeholder="Open a workflow by its ID"
          value={openId}
          onChange={(e) => setOpenId(e.target.value)}
          aria-label="Workflow ID"
          data-testid="open-id"
        />
        <button type="submit">Open</button>
      </form>

      <div className="counts" data-testid="counts">
        {counts.error ? (
          <ErrorBox error={counts.error} what="Counting workflows" testId="count-error" />
        ) : counts.data ? (
          <>
            <span className="count-total" data-testid="count-total">
              {counts.data.total} workflow{counts.data.total === 1 ? '' : 's'}
            </span>
            {counts.data.byStatus &&
              Object.entries(counts.data.byStatus).map(([s, n]) => (
                <button key={s} type="button" className={`count-chip status-${s.toLowerCase()}`} onClick={() => go(query, s)} data-testid={`count-${s}`}>
                  {s} {n}
                </button>
              ))}
          </>
        ) : null}
      </div>

      {list.error ? (
        <ErrorBox error={list.error} what="Listing workflows" testId="list-error" />
      ) : !list.data ? (
        <Loading what="workflows" />
      ) : (
        <>
          <table className="grid" data-testid="workflow-table">
            <thead>
              <tr>
                <th>Status</th>
                <th>Workflow ID</th>
                <th>Run ID</th>
                <th>Type</th>
                <th>Task queue</th>
                <th>Start</th>
                <th>End</th>
              </tr>
            </thead>
            <tbody>
              {list.data.executions.map((w) => (
                <tr key={`${w.workflowId}/${w.runId}`} data-testid="workflow-row">
                  <td>
                    <StatusBadge status={w.status} />
                  </td>
                  <td>
                    <Link to={`${wfPath(namespace, w.workflowId)}?runId=${enc(w.runId)}`}>{w.workflowId}</Link>
                  </td>
                  <td className="mono small">{w.runId}</td>
                  <td>{w.type}</td>
                  <td>{w.taskQueue}</td>
                  <td>{fmtTime(w.startTime)}</td>
                  <td>{fmtTime(w.closeTime)}</td>
                </tr>
              ))}
              {list.data.executions.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">
                    No workflows match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens((t) => t.slice(0, -1))} data-testid="prev-page">
              Previous
            </button>
            <span className="muted">Page {tokens.length}</span>
            <button
              type="button"
              disabled={!list.data.nextPageToken}
              onClick={() => setTokens((t) => [...t, list.data!.nextPageToken])}
              data-testid="next-page"
            >
              Next
            </button>
          </div>
        </>
      )}
    </section>
  );
}
