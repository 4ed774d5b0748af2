/**
 * Cluster membership (table cluster_membership), written once for every SQL plugin: each server
 * process registers one row per role it plays, renews its heartbeat and record expiry, and removes
 * its rows on a graceful stop. Liveness is the record expiry against the reader's clock; ownership
 * decisions built on it (src/server/cluster) are made safe by the shards' range_id fencing, never by
 * this table alone.
 */
import type { ClusterMembershipStore, MemberRole, MemberRow } from '../interfaces';
import type { SqlExecutor } from './executor';
import { num } from './rows';
import { stmt, type Row } from './statement';

/** One membership ring per database; the partition column leaves room for more. */
const PARTITION = 0;
const COLUMNS = 'host_id, role, rpc_address, rpc_port, identity, server_version, session_start, last_heartbeat, record_expiry';

const memberRow = (r: Row): MemberRow => ({
  hostId: String(r.host_id),
  role: String(r.role) as MemberRole,
  rpcAddress: String(r.rpc_address),
  rpcPort: num(r.rpc_port),
  identity: String(r.identity),
  serverVersion: String(r.server_version),
  sessionStartMs: num(r.session_start),
  lastHeartbeatMs: num(r.last_heartbeat),
  recordExpiryMs: num(r.record_expiry),
});

export class SqlMembershipStore implements ClusterMembershipStore {
  constructor(private readonly db: SqlExecutor) {}

  async upsertMember(m: MemberRow): Promise<void> {
    const d = this.db.dialect;
    const set = ['rpc_address', 'rpc_port', 'identity', 'server_version', 'last_heartbeat', 'record_expiry'].map((c) => [c, d.incoming(c)] as const);
    await this.db.write(
      stmt(
        `INSERT INTO cluster_membership (membership_partition, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ${d.upsert('cluster_membership', ['membership_partition', 'host_id', 'role'], set)}`,
        [PARTITION, m.hostId, m.role, m.rpcAddress, m.rpcPort, m.identity, m.serverVersion, m.sessionStartMs, m.lastHeartbeatMs, m.recordExpiryMs],
      ),
    );
  }

  async listMembers(nowMs: number, role?: MemberRole): Promise<MemberRow[]> {
    const rows = await this.db.read(
      role
        ? stmt(`SELECT ${COLUMNS} FROM cluster_membership WHERE membership_partition = ? AND role = ? AND record_expiry > ? ORDER BY host_id`, [
            PARTITION,
            role,
            nowMs,
          ])
        : stmt(`SELECT ${COLUMNS} FROM cluster_membership WHERE membership_partition = ? AND record_expiry > ? ORDER BY host_id, role`, [PARTITION, nowMs]),
    );
    return rows.map(memberRow);
  }

  async listAllMembers(): Promise<MemberRow[]> {
    return (await this.db.read(stmt(`SELECT ${COLUMNS} FROM cluster_membership WHERE membership_partition = ? ORDER BY host_id, role`, [PARTITION]))).map(
      memberRow,
    );
  }

  async removeMember(hostId: string): Promise<void> {
    await this.db.write(stmt('DELETE FROM cluster_membership WHERE membership_partition = ? AND host_id = ?', [PARTITION, hostId]));
  }

  async pruneExpired(beforeMs: number): Promise<number> {
    return this.db.write(stmt('DELETE FROM cluster_membership WHERE membership_partition = ? AND record_expiry < ?', [PARTITION, beforeMs]));
  }
}
