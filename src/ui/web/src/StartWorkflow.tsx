/** The "start workflow" form: type, task queue, workflow id, JSON input; confirmation, then the new workflow's page. */
import { useState, type FormEvent } from 'react';
import type { StartWorkflowResponse } from '../../api-types';
import { apiPost, enc, wfPath } from './api';
import { ConfirmDialog } from './common';
import { useRouter } from './router';

export function StartWorkflow({ namespace }: { namespace: string }) {
  const { navigate } = useRouter();
  const [f, setF] = useState({ workflowType: '', taskQueue: '', workflowId: `ui-${Math.random().toString(36).slice(2, 10)}`, input: '' });
  const [confirming, setConfirming] = useState(false);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setConfirming(true);
  };
  return (
    <section>
      <h1>Start a workflow in {namespace}</h1>
      <form className="form" onSubmit={submit} data-testid="start-form">
        <label>
          Workflow type
          <input required value={f.workflowType} onChange={set('workflowType')} data-testid="start-type" />
        </label>
        <label>
          Task queue
          <input required value={f.taskQueue} onChange={set('taskQueue')} data-testid="start-task-queue" />
        </label>
        <label>
          Workflow ID
          <input required value={f.workflowId} onChange={set('workflowId')} data-testid="start-workflow-id" />
        </label>
        <label>
          Input (JSON; an array is the argument list, empty for none)
          <textarea rows={5} value={f.input} onChange={set('input')} data-testid="start-input" placeholder='["World"]' />
        </label>
        <button type="submit" className="primary" data-testid="start-submit">
          Start workflow
        </button>
      </form>
      {confirming && (
        <ConfirmDialog
          title={`Start ${f.workflowType} as ${f.workflowId}?`}
          confirmLabel="Start"
          testId="start-dialog"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const r = await apiPost<StartWorkflowResponse>(`/namespaces/${enc(namespace)}/workflows`, f);
            navigate(`${wfPath(namespace, r.workflowId)}?runId=${enc(r.runId)}`);
          }}
        >
          <p>
            On task queue <strong>{f.taskQueue}</strong> with input <code>{f.input.trim() || '(none)'}</code>.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
