/** Layout (header, namespace switcher, upgrade banner) and routes. */
import { useEffect } from 'react';
import type { NamespacesResponse } from '../../api-types';
import { apiGet, enc } from './api';
import { UpgradeBanner } from './Banner';
import { ClusterPage } from './ClusterPage';
import { useLoad } from './common';
import { Link, match, useRouter } from './router';
import { ScheduleList, SchedulePage } from './Schedules';
import { StartWorkflow } from './StartWorkflow';
import { TaskQueuePage } from './TaskQueuePage';
import { WorkflowList } from './WorkflowList';
import { WorkflowPage } from './WorkflowPage';

const LAST_NS = 'temporal-ts.namespace';

function currentNamespace(path: string): string | undefined {
  const m = /^\/namespaces\/([^/]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

function NamespaceSwitcher({ current }: { current: string }) {
  const { navigate } = useRouter();
  const ns = useLoad(() => apiGet<NamespacesResponse>('/namespaces'), []);
  const names = ns.data?.namespaces.map((n) => n.name) ?? [];
  if (!names.includes(current)) names.unshift(current);
  return (
    <label className="ns-switch">
      Namespace{' '}
      <select
        value={current}
        onChange={(e) => {
          window.localStorage.setItem(LAST_NS, e.target.value);
          navigate(`/namespaces/${enc(e.target.value)}/workflows`);
        }}
        data-testid="namespace-switcher"
        title={ns.error ? `namespaces could not be listed: ${ns.error.message}` : undefined}
      >
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

function Routes() {
  const { path, search, navigate } = useRouter();
  let m;
  if ((m = match('/namespaces/:ns/workflows', path))) return <WorkflowList namespace={m.ns!} />;
  if ((m = match('/namespaces/:ns/start', path))) return <StartWorkflow namespace={m.ns!} />;
  if ((m = match('/namespaces/:ns/workflows/:wid', path))) {
    return <WorkflowPage key={`${m.ns}/${m.wid}`} namespace={m.ns!} workflowId={m.wid!} runId={new URLSearchParams(search).get('runId') ?? ''} />;
  }
  if ((m = match('/namespaces/:ns/schedules', path))) return <ScheduleList namespace={m.ns!} />;
  if ((m = match('/namespaces/:ns/schedules/:sid', path))) return <SchedulePage key={`${m.ns}/${m.sid}`} namespace={m.ns!} scheduleId={m.sid!} />;
  if ((m = match('/namespaces/:ns/task-queues/:tq', path))) return <TaskQueuePage key={`${m.ns}/${m.tq}`} namespace={m.ns!} name={m.tq!} />;
  if (path === '/cluster') return <ClusterPage />;
  return <Redirect to={`/namespaces/${enc(window.localStorage.getItem(LAST_NS) || 'default')}/workflows`} navigate={navigate} />;
}

function Redirect({ to, navigate }: { to: string; navigate(to: string): void }) {
  useEffect(() => {
    window.history.replaceState(null, '', to);
    navigate(to);
  }, [to, navigate]);
  return null;
}

export function App() {
  const { path } = useRouter();
  const ns = currentNamespace(path) ?? window.localStorage.getItem(LAST_NS) ?? 'default';
  useEffect(() => {
    if (currentNamespace(path)) window.localStorage.setItem(LAST_NS, ns);
  }, [path, ns]);
  return (
    <>
      <UpgradeBanner />
      <header className="top">
        <Link to={`/namespaces/${enc(ns)}/workflows`} className="brand">
          temporal-ts
        </Link>
        <nav>
          <Link to={`/namespaces/${enc(ns)}/workflows`} data-testid="nav-workflows">
            Workflows
          </Link>
          <Link to={`/namespaces/${enc(ns)}/schedules`} data-testid="nav-schedules">
            Schedules
          </Link>
          <Link to="/cluster" data-testid="nav-cluster">
            Cluster
          </Link>
        </nav>
        <NamespaceSwitcher current={ns} />
      </header>
      <main>
        <Routes />
      </main>
    </>
  );
}
