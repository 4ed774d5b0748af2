/**
 * The commands that record or change the run's own data: RecordMarker, UpsertWorkflowSearchAttributes,
 * ModifyWorkflowProperties (memo). They write one event each and have no lifecycle of their own.
 */
import { fromB64, temporal, toB64 } from '../../common/proto';
import type { MutationContext } from '../context';
import { markerDetailsSize, memoSize } from '../limits';
import { mergeIndexedFields } from '../../visibility';
import { defineCommand } from './command';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
type PayloadMap = Record<string, temporal.api.common.v1.IPayload> | null | undefined;

export const recordMarker = defineCommand<temporal.api.command.v1.IRecordMarkerCommandAttributes>({
  attributes: (c) => c.recordMarkerCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
  payload: { field: 'RecordMarkerCommandAttributes.Details', kind: 'blob', size: (a) => markerDetailsSize(a?.details) },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    ctx.addEvent('EVENT_TYPE_MARKER_RECORDED', {
      markerName: a.markerName,
      details: a.details,
      header: a.header,
      failure: a.failure,
      workflowTaskCompletedEventId,
    });
  },
});

export const upsertWorkflowSearchAttributes = defineCommand<temporal.api.command.v1.IUpsertWorkflowSearchAttributesCommandAttributes>({
  attributes: (c) => c.upsertWorkflowSearchAttributesCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    ctx.addEvent('EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', { searchAttributes: a.searchAttributes, workflowTaskCompletedEventId });
    upsertSearchAttributes(ctx, a.searchAttributes?.indexedFields);
  },
});

export const modifyWorkflowProperties = defineCommand<temporal.api.command.v1.IModifyWorkflowPropertiesCommandAttributes>({
  attributes: (c) => c.modifyWorkflowPropertiesCommandAttributes,
  badAttributesCause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
  payload: { field: 'ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo', kind: 'memo', size: (a) => memoSize(a?.upsertedMemo) },
  apply({ ctx, workflowTaskCompletedEventId }, a) {
    ctx.addEvent('EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED', { upsertedMemo: a.upsertedMemo, workflowTaskCompletedEventId });
    upsertMemo(ctx, a.upsertedMemo?.fields);
  },
});

/** Merge upserted search attributes into the run's (a null or empty-list value removes one). */
function upsertSearchAttributes(ctx: MutationContext, fields: PayloadMap): void {
  const SA = temporal.api.common.v1.SearchAttributes;
  const e = ctx.ms.execution;
  const current = e.searchAttributesB64 ? fromB64(SA, e.searchAttributesB64).indexedFields : undefined;
  const merged = mergeIndexedFields(current, fields);
  e.searchAttributesB64 = Object.keys(merged).length > 0 ? toB64(SA, { indexedFields: merged }) : undefined;
}

/** Merge upserted memo fields into the run's memo (a null value removes one). */
function upsertMemo(ctx: MutationContext, fields: PayloadMap): void {
  const Memo = temporal.api.common.v1.Memo;
  const e = ctx.ms.execution;
  const current = e.memoB64 ? fromB64(Memo, e.memoB64).fields : undefined;
  const merged = mergeIndexedFields(current, fields, false);
  e.memoB64 = Object.keys(merged).length > 0 ? toB64(Memo, { fields: merged }) : undefined;
}
