/**
 * This process as a member of a cluster on one PostgreSQL or MySQL database: its internal gRPC API
 * (history and matching roles, each on its port), its membership row, the router, and the routing
 * history and matching clients the services are built with. The composition root (server.ts) builds
 * the local services with the bindings from here, then `join`s: the membership row is written, the
 * shards this member owns by the hash ring are acquired, and every refresh rebalances them (new
 * members take their share, an expired or departed member's shards are taken over, a shard lost to
 * another process is re-acquired while this member is its owner). `leave` deletes the row, so the
 * others take over at their next refresh.
 */
import { randomUUID } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import { LateBinding } from '../../common/late-binding';
import type { Logger } from '../../common/logger';
import type { CrossShardCalls, HistoryService, MatchingClient } from '../../history';
import type { HistoryClient, MatchingService } from '../../matching';
import { FORMAT, READABLE, readJsonBlob, type PersistenceBundle } from '../../persistence';
import { serveGrpc, type GrpcServer } from '../grpc-server';
import { InternalClients, internalMessageLimit, internalService } from './internal-api';
import { ClusterMembership } from './membership';
import { HISTORY_METHODS, MATCHING_METHODS, OwnedMatching, Router, routingHistory, routingMatching } from './routing';

/** Temporal's keys: services.{history,matching}.rpc.{grpcPort,bindOnIP}, global.membership.{maxJoinDuration,broadcastAddress}. */
export interface ClusterOptions {
  /** the history role's internal API port (0: any free port, advertised in the membership row) */
  historyPort?: number;
  matchingPort?: number;
  /** where the internal API listens (default: the frontend's host) */
  bindOnIP?: string;
  /** the address the other members reach this one at (default: bindOnIP, or this host's first external IPv4 when that is 0.0.0.0) */
  broadcastAddress?: string;
  /** how long the start waits to join (membership written, its shards acquired) before it fails */
  maxJoinDurationMs?: number;
  /** how long a member that stopped heartbeating keeps its shards: the failover time of a killed process (default 10 s) */
  memberExpiryMs?: number;
}

export const DEFAULT_MEMBER_EXPIRY_MS = 10_000;

