/**
 * This process's membership in the cluster (table cluster_membership): it registers one row per
 * role with its address, renews them every heartbeat (record expiry = now + memberExpiry), reads
 * the live members every refresh, and tells its listeners when the view changed. A graceful stop
 * deletes its rows, so the others take its shards at their next refresh instead of after expiry.
 * A SIGKILLed member stops heartbeating; it drops out of every view once its record expires.
 */
import type { Logger } from '../../common/logger';
import type { ClusterMembershipStore, MemberRole, MemberRow } from '../../persistence';

export interface MembershipOptions {
  hostId: string;
  identity: string;
  serverVersion: string;
  /** the address the other members reach this one at */
  broadcastAddress: string;
  ports: Readonly<Record<MemberRole, number>>;
  /** how long a member counts as alive after its last heartbeat (failover takes about this long) */
  memberExpiryMs: number;
  heartbeatMs: number;
  /** how often the live members are read */
  refreshMs: number;
}

export interface MembershipView {
  readonly members: readonly MemberRow[];
  byRole(role: MemberRole): readonly MemberRow[];
}

function view(members: readonly MemberRow[]): MembershipView {
  return { members, byRole: (role) => members.filter((m) => m.role === role) };
}

const ROLES: readonly MemberRole[] = ['frontend', 'history', 'matching'];

export class ClusterMembership {
  private current: MembershipView = view([]);
  private timer: NodeJS.Timeout | undefined;
  private lastHeartbeatMs = 0;
  private readonly sessionStartMs = Date.now();
  private readonly listeners: ((v: MembershipView) => void | Promise<void>)[] = [];
  private stopped = false;
  private ticking: Promise<void> | undefined;
  /** the ports the rows advertise (the frontend's may be learnt after join) */
  private ports: Readonly<Record<MemberRole, number>>;

  constructor(
    private readonly store: ClusterMembershipStore,
    readonly opts: MembershipOptions,
    private readonly log: Logger,
  ) {
    this.ports = opts.ports;
  }

  get view(): MembershipView {
    return this.current;
  }

  get hostId(): string {
    return this.opts.hostId;
  }

  /** Hears every refresh (changed or not: ownership is re-checked each time). */
  onRefresh(f: (v: MembershipView) => void | Promise<void>): void {
    this.listeners.push(f);
  }

  /**
   * The frontend's port once it is bound (a configured port 0 is only known then): the rows say it
   * from now on, rewritten at once rather than at the next heartbeat.
   */
  async advertiseFrontendPort(port: number): Promise<void> {
    if (this.ports.frontend === port) return;
    this.ports = { ...this.ports, frontend: port };
    if (this.stopped) return;
    try {
      await this.heartbeat();
    } catch (err) {
      this.log.warn({ err }, 'cluster membership: could not write the frontend port now; the next heartbeat does');
    }
  }

  /** Registers every role and reads the first view. */
  async join(): Promise<MembershipView> {
    await this.heartbeat();
    await this.refresh();
    return this.current;
  }

  /** Heartbeats and refreshes until stop(). */
  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.opts.refreshMs);
      });
    };
    this.timer = setTimeout(loop, this.opts.refreshMs);
  }

  private async tick(): Promise<void> {
    try {
      if (Date.now() - this.lastHeartbeatMs >= this.opts.heartbeatMs) await this.heartbeat();
      await this.refresh();
      for (const f of this.listeners) await f(this.current);
    } catch (err) {
      this.log.warn({ err }, 'cluster membership: heartbeat or refresh failed; retrying');
    }
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    for (const role of ROLES) {
      await this.store.upsertMember({
        hostId: this.opts.hostId,
        role,
        rpcAddress: this.opts.broadcastAddress,
        rpcPort: this.ports[role],
        identity: this.opts.identity,
        serverVersion: this.opts.serverVersion,
        sessionStartMs: this.sessionStartMs,
        lastHeartbeatMs: now,
        recordExpiryMs: now + this.opts.memberExpiryMs,
      });
    }
    this.lastHeartbeatMs = now;
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    const members = await this.store.listMembers(now);
    const before = this.current.members.map((m) => `${m.hostId}/${m.role}`).join(',');
    const after = members.map((m) => `${m.hostId}/${m.role}`).join(',');
    this.current = view(members);
    if (before !== after) {
      const hosts = new Map<string, string>();
      for (const m of members) hosts.set(m.hostId, `${hosts.get(m.hostId) ?? `${m.identity} ${m.rpcAddress}`} ${m.role}:${m.rpcPort}`);
      this.log.info({ members: [...hosts.values()] }, `cluster membership: ${hosts.size} member(s)`);
      // rows expired long ago are removed (any member may do it; a row is only ever re-created by its own process)
      await this.store.pruneExpired(now - 10 * this.opts.memberExpiryMs).catch(() => 0);
    }
  }

  /** True once this member left: its view no longer counts it (calls still in flight here route to the others). */
  get left(): boolean {
    return this.stopped;
  }

  /** Leaves: no more heartbeats, and the rows go at once (the others take over at their next refresh). */
  async leave(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    this.current = view(this.current.members.filter((m) => m.hostId !== this.opts.hostId));
    try {
      await this.store.removeMember(this.opts.hostId);
    } catch (err) {
      this.log.warn({ err }, 'cluster membership: could not remove this member; the others take over once it expires');
    }
  }
}
