/**
 * Schedule jitter, deterministic per nominal time and bit-for-bit Temporal's: the jitter of a
 * nominal time is FarmHash Fingerprint32 of (the nominal time in Go's time.MarshalBinary form,
 * followed by the seed) scaled into [0, maxJitter) milliseconds. So a schedule fires at the same
 * jittered instant after a restart (the start request id derived from it dedupes), and at the same
 * instant Temporal would fire it (checked against Temporal's own test vectors in the unit tests).
 * Owns: the hash input and the scaling. Does not own: how large maxJitter is (spec.ts).
 *
 * farmhash-modern (FarmHash compiled to WebAssembly, no dependencies) provides Fingerprint32,
 * whose output is fixed by definition; hand-writing FarmHash's mixing rounds would be ~150 lines
 * to get subtly wrong.
 */
import { fingerprint32 } from 'farmhash-modern';

/** Seconds between 0001-01-01T00:00:00Z (Go's internal epoch) and the Unix epoch. */
const GO_EPOCH_OFFSET = 62_135_596_800n;

/** Go's time.Time.MarshalBinary (version 1) of a UTC time with whole seconds. */
function goMarshalBinaryUtc(unixSeconds: number): Uint8Array {
  const out = new Uint8Array(15);
  const view = new DataView(out.buffer);
  out[0] = 1; // timeBinaryVersionV1
  view.setBigInt64(1, BigInt(unixSeconds) + GO_EPOCH_OFFSET);
  view.setInt32(9, 0); // nanoseconds
  view.setInt16(13, -1); // offset minutes: -1 means UTC
  return out;
}

/** The jitter in milliseconds, in [0, maxJitterMs), for `nominalSec` (epoch seconds) and `seed`. */
export function jitterMs(seed: string, nominalSec: number, maxJitterMs: number): number {
  if (!(maxJitterMs > 0)) return 0;
  const time = goMarshalBinaryUtc(nominalSec);
  const seedBytes = Buffer.from(seed, 'utf8');
  const input = new Uint8Array(time.length + seedBytes.length);
  input.set(time, 0);
  input.set(seedBytes, time.length);
  const fp = BigInt(fingerprint32(input) >>> 0);
  const range = BigInt(Math.min(Math.trunc(maxJitterMs), 0xffff_ffff));
  return Number((fp * range) >> 32n);
}
