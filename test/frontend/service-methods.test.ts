/**
 * Every method of WorkflowService and OperatorService (as @temporalio/proto defines them) is either
 * served or listed as unimplemented, never both, never neither. Over the wire, with the official
 * client: each listed method answers UNIMPLEMENTED naming the service, the method and the feature;
 * each served method answers an empty request with something else, and never INTERNAL (an empty
 * request is the caller's mistake, or a valid request).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { OPERATOR_SERVICE_UNIMPLEMENTED, WORKFLOW_SERVICE_UNIMPLEMENTED } from '../../src/frontend/unimplemented';
import type { RunningTemporalServer } from '../../src/server/server';
import { startServer, tempDbFile } from '../engine/harness';

type GrpcErr = { code?: number; details?: string };
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

/** The wire names of a generated service's methods (the reflection object protobufjs keeps beside the class). */
function methodsOf(service: { name: string; parent: unknown }): string[] {
  const reflected = (service as unknown as { methods?: Record<string, unknown> }).methods;
  assert.ok(reflected, `no reflection for ${service.name}`);
  return Object.keys(reflected);
}

const SERVICES = [
  {
    label: 'WorkflowService',
    methods: methodsOf(temporal.api.workflowservice.v1.WorkflowService as never),
    unimplemented: WORKFLOW_SERVICE_UNIMPLEMENTED as Record<string, { unimplemented: string }>,
    stub: (c: Connection) => c.workflowService as unknown as Record<string, (req: object) => Promise<unknown>>,
  },
  {
    label: 'OperatorService',
    methods: methodsOf(temporal.api.operatorservice.v1.OperatorService as never),
    unimplemented: OPERATOR_SERVICE_UNIMPLEMENTED as Record<string, { unimplemented: string }>,
    stub: (c: Connection) => c.operatorService as unknown as Record<string, (req: object) => Promise<unknown>>,
  },
] as const;

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1);

describe('service methods', () => {
  const db = tempDbFile();
  let server: RunningTemporalServer;
  let conn: Connection;
  before(async () => {
    server = await startServer(db.file);
    conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
  });
  after(async () => {
    await conn?.close();
    await server?.stop();
    db.cleanup();
  });

  for (const svc of SERVICES) {
    test(`${svc.label}: the unimplemented list names only methods of the service`, () => {
      assert.ok(svc.methods.length > 10, `${svc.label} has ${svc.methods.length} methods`);
      for (const name of Object.keys(svc.unimplemented)) assert.ok(svc.methods.includes(name), `${name} is not a ${svc.label} method`);
    });

    test(`${svc.label}: every method is served or answers UNIMPLEMENTED naming itself`, async () => {
      const stub = svc.stub(conn);
      let served = 0;
      for (const name of svc.methods) {
        const call = stub[camel(name)];
        assert.equal(typeof call, 'function', `the client has no ${camel(name)}`);
        const listed = svc.unimplemented[name];
        let err: GrpcErr | undefined;
        try {
          await call!.call(stub, {});
        } catch (e) {
          err = e as GrpcErr;
        }
        if (listed) {
          assert.equal(err?.code, UNIMPLEMENTED, `${name}: expected UNIMPLEMENTED, got ${err?.code}: ${err?.details}`);
          assert.equal(err.details, `${svc.label}.${name} is not implemented by this server yet (${listed.unimplemented}).`);
        } else {
          served++;
          assert.notEqual(err?.code, UNIMPLEMENTED, `${name} is neither served nor listed as unimplemented: ${err?.details}`);
          assert.notEqual(err?.code, INTERNAL, `${name}({}) answered INTERNAL: ${err?.details}`);
        }
      }
      assert.equal(served + Object.keys(svc.unimplemented).length, svc.methods.length);
      assert.ok(served >= (svc.label === 'WorkflowService' ? 34 : 3), `${svc.label}: only ${served} methods served`);
    });
  }
});
