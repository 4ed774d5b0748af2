/**
 * The routing clients of a cluster member: a HistoryService and a MatchingService that look like
 * the local ones but send each call to the member that owns its key — a history shard (by
 * workflow) or a task queue (by name) — over the internal API, or to the local service when this
 * member owns it. The frontend, matching (its history client) and history (its matching client and
 * its calls on other shards) are all built with these, so any process serves any request.
 *
 * A call that meets a shard this member is still acquiring, a member that just lost or handed over
 * the shard, or a member that is gone waits for the next membership refresh and tries again, until
 * its routing deadline; then it fails UNAVAILABLE (the SDKs retry that). Writes are fenced by
 * range_id, so a retried call never commits twice under two owners.
 */
import { status } from '@grpc/grpc-js';
import { ShardOwnershipLostError, UnavailableError } from '../../common/errors';
import { shardIdFor } from '../../common/ids';
import type { Logger } from '../../common/logger';
import { temporal } from '../../common/proto';
import { queryShardId, schedulerWorkflowId, type HistoryService } from '../../history';
import type { MatchingService } from '../../matching';
import type { MemberRole, MemberRow } from '../../persistence';
import { InternalCallError, type InternalClients, type MethodShape } from './internal-api';
import type { ClusterMembership } from './membership';
import { ownerOf, shardOwners } from './ring';

const ws = temporal.api.workflowservice.v1;
const build =
  <T>(type: { fromObject(o: Record<string, unknown>): T }) =>
  (o: Record<string, unknown>): T =>
    type.fromObject(o);

/** Where a call goes: a history shard or a task queue. */
type Route = { shard: number } | { queue: string };
type Keyed = (args: readonly unknown[], numShards: number) => Route;

const byWorkflow =
  (ns: (a: readonly unknown[]) => string, wf: (a: readonly unknown[]) => string): Keyed =>
  (a, n) => ({ shard: shardIdFor(ns(a), wf(a), n) });
const arg =
  <T>(i: number) =>
  (a: readonly unknown[]) =>
    a[i] as T;
const nsRefAndRequest = byWorkflow(
  (a) => arg<{ id: string }>(0)(a).id,
  (a) => arg<{ workflowId: string }>(1)(a).workflowId,
);
const nsIdAndExecution = byWorkflow(arg<string>(0), (a) => arg<{ workflowId: string }>(1)(a).workflowId);
const taskRef = byWorkflow(
  (a) => arg<{ namespaceId: string }>(0)(a).namespaceId,
  (a) => arg<{ workflowId: string }>(0)(a).workflowId,
);
const token = byWorkflow(
  (a) => arg<{ ns: string }>(0)(a).ns,
  (a) => arg<{ wid: string }>(0)(a).wid,
);
/** A schedule lives on the shard of its execution's workflow id. */
const bySchedule = (ns: (a: readonly unknown[]) => string, id: (a: readonly unknown[]) => string): Keyed => byWorkflow(ns, (a) => schedulerWorkflowId(id(a)));
const byQueryId: Keyed = (a) => {
  const shard = queryShardId(arg<string>(0)(a));
  if (shard === undefined) throw new UnavailableError(`query ${String(a[0])} names no shard`);
  return { shard };
};

