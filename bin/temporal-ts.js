#!/usr/bin/env node
'use strict';
// temporal-ts: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
let main;
try {
  ({ main } = require('../dist/src/cli/temporal-ts.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli')) {
    process.stderr.write('error: temporal-ts is not built; run `npm install` (or `npm run build`) in its directory first\n');
    process.exit(1);
  }
  throw err;
}
main(process.argv.slice(2)).then((code) => {
  // Long-running commands (server start) keep the process alive on their own.
  if (code !== 0) process.exit(code);
});
