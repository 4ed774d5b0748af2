/** The mysql8 plugin as the registry (../plugins.ts) sees it. */
import { DEFAULT_MAX_CONNS } from '../sql-config';
import type { SqlPlugin } from '../sql/plugin';
import { PooledExecutor } from '../sql/pooled-executor';
import { MysqlAdminDB, MysqlDatabaseAdmin } from './admin';
import { mysqlDialect } from './dialect';
import { createMysqlPool, mysqlPoolDriver } from './pool';

export const mysqlPlugin: SqlPlugin = {
  name: 'mysql8',
  dialect: mysqlDialect,
  aliases: {
    mysql: 'plugin "mysql" means "mysql8" here (MySQL 8.0 and later; Temporal retired the 5.7 plugin in 1.24)',
  },
  openExecutor: async (cfg, options) => {
    const multipleStatements = options?.multiStatementBatches === true;
    const pool = await createMysqlPool(cfg, { multipleStatements });
    return new PooledExecutor(mysqlDialect, mysqlPoolDriver(pool, multipleStatements), { maxConns: cfg.maxConns ?? DEFAULT_MAX_CONNS, groupCommit: true });
  },
  openSchemaAdmin: (cfg) => MysqlAdminDB.open(cfg),
  databaseAdmin: (cfg, defaultDb) => new MysqlDatabaseAdmin(cfg, defaultDb),
};
