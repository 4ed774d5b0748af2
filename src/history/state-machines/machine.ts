/**
 * The engine behind every transition table in this folder. A row says: in state `from`, `action`
 * leads to `to` and runs `effect` (the events, tasks and timers the transition writes). Firing an
 * action is the only way an entity's state changes; an action the table does not list for the
 * entity's state is an InvalidTransitionError (INTERNAL) naming the entity, its state, the action and
 * the entity's recent transitions. A row may list several destinations when the outcome depends on
 * data (a failed activity is retried or closed): its effect returns the one it chose.
 *
 * Owns: lookup, the state write, removal of entities that reach a final state, the recent-transition
 * memory used in errors. Does not own: the tables and effects (workflow.ts, workflow-task.ts,
 * activity.ts, timer.ts, child.ts, update.ts, query.ts) nor the persisted shapes (../mutable-state.ts).
 */
import { InternalError } from '../../common/errors';

/** What a transition does. Returns the destination when its row lists several. */
export type Effect<C, E, P, S extends string> = (ctx: C, entity: E, payload: P) => S | void;
/** What a creation does: builds the entity (in the row's state) and puts it into the mutable state. */
export type CreateEffect<C, E, P> = (ctx: C, payload: P) => E;

/** The arguments after the action: none for an action whose payload is `void`. */
export type PayloadArgs<P> = [P] extends [void] ? [] : [payload: P];

interface TransitionRow<S extends string, C, E> {
  readonly from: S;
  readonly action: string;
  readonly to: readonly S[];
  readonly effect: Effect<C, E, never, S>;
}

interface CreationRow<S extends string, C, E> {
  readonly action: string;
  readonly to: S;
  readonly create: CreateEffect<C, E, never>;
}

/** A row as tests and documentation see it; `from` is null for a creation. */
export interface RowInfo<S extends string> {
  readonly from: S | null;
  readonly action: string;
  readonly to: readonly S[];
}

export interface MachineSpec<S extends string, C, E> {
  /** what the entity is called in errors: 'activity', 'workflow task' */
  readonly entity: string;
  /** names one entity (and its execution) in errors */
  describe(ctx: C, e: E): string;
  /** what its recent transitions are remembered under, when `describe` changes during its life */
  key?(ctx: C, e: E): string;
  stateOf(e: E): S;
  /** the one writer of the entity's state */
  setState(e: E, s: S): void;
  /** states in which the entity is done, and how it leaves the mutable state then */
  readonly final?: { readonly states: readonly S[]; remove(ctx: C, e: E): void };
}

/** Row builders handed to a table's definition; `Acts` maps each action to its payload type. */
export interface Rows<S extends string, Acts, C, E> {
  on<A extends keyof Acts & string>(from: S | readonly S[], action: A, to: S | readonly S[], effect: Effect<C, E, Acts[A], S>): void;
  create<A extends keyof Acts & string>(action: A, to: S, create: CreateEffect<C, E, Acts[A]>): void;
}

/** An action the table does not list for the entity's state: a bug, never a user error. */
export class InvalidTransitionError extends InternalError {
  constructor(
    readonly entity: string,
    readonly state: string,
    readonly action: string,
    readonly recent: readonly string[],
  ) {
    super(
      `${entity}: invalid transition: action '${action}' in state '${state}'; ` +
        `recent transitions: ${recent.length > 0 ? recent.join(', ') : 'none in this process'}`,
    );
  }
}

/** How many entities' recent transitions are remembered, and how many of each (diagnostics only). */
const RECENT_ENTITIES = 512;
const RECENT_PER_ENTITY = 8;

export class StateMachine<S extends string, Acts, C, E> {
  private readonly rows = new Map<string, TransitionRow<S, C, E>>();
  private readonly creations = new Map<string, CreationRow<S, C, E>>();
  /**
   * The last transitions of recently touched entities, by `describe`. In memory, this process only,
   * and including changes that were later not committed: it explains an error, it proves nothing.
   */
  private readonly recent = new Map<string, string[]>();