function externalAddress(bindOnIP: string): string {
  if (bindOnIP !== '0.0.0.0' && bindOnIP !== '::') return bindOnIP;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

export class ClusterMember {
  readonly hostId = randomUUID();
  /** given to matching (its history client) and to history (its calls on other shards) */
  readonly historyBinding = new LateBinding<HistoryService>('the routing history client');
  /** given to history (its matching client) */
  readonly matchingBinding = new LateBinding<MatchingService>('the routing matching client');
  private readonly localHistory = new LateBinding<HistoryService>('the internal API history target');
  private readonly localMatching = new LateBinding<MatchingService>('the internal API matching target');
  private readonly clients: InternalClients;
  /** the internal API's message limit, from the frontend's (internal-api.ts says why) */
  private readonly maxMessageBytes: number;
  private servers: GrpcServer[] = [];
  private membership: ClusterMembership | undefined;
  private router: Router | undefined;
  private owned: OwnedMatching | undefined;
  private history: HistoryService | undefined;
  private active = false;

  constructor(
    private readonly opts: ClusterOptions & {
      host: string;
      frontendPort: number;
      /** the frontend's receive limit (default 4 MiB): what a forwarded request can be */
      frontendMaxReceiveMessageBytes?: number;
      numHistoryShards: number;
      longPollTimeoutMs: number;
      serverVersion: string;
    },
    private readonly store: PersistenceBundle,
    private readonly log: Logger,
  ) {
    this.maxMessageBytes = internalMessageLimit(opts.frontendMaxReceiveMessageBytes);
    this.clients = new InternalClients(this.maxMessageBytes);
  }

  get historyClient(): HistoryClient & CrossShardCalls {
    return this.historyBinding.client;
  }

  get matchingClient(): MatchingClient {
    return this.matchingBinding.client;
  }

  /** Serves the internal API on the history and matching ports (before the services exist: calls wait for `bind`). */
  async listen(): Promise<{ historyPort: number; matchingPort: number }> {
    const bindOnIP = this.opts.bindOnIP ?? this.opts.host;
    const svc = internalService(
      { history: this.localHistory.client, matching: this.localMatching.client },
      { history: HISTORY_METHODS, matching: MATCHING_METHODS },
      this.log,
    );
    const limits = { maxReceiveMessageBytes: this.maxMessageBytes, maxSendMessageBytes: this.maxMessageBytes };
    const h = await serveGrpc([svc], bindOnIP, this.opts.historyPort ?? 0, limits);
    this.servers.push(h);
    const m = await serveGrpc([svc], bindOnIP, this.opts.matchingPort ?? 0, limits);
    this.servers.push(m);
    const memberExpiryMs = this.opts.memberExpiryMs ?? DEFAULT_MEMBER_EXPIRY_MS;
    this.membership = new ClusterMembership(
      this.store.membership,
      {
        hostId: this.hostId,
        identity: `${hostname()}:${process.pid}`,
        serverVersion: this.opts.serverVersion,
        broadcastAddress: this.opts.broadcastAddress ?? externalAddress(bindOnIP),
        ports: { frontend: this.opts.frontendPort, history: h.port, matching: m.port },
        memberExpiryMs,
        heartbeatMs: Math.max(200, Math.floor(memberExpiryMs / 5)),
        refreshMs: Math.max(100, Math.min(1000, Math.floor(memberExpiryMs / 10))),
      },
      this.log,
    );
    this.router = new Router(
      this.membership,
      this.clients,
      {
        numHistoryShards: this.opts.numHistoryShards,
        routeTimeoutMs: memberExpiryMs + 10_000,
        callTimeoutMs: 30_000,
        longPollTimeoutMs: this.opts.longPollTimeoutMs,
      },
      this.log,
    );
    this.log.info({ history: `${bindOnIP}:${h.port}`, matching: `${bindOnIP}:${m.port}` }, 'cluster internal API listening');
    return { historyPort: h.port, matchingPort: m.port };
  }

  /** The local services are built: the routing clients and the internal API reach them from now on. */
  bind(history: HistoryService, matching: MatchingService): { history: HistoryService; matching: MatchingService } {
    const router = this.router!;
    this.history = history;
    this.owned = new OwnedMatching(router, matching);
    const routedHistory = routingHistory(router, history);
    const routedMatching = routingMatching(router, this.owned.service);
    this.historyBinding.bind(routedHistory);
    this.matchingBinding.bind(routedMatching);
    this.localHistory.bind(history);
    this.localMatching.bind(this.owned.service);
    return { history: routedHistory, matching: routedMatching };
  }

  /** Writes the membership row and acquires this member's shards; refreshes from then on. */
  async join(onShardProgress: (done: number, total: number) => void, activate: () => Promise<void>): Promise<void> {
    const membership = this.membership!;
    const router = this.router!;
    const history = this.history!;
    const deadline = this.opts.maxJoinDurationMs ?? 30_000;
    const joined = (async () => {
      await membership.join();
      const mine = [...router.ownedShards()];
      this.log.info(
        { shards: mine.length, of: this.opts.numHistoryShards },
        `joined the cluster: ${mine.length} of ${this.opts.numHistoryShards} shards are this member's`,
      );
      await history.start(onShardProgress, mine);
    })();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        joined,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`could not join the cluster within maxJoinDuration (${deadline} ms)`)), deadline);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    let reportedOlder = '';
    const maybeActivate = async () => {
      if (this.active) return;
      const older = this.olderMembers(membership.view.members);
      if (older.length > 0) {
        if (older.join(', ') !== reportedOlder) {
          reportedOlder = older.join(', ');
          this.log.info(
            { members: older },
            `members of another version are alive: ${reportedOlder}; temporal-ts ${this.opts.serverVersion} is recorded active once none is left and every shard was rewritten by it`,
          );
        }
        return;
      }
      if (!(await this.everyShardRewritten())) return;
      this.active = true;
      await activate();
    };
    await maybeActivate();
    let held = new Set(history.ownedShards());
    membership.onRefresh(async (view) => {
      const mine = router.ownedShards();
      // a shard this member served and did not give up was taken: by whom?
      const taken = [...held].filter((id) => mine.has(id) && !history.ownsShard(id));
      if (taken.length > 0)
        await this.reportTakenShards(
          taken,
          view.members.map((m) => m.identity),
        );
      await history.rebalance(mine);
      held = new Set(history.ownedShards());
      this.owned?.releaseMovedQueues();
      await maybeActivate();
    });
    membership.start();
  }

  /**
   * The mixed-version rule (README, "Running a cluster"): members never run beside a server without
   * membership (0.2.x and older acquire every shard at start). Such a server shows up here: it took a
   * shard this member owns. The member says so and takes the shard back (range_id fencing keeps
   * every write consistent; the other server's writes fail from then on).
   */
  private async reportTakenShards(shards: number[], memberIdentities: string[]): Promise<void> {
    const rows = await this.store.shards.listShards();
    for (const id of shards) {
      const row = rows.find((r) => r.shardId === id);
      if (!row) continue;
      const info = readJsonBlob<{ owner?: string; serverVersion?: string }>(row.info, FORMAT.shardInfo, READABLE.shardInfo);
      if (!info.owner || memberIdentities.includes(info.owner)) continue;
      this.log.error(
        { shardId: id, owner: info.owner, serverVersion: info.serverVersion },
        `shard ${id} was taken by ${info.owner} (temporal-ts ${info.serverVersion ?? '0.1.x'}), which is not a cluster member: a server without membership runs on this database. ` +
          'Cluster members and such servers must not run at once: stop it (see "Running a cluster" in the README); this member takes the shard back.',
      );
    }
  }

  /**
   * A write of this member found one of its shards taken (history's ShardLossReporter). Taken by a
   * live member, it is a hand-over: the ring moved the shard (a member joined or left) and the new
   * owner's refresh came before this one's, which lets the shard go at its next refresh; info. Taken
   * while this member's own record had expired (it missed its heartbeats, the others declared it
   * gone): a warning. Taken by a process that is no member (a server without membership): an error,
   * as reportTakenShards says at the next refresh.
   */
  readonly reportLostShard = (shardId: number, rangeId: number): void => {
    void (async () => {
      const [rows, members] = await Promise.all([this.store.shards.listShards(), this.store.membership.listMembers(Date.now(), 'history')]);
      const row = rows.find((r) => r.shardId === shardId);
      const owner = row ? readJsonBlob<{ owner?: string }>(row.info, FORMAT.shardInfo, READABLE.shardInfo).owner : undefined;
      const fields = { shardId, rangeId, owner };
      if (!owner || !members.some((m) => m.identity === owner)) {
        this.log.error(fields, `shard ownership lost: shard ${shardId} was taken by ${owner ?? 'an unknown process'}, which is not a live cluster member`);
      } else if (!members.some((m) => m.hostId === this.hostId)) {
        this.log.warn(fields, `shard ${shardId} handed over to ${owner}: this member's membership record had expired (it missed its heartbeats)`);
      } else {
        this.log.info(fields, `shard ${shardId} handed over to ${owner} (the ring moved it); this member lets it go at its next refresh`);
      }
    })().catch((err: unknown) =>
      // the store may be closing (a stop): the loss itself is handled, only the report is lost
      this.log.warn({ err, shardId, rangeId }, `shard ${shardId} taken by another process (its new owner could not be read)`),
    );
  };

  /**
   * The live members running another version (a rolling upgrade under way). While one is alive this
   * version is not recorded active, even if every shard happens to be held by members of this one:
   * the old member may acquire a shard again at the next rebalance, and what becomes allowed once a
   * version is active (the background data rewrite, and with it a format the old one cannot read)
   * must wait until no old member can read the data.
   */
  private olderMembers(members: readonly { identity: string; serverVersion: string }[]): string[] {
    const others = members.filter((m) => m.serverVersion !== this.opts.serverVersion).map((m) => `${m.identity} (${m.serverVersion})`);
    return [...new Set(others)];
  }

  /**
   * The version is active once every shard's metadata was rewritten by it (the members share the
   * shards, so the last of them to take its share completes it) and no member of another version
   * is alive (see olderMembers).
   */
  private async everyShardRewritten(): Promise<boolean> {
    const rows = await this.store.shards.listShards();
    if (rows.length < this.opts.numHistoryShards) return false;
    return rows.every((r) => readJsonBlob<{ serverVersion?: string }>(r.info, FORMAT.shardInfo, READABLE.shardInfo).serverVersion === this.opts.serverVersion);
  }

  /** The frontend listens: its actual port (the configured one may be 0, "any free port") goes into the rows. */
  async frontendListening(port: number): Promise<void> {
    await this.membership?.advertiseFrontendPort(port);
  }

  /** Graceful stop: the membership rows go, so the others take the shards at their next refresh. */
  async leave(): Promise<void> {
    await this.membership?.leave();
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.shutdown(1000)));
    this.clients.close();
  }

  /** What `admin cluster describe` and the Web UI show (from any member: it reads the tables). */
  get hostIdentity(): string {
    return `${hostname()}:${process.pid}`;
  }
}
