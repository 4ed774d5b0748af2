/**
 * What a command of RespondWorkflowTaskCompleted is to the server: how to find its attributes, how
 * to check them before anything is applied (a bad command fails the workflow task with Temporal's
 * cause), whether its payload is size-limited, and what applying it does (through the transition
 * tables in ../state-machines). One module per command family defines its entries; registry.ts
 * holds them all, keyed by command type.
 */
import type { temporal } from '../../common/proto';
import type { MutationContext } from '../context';
import type { MutableState } from '../mutable-state';

export type Command = temporal.api.command.v1.ICommand;

/** A command the server cannot apply: the workflow task fails with `failedCause`. */
export class BadCommandError extends Error {
  constructor(
    readonly failedCause: number,
    message: string,
  ) {
    super(message);
  }
}

/** What validation knows about the batch so far (ids used by earlier commands of the same task). */
export interface ValidationScope {
  readonly ms: MutableState;
  /** activity ids of pending activities and of the ones scheduled earlier in the batch */
  readonly activityIds: Set<string>;
  /** scheduled event ids of activities whose cancellation an earlier command of the batch requested */
  readonly cancelRequestedActivities: Set<number>;
  /** timer ids of pending timers and of the ones started earlier in the batch */
  readonly timerIds: Set<string>;
  /** timer ids canceled earlier in the batch */
  readonly canceledTimers: Set<string>;
}

/** What applying a command gets: the change, the WorkflowTaskCompleted event, the worker. */
export interface ApplyContext {
  readonly ctx: MutationContext;
  readonly workflowTaskCompletedEventId: number;
  readonly identity: string;
  /** applies the protocol message `id` of the request (an update's acceptance, response or rejection) */
  applyMessage(id: string): void;
}

/** A payload field checked against the blob (or memo) size limit before anything is applied. */
export interface PayloadLimit<A> {
  /** the field as Temporal names it in its message: 'ScheduleActivityTaskCommandAttributes.Input' */
  readonly field: string;
  readonly kind: 'blob' | 'memo';
  size(a: A | null | undefined): number;
}

export interface CommandSpec<A> {
  /** the command's attributes (its oneof field) */
  attributes(c: Command): A | null | undefined;
  /** Temporal's cause for bad attributes of this command */
  readonly badAttributesCause: number;
  /** closes the run: must be the last command of the batch */
  readonly closesWorkflow?: boolean;
  readonly payload?: PayloadLimit<A>;
  /** throws BadCommandError; records what later commands of the batch must know in `scope` */
  validate?(a: A | null | undefined, scope: ValidationScope): void;
  /** runs after every command of the batch validated; unset attributes arrive as an empty message (proto3) */
  apply(x: ApplyContext, a: A): void;
}

/** A registry entry: the spec with its attribute type erased (each entry reads its own attributes). */
export interface CommandDefinition {
  readonly supported: true;
  readonly badAttributesCause: number;
  readonly closesWorkflow: boolean;
  validate(c: Command, scope: ValidationScope): void;
  /** the size-limited payload of the command, if it has one */
  payload(c: Command): { field: string; kind: 'blob' | 'memo'; size: number } | undefined;
  apply(x: ApplyContext, c: Command): void;
}

/** A command type of the API this server does not implement (the task fails with FEATURE_DISABLED). */
export interface UnsupportedCommand {
  readonly supported: false;
  /** what is missing, for the failure message */
  readonly feature: string;
}

export function defineCommand<A>(spec: CommandSpec<A>): CommandDefinition {
  return {
    supported: true,
    badAttributesCause: spec.badAttributesCause,
    closesWorkflow: spec.closesWorkflow ?? false,
    validate: (c, scope) => spec.validate?.(spec.attributes(c), scope),
    payload: (c) => {
      const p = spec.payload;
      return p ? { field: p.field, kind: p.kind, size: p.size(spec.attributes(c)) } : undefined;
    },
    apply: (x, c) => spec.apply(x, spec.attributes(c) ?? ({} as A)),
  };
}

export function unsupported(feature: string): UnsupportedCommand {
  return { supported: false, feature };
}

/** A thrower bound to a command's cause, for validate: `bad('ActivityId is not set')`. */
export function badWith(cause: number): (message: string) => never {
  return (message) => {
    throw new BadCommandError(cause, message);
  };
}
