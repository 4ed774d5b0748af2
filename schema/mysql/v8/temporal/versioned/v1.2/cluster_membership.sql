-- temporal-ts 0.3.0: cluster membership, so that several server processes share one database.
-- Additive only: 0.2.x keeps running on this schema (MinCompatibleVersion 1.1).
-- the server processes of the cluster: one row per process and role, heartbeated; a row whose
-- record_expiry has passed belongs to a process that stopped or died (its shards are taken over)
CREATE TABLE cluster_membership (
  membership_partition INTEGER NOT NULL,
  host_id              VARCHAR(64) NOT NULL,
  role                 VARCHAR(16) NOT NULL,
  rpc_address          VARCHAR(255) NOT NULL,
  rpc_port             INTEGER NOT NULL,
  identity             VARCHAR(255) NOT NULL,
  server_version       VARCHAR(64) NOT NULL,
  session_start        BIGINT NOT NULL,
  last_heartbeat       BIGINT NOT NULL,
  record_expiry        BIGINT NOT NULL,
  PRIMARY KEY (membership_partition, host_id, role)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
