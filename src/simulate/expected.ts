/**
 * The plan of one simulated workflow and the result it must end with. Kept beside the workflows
 * (and free of SDK imports) so the runner predicts each result with the same arithmetic.
 */
export type SimKind = 'activities' | 'timer' | 'signal' | 'child' | 'continue';
export const SIM_KINDS: readonly SimKind[] = ['activities', 'timer', 'signal', 'child', 'continue'];

export interface SimPlan {
  readonly kind: SimKind;
  readonly seed: number;
  /** activities: how many; continue: how many more runs; timer: milliseconds */
  readonly n: number;
  /** signal: the value the runner sends */
  readonly signalValue?: number;
}

export const compute = (x: number): number => (x * x) % 1009;

export function activitiesResult(seed: number, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += compute(seed + i);
  return sum;
}

export function expectedResult(p: SimPlan): number {
  switch (p.kind) {
    case 'activities':
      return activitiesResult(p.seed, p.n);
    case 'timer':
      return p.seed * 2;
    case 'signal':
      return p.seed + (p.signalValue ?? 0);
    case 'child':
      return activitiesResult(p.seed, 2) + 1;
    case 'continue':
      // each run adds its remaining count: n + (n-1) + ... + 1
      return p.seed + (p.n * (p.n + 1)) / 2;
  }
}

export const WORKFLOW_TYPES: Record<SimKind, string> = {
  activities: 'simActivities',
  timer: 'simTimer',
  signal: 'simSignal',
  child: 'simChild',
  continue: 'simContinue',
};
