/**
 * A member started with port 0 ("any free port", as the bench starts them) advertises the ports it
 * actually listens on in its membership rows (PostgreSQL): the frontend's too, which is bound last,
 * after the member joined (its rows said `frontend:0` before).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dropDatabase, engineAvailability, uniqueDbName } from '../helpers/databases';
import { connectConfig, prepareStore } from '../helpers/server-config';
import { openPersistence } from '../../src/persistence';
import { startTemporalServer } from '../../src/server/server';

describe('membership rows of a member on port 0 (PostgreSQL)', async () => {
  const skip = await engineAvailability('postgres12');
  test('every role row carries the port bound', { skip, timeout: 60_000 }, async () => {
    const db = uniqueDbName('clports');
    prepareStore('postgres12', db, 'temporal');
    const server = await startTemporalServer({ persistence: connectConfig('postgres12', db), port: 0, logLevel: 'silent' });
    const store = await openPersistence(connectConfig('postgres12', db));
    try {
      const rows = await store.membership.listMembers(Date.now());
      const port = (role: string) => rows.find((r) => r.role === role)?.rpcPort;
      assert.equal(port('frontend'), server.port, JSON.stringify(rows));
      assert.ok(port('history')! > 0 && port('matching')! > 0, JSON.stringify(rows));
    } finally {
      await store.close();
      await server.stop();
      await dropDatabase('postgres12', db).catch(() => undefined);
    }
  });
});