/** The history methods that are routed: how to find the shard, and how the arguments travel. */
export const HISTORY_METHODS: Readonly<Record<string, MethodShape & { route: Keyed }>> = {
  startWorkflow: { route: nsRefAndRequest, protoArgs: { 1: build(ws.StartWorkflowExecutionRequest) } },
  signalWithStart: { route: nsRefAndRequest, protoArgs: { 1: build(ws.SignalWithStartWorkflowExecutionRequest) } },
  signal: { route: nsIdAndExecution },
  requestCancel: { route: nsIdAndExecution },
  terminate: { route: nsIdAndExecution },
  describe: { route: nsIdAndExecution },
  getHistory: { route: nsIdAndExecution, signalArg: 3, protoArgs: { 2: build(ws.GetWorkflowExecutionHistoryRequest) } },
  query: { route: nsIdAndExecution, protoArgs: { 2: build(temporal.api.query.v1.WorkflowQuery) } },
  updateWorkflow: { route: nsIdAndExecution, signalArg: 5, protoArgs: { 2: build(temporal.api.update.v1.Request) } },
  pollUpdate: { route: nsIdAndExecution, signalArg: 5 },
  respondQuery: { route: byQueryId, protoArgs: { 1: build(ws.RespondQueryTaskCompletedRequest) } },
  buildQueryTask: { route: byQueryId },
  recordWorkflowTaskStarted: { route: taskRef },
  recordActivityTaskStarted: { route: taskRef },
  respondWorkflowTaskCompleted: { route: token, protoArgs: { 1: build(ws.RespondWorkflowTaskCompletedRequest) } },
  respondWorkflowTaskFailed: { route: token, protoArgs: { 1: build(ws.RespondWorkflowTaskFailedRequest) } },
  heartbeat: { route: token },
  activityCompleted: { route: token },
  activityFailed: { route: token, protoArgs: { 1: build(temporal.api.failure.v1.Failure) } },
  activityCanceled: { route: token },
  startChild: { route: nsRefAndRequest, protoArgs: { 1: build(ws.StartWorkflowExecutionRequest) } },
  childClosed: { route: taskRef },
  applyParentClosePolicy: { route: byWorkflow(arg<string>(0), arg<string>(1)) },
  requestExternal: { route: taskRef },
  // schedules: the schedule's own execution ("temporal-sys-scheduler:<id>"), and the runs it starts
  createSchedule: {
    route: bySchedule(
      (a) => arg<{ id: string }>(0)(a).id,
      (a) => arg<{ scheduleId: string }>(1)(a).scheduleId,
    ),
    protoArgs: { 1: build(ws.CreateScheduleRequest) },
  },
  updateSchedule: { route: bySchedule(arg<string>(0), (a) => arg<{ scheduleId: string }>(1)(a).scheduleId), protoArgs: { 1: build(ws.UpdateScheduleRequest) } },
  patchSchedule: { route: bySchedule(arg<string>(0), arg<string>(1)), protoArgs: { 2: build(temporal.api.schedule.v1.SchedulePatch) } },
  describeSchedule: { route: bySchedule(arg<string>(0), arg<string>(1)) },
  deleteSchedule: { route: bySchedule(arg<string>(0), arg<string>(1)) },
  listScheduleMatchingTimes: { route: bySchedule(arg<string>(0), arg<string>(1)) },
  scheduleListEntry: { route: bySchedule(arg<string>(0), arg<string>(1)) },
  scheduledRunClosed: { route: bySchedule(arg<string>(0), arg<string>(1)) },
  scheduleStart: { route: nsRefAndRequest, protoArgs: { 1: build(ws.StartWorkflowExecutionRequest) } },
  scheduleRunStatus: { route: byWorkflow(arg<string>(0), arg<string>(1)) },
  scheduleStopRun: { route: byWorkflow(arg<string>(0), arg<string>(1)) },
  // the operator calls (issue 14): reset, delete, reverse history, sticky reset, options, activities by id, pause
  resetWorkflow: { route: nsIdAndExecution },
  deleteWorkflow: { route: nsIdAndExecution },
  getHistoryReverse: { route: nsIdAndExecution, protoArgs: { 2: build(ws.GetWorkflowExecutionHistoryReverseRequest) } },
  resetStickyTaskQueue: { route: nsIdAndExecution },
  updateWorkflowOptions: { route: nsIdAndExecution, protoArgs: { 2: build(temporal.api.workflow.v1.WorkflowExecutionOptions) } },
  activityTokenById: { route: nsIdAndExecution },
  pauseActivity: { route: nsIdAndExecution },
  unpauseActivity: { route: nsIdAndExecution },
};

/** The matching methods that are routed: by namespace and (normal) task queue; a sticky queue lives with its normal queue. */
const byQueue =
  (queueArg: number): Keyed =>
  (a) => ({ queue: `${String(a[0])}/${String(a[queueArg])}` });
export const MATCHING_METHODS: Readonly<Record<string, MethodShape & { route: Keyed }>> = {
  addWorkflowTask: { route: byQueue(1) },
  addActivityTask: { route: byQueue(1) },
  addQueryTask: { route: byQueue(1) },
  pollWorkflowTask: { route: byQueue(1), signalArg: 3 },
  pollActivityTask: { route: byQueue(1), signalArg: 3 },
  pollStickyQueue: { route: (a) => ({ queue: `${String(a[0])}/${String(a[2] || a[1])}` }), signalArg: 4 },
  // its pollers are known to the queue's owner, where the polls go
  describeTaskQueue: { route: byQueue(1) },
};

