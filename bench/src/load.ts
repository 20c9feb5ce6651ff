import { setTimeout as delay } from 'node:timers/promises';

export interface LoadRun<T> {
  results: T[];
  elapsedMs: number;
}

/**
 * Open loop: operation i starts at i / rate seconds whatever the earlier ones are doing, as
 * independent users would arrive, so a slow system shows as latency rather than a lower rate.
 */
export async function openLoop<T>(
  count: number,
  ratePerSecond: number,
  run: (index: number) => Promise<T>,
): Promise<LoadRun<T>> {
  const started = performance.now();
  const pending: Array<Promise<T>> = [];
  for (let index = 0; index < count; index++) {
    const due = started + (index * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await delay(wait);
    pending.push(run(index));
  }
  const results = await Promise.all(pending);
  return { results, elapsedMs: performance.now() - started };
}

/** Closed loop: `workers` callers each start their next operation when the previous one ends. */
export async function closedLoop<T>(
  count: number,
  workers: number,
  run: (index: number, worker: number) => Promise<T>,
): Promise<LoadRun<T>> {
  const started = performance.now();
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (id: number): Promise<void> => {
    for (let index = next++; index < count; index = next++) results[index] = await run(index, id);
  };
  await Promise.all(Array.from({ length: Math.min(workers, count) }, (_, id) => worker(id)));
  return { results, elapsedMs: performance.now() - started };
}
