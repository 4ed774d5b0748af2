-- temporal-ts visibility store, PostgreSQL 12+.
-- Holds the searchable summary of every workflow run for List and Count WorkflowExecutions and the
-- mapping of custom search attribute names to predefined columns.
-- Times are BIGINT epoch milliseconds.
-- Full latest schema, tables only, without the schema_version bookkeeping. Keep equal to versioned/ applied in order.

-- one row per workflow run, with the predefined custom search attribute columns
-- Bool, Datetime as epoch ms, Double, Int, Keyword, Text, KeywordList as a JSON array
CREATE TABLE executions_visibility (
  namespace_id           VARCHAR(64) NOT NULL,
  run_id                 VARCHAR(64) NOT NULL,
  workflow_id            VARCHAR(255) NOT NULL,
  workflow_type_name     VARCHAR(255) NOT NULL,
  task_queue             VARCHAR(255) NOT NULL,
  status                 INTEGER NOT NULL,
  start_time             BIGINT NOT NULL,
  execution_time         BIGINT NOT NULL,
  close_time             BIGINT NULL,
  history_length         BIGINT NULL,
  history_size_bytes     BIGINT NULL,
  execution_duration     BIGINT NULL,
  state_transition_count BIGINT NULL,
  memo                   BYTEA NULL,
  encoding               VARCHAR(16) NULL,
  parent_workflow_id     VARCHAR(255) NULL,
  parent_run_id          VARCHAR(64) NULL,
  root_workflow_id       VARCHAR(255) NULL,
  root_run_id            VARCHAR(64) NULL,
  search_attributes      JSONB NULL,
  Bool01                 BOOLEAN NULL,
  Bool02                 BOOLEAN NULL,
  Bool03                 BOOLEAN NULL,
  Datetime01             BIGINT NULL,
  Datetime02             BIGINT NULL,
  Datetime03             BIGINT NULL,
  Double01               DOUBLE PRECISION NULL,
  Double02               DOUBLE PRECISION NULL,
  Double03               DOUBLE PRECISION NULL,
  Int01                  BIGINT NULL,
  Int02                  BIGINT NULL,
  Int03                  BIGINT NULL,
  Keyword01              VARCHAR(255) NULL,
  Keyword02              VARCHAR(255) NULL,
  Keyword03              VARCHAR(255) NULL,
  Keyword04              VARCHAR(255) NULL,
  Keyword05              VARCHAR(255) NULL,
  Keyword06              VARCHAR(255) NULL,
  Keyword07              VARCHAR(255) NULL,
  Keyword08              VARCHAR(255) NULL,
  Keyword09              VARCHAR(255) NULL,
  Keyword10              VARCHAR(255) NULL,
  Text01                 TEXT NULL,
  Text02                 TEXT NULL,
  Text03                 TEXT NULL,
  KeywordList01          JSONB NULL,
  KeywordList02          JSONB NULL,
  KeywordList03          JSONB NULL,
  PRIMARY KEY (namespace_id, run_id)
);

CREATE INDEX by_start_time ON executions_visibility (namespace_id, start_time, run_id);
CREATE INDEX by_close_time ON executions_visibility (namespace_id, close_time, run_id);
CREATE INDEX by_default_order ON executions_visibility (namespace_id, close_time DESC, start_time DESC, run_id);
CREATE INDEX by_execution_time ON executions_visibility (namespace_id, execution_time, run_id);
CREATE INDEX by_status ON executions_visibility (namespace_id, status, start_time);
CREATE INDEX by_workflow_id ON executions_visibility (namespace_id, workflow_id);
CREATE INDEX by_workflow_type_name ON executions_visibility (namespace_id, workflow_type_name);
CREATE INDEX by_task_queue ON executions_visibility (namespace_id, task_queue);
CREATE INDEX by_bool01 ON executions_visibility (namespace_id, Bool01);
CREATE INDEX by_bool02 ON executions_visibility (namespace_id, Bool02);
CREATE INDEX by_bool03 ON executions_visibility (namespace_id, Bool03);
CREATE INDEX by_datetime01 ON executions_visibility (namespace_id, Datetime01);
CREATE INDEX by_datetime02 ON executions_visibility (namespace_id, Datetime02);
CREATE INDEX by_datetime03 ON executions_visibility (namespace_id, Datetime03);
CREATE INDEX by_double01 ON executions_visibility (namespace_id, Double01);
CREATE INDEX by_double02 ON executions_visibility (namespace_id, Double02);
CREATE INDEX by_double03 ON executions_visibility (namespace_id, Double03);
CREATE INDEX by_int01 ON executions_visibility (namespace_id, Int01);
CREATE INDEX by_int02 ON executions_visibility (namespace_id, Int02);
CREATE INDEX by_int03 ON executions_visibility (namespace_id, Int03);
CREATE INDEX by_keyword01 ON executions_visibility (namespace_id, Keyword01);
CREATE INDEX by_keyword02 ON executions_visibility (namespace_id, Keyword02);
CREATE INDEX by_keyword03 ON executions_visibility (namespace_id, Keyword03);
CREATE INDEX by_keyword04 ON executions_visibility (namespace_id, Keyword04);
CREATE INDEX by_keyword05 ON executions_visibility (namespace_id, Keyword05);
CREATE INDEX by_keyword06 ON executions_visibility (namespace_id, Keyword06);
CREATE INDEX by_keyword07 ON executions_visibility (namespace_id, Keyword07);
CREATE INDEX by_keyword08 ON executions_visibility (namespace_id, Keyword08);
CREATE INDEX by_keyword09 ON executions_visibility (namespace_id, Keyword09);
CREATE INDEX by_keyword10 ON executions_visibility (namespace_id, Keyword10);

-- full text search on the Text columns, containment search on the KeywordList columns
CREATE INDEX by_text01 ON executions_visibility USING GIN (to_tsvector('simple', Text01));
CREATE INDEX by_text02 ON executions_visibility USING GIN (to_tsvector('simple', Text02));
CREATE INDEX by_text03 ON executions_visibility USING GIN (to_tsvector('simple', Text03));
CREATE INDEX by_keywordlist01 ON executions_visibility USING GIN (KeywordList01);
CREATE INDEX by_keywordlist02 ON executions_visibility USING GIN (KeywordList02);
CREATE INDEX by_keywordlist03 ON executions_visibility USING GIN (KeywordList03);

-- custom search attribute names of each namespace, mapped to a predefined column
CREATE TABLE custom_search_attributes (
  namespace_id VARCHAR(64) NOT NULL,
  name         VARCHAR(255) NOT NULL,
  type         INTEGER NOT NULL,
  column_name  VARCHAR(64) NOT NULL,
  PRIMARY KEY (namespace_id, name)
);