export interface RouterOptions {
  numHistoryShards: number;
  /** how long a call may wait for its key's owner (membership refreshes, acquisitions) */
  routeTimeoutMs: number;
  /** the deadline of one internal call (long polls get theirs on top) */
  callTimeoutMs: number;
  longPollTimeoutMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The owner of each key from the live members of a role (this member always counts while it runs). */
export class Router {
  private shardTable: { key: string; owners: Map<number, MemberRow> } | undefined;
  private readonly queueOwners = new Map<string, MemberRow>();
  private queueKey = '';

  constructor(
    private readonly membership: ClusterMembership,
    private readonly clients: InternalClients,
    readonly opts: RouterOptions,
    private readonly log: Logger,
  ) {}

  /** The live members of a role, this one included until it left. */
  members(role: MemberRole): MemberRow[] {
    const live = [...this.membership.view.byRole(role)];
    if (!this.membership.left && !live.some((m) => m.hostId === this.membership.hostId)) {
      const o = this.membership.opts;
      live.push({
        hostId: o.hostId,
        role,
        rpcAddress: o.broadcastAddress,
        rpcPort: o.ports[role],
        identity: o.identity,
        serverVersion: o.serverVersion,
        sessionStartMs: 0,
        lastHeartbeatMs: 0,
        recordExpiryMs: 0,
      });
    }
    return live;
  }

  private static key(ms: readonly MemberRow[]): string {
    return ms.map((m) => `${m.hostId}@${m.rpcAddress}:${m.rpcPort}`).join(',');
  }

  shardOwner(shardId: number): MemberRow {
    const ms = this.members('history');
    const key = Router.key(ms);
    if (this.shardTable?.key !== key) this.shardTable = { key, owners: shardOwners(this.opts.numHistoryShards, ms) };
    return this.shardTable.owners.get(shardId)!;
  }

  /** The shards this member should serve. */
  ownedShards(): Set<number> {
    const out = new Set<number>();
    for (let id = 1; id <= this.opts.numHistoryShards; id++) if (this.shardOwner(id).hostId === this.membership.hostId) out.add(id);
    return out;
  }

  queueOwner(queue: string): MemberRow {
    const ms = this.members('matching');
    const key = Router.key(ms);
    if (key !== this.queueKey) {
      this.queueOwners.clear();
      this.queueKey = key;
    }
    let m = this.queueOwners.get(queue);
    if (!m) {
      m = ownerOf(`queue/${queue}`, ms)!;
      this.queueOwners.set(queue, m);
    }
    return m;
  }

  isSelf(m: MemberRow): boolean {
    return m.hostId === this.membership.hostId;
  }

