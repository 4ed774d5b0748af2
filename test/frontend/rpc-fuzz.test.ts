/**
 * Fuzz of every RPC the frontend serves (issue 13): random requests built from each method's
 * protobuf type (nasty strings: NUL, invalid and overlong ones; extreme numbers, durations and
 * timestamps; random bytes for tokens; invalid enum values), and byte-level mutations of their
 * encodings (flipped, cut, spliced), sent by a raw gRPC client. Every answer must be a proper status
 * (never INTERNAL or UNKNOWN), the server stays up, and a refused start leaves no workflow behind.
 * Seeded (FUZZ_SEED) and time-boxed: sqlite gets most of the budget, postgres12 and mysql8 a share.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client as GrpcClient, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import type { Field, Type, Enum } from 'protobufjs';
import { ENGINES, engineAvailability, uniqueDbName, dropDatabase } from '../helpers/databases';
import { connectConfig, prepareStore } from '../helpers/server-config';
import { createTestDb, type TestDb } from '../engine/harness';
import { startTemporalServer, type RunningTemporalServer } from '../../src/server/server';
import { root } from '../../src/common/proto';
import { OPERATOR_SERVICE_UNIMPLEMENTED, WORKFLOW_SERVICE_UNIMPLEMENTED } from '../../src/frontend/unimplemented';

const SEED = Number(process.env.FUZZ_SEED ?? 1313);
const BUDGET_MS: Record<string, number> = { sqlite: 18_000, postgres12: 8_000, mysql8: 8_000 };

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const STRINGS = [
  '',
  'default',
  'fuzz',
  'wf-1',
  'a\0b',
  '\0',
  'x'.repeat(256),
  'é'.repeat(300),
  '\uFFFD',
  '🙂',
  ' ',
  '%',
  '../../etc',
  "'; DROP TABLE executions; --",
  '00000000-0000-0000-0000-000000000000',
  'WorkflowId = "x"',
  'not a query (((',
];
const GOOD_STRINGS = [
  'default',
  'wf-1',
  'fuzz',
  'w',
  'signal',
  'q',
  '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  'WorkflowType = "w"',
  'ExecutionStatus = "Running"',
];
const INTS = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 7, 1000];
const LONGS = ['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '4611686018427387904', '1000000000000000'];

interface Gen {
  r: (n: number) => number;
}

function pick<T>(g: Gen, list: readonly T[]): T {
  return list[g.r(list.length)]!;
}

function scalar(g: Gen, f: Field): unknown {
  switch (f.type) {
    case 'string':
      if (f.name === 'namespace' && g.r(4) > 0) return pick(g, ['default', 'fuzz']);
      // half plausible (to get past validation into the handlers), half hostile
      return g.r(2) === 0 ? pick(g, GOOD_STRINGS) : pick(g, STRINGS);
    case 'bool':
      return g.r(2) === 1;
    case 'bytes': {
      const n = pick(g, [0, 1, 8, 40, 300]);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = g.r(256);
      return b;
    }
    case 'double':
    case 'float':
      return pick(g, [0, -1, 1.5, 1e308, -1e308, Number.NaN, Number.POSITIVE_INFINITY]);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return pick(g, LONGS);
    default:
      return pick(g, INTS);
  }
}

/** A random plain object of `type`, `depth` levels deep at most. */
function randomMessage(g: Gen, type: Type, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (type.fullName === '.google.protobuf.Duration' || type.fullName === '.google.protobuf.Timestamp') {
    return { seconds: pick(g, LONGS), nanos: pick(g, [0, 1, -1, 999_999_999, 1_000_000_000, -5]) };
  }
  for (const f of type.fieldsArray) {
    if (g.r(3) === 0) continue;
    const t = f.resolve().resolvedType;
    const one = (): unknown => {
      if (t && 'fieldsArray' in t) return depth > 0 ? randomMessage(g, t as Type, depth - 1) : {};
      if (t && 'values' in t) {
        const values = Object.values((t as Enum).values);
        return g.r(4) === 0 ? pick(g, [-1, 999, 2 ** 31 - 1]) : pick(g, values);
      }
      return scalar(g, f);
    };
    if (f.map) out[f.name] = Object.fromEntries(Array.from({ length: g.r(3) }, () => [pick(g, STRINGS.filter(Boolean)), one()]));
    else if (f.repeated) out[f.name] = Array.from({ length: g.r(4) }, one);
    else out[f.name] = one();
  }
  return out;
}

function encode(type: Type, obj: Record<string, unknown>): Buffer | undefined {
  try {
    return Buffer.from(type.encode(type.fromObject(obj)).finish());
  } catch {
    return undefined;
  }
}

function mutateBytes(g: Gen, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (g.r(4)) {
    case 0:
      for (let k = 0; k < 1 + g.r(4) && out.length; k++) out[g.r(out.length)] = g.r(256);
      return out;
    case 1:
      return out.subarray(0, g.r(out.length + 1));
    case 2:
      return Buffer.concat([out, Buffer.from([g.r(256), g.r(256), g.r(256)])]);
    default: {
      // a length prefix made huge: the decoder must refuse, not allocate
      const at = g.r(out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f]), out.subarray(at)]);
    }
  }
}

