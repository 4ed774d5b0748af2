/**
 * Cluster members as child processes (`server start --config`, test/crash/server-process.ts) on one
 * fresh PostgreSQL database pair, each with its own frontend, history and matching ports; `close`
 * stops them, drops the databases and removes the configs. `logs` is what each wrote, for a failure.
 * `run` runs a test body, prints the logs if it fails and closes the cluster; `withClient` gives a
 * body an SDK client of one member's frontend; `store` opens the default store once (closed by
 * `close` before the databases are dropped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openPersistence, type PersistenceBundle } from '../../src/persistence';
import { ServerProcess } from '../crash/server-process';
import { dropDatabase, uniqueDbName } from './databases';
import { freePort } from './processes';
import { connectConfig, prepareStore, writeServerConfig, type TestDatabases } from './server-config';

export interface TestCluster {
  /** one a name, in order; not started */
  servers: ServerProcess[];
  /** each member's frontend port */
  ports: number[];
  dbs: TestDatabases;
  logs(): string;
  close(): Promise<void>;
  /** `body`; on a failure every member's log is printed; the cluster is closed either way */
  run(body: () => Promise<void>): Promise<void>;
  /** `body` with a client of member `member`'s frontend, whose connection is closed after */
  withClient<T>(member: number, body: (client: Client) => Promise<T>): Promise<T>;
  /** the default store, opened on first use and closed by `close` */
  store(): Promise<PersistenceBundle>;
}

export async function postgresCluster(
  purpose: string,
  names: readonly string[],
  o: { numHistoryShards: number; logLevel: string; extra?: string },
): Promise<TestCluster> {
  const tmp = mkdtempSync(join(tmpdir(), `cluster-${purpose}-`));
  const dbs = { temporal: uniqueDbName(purpose), visibility: uniqueDbName(`${purpose}_vis`) };
  const servers: ServerProcess[] = [];
  const ports: number[] = [];
  let store: Promise<PersistenceBundle> | undefined;
  const close = async () => {
    // before the databases are dropped: PostgreSQL does not drop a database with open connections
    await (await store?.catch(() => undefined))?.close();
    for (const s of servers) await s.stop().catch(() => undefined);
    for (const db of Object.values(dbs)) await dropDatabase('postgres12', db).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    prepareStore('postgres12', dbs.temporal, 'temporal');
    prepareStore('postgres12', dbs.visibility, 'visibility');
    for (const name of names) {
      const port = await freePort();
      ports.push(port);
      const config = writeServerConfig(tmp, name, 'postgres12', dbs, port, {
        numHistoryShards: o.numHistoryShards,
        logLevel: o.logLevel,
        rolePorts: { history: await freePort(), matching: await freePort() },
        extra: `ui:\n  enabled: false\n${o.extra ?? ''}`,
      });
      servers.push(new ServerProcess(config));
    }
  } catch (err) {
    await close();
    throw err;
  }
  const logs = () => servers.map((s, i) => `---- ${names[i]}\n${s.log.slice(-20_000)}`).join('\n');
  return {
    servers,
    ports,
    dbs,
    logs,
    close,
    async run(body) {
      try {
        await body();
      } catch (err) {
        console.log(logs());
        throw err;
      } finally {
        await close();
      }
    },
    async withClient(member, body) {
      const connection = await Connection.connect({ address: `127.0.0.1:${ports[member]}` });
      try {
        return await body(new Client({ connection }));
      } finally {
        await connection.close();
      }
    },
    store: () => (store ??= openPersistence(connectConfig('postgres12', dbs.temporal))),
  };
}