  /**
   * Runs `local()` when this member owns the route and can serve it, else calls the owner; retries
   * (waiting for membership refreshes) while the owner is moving, until the routing deadline.
   */
  async call(
    service: 'history' | 'matching',
    method: string,
    args: readonly unknown[],
    shape: MethodShape & { route: Keyed },
    local: () => Promise<unknown>,
    servesLocally: (route: Route) => boolean,
  ): Promise<unknown> {
    const route = shape.route(args, this.opts.numHistoryShards);
    const deadline = Date.now() + this.opts.routeTimeoutMs;
    const waitMs = Math.max(50, Math.min(500, this.membership.opts.refreshMs / 2));
    let lastErr: unknown;
    for (;;) {
      // a member that left and was the last: nobody to route to
      if (this.members(service).length === 0) throw new UnavailableError(`${describe(route)}: this member stopped and no other is live; try again`);
      const owner = 'shard' in route ? this.shardOwner(route.shard) : this.queueOwner(route.queue);
      try {
        if (this.isSelf(owner)) {
          if (servesLocally(route)) return await local();
          lastErr = new UnavailableError(`${describe(route)} is being acquired by this member`);
        } else {
          const polls =
            shape.signalArg !== undefined || method === 'getHistory' || method === 'updateWorkflow' || method === 'pollUpdate' || method === 'query';
          const timeout = this.opts.callTimeoutMs + (polls ? this.opts.longPollTimeoutMs : 0);
          return await this.clients.call(`${owner.rpcAddress}:${owner.rpcPort}`, service, method, args, shape, timeout);
        }
      } catch (err) {
        if (!isMoving(err)) throw err;
        lastErr = err;
        const signal = shape.signalArg !== undefined ? (args[shape.signalArg] as AbortSignal | undefined) : undefined;
        if (signal?.aborted) throw err;
      }
      if (Date.now() + waitMs > deadline) {
        this.log.warn({ method: `${service}.${method}`, route: describe(route), err: lastErr }, 'no reachable owner within the routing deadline');
        throw new UnavailableError(`${describe(route)}: no reachable owner (${lastErr instanceof Error ? lastErr.message : String(lastErr)}); try again`);
      }
      await sleep(waitMs);
    }
  }
}

function describe(route: Route): string {
  return 'shard' in route ? `history shard ${route.shard}` : `task queue ${route.queue}`;
}

/** The owner is moving or unreachable (not a failure of the call itself): try again after a refresh. */
function isMoving(err: unknown): boolean {
  if (err instanceof ShardOwnershipLostError) return true;
  // a message over the limit is refused again by any owner
  if (err instanceof InternalCallError) return err.code !== status.RESOURCE_EXHAUSTED;
  return err instanceof UnavailableError && /not owned by this host|being acquired/.test(err.message);
}

/** A HistoryService that sends each call to its shard's owner. Lifecycle methods are the local service's. */
export function routingHistory(router: Router, local: HistoryService): HistoryService {
  return new Proxy(local, {
    get(target, prop, receiver) {
      const shape = typeof prop === 'string' ? HISTORY_METHODS[prop] : undefined;
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (!shape || typeof v !== 'function') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      const fn = v as (...a: unknown[]) => unknown;
      const name = prop as string;
      const servesLocally = (r: Route) => 'shard' in r && target.ownsShard(r.shard);
      if (name === 'respondQuery') {
        // void in the interface: the answer is handed over without waiting
        return (...args: unknown[]) => {
          void router.call('history', name, args, shape, async () => fn.apply(target, args), servesLocally).catch(() => undefined);
        };
      }
      return (...args: unknown[]) => router.call('history', name, args, shape, async () => fn.apply(target, args), servesLocally);
    },
  });
}

/** A MatchingService that sends each call to its task queue's owner. */
export function routingMatching(router: Router, local: MatchingService): MatchingService {
  return new Proxy(local, {
    get(target, prop, receiver) {
      const shape = typeof prop === 'string' ? MATCHING_METHODS[prop] : undefined;
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (!shape || typeof v !== 'function') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      const fn = v as (...a: unknown[]) => unknown;
      const name = prop as string;
      const always = () => true;
      if (name === 'addQueryTask') {
        return (...args: unknown[]) => {
          void router.call('matching', name, args, shape, async () => fn.apply(target, args), always).catch(() => undefined);
        };
      }
      return (...args: unknown[]) => router.call('matching', name, args, shape, async () => fn.apply(target, args), always);
    },
  });
}

/**
 * This member's matching service as the routing layer and the internal API call it: long polls of a
 * task queue are answered (empty) as soon as the queue's ownership moves to another member, so the
 * worker polls again and reaches the new owner instead of waiting out its long poll here.
 */
export class OwnedMatching {
  private readonly polls = new Map<string, Set<AbortController>>();
  readonly service: MatchingService;

  constructor(
    private readonly router: Router,
    private readonly local: MatchingService,
  ) {
    const polls = this.polls;
    this.service = new Proxy(local, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        const shape = typeof prop === 'string' ? MATCHING_METHODS[prop] : undefined;
        if (typeof v !== 'function') return v;
        const fn = (v as (...a: unknown[]) => unknown).bind(target);
        if (!shape || shape.signalArg === undefined) return fn;
        const signalArg = shape.signalArg;
        return async (...args: unknown[]) => {
          const route = shape.route(args, 0) as { queue: string };
          const ac = new AbortController();
          const outer = args[signalArg] as AbortSignal | undefined;
          const a = [...args];
          a[signalArg] = outer ? AbortSignal.any([outer, ac.signal]) : ac.signal;
          let set = polls.get(route.queue);
          if (!set) polls.set(route.queue, (set = new Set()));
          set.add(ac);
          try {
            return await fn(...a);
          } finally {
            set.delete(ac);
            if (set.size === 0) polls.delete(route.queue);
          }
        };
      },
    });
  }

  /** After a membership refresh: release the polls of queues another member owns now. */
  releaseMovedQueues(): void {
    for (const [queue, set] of this.polls) {
      if (this.router.isSelf(this.router.queueOwner(queue))) continue;
      for (const ac of set) ac.abort();
    }
    // the queue objects too: when a queue comes back, it is loaded again with what the other owner persisted
    this.local.releaseQueues((namespaceId, name) => this.router.isSelf(this.router.queueOwner(`${namespaceId}/${name}`)));
  }
}