interface Rpc {
  service: 'WorkflowService' | 'OperatorService';
  method: string;
  req: Type;
}

function implementedRpcs(): Rpc[] {
  const out: Rpc[] = [];
  for (const [service, full, unimpl] of [
    ['WorkflowService', 'temporal.api.workflowservice.v1.WorkflowService', WORKFLOW_SERVICE_UNIMPLEMENTED],
    ['OperatorService', 'temporal.api.operatorservice.v1.OperatorService', OPERATOR_SERVICE_UNIMPLEMENTED],
  ] as const) {
    const svc = root.lookupService(full);
    svc.resolveAll();
    for (const m of Object.values(svc.methods)) {
      if (m.name in unimpl) continue;
      out.push({ service, method: m.name, req: m.resolvedRequestType as Type });
    }
  }
  return out;
}

for (const engine of ENGINES) {
  describe(`RPC fuzz on ${engine}`, async () => {
    const skip = await engineAvailability(engine);
    let db: TestDb;
    let visDb: string;
    let visDir: string | undefined;
    let server: RunningTemporalServer;
    let raw: GrpcClient;
    let conn: Connection;

    before(async () => {
      if (skip) return;
      db = await createTestDb(engine, 'fuzz');
      if (engine === 'sqlite') {
        visDir = mkdtempSync(join(tmpdir(), 'tts-fuzz-vis-'));
        visDb = join(visDir, 'visibility.db');
      } else visDb = uniqueDbName('fuzzvis');
      prepareStore(engine, visDb, 'visibility');
      server = await startTemporalServer({ persistence: db.config, visibility: connectConfig(engine, visDb), port: 0, logLevel: 'fatal', namespace: ['fuzz'] });
      raw = new GrpcClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
      conn = await Connection.connect({ address: `127.0.0.1:${server.port}` });
      // something for the requests to find: running workflows with the ids the strings use
      for (const id of ['wf-1', 'default', 'fuzz']) {
        await conn.workflowService.startWorkflowExecution({
          namespace: 'default',
          workflowId: id,
          workflowType: { name: 'w' },
          taskQueue: { name: 'fuzz' },
          requestId: id,
        });
      }
    });

    after(async () => {
      if (skip) return;
      raw?.close();
      await conn?.close();
      await server?.stop();
      await db?.drop();
      if (visDir) rmSync(visDir, { recursive: true, force: true });
      else if (visDb) await dropDatabase(engine, visDb);
    });

    const call = (rpc: Rpc, bytes: Buffer): Promise<{ code: number; details: string }> =>
      new Promise((resolve) =>
        raw.makeUnaryRequest(
          `/temporal.api.${rpc.service.toLowerCase()}.v1.${rpc.service}/${rpc.method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new Metadata(),
          { deadline: Date.now() + 1300 },
          (err: ServiceError | null) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }),
        ),
      );

    test('every answer is a proper status (never INTERNAL or UNKNOWN); the server stays up; refused starts write nothing', { skip }, async () => {
      const rpcs = implementedRpcs();
      assert.ok(rpcs.length > 30, `${rpcs.length} implemented RPCs`);
      const g: Gen = { r: rng(SEED + engine.length) };
      const started = Date.now();
      const counts = new Map<number, number>();
      const refusedStarts: string[] = [];
      let calls = 0;
      let round = 0;
      while (Date.now() - started < BUDGET_MS[engine]!) {
        for (const rpc of rpcs) {
          const obj = randomMessage(g, rpc.req, round === 0 ? 1 : 3);
          const valid = encode(rpc.req, obj);
          const bytes = valid && g.r(3) === 0 ? mutateBytes(g, valid) : (valid ?? Buffer.from([g.r(256), g.r(256)]));
          const res = await call(rpc, bytes);
          calls++;
          counts.set(res.code, (counts.get(res.code) ?? 0) + 1);
          assert.ok(
            res.code !== 13 && res.code !== 2,
            `${rpc.service}.${rpc.method} answered ${res.code} (${res.details}) to ${JSON.stringify(obj, (_k, v: unknown) => (Buffer.isBuffer(v) ? `<${v.length} bytes>` : v)).slice(0, 2000)} (seed ${SEED})`,
          );
          if (
            rpc.method === 'StartWorkflowExecution' &&
            res.code === 3 &&
            bytes === valid &&
            typeof obj.workflowId === 'string' &&
            /^[a-z]{1,20}$/.test(obj.workflowId)
          ) {
            refusedStarts.push(obj.workflowId);
          }
        }
        round++;
      }
      // still up, and answering properly
      const info = await conn.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion);
      for (const id of refusedStarts.filter((x) => !['default', 'fuzz'].includes(x))) {
        await assert.rejects(
          conn.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: id } }),
          { code: 5 },
          `refused start of ${id}`,
        );
      }
      console.log(`${engine}: ${calls} fuzzed calls over ${rpcs.length} RPCs in ${round} rounds; status counts ${JSON.stringify(Object.fromEntries(counts))}`);
    });
  });
}
