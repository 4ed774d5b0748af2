/** Builds history events: id, time, type and the matching `<name>EventAttributes` field. */
import { EventType, msToTimestamp, type IHistoryEvent } from '../common/proto';

export type EventTypeName = keyof typeof EventType;

const attributesFields = new Map<string, string>();

/** EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> workflowExecutionStartedEventAttributes */
export function attributesField(type: EventTypeName): string {
  let field = attributesFields.get(type);
  if (field === undefined) {
    field = attributesFieldOf(type);
    attributesFields.set(type, field);
  }
  return field;
}

function attributesFieldOf(type: string): string {
  const words = type
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .split('_');
  return words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('') + 'EventAttributes';
}

export function makeEvent(type: EventTypeName, attrs: object, nowMs: number, eventId = 0): IHistoryEvent {
  return { eventId, eventTime: msToTimestamp(nowMs), eventType: EventType[type], [attributesField(type)]: attrs } as unknown as IHistoryEvent;
}

const CLOSE_TYPES = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

export function isCloseEvent(e: IHistoryEvent): boolean {
  return CLOSE_TYPES.has(Number(e.eventType));
}
