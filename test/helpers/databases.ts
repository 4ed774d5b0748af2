/**
 * Real databases for tests: the PostgreSQL and MariaDB (standing in for MySQL 8) of this machine.
 *
 * A suite asks `engineAvailability(engine)` before it starts. Outside CI an unreachable server makes
 * the suite skip with a visible reason; with CI=true it is a failure, because CI must exercise them.
 * Every suite works in databases of its own (`uniqueDbName`) and drops them afterwards.
 */
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';

export type Engine = 'sqlite' | 'postgres12' | 'mysql8';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres12', 'mysql8'];

export const PG = {
  host: process.env.TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_PG_PORT ?? 5432),
  user: process.env.TEST_PG_USER ?? 'postgres',
  password: process.env.TEST_PG_PASSWORD ?? '',
};
export const MYSQL = {
  host: process.env.TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_MYSQL_PORT ?? 3306),
  user: process.env.TEST_MYSQL_USER ?? 'root',
  password: process.env.TEST_MYSQL_PASSWORD ?? '',
};

const cache = new Map<Engine, Promise<string | undefined>>();

/** A busy machine can be slow to accept a connection: try a few times before calling it down. */
async function probe(engine: Engine): Promise<string | undefined> {
  let reason: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    reason = await probeOnce(engine);
    if (reason === undefined) return undefined;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return reason;
}

async function probeOnce(engine: Engine): Promise<string | undefined> {
  try {
    if (engine === 'postgres12') {
      const c = new PgClient({ ...PG, database: 'postgres', connectionTimeoutMillis: 10_000 });
      await c.connect();
      await c.end();
    } else if (engine === 'mysql8') {
      const c = await mysql.createConnection({ ...MYSQL, connectTimeout: 10_000 });
      await c.end();
    }
    return undefined;
  } catch (err) {
    return `${engine} at ${engine === 'postgres12' ? `${PG.host}:${PG.port}` : `${MYSQL.host}:${MYSQL.port}`} is not reachable (${(err as Error).message})`;
  }
}

/**
 * `false` when the engine can be used; otherwise the reason to skip, printed by node:test.
 * Under CI=true an unreachable database throws instead: CI must not pass by skipping.
 */
export async function engineAvailability(engine: Engine): Promise<false | string> {
  let p = cache.get(engine);
  if (!p) {
    p = probe(engine);
    cache.set(engine, p);
  }
  const reason = await p;
  if (reason === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  const msg = `SKIPPED: ${reason}; start it to run these tests`;
  console.log(msg);
  return msg;
}

let counter = 0;
export function uniqueDbName(purpose: string): string {
  counter += 1;
  return `tts_${purpose}_${process.pid}_${Date.now().toString(36)}_${counter}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export async function dropDatabase(engine: Engine, name: string): Promise<void> {
  if (engine === 'postgres12') {
    const c = new PgClient({ ...PG, database: 'postgres' });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await c.end();
    }
  } else if (engine === 'mysql8') {
    const c = await mysql.createConnection({ ...MYSQL });
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await c.end();
    }
  }
}

/** The global flags that point temporal-sql-tool at a test database of the given engine. */
export function toolConnectionFlags(engine: Engine, db: string): string[] {
  switch (engine) {
    case 'sqlite':
      return ['--pl', 'sqlite', '--db', db];
    case 'postgres12':
      return ['--pl', 'postgres12', '--ep', PG.host, '-p', String(PG.port), '-u', PG.user, ...(PG.password ? ['--pw', PG.password] : []), '--db', db];
    case 'mysql8':
      return [
        '--pl',
        'mysql8',
        '--ep',
        MYSQL.host,
        '-p',
        String(MYSQL.port),
        '-u',
        MYSQL.user,
        ...(MYSQL.password ? ['--pw', MYSQL.password] : []),
        '--db',
        db,
      ];
  }
}
