/**
 * The visibility part of WorkflowService: List / Count / Scan / ListOpen / ListClosed and
 * GetSearchAttributes, plus search attribute validation wrapped around the handlers that set them
 * (StartWorkflowExecution, SignalWithStartWorkflowExecution, RespondWorkflowTaskCompleted with an
 * UpsertWorkflowSearchAttributes command). Wrapping keeps workflow-handler.ts unaware of visibility.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors';
import { temporal } from '../common/proto';
import type { HistoryService } from '../history';
import { decodeToken } from '../history/api/task-token';
import type { VisibilityManager } from '../visibility/manager';
import { SearchAttributeError, type NamespaceAttributes } from '../visibility/search-attributes';
import type { NamespaceRegistry } from './namespaces';
import type { UnaryHandler } from './service-definition';
import ws = temporal.api.workflowservice.v1;

const CT = temporal.api.enums.v1.CommandType;

export interface VisibilityFrontendDeps {
  visibility: VisibilityManager | undefined;
  namespaces: NamespaceRegistry;
  history: HistoryService;
  /** the WorkflowService handlers being wrapped */
  base: Record<string, UnaryHandler>;
}

function validateOrThrow(attrs: NamespaceAttributes, fields: Record<string, temporal.api.common.v1.IPayload> | null | undefined): void {
  try {
    attrs.validate(fields);
  } catch (err) {
    if (err instanceof SearchAttributeError) throw new InvalidArgumentError('searchAttributes', err.message);
    throw err;
  }
}

export function visibilityHandlers(d: VisibilityFrontendDeps): Record<string, UnaryHandler> {
  const { namespaces, history, base } = d;
  const vis = (): VisibilityManager => {
    if (!d.visibility)
      throw new FailedPreconditionError('this server runs without a visibility store: configure persistence.visibilityStore to list and count workflows');
    return d.visibility;
  };
  const call = (name: string, req: unknown, rest: unknown[]): Promise<object> => (base[name] as (...a: unknown[]) => Promise<object>)(req, ...rest);

  const h = {
    async StartWorkflowExecution(req: ws.IStartWorkflowExecutionRequest, ...rest: unknown[]) {
      if (d.visibility && req.searchAttributes?.indexedFields && Object.keys(req.searchAttributes.indexedFields).length > 0) {
        const ns = await namespaces.resolve(req.namespace);
        validateOrThrow(await d.visibility.registry.get(ns.id), req.searchAttributes.indexedFields);
      }
      return call('StartWorkflowExecution', req, rest);
    },
    async SignalWithStartWorkflowExecution(req: ws.ISignalWithStartWorkflowExecutionRequest, ...rest: unknown[]) {
      if (d.visibility && req.searchAttributes?.indexedFields && Object.keys(req.searchAttributes.indexedFields).length > 0) {
        const ns = await namespaces.resolve(req.namespace);
        validateOrThrow(await d.visibility.registry.get(ns.id), req.searchAttributes.indexedFields);
      }
      return call('SignalWithStartWorkflowExecution', req, rest);
    },
    async RespondWorkflowTaskCompleted(req: ws.IRespondWorkflowTaskCompletedRequest, ...rest: unknown[]) {
      const upserts = (req.commands ?? []).filter((c) => Number(c.commandType) === CT.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
      if (d.visibility && upserts.length > 0) {
        const token = decodeToken(req.taskToken);
        if (token.k === 'wt') {
          const attrs = await d.visibility.registry.get(token.ns);
          for (const c of upserts) {
            try {
              attrs.validate(c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields);
            } catch (err) {
              if (!(err instanceof SearchAttributeError)) throw err;
              // as the engine does for a bad command: fail this workflow task, tell the worker why
              await history.respondWorkflowTaskFailed(token, {
                taskToken: req.taskToken,
                cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
                failure: { message: err.message, source: 'temporal-ts', applicationFailureInfo: { type: 'BadSearchAttributes', nonRetryable: true } },
                identity: req.identity ?? '',
              });
              throw new InvalidArgumentError('commands', `UpsertWorkflowSearchAttributes: ${err.message}`);
            }
          }
        }
      }
      return call('RespondWorkflowTaskCompleted', req, rest);
    },
    async ListWorkflowExecutions(req: ws.IListWorkflowExecutionsRequest) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().list(ns.id, req.query ?? '', req.pageSize ?? 0, req.nextPageToken);
    },
    async ScanWorkflowExecutions(req: ws.IScanWorkflowExecutionsRequest) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().list(ns.id, req.query ?? '', req.pageSize ?? 0, req.nextPageToken);
    },
    async CountWorkflowExecutions(req: ws.ICountWorkflowExecutionsRequest) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().count(ns.id, req.query ?? '');
    },
    async ListOpenWorkflowExecutions(req: ws.IListOpenWorkflowExecutionsRequest) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().listOpenOrClosed(ns.id, false, req);
    },
    async ListClosedWorkflowExecutions(req: ws.IListClosedWorkflowExecutionsRequest) {
      const ns = await namespaces.resolve(req.namespace);
      return vis().listOpenOrClosed(ns.id, true, req);
    },
    async GetSearchAttributes() {
      // namespace-less (deprecated) API: the system attributes
      const { systemAttributes } = await vis().listAttributes('');
      return { keys: systemAttributes };
    },
  };
  return h as unknown as Record<string, UnaryHandler>;
}
