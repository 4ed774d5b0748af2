/** The benchmark's workflow: one no-op activity (bundled by the worker from the compiled JS). */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function oneActivity(input: string): Promise<string> {
  return await noop(input);
}
