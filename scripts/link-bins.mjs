#!/usr/bin/env node
// npm links the bins of dependencies into node_modules/.bin, but not the project's own. Linking ours
// there too makes `npx temporal-ts ...` and `npx temporal-sql-tool ...` work from the project root
// right after `npm install` (npx looks in node_modules/.bin first).
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const binDir = join('node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(pkg.bin ?? {})) {
  const link = join(binDir, name);
  rmSync(link, { force: true });
  symlinkSync(relative(binDir, target), link);
}
