-- temporal-ts default store, MySQL 8 and MariaDB 10.11.
-- Holds cluster metadata and server version history, namespaces, history shards, workflow mutable
-- state, history trees and events, the transfer, timer and visibility task queues, matching task
-- queues and backlog, and the progress of data format rewrites.
-- Times are BIGINT epoch milliseconds. Every blob column has an encoding column beside it.
-- Full latest schema, tables only, without the schema_version bookkeeping. Keep equal to versioned/ applied in order.

-- cluster metadata, one row per cluster, see server_version_history for versions
CREATE TABLE cluster_metadata_info (
  metadata_partition INT NOT NULL,
  cluster_name       VARCHAR(255) NOT NULL,
  data               MEDIUMBLOB NOT NULL,
  data_encoding      VARCHAR(16) NOT NULL,
  version            BIGINT NOT NULL,
  PRIMARY KEY (metadata_partition, cluster_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- every server version that ran against this cluster, and when it became active
CREATE TABLE server_version_history (
  cluster_name       VARCHAR(255) NOT NULL,
  server_version     VARCHAR(64) NOT NULL,
  first_started_time BIGINT NOT NULL,
  activated_time     BIGINT NULL,
  data               MEDIUMBLOB NULL,
  data_encoding      VARCHAR(16) NULL,
  PRIMARY KEY (cluster_name, server_version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- namespace records
CREATE TABLE namespaces (
  partition_id         INT NOT NULL,
  id                   VARCHAR(64) NOT NULL,
  name                 VARCHAR(255) NOT NULL,
  notification_version BIGINT NOT NULL,
  data                 MEDIUMBLOB NOT NULL,
  data_encoding        VARCHAR(16) NOT NULL,
  is_global            BOOLEAN NOT NULL,
  PRIMARY KEY (partition_id, id),
  UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- namespace change counter, bumped on every namespace write
CREATE TABLE namespace_metadata (
  partition_id         INT NOT NULL,
  notification_version BIGINT NOT NULL,
  PRIMARY KEY (partition_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- history shards: range_id fences every write of the shard owner
CREATE TABLE shards (
  shard_id      INT NOT NULL,
  range_id      BIGINT NOT NULL,
  data          MEDIUMBLOB NOT NULL,
  data_encoding VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- mutable state of each workflow run
CREATE TABLE executions (
  shard_id          INT NOT NULL,
  namespace_id      VARCHAR(64) NOT NULL,
  workflow_id       VARCHAR(255) NOT NULL,
  run_id            VARCHAR(64) NOT NULL,
  next_event_id     BIGINT NOT NULL,
  db_record_version BIGINT NOT NULL,
  data              MEDIUMBLOB NOT NULL,
  data_encoding     VARCHAR(16) NOT NULL,
  state             MEDIUMBLOB NOT NULL,
  state_encoding    VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- the current run of each workflow id
CREATE TABLE current_executions (
  shard_id          INT NOT NULL,
  namespace_id      VARCHAR(64) NOT NULL,
  workflow_id       VARCHAR(255) NOT NULL,
  run_id            VARCHAR(64) NOT NULL,
  create_request_id VARCHAR(255) NOT NULL,
  state             INT NOT NULL,
  status            INT NOT NULL,
  start_time        BIGINT NOT NULL,
  data              MEDIUMBLOB NULL,
  data_encoding     VARCHAR(16) NULL,
  PRIMARY KEY (shard_id, namespace_id, workflow_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- history branches of each run
CREATE TABLE history_tree (
  shard_id      INT NOT NULL,
  tree_id       VARCHAR(64) NOT NULL,
  branch_id     VARCHAR(64) NOT NULL,
  data          MEDIUMBLOB NOT NULL,
  data_encoding VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id, tree_id, branch_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- history event batches, append only
CREATE TABLE history_node (
  shard_id      INT NOT NULL,
  tree_id       VARCHAR(64) NOT NULL,
  branch_id     VARCHAR(64) NOT NULL,
  node_id       BIGINT NOT NULL,
  txn_id        BIGINT NOT NULL,
  prev_txn_id   BIGINT NOT NULL,
  data          MEDIUMBLOB NOT NULL,
  data_encoding VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id, tree_id, branch_id, node_id, txn_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- transfer queue: outbox rows committed with the mutable state
CREATE TABLE transfer_tasks (
  shard_id      INT NOT NULL,
  task_id       BIGINT NOT NULL,
  data          MEDIUMBLOB NOT NULL,
  data_encoding VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id, task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- timer queue, ordered by fire time
CREATE TABLE timer_tasks (
  shard_id             INT NOT NULL,
  visibility_timestamp BIGINT NOT NULL,
  task_id              BIGINT NOT NULL,
  data                 MEDIUMBLOB NOT NULL,
  data_encoding        VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id, visibility_timestamp, task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- visibility queue, feeding the visibility store
CREATE TABLE visibility_tasks (
  shard_id      INT NOT NULL,
  task_id       BIGINT NOT NULL,
  data          MEDIUMBLOB NOT NULL,
  data_encoding VARCHAR(16) NOT NULL,
  PRIMARY KEY (shard_id, task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- matching task queues: range_id fences the queue owner
CREATE TABLE task_queues (
  namespace_id    VARCHAR(64) NOT NULL,
  task_queue_name VARCHAR(255) NOT NULL,
  task_type       INT NOT NULL,
  range_id        BIGINT NOT NULL,
  data            MEDIUMBLOB NOT NULL,
  data_encoding   VARCHAR(16) NOT NULL,
  PRIMARY KEY (namespace_id, task_queue_name, task_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- matching backlog: tasks waiting for a poller
CREATE TABLE tasks (
  namespace_id    VARCHAR(64) NOT NULL,
  task_queue_name VARCHAR(255) NOT NULL,
  task_type       INT NOT NULL,
  task_id         BIGINT NOT NULL,
  data            MEDIUMBLOB NOT NULL,
  data_encoding   VARCHAR(16) NOT NULL,
  PRIMARY KEY (namespace_id, task_queue_name, task_type, task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- progress of background rewrites of stored blobs into a newer data format
CREATE TABLE data_format_rewrite (
  store          VARCHAR(32) NOT NULL,
  target_format  INT NOT NULL,
  cursor_data    MEDIUMBLOB NULL,
  rows_rewritten BIGINT NOT NULL,
  started_time   BIGINT NOT NULL,
  completed_time BIGINT NULL,
  rows_total     BIGINT NULL,
  rows_scanned   BIGINT NULL,
  updated_time   BIGINT NULL,
  PRIMARY KEY (store, target_format)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
