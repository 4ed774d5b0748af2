/** What each crash-load workflow gets as input and must return (kept beside ./workflows.ts). */
import { mix } from './activities';
import type { CrashLoadInput } from './workflows';

/** A small deterministic PRNG (mulberry32) so a failing run can be replayed with CRASH_SEED. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function inputFor(i: number, rand: () => number): CrashLoadInput {
  return {
    seed: 1000 + i,
    signals: 1 + Math.floor(rand() * 3),
    timerMs: [100 + Math.floor(rand() * 1900), 100 + Math.floor(rand() * 1900)],
    failures: Math.floor(rand() * 3),
  };
}

/** The value of signal `j` of a workflow: unique within the run, so a duplicate is visible. */
export function signalValue(input: CrashLoadInput, j: number): number {
  return input.seed * 10 + j;
}

export function expectedResult(input: CrashLoadInput): string {
  const a = mix(input.seed, 1);
  const b = mix(a, 100 + input.failures);
  const sigs = Array.from({ length: input.signals }, (_, j) => signalValue(input, j)).sort((x, y) => x - y);
  const c = mix(b, 2);
  const d = mix(a + b, 3);
  return `${input.seed}|${a}|${b}|${sigs.join(',')}|${c}|${d}|${input.signals}`;
}