  constructor(
    private readonly spec: MachineSpec<S, C, E>,
    define: (rows: Rows<S, Acts, C, E>) => void,
  ) {
    define({
      on: (from, action, to, effect) => {
        for (const f of typeof from === 'string' ? [from] : from) {
          const k = key(f, action);
          if (this.rows.has(k)) throw new Error(`${spec.entity} table lists (${f}, ${action}) twice`);
          this.rows.set(k, { from: f, action, to: typeof to === 'string' ? [to] : to, effect: effect as Effect<C, E, never, S> });
        }
      },
      create: (action, to, create) => {
        if (this.creations.has(action)) throw new Error(`${spec.entity} table lists the creation ${action} twice`);
        this.creations.set(action, { action, to, create: create as CreateEffect<C, E, never> });
      },
    });
  }

  get entity(): string {
    return this.spec.entity;
  }

  stateOf(e: E): S {
    return this.spec.stateOf(e);
  }

  /** True when the table lists `action` for the entity's current state. */
  can(e: E, action: keyof Acts & string): boolean {
    return this.rows.has(key(this.spec.stateOf(e), action));
  }

  /** Applies `action` to the entity: its effect, then its new state. Returns that state. */
  fire<A extends keyof Acts & string>(ctx: C, e: E, action: A, ...payload: PayloadArgs<Acts[A]>): S {
    const from = this.spec.stateOf(e);
    const row = this.rows.get(key(from, action));
    const memory = this.memoryKey(ctx, e);
    // the entity's description is built only for an error (this runs for every transition)
    if (!row) throw new InvalidTransitionError(this.spec.describe(ctx, e), from, action, this.recent.get(memory) ?? []);
    const name = row.to.length === 1 ? undefined : this.spec.describe(ctx, e);
    const chosen = (row.effect as Effect<C, E, Acts[A] | undefined, S>)(ctx, e, payload[0]);
    const to = chosen ?? (row.to.length === 1 ? row.to[0]! : undefined);
    if (to === undefined || !row.to.includes(to)) {
      throw new InternalError(
        `${name ?? this.spec.describe(ctx, e)}: the effect of '${action}' in state '${from}' chose ${String(to)}, not one of ${row.to.join(', ')}`,
      );
    }
    this.spec.setState(e, to);
    this.remember(memory, `${from} --${action}--> ${to}`);
    if (this.spec.final?.states.includes(to)) this.spec.final.remove(ctx, e);
    return to;
  }

  /** Brings a new entity into being through a creation row. */
  create<A extends keyof Acts & string>(ctx: C, action: A, ...payload: PayloadArgs<Acts[A]>): E {
    const row = this.creations.get(action);
    if (!row) throw new InvalidTransitionError(`${this.spec.entity} (new)`, 'none', action, []);
    const e = (row.create as CreateEffect<C, E, Acts[A] | undefined>)(ctx, payload[0]);
    this.spec.setState(e, row.to);
    this.remember(this.memoryKey(ctx, e), `(new) --${action}--> ${row.to}`);
    return e;
  }

  /** The table, for tests and documentation. */
  table(): RowInfo<S>[] {
    return [
      ...[...this.creations.values()].map((r) => ({ from: null, action: r.action, to: [r.to] })),
      ...[...this.rows.values()].map((r) => ({ from: r.from, action: r.action, to: r.to })),
    ];
  }

  private memoryKey(ctx: C, e: E): string {
    return this.spec.key?.(ctx, e) ?? this.spec.describe(ctx, e);
  }

  private remember(name: string, line: string): void {
    const lines = this.recent.get(name) ?? [];
    this.recent.delete(name); // re-inserted last: the map stays in least-recently-used order
    lines.push(line);
    if (lines.length > RECENT_PER_ENTITY) lines.shift();
    this.recent.set(name, lines);
    if (this.recent.size > RECENT_ENTITIES) this.recent.delete(this.recent.keys().next().value as string);
  }
}

function key(state: string, action: string): string {
  return `${state}\u0000${action}`;
}
