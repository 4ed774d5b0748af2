#!/usr/bin/env node
// The one test command (README and .ci/run): build (server and Web UI), lint (ESLint and Prettier, zero
// warnings; skipped when a file filter is given), run every compiled *.test.js under dist/test
// with node's own test runner, several files at once (TEST_CONCURRENCY, default 3: every suite has
// databases, directories and ports of its own, and most of a suite's time is spent waiting), then the
// upgrade page's acceptance script (../shared/acceptance/seed-commands.sh) when it is present.
// Ends with one line "N passed, N failed, N skipped" over both.
// Usage: npm test [-- <substring filter on test file paths>...]   (a filter skips the acceptance script)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// npm run build: tsc, then the Web UI (tsc of src/ui/web + vite build into dist/ui/, used by test/ui)
const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('build failed: fix the errors above');
  process.exit(build.status ?? 1);
}

const filters = process.argv.slice(2);
if (filters.length === 0) {
  const lint = spawnSync('npm', ['run', 'lint', '--silent'], { stdio: 'inherit' });
  if (lint.status !== 0) {
    console.error('lint failed: fix the problems above (npm run format rewrites the formatting)');
    process.exit(lint.status ?? 1);
  }
} else {
  console.log('lint: not run (a file filter was given; npm run lint runs it)');
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

/** Runs a command, echoing its output, and returns [exit code, all output]. */
function run(cmd, args, opts = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => resolveRun([code ?? 1, out]));
  });
}

const files = walk('dist/test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`);
  process.exit(1);
}
if (process.env.CI !== 'true') {
  console.log('note: CI is not "true": database suites skip (with a message) where PostgreSQL or MariaDB is not reachable.');
}
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 3);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`TEST_CONCURRENCY must be a whole number of at least 1 (got ${process.env.TEST_CONCURRENCY})`);
  process.exit(2);
}
const [testCode, testOut] = await run(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]);
const count = (label) => Number([...testOut.matchAll(new RegExp(`^ℹ ${label} (\\d+)$`, 'gm'))].pop()?.[1] ?? 0);
let passed = count('pass');
let failed = count('fail') + count('cancelled');
let skipped = count('skipped') + count('todo');
if (testCode !== 0 && failed === 0) failed = 1;

let acceptanceCode = 0;
const acceptance = resolve('..', 'shared', 'acceptance', 'seed-commands.sh');
if (filters.length > 0) {
  console.log('acceptance: not run (a file filter was given)');
} else if (!existsSync(acceptance)) {
  if (process.env.CI === 'true') {
    console.error(`acceptance: ${acceptance} is missing, and CI=true requires it`);
    failed += 1;
  } else {
    console.log(`acceptance: SKIPPED (${acceptance} not found)`);
    skipped += 1;
  }
} else if (process.getuid?.() !== 0 && process.env.CI !== 'true') {
  console.log('acceptance: SKIPPED (it starts throwaway PostgreSQL and MariaDB servers and needs root)');
  skipped += 1;
} else {
  console.log(`\nacceptance: bash ${acceptance}`);
  const [code, out] = await run('bash', [acceptance]);
  acceptanceCode = code;
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (code !== 0 && (!m || Number(m[2]) === 0)) failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(testCode !== 0 || acceptanceCode !== 0 || failed > 0 ? 1 : 0);
