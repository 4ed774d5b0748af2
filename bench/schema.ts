/**
 * bench/schema: how long `setup-schema -v 0.0` + `update-schema` from 0.0 to the newest version
 * take, per engine and store, through the real tool (child processes, as an operator runs them).
 * Prints one line per engine/store and a total. Run: npm run bench:schema
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, type Engine, dropDatabase, engineAvailability, toolConnectionFlags, uniqueDbName } from '../test/helpers/databases';
import { ENGINE_DIRS } from '../src/schema/shipped';

const TOOL = join(__dirname, '..', '..', 'bin', 'temporal-sql-tool.js');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

function tool(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [TOOL, '-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-schema-'));
  try {
    for (const engine of ENGINES as Engine[]) {
      if (await engineAvailability(engine)) continue;
      for (const store of ['temporal', 'visibility']) {
        const times: number[] = [];
        for (let i = 0; i < REPEAT; i++) {
          const db = engine === 'sqlite' ? join(tmp, `${store}-${i}.db`) : uniqueDbName(`bench_${store}`);
          const flags = toolConnectionFlags(engine, db);
          const started = process.hrtime.bigint();
          tool([...flags, 'create-database']);
          tool([...flags, 'setup-schema', '-v', '0.0']);
          tool([...flags, 'update-schema', '-d', join('schema', ENGINE_DIRS[engine], store, 'versioned')]);
          times.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (engine !== 'sqlite') await dropDatabase(engine, db);
        }
        times.sort((a, b) => a - b);
        console.log(
          `${engine.padEnd(10)} ${store.padEnd(10)} create+setup+update 0.0->latest: median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}, ${REPEAT} runs, each 3 tool processes)`,
        );
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
