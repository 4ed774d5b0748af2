-- temporal-ts 0.2.0: ListWorkflowExecutions without ORDER BY returns open runs (start time
-- descending), then closed runs (close time, start time descending); this index has exactly that
-- order, so a page is read from the index instead of sorting every matching row.
-- Additive only: 0.1.x servers keep running on this schema (MinCompatibleVersion 1.0).
-- CONCURRENTLY: the upgrade runs while 0.1.x serves, and a plain CREATE INDEX would block every
-- visibility write for as long as the build takes (temporal-sql-tool runs it outside a transaction,
-- with a checkpoint, and IF NOT EXISTS lets an interrupted run be resumed).
CREATE INDEX CONCURRENTLY IF NOT EXISTS by_default_order ON executions_visibility (namespace_id, close_time DESC, start_time DESC, run_id);
