-- For reference: the database that holds the visibility store made by temporal-sql-tool create-database.
CREATE DATABASE temporal_visibility CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
