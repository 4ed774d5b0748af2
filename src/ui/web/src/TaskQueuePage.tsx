/** One task queue: the workers polling it (identity, last poll; the last five minutes) and its backlog, per task type. */
import type { TaskQueuePoller, TaskQueueResponse } from '../../api-types';
import { apiGet, enc } from './api';
import { ErrorBox, fmtTime, Loading, useLoad } from './common';

function Pollers({ kind, pollers, backlog }: { kind: 'workflow' | 'activity'; pollers: TaskQueuePoller[]; backlog: number }) {
  return (
    <div className="panel" data-testid={`tq-${kind}`}>
      <h2>{kind === 'workflow' ? 'Workflow' : 'Activity'} pollers</h2>
      {pollers.length === 0 ? (
        <p className="muted" data-testid={`tq-${kind}-none`}>
          No worker polled this queue for {kind} tasks in the last five minutes.
        </p>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Identity</th>
              <th>Last poll</th>
              <th>Rate per second</th>
            </tr>
          </thead>
          <tbody>
            {pollers.map((p) => (
              <tr key={p.identity} data-testid={`tq-${kind}-poller`}>
                <td className="mono">{p.identity}</td>
                <td>{fmtTime(p.lastAccessTime)}</td>
                <td>{p.ratePerSecond}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        Backlog: <span data-testid={`tq-${kind}-backlog`}>{backlog}</span> task{backlog === 1 ? '' : 's'} waiting for a worker
      </p>
    </div>
  );
}

export function TaskQueuePage({ namespace, name }: { namespace: string; name: string }) {
  const d = useLoad(() => apiGet<TaskQueueResponse>(`/namespaces/${enc(namespace)}/task-queues/${enc(name)}`), [namespace, name]);
  if (d.error) return <ErrorBox error={d.error} what={`Task queue ${name}`} testId="tq-error" />;
  if (!d.data) return <Loading what="the task queue" />;
  return (
    <section data-testid="task-queue-page">
      <div className="page-head">
        <h1>
          Task queue <span className="mono">{name}</span>
        </h1>
        <div className="actions">
          <button type="button" onClick={d.reload} data-testid="refresh">
            Refresh
          </button>
        </div>
      </div>
      <Pollers kind="workflow" pollers={d.data.workflow.pollers} backlog={d.data.workflow.backlog} />
      <Pollers kind="activity" pollers={d.data.activity.pollers} backlog={d.data.activity.backlog} />
    </section>
  );
}
