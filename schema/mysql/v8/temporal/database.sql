-- For reference: the database that holds the temporal store made by temporal-sql-tool create-database.
CREATE DATABASE temporal CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
