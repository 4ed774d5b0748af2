/**
 * The pooled stores (PostgreSQL, MySQL): the pool holds at most `maxConns` connections (Temporal's
 * key; 20 when the config names none), and PostgreSQL runs the stores' statements as named prepared
 * statements, parsed once per connection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMysqlPool } from '../../src/persistence/mysql/pool';
import { createPgPool, pgPoolDriver } from '../../src/persistence/postgres/pool';
import { openSqlExecutor } from '../../src/persistence/plugins';
import { stmt } from '../../src/persistence/sql/statement';
import { DEFAULT_MAX_CONNS, type SqlConnectConfig } from '../../src/persistence/sql-config';
import { engineAvailability, MYSQL, PG } from '../helpers/databases';

describe('postgres12 pool', async () => {
  const skip = await engineAvailability('postgres12');
  const cfg: SqlConnectConfig = { pluginName: 'postgres12', host: PG.host, port: PG.port, user: PG.user, password: PG.password, databaseName: 'postgres' };

  test('maxConns sizes the pool; the default is DEFAULT_MAX_CONNS', { skip }, async () => {
    const sized = await createPgPool({ ...cfg, maxConns: 3 });
    const dflt = await createPgPool(cfg);
    try {
      assert.equal(sized.options.max, 3);
      assert.equal(dflt.options.max, DEFAULT_MAX_CONNS);
      // a fourth borrower waits for a connection to come back
      const held = await Promise.all([sized.connect(), sized.connect(), sized.connect()]);
      let fourth = false;
      const waiting = sized.connect().then((c) => {
        fourth = true;
        return c;
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(fourth, false, 'no fourth connection while three are borrowed');
      held[0]!.release();
      (await waiting).release();
      for (const c of held.slice(1)) c.release();
    } finally {
      await sized.end();
      await dflt.end();
    }
  });

  test('statements with parameters are prepared once per connection and reused; SELECT * and texts without parameters are not', { skip }, async () => {
    const pool = await createPgPool({ ...cfg, maxConns: 1 });
    const driver = pgPoolDriver(pool);
    try {
      const conn = await driver.connect();
      try {
        for (let i = 0; i < 3; i++) assert.deepEqual((await driver.query(conn, 'SELECT $1::int + 1 AS n', [i])).rows, [{ n: i + 1 }]);
        await driver.query(conn, 'SELECT * FROM (SELECT $1::int AS n) t', [1]);
        await driver.query(conn, 'SELECT 1', []);
        const { rows } = await driver.query(conn, 'SELECT statement FROM pg_prepared_statements', []);
        assert.deepEqual(
          rows.map((r) => r.statement),
          ['SELECT $1::int + 1 AS n'],
        );
      } finally {
        driver.release(conn, false);
      }
    } finally {
      await driver.end();
    }
  });
});

describe('mysql8 pool', async () => {
  const skip = await engineAvailability('mysql8');
  const cfg: SqlConnectConfig = { pluginName: 'mysql8', host: MYSQL.host, port: MYSQL.port, user: MYSQL.user, password: MYSQL.password, databaseName: 'mysql' };
  test('maxConns sizes the pool; the default is DEFAULT_MAX_CONNS', { skip }, async () => {
    const sized = await createMysqlPool({ ...cfg, maxConns: 4 });
    const dflt = await createMysqlPool(cfg);
    try {
      assert.equal((sized as unknown as { pool: { config: { connectionLimit: number } } }).pool.config.connectionLimit, 4);
      assert.equal((dflt as unknown as { pool: { config: { connectionLimit: number } } }).pool.config.connectionLimit, DEFAULT_MAX_CONNS);
    } finally {
      await sized.end();
      await dflt.end();
    }
  });

  test('only the store bundle sends several statements in one query text; the visibility executor cannot', { skip }, async () => {
    // what an escaping mistake in a compiled List Filter could produce: a second statement in one text
    const injected = stmt('SELECT 1 AS a; SELECT 2 AS b', []);
    const visibility = await openSqlExecutor(cfg);
    const bundle = await openSqlExecutor(cfg, { multiStatementBatches: true });
    try {
      await assert.rejects(visibility.read(injected), /syntax/i, 'the visibility executor refuses a second statement');
      await assert.doesNotReject(bundle.read(injected), 'the store bundle executor takes batches');
    } finally {
      await visibility.close();
      await bundle.close();
    }
  });
});
