/**
 * Cluster members as child processes (`server start --config`, test/crash/server-process.ts) on one
 * fresh PostgreSQL database pair, each with its own frontend, history and matching ports; `close`
 * stops them, drops the databases and removes the configs. `logs` is what each wrote, for a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess } from '../crash/server-process';
import { dropDatabase, uniqueDbName } from './databases';
import { freePort } from './processes';
import { prepareStore, writeServerConfig, type TestDatabases } from './server-config';

export interface TestCluster {
  /** one a name, in order; not started */
  servers: ServerProcess[];
  /** each member's frontend port */
  ports: number[];
  dbs: TestDatabases;
  logs(): string;
  close(): Promise<void>;
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
  const close = async () => {
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
  return {
    servers,
    ports,
    dbs,
    logs: () => servers.map((s, i) => `---- ${names[i]}\n${s.log.slice(-20_000)}`).join('\n'),
    close,
  };
}
