/** The sequential-upgrade rule: which binaries may start on which version history, and what they say. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideStart, type VersionHistoryEntry } from '../../src/upgrade/version-policy';
import { mustParseServerVersion } from '../../src/upgrade/server-version';

const ran = (v: string, activated = true, at = 0): VersionHistoryEntry => ({
  serverVersion: v,
  firstStartedMs: at,
  activatedMs: activated ? at + 1 : undefined,
});
const decide = (binary: string, history: VersionHistoryEntry[]) => decideStart(mustParseServerVersion(binary), history);

test('a fresh database accepts any version', () => {
  assert.equal(decide('0.3.0', []).kind, 'fresh');
});

test('same version, patch up and patch down start', () => {
  assert.equal(decide('0.1.0', [ran('0.1.0')]).kind, 'same');
  assert.equal(decide('0.1.4', [ran('0.1.0')]).kind, 'patch');
  assert.equal(decide('0.1.0', [ran('0.1.0', true, 0), ran('0.1.4', true, 10)]).kind, 'patch');
});

test('the next minor is an upgrade, skipping patches on the way', () => {
  assert.equal(decide('0.2.3', [ran('0.1.0')]).kind, 'upgrade');
  assert.equal(decide('1.0.0', [ran('0.9.2')]).kind, 'upgrade');
});

test('skipping a minor is refused with the sequential path', () => {
  const d = decide('0.4.1', [ran('0.1.2')]);
  assert.equal(d.kind, 'refuse');
  assert.match(d.kind === 'refuse' ? d.reason : '', /last run by 0\.1\.2.*run 0\.2\.x, then 0\.3\.x .* then 0\.4\.x/);
  const one = decide('0.3.0', [ran('0.1.0')]);
  assert.match(one.kind === 'refuse' ? one.reason : '', /a minor version is skipped.*run 0\.2\.x/);
});

test('rolling back a minor that has run is refused', () => {
  const d = decide('0.1.5', [ran('0.1.0', true, 0), ran('0.2.0', true, 10)]);
  assert.equal(d.kind, 'refuse');
  assert.match(d.kind === 'refuse' ? d.reason : '', /0\.2\.0 has already run on this database .* restore the backup/);
  // Even when 0.2 never finished starting, it may have rewritten shards.
  assert.equal(decide('0.1.5', [ran('0.1.0', true, 0), ran('0.2.0', false, 10)]).kind, 'refuse');
});

test('an unfinished upgrade may be retried by its own minor only', () => {
  assert.equal(decide('0.2.1', [ran('0.1.0', true, 0), ran('0.2.0', false, 10)]).kind, 'upgrade');
  assert.equal(decide('0.3.0', [ran('0.1.0', true, 0), ran('0.2.0', false, 10)]).kind, 'refuse');
  assert.equal(decide('0.1.0', [ran('0.1.0', false)]).kind, 'same');
  assert.equal(decide('0.2.0', [ran('0.1.0', false)]).kind, 'refuse');
});

test('from 0.3 on, a member of the active minor may (re)start while a rolling upgrade to the next has not finished', () => {
  const rolling = [ran('0.3.0', true, 0), ran('0.4.0', false, 10)];
  const d = decide('0.3.0', rolling);
  assert.deepEqual(d.kind === 'same' ? [d.kind, d.active.text, d.rollingTo] : d, ['same', '0.3.0', '0.4.0']);
  assert.equal(decide('0.3.2', rolling).kind, 'patch');
  // the new minor's members keep joining
  assert.equal(decide('0.4.0', rolling).kind, 'upgrade');
  // once the new minor is active, the old one is refused
  const done = decide('0.3.0', [ran('0.3.0', true, 0), ran('0.4.0', true, 10)]);
  assert.match(done.kind === 'refuse' ? done.reason : '', /0\.4\.0 has already run on this database/);
  // an older minor than the active one is refused as before
  assert.equal(decide('0.2.0', rolling).kind, 'refuse');
});
