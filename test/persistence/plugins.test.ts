/**
 * The plugin registry: names and aliases resolve without loading any plugin, each plugin's module
 * (with its driver) is loaded only when that plugin is used, and the aliases the registry lists are
 * the ones each plugin module declares.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PLUGIN_NAMES, resolvePlugin, sqlPlugin, UnknownPluginError } from '../../src/persistence/plugins';

const DIST_SRC = join(__dirname, '..', '..', 'src');

/** Runs `body` in a fresh node process (nothing loaded yet) and returns the packages and own modules it loaded. */
function loadedAfter(body: string): string[] {
  const script = `
    (async () => {
      ${body}
      const out = Object.keys(require.cache).map((f) => {
        const m = f.match(/node_modules\\/((@[^/]+\\/)?[^/]+)/);
        return m ? m[1] : f;
      });
      process.stdout.write(JSON.stringify([...new Set(out)]));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, TTS_SRC: DIST_SRC } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe('plugin registry', () => {
  test('resolving names loads no plugin; using SQLite loads neither the PostgreSQL nor the MySQL driver', () => {
    const loaded = loadedAfter(`
      const p = require(process.env.TTS_SRC + '/persistence/plugins.js');
      p.resolvePlugin('postgres'); p.resolvePlugin('mysql'); p.resolvePlugin('sqlite');
      if (Object.keys(require.cache).some((f) => f.includes('better-sqlite3'))) throw new Error('resolving a name loaded a driver');
      await p.sqlPlugin('sqlite');
      require(process.env.TTS_SRC + '/server/server.js');`);
    assert.ok(loaded.includes('better-sqlite3'), 'the SQLite plugin was loaded');
    assert.ok(!loaded.includes('pg'), 'pg was loaded on SQLite');
    assert.ok(!loaded.includes('mysql2'), 'mysql2 was loaded on SQLite');
    assert.ok(!loaded.some((f) => f.includes(`${join('src', 'ui', 'server')}`)), 'the Web UI server was loaded without a UI');
  });

  test('the registry lists the aliases each plugin declares', async () => {
    for (const name of PLUGIN_NAMES) {
      const plugin = await sqlPlugin(name);
      assert.equal(plugin.name, name);
      for (const [alias, note] of Object.entries(plugin.aliases)) assert.deepEqual(resolvePlugin(alias), { plugin: name, note });
    }
    assert.throws(() => resolvePlugin('oracle'), UnknownPluginError);
  });
});
