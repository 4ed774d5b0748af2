-- temporal-ts 0.2.0: the background data format rewrite reports progress (rows looked at against a
-- total counted when it started) and when it last saved its cursor (a stalled rewrite shows an old time).
-- Additive only: 0.1.x servers keep running on this schema (MinCompatibleVersion 1.0).
ALTER TABLE data_format_rewrite ADD COLUMN rows_total BIGINT NULL;
ALTER TABLE data_format_rewrite ADD COLUMN rows_scanned BIGINT NULL;
ALTER TABLE data_format_rewrite ADD COLUMN updated_time BIGINT NULL;
