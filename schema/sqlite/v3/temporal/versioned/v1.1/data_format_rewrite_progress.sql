-- temporal-ts 0.2.0: the background data format rewrite reports progress against a total counted
-- when it starts, and when it last saved its cursor (a stalled rewrite shows as an old time).
-- Additive only: 0.1.x servers keep running on this schema (MinCompatibleVersion 1.0).
ALTER TABLE data_format_rewrite ADD COLUMN rows_total BIGINT NULL;
ALTER TABLE data_format_rewrite ADD COLUMN updated_time BIGINT NULL;
