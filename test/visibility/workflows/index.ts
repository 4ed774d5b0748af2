/** Workflows of the visibility tests. */
import * as wf from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const finish = wf.defineSignal('finish');

/** Upserts search attributes (legacy record form) and memo, then waits for `finish`. */
export async function upserter(attrs: Record<string, unknown[]>, memo: Record<string, unknown>): Promise<string> {
  let done = false;
  wf.setHandler(finish, () => {
    done = true;
  });
  if (Object.keys(attrs).length > 0) wf.upsertSearchAttributes(attrs as wf.SearchAttributes);
  if (Object.keys(memo).length > 0) wf.upsertMemo(memo);
  await wf.condition(() => done);
  return 'done';
}

/** Upserts typed search attributes from [name, type, value] triples and completes. */
export async function typedUpserter(pairs: [string, string, unknown][]): Promise<string> {
  const SAT = SearchAttributeType as unknown as Record<string, SearchAttributeType>;
  wf.upsertSearchAttributes(
    pairs.map(([name, type, value]) => ({
      key: defineSearchAttributeKey(name, SAT[type]!),
      value: type === 'DATETIME' ? new Date(value as string) : value,
    })) as never,
  );
  return 'ok';
}

export async function quick(): Promise<string> {
  return 'quick';
}

export async function waiter(): Promise<void> {
  await wf.condition(() => false);
}
