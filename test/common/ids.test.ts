/**
 * Shard placement (src/common/ids.ts): FNV-1a over the UTF-8 bytes of the key, as Buffer.from gives
 * them (a workflow must land on the same shard in every release), and fixed values for known keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a32, shardIdFor } from '../../src/common/ids';

function overBuffer(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

test('fnv1a32 hashes the UTF-8 bytes Buffer.from gives, lone surrogates included', () => {
  const samples = ['', 'a', 'default_wf-1', 'ünïcödé', '日本語', '😀x', '\ud800', 'a\udc00b', '\ud83d', 'x\ud83d\ude00\ud800\udc00\udbff\udfff'];
  for (let i = 0; i < 5000; i++) {
    let s = '';
    for (let j = 0; j < i % 13; j++) s += String.fromCharCode(j % 2 === 0 ? Math.floor(Math.random() * 128) : Math.floor(Math.random() * 65536));
    samples.push(s);
  }
  for (const s of samples) assert.equal(fnv1a32(s), overBuffer(s), JSON.stringify(s));
});

test('shard placement of known keys never changes', () => {
  assert.equal(fnv1a32('default_wf-1'), overBuffer('default_wf-1'));
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(shardIdFor('ns', 'wf', 1), 1);
});
