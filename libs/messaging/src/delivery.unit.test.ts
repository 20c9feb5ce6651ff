import { Topics } from '@writeback/contracts';
import { metrics } from '@writeback/observability';
import { deliver, type DeliveryContext } from './delivery';
import type { IncomingMessage, OutgoingMessage } from './message-bus';

const message = (topic: string): IncomingMessage => ({
  topic,
  key: 'alice@corp.example.test',
  value: '{}',
  headers: { 'writeback-correlation-id': 'op-1', 'writeback-type': 'PasswordChangeRequested' },
  partition: '0',
  position: '7',
});

function context(published: OutgoingMessage[]): DeliveryContext {
  const quiet = (): void => undefined;
  return {
    groupId: 'test.group',
    system: 'kafka',
    logger: { info: quiet, warn: quiet, error: quiet },
    retry: { initialDelayMs: 1, maxDelayMs: 1, maxUnclassifiedAttempts: 3 },
    publish: (messages) => {
      published.push(...messages);
      return Promise.resolve();
    },
    isRunning: () => true,
  };
}

async function count(name: 'messageRetries' | 'deadLetters', topic: string): Promise<number> {
  const { values } = await metrics[name].get();
  return values.find((v) => v.labels.topic === topic && v.labels.group === 'test.group')?.value ?? 0;
}

describe('deliver', () => {
  it('counts each retriable failure as a retry, then succeeds', async () => {
    const published: OutgoingMessage[] = [];
    let calls = 0;
    await deliver(
      message('retried.topic'),
      () => (++calls < 3 ? Promise.reject(new Error('DC busy')) : Promise.resolve()),
      context(published),
    );
    expect(calls).toBe(3);
    expect(await count('messageRetries', 'retried.topic')).toBe(2);
    expect(await count('deadLetters', 'retried.topic')).toBe(0);
    expect(published).toEqual([]);
  });

  it('dead-letters and counts a message that breaks its contract, keeping its headers', async () => {
    const published: OutgoingMessage[] = [];
    const poison = Object.assign(new Error('not an event'), { retriable: false });
    await deliver(message('poisoned.topic'), () => Promise.reject(poison), context(published));
    expect(await count('deadLetters', 'poisoned.topic')).toBe(1);
    expect(await count('messageRetries', 'poisoned.topic')).toBe(0);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      topic: Topics.deadLetters,
      headers: { 'writeback-correlation-id': 'op-1', 'writeback-type': 'PasswordChangeRequested' },
    });
  });
});

describe('deliver, bounded', () => {
  it('dead-letters an unclassified failure after maxUnclassifiedAttempts tries, saying how many', async () => {
    const published: OutgoingMessage[] = [];
    let calls = 0;
    await deliver(
      message('buggy.topic'),
      () => {
        calls++;
        return Promise.reject(new TypeError('x is undefined'));
      },
      context(published),
    );
    expect(calls).toBe(3);
    expect(await count('messageRetries', 'buggy.topic')).toBe(2);
    expect(await count('deadLetters', 'buggy.topic')).toBe(1);
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]!.value)).toMatchObject({
      reason: 'TypeError: x is undefined (unclassified failure, 3 tries)',
    });
  });

  it('retries a failure classified retriable for as long as it lasts', async () => {
    const published: OutgoingMessage[] = [];
    let calls = 0;
    const outage = Object.assign(new Error('peer away'), { retriable: true });
    await deliver(
      message('outage.topic'),
      () => (++calls <= 10 ? Promise.reject(outage) : Promise.resolve()),
      context(published),
    );
    expect(calls).toBe(11);
    expect(published).toEqual([]);
  });

  it('stops retrying once the subscription stops, leaving the message uncommitted', async () => {
    let running = true;
    const failing = (): Promise<void> => {
      running = false;
      return Promise.reject(Object.assign(new Error('peer away'), { retriable: true }));
    };
    await expect(
      deliver(message('stopping.topic'), failing, { ...context([]), isRunning: () => running }),
    ).rejects.toMatchObject({ code: 'BUS.DELIVERY_ABORTED', retriable: true });
  });
});
