import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeEvent, envelope, Topics, type WritebackEvent } from '@writeback/contracts';
import { metrics } from '@writeback/observability';
import { applyMigrations, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@writeback/persistence';
import { Client } from 'pg';
import { waitFor } from '@writeback/testing';
import type { BusLogger, IncomingMessage, MessageHandler, OutgoingMessage, Subscription } from '../message-bus';
import { PostgresBus } from './postgres.bus';

jest.setTimeout(60_000);

const DELIVERY_TIMEOUT_MS = 15_000;
/** Fast retries and polling: the behaviour under test is the same, only quicker. */
const RETRY = { initialDelayMs: 10, maxDelayMs: 40, maxUnclassifiedAttempts: 3 };
const POLL_MS = 50;

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  details: object;
}

function collectingLogger(lines: LogLine[]): BusLogger {
  return {
    info: (details, message) => lines.push({ level: 'info', message, details }),
    warn: (details, message) => lines.push({ level: 'warn', message, details }),
    error: (details, message) => lines.push({ level: 'error', message, details }),
  };
}

/** Unique per test, so that tests sharing one database never see each other's messages. */
function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 8)}`;
}

interface DeadLetter {
  sourceTopic: string;
  sourcePosition: string;
  consumerGroup: string;
  reason: string;
  issues: string[];
  value: string;
  headers: Record<string, string>;
}

describe('PostgresBus against embedded PostgreSQL', () => {
  let dataDir: string;
  let pg: EmbeddedPostgresHandle | undefined;
  let buses: PostgresBus[] = [];
  let log: LogLine[] = [];
  /** Error lines a test provokes on purpose. */
  let toleratedErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'wb-pgbus-'));
    pg = await startEmbeddedPostgres({ dataDir });
    await applyMigrations(pg.connectionString);
  });

  afterEach(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    // An error line nobody provoked on purpose means the transport misbehaved, even if the test passed.
    const unexpected = log.filter((line) => line.level === 'error' && !toleratedErrors.includes(line.message));
    toleratedErrors = [];
    buses = [];
    log = [];
    if (unexpected.length > 0) throw new Error(`the bus logged errors: ${JSON.stringify(unexpected)}`);
  });

  afterAll(async () => {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One bus per simulated service instance: its own pool, as in separate processes. */
  function newBus(pollIntervalMs = POLL_MS, concurrency?: number): PostgresBus {
    if (!pg) throw new Error('embedded PostgreSQL not started');
    const bus = new PostgresBus({
      connectionString: pg.connectionString,
      logger: collectingLogger(log),
      pollIntervalMs,
      ...(concurrency ? { concurrency } : {}),
      retry: RETRY,
    });
    buses.push(bus);
    return bus;
  }

  function recorder(): { received: IncomingMessage[]; handler: MessageHandler } {
    const received: IncomingMessage[] = [];
    return {
      received,
      handler: (message) => {
        received.push(message);
        return Promise.resolve();
      },
    };
  }

  async function waitForCount(list: readonly unknown[], count: number, description: string): Promise<void> {
    await waitFor(() => list.length >= count, { timeoutMs: DELIVERY_TIMEOUT_MS, intervalMs: 20, description });
  }

  const valuesOf = (messages: readonly IncomingMessage[]): string[] => messages.map((m) => m.value);

  it('delivers every published message with its key, value and headers, in publish order per key', async () => {
    const bus = newBus();
    const topic = uniqueName('test.order');
    const keys = ['alice@corp.example.test', 'bob@corp.example.test', 'carol@fabrikam.example.test'];
    const published: OutgoingMessage[] = [];
    for (let i = 0; i < 12; i++) {
      const key = keys[i % keys.length]!;
      published.push({ topic, key, value: JSON.stringify({ key, seq: i }), headers: { seq: String(i), 'x-key': key } });
    }
    // Published before anyone subscribes, in three transactions: a new group reads from the start.
    await bus.publish(published.slice(0, 5));
    await bus.publish(published.slice(5, 6));
    await bus.publish(published.slice(6, 9));

    const { received, handler } = recorder();
    await bus.subscribe({ groupId: uniqueName('group'), topics: [topic], handler });
    await waitForCount(received, 9, 'the messages published before subscribing');

    // And published while subscribed: woken by the notification.
    await bus.publish(published.slice(9));
    await waitForCount(received, published.length, 'every message');

    expect(received.map(({ topic: t, key, value, headers }) => ({ topic: t, key, value, headers }))).toEqual(
      published.map((m) => ({ ...m, headers: m.headers ?? {} })),
    );
    for (const key of keys) {
      const seqs = received.filter((m) => m.key === key).map((m) => Number(m.headers['seq']));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const positions = received.map((m) => BigInt(m.position));
    positions.slice(1).forEach((p, i) => expect(p > positions[i]!).toBe(true));
  });

  it('redelivers a message whose handler failed, then moves on in key order', async () => {
    const bus = newBus();
    const topic = uniqueName('test.retry');
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    await bus.subscribe({
      groupId: uniqueName('group'),
      topics: [topic],
      handler: (message) => {
        const attempt = (attempts.get(message.value) ?? 0) + 1;
        attempts.set(message.value, attempt);
        if (message.value === 'flaky' && attempt <= 2) {
          return Promise.reject(new Error(`transient failure ${attempt}`));
        }
        handled.push(message.value);
        return Promise.resolve();
      },
    });

    await bus.publish([
      { topic, key: 'alice', value: 'flaky' },
      { topic, key: 'alice', value: 'after-flaky' },
    ]);
    await waitForCount(handled, 2, 'both messages to be handled');

    expect(handled).toEqual(['flaky', 'after-flaky']);
    expect(attempts.get('flaky')).toBe(3);
    expect(attempts.get('after-flaky')).toBe(1);
    expect(log.filter((l) => l.message === 'message handling failed; will retry')).toHaveLength(2);
  });

  /** Watches the dead-letter topic for letters of `topic`. */
  async function deadLettersOf(bus: PostgresBus, topic: string): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    await bus.subscribe({
      groupId: uniqueName('dead-letter-watcher'),
      topics: [Topics.deadLetters],
      handler: (message) => {
        const letter = JSON.parse(message.value) as DeadLetter;
        if (letter.sourceTopic === topic) letters.push(letter);
        return Promise.resolve();
      },
    });
    return letters;
  }

  it('dead-letters a message that breaks its contract, with the reason, and keeps delivering', async () => {
    const bus = newBus();
    const topic = uniqueName('test.poison');
    const groupId = uniqueName('group');
    const operationId = randomUUID();
    const event = (suffix: string): string => {
      const requested: WritebackEvent = {
        type: 'PasswordChangeRequested',
        version: 1,
        data: {
          operationId,
          request: {
            kind: 'self-service-reset',
            channel: 'sspr-portal',
            initiator: { id: `${suffix}@corp.example.test`, isAdministrator: false },
            target: { userPrincipalName: `${suffix}@corp.example.test`, isAdministrator: false },
            options: { forceChangeAtNextLogon: false, unlockAccount: false },
          },
          caller: { subject: 'sspr-portal', issuer: null },
          routing: 'resolved',
          domainId: 'corp',
          requestedAt: new Date().toISOString(),
        },
      };
      return JSON.stringify(envelope(requested, { correlationId: operationId }));
    };

    const calls: string[] = [];
    const handled: string[] = [];
    await bus.subscribe({
      groupId,
      topics: [topic],
      handler: (message) => {
        calls.push(message.value);
        // decodeEvent throws ContractViolation (retriable: false) for the poison message.
        const decoded = decodeEvent(message.value);
        handled.push(decoded.type === 'PasswordChangeRequested' ? decoded.data.request.target.userPrincipalName : '');
        return Promise.resolve();
      },
    });
    const deadLetters = await deadLettersOf(bus, topic);

    await bus.publish([
      { topic, key: 'k', value: event('first') },
      { topic, key: 'k', value: '{"type": "PasswordChangeRequested"', headers: { traceparent: 'poison-trace' } },
      { topic, key: 'k', value: event('second') },
    ]);
    await waitForCount(handled, 2, 'the messages around the poison one');
    await waitForCount(deadLetters, 1, 'the dead letter');

    expect(handled).toEqual(['first@corp.example.test', 'second@corp.example.test']);
    expect(calls).toHaveLength(3);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        sourceTopic: topic,
        consumerGroup: groupId,
        reason: 'ContractViolation: event is not JSON',
        issues: [],
        value: '{"type": "PasswordChangeRequested"',
        headers: { traceparent: 'poison-trace' },
      }),
    ]);
    expect(log.some((l) => l.message === 'message dead-lettered')).toBe(true);
    expect(log.some((l) => l.message === 'message handling failed; will retry')).toBe(false);
  });

  it('dead-letters a message whose failure nobody classified after RETRY.maxUnclassifiedAttempts tries, and moves on', async () => {
    const bus = newBus();
    const topic = uniqueName('test.bug');
    const groupId = uniqueName('group');
    const tries = new Map<string, number>();
    const handled: string[] = [];
    await bus.subscribe({
      groupId,
      topics: [topic],
      handler: (message) => {
        tries.set(message.value, (tries.get(message.value) ?? 0) + 1);
        // A bug: a plain error, neither retriable nor not.
        if (message.value === 'buggy') return Promise.reject(new TypeError('cannot read properties of undefined'));
        handled.push(message.value);
        return Promise.resolve();
      },
    });
    const deadLetters = await deadLettersOf(bus, topic);

    await bus.publish(['before', 'buggy', 'after'].map((value) => ({ topic, key: 'k', value })));
    await waitForCount(handled, 2, 'the messages around the buggy one');
    await waitForCount(deadLetters, 1, 'the dead letter');

    expect(handled).toEqual(['before', 'after']);
    expect(tries.get('buggy')).toBe(RETRY.maxUnclassifiedAttempts);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        sourceTopic: topic,
        consumerGroup: groupId,
        reason: `TypeError: cannot read properties of undefined (unclassified failure, ${RETRY.maxUnclassifiedAttempts} tries)`,
        value: 'buggy',
      }),
    ]);
    expect(log.filter((l) => l.message === 'message handling failed; will retry')).toHaveLength(
      RETRY.maxUnclassifiedAttempts - 1,
    );
  });

  it('keeps retrying a failure known to be retriable beyond that bound, and dead-letters nothing', async () => {
    const bus = newBus();
    const topic = uniqueName('test.outage');
    const failures = RETRY.maxUnclassifiedAttempts * 2;
    let tries = 0;
    const handled: string[] = [];
    await bus.subscribe({
      groupId: uniqueName('group'),
      topics: [topic],
      handler: (message) => {
        if (++tries <= failures) {
          return Promise.reject(Object.assign(new Error('peer away'), { retriable: true }));
        }
        handled.push(message.value);
        return Promise.resolve();
      },
    });
    const deadLetters = await deadLettersOf(bus, topic);

    await bus.publish([{ topic, key: 'k', value: 'waits-out-the-outage' }]);
    await waitForCount(handled, 1, 'the message once the outage is over');

    expect(tries).toBe(failures + 1);
    expect(deadLetters).toEqual([]);
  });

  it('lets one consumer of a group work at a time, and a standby take over without loss or duplicates', async () => {
    const topic = uniqueName('test.group');
    const groupId = uniqueName('group');
    const seen: Array<{ consumer: 'a' | 'b'; value: string }> = [];
    // Whoever handles m5 is held inside its handler while it is being stopped, to show that the
    // message in flight is finished and committed, not handed over twice.
    let heldAtM5: 'a' | 'b' | undefined;
    let releaseM5: () => void = () => undefined;
    const m5Released = new Promise<void>((resolve) => (releaseM5 = resolve));
    const handlerFor =
      (consumer: 'a' | 'b'): MessageHandler =>
      async (message) => {
        if (message.value === 'm5') {
          heldAtM5 ??= consumer;
          await m5Released;
        }
        seen.push({ consumer, value: message.value });
      };

    const publisher = newBus();
    const subscriptions: Record<'a' | 'b', Subscription> = {
      a: await newBus().subscribe({ groupId, topics: [topic], handler: handlerFor('a') }),
      b: await newBus().subscribe({ groupId, topics: [topic], handler: handlerFor('b') }),
    };

    const first = Array.from({ length: 10 }, (_, i) => `m${i + 1}`);
    await publisher.publish(first.map((value) => ({ topic, key: 'alice', value })));
    const activeOne = await waitFor(() => heldAtM5, {
      timeoutMs: DELIVERY_TIMEOUT_MS,
      intervalMs: 20,
      description: 'the active consumer to reach m5',
    });
    const standby = activeOne === 'a' ? 'b' : 'a';

    const stopping = subscriptions[activeOne].stop();
    releaseM5();
    await stopping;
    const second = Array.from({ length: 5 }, (_, i) => `n${i + 1}`);
    await publisher.publish(second.map((value) => ({ topic, key: 'alice', value })));
    await waitFor(() => seen.some((s) => s.value === 'n5'), {
      timeoutMs: DELIVERY_TIMEOUT_MS,
      intervalMs: 20,
      description: 'the standby to take over and handle n5',
    });

    expect(seen.map((s) => s.value)).toEqual([...first, ...second]);
    const byActive = seen.filter((s) => s.consumer === activeOne).map((s) => s.value);
    const byStandby = seen.filter((s) => s.consumer === standby).map((s) => s.value);
    expect(byActive).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(byStandby).toEqual([...first.slice(5), ...second]);
  });

  it('resumes a group from its committed offsets', async () => {
    const bus = newBus();
    const topic = uniqueName('test.offsets');
    const groupId = uniqueName('group');

    const before = recorder();
    const subscription = await bus.subscribe({ groupId, topics: [topic], handler: before.handler });
    await bus.publish(['old-1', 'old-2', 'old-3'].map((value) => ({ topic, key: 'k', value })));
    await waitForCount(before.received, 3, 'the first three messages');
    await subscription.stop();

    await bus.publish(['new-1', 'new-2'].map((value) => ({ topic, key: 'k', value })));
    const after = recorder();
    await newBus().subscribe({ groupId, topics: [topic], handler: after.handler });
    const fresh = recorder();
    await bus.subscribe({ groupId: uniqueName('fresh-group'), topics: [topic], handler: fresh.handler });

    await waitForCount(after.received, 2, 'the messages published while the group was away');
    await waitForCount(fresh.received, 5, 'a new group to read the topic from the start');
    expect(valuesOf(before.received)).toEqual(['old-1', 'old-2', 'old-3']);
    expect(valuesOf(after.received)).toEqual(['new-1', 'new-2']);
    expect(valuesOf(fresh.received)).toEqual(['old-1', 'old-2', 'old-3', 'new-1', 'new-2']);
  });

  it("is woken by each publish to its topics among other topics' traffic, with no poll to fall back on", async () => {
    // A poll longer than the test: a notification missed would leave a message undelivered.
    const bus = newBus(120_000);
    const topic = uniqueName('test.wake');
    const other = uniqueName('test.other');
    const { received, handler } = recorder();
    await bus.subscribe({ groupId: uniqueName('group'), topics: [topic], handler });
    const published: string[] = [];
    for (let i = 0; i < 40; i++) {
      // Another topic's traffic in between, which this consumer does not read.
      await bus.publish([{ topic: other, key: 'k', value: `other ${i}` }]);
      await bus.publish([{ topic, key: `k${i % 3}`, value: `m ${i}` }]);
      published.push(`m ${i}`);
      // Some publishes land while the consumer is busy, some while it sleeps on the notification.
      if (i % 4 === 0) await waitForCount(received, i + 1, `message ${i}`);
    }
    await waitForCount(received, published.length, 'every message, each woken by its notification');
    expect(valuesOf(received)).toEqual(published);
  });

  it('handles several keys at once with concurrency, each key still in order', async () => {
    const bus = newBus(POLL_MS, 4);
    const topic = uniqueName('test.concurrent');
    const keys = ['alice', 'bob', 'carol'];
    const published = Array.from({ length: 30 }, (_, i) => ({
      topic,
      key: keys[i % 3]!,
      value: `${keys[i % 3]} ${i}`,
    }));
    // Alice's first message is held until Bob's first has been handled: one key at a time
    // would never get there.
    let bobArrived!: () => void;
    const bobFirst = new Promise<void>((resolve) => (bobArrived = resolve));
    let waitedInVain = false;
    const received: IncomingMessage[] = [];
    await bus.publish(published);
    await bus.subscribe({
      groupId: uniqueName('group'),
      topics: [topic],
      handler: async (message) => {
        if (message.value === 'alice 0') {
          const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000));
          waitedInVain = (await Promise.race([bobFirst, timedOut])) === 'timeout';
        }
        if (message.value === 'bob 1') bobArrived();
        received.push(message);
      },
    });
    await waitForCount(received, published.length, 'every message');

    expect(waitedInVain).toBe(false);
    for (const key of keys) {
      expect(valuesOf(received.filter((m) => m.key === key))).toEqual(
        published.filter((m) => m.key === key).map((m) => m.value),
      );
    }
  });

  it('reports its lag: the messages waiting while it works, and 0 once it has handled them', async () => {
    const bus = newBus();
    const topic = uniqueName('test.lag');
    const groupId = uniqueName('group');
    const lag = async (): Promise<number | undefined> =>
      (await metrics.consumerLag.get()).values.find((v) => v.labels.topic === topic && v.labels.group === groupId)
        ?.value;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { received, handler } = recorder();
    await bus.publish(Array.from({ length: 5 }, (_, i) => ({ topic, key: 'alice', value: `m${i}` })));
    await bus.subscribe({
      groupId,
      topics: [topic],
      handler: async (message) => {
        if (message.value === 'm0') await released;
        await handler(message);
      },
    });
    await waitFor(async () => (await lag()) === 5, {
      timeoutMs: DELIVERY_TIMEOUT_MS,
      intervalMs: 20,
      description: 'a lag of 5 while the first message is held',
    });
    release();
    await waitForCount(received, 5, 'the five messages');
    await waitFor(async () => (await lag()) === 0, {
      timeoutMs: DELIVERY_TIMEOUT_MS,
      intervalMs: 20,
      description: 'a lag of 0 once they are handled',
    });
    expect(valuesOf(received)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('delivers the topics a pattern matches, and only those', async () => {
    const bus = newBus();
    const named = uniqueName('test.named');
    const matching = ['writeback.executor.corp.v1', 'writeback.executor.fabrikam.v1'];
    const notMatching = [
      'writeback.executor.corp-eu.v1',
      'writeback.executor.CORP.v1',
      'writeback.executor.corp.v2',
      'writeback.executor.corp.v1.extra',
      'xwriteback.executor.corp.v1',
      'writeback.executor..v1',
      uniqueName('test.unrelated'),
    ];
    const { received, handler } = recorder();
    await bus.subscribe({
      groupId: uniqueName('group'),
      topics: [/^writeback\.executor\.[a-z]+\.v1$/, named],
      handler,
    });

    await bus.publish([...notMatching, ...matching, named].map((topic) => ({ topic, key: 'k', value: `to ${topic}` })));
    // The last message published is on the named topic: once it is here, everything before it
    // that was going to be delivered has been.
    await waitFor(() => received.some((m) => m.topic === named), {
      timeoutMs: DELIVERY_TIMEOUT_MS,
      intervalMs: 20,
      description: 'the message on the named topic',
    });

    expect(received.map((m) => m.topic)).toEqual([...matching, named]);
    expect(valuesOf(received)).toEqual([...matching, named].map((topic) => `to ${topic}`));
  });

  it('keeps consuming after its database session is cut', async () => {
    if (!pg) throw new Error('embedded PostgreSQL not started');
    toleratedErrors = ['postgres bus consumer error; retrying'];
    const publisher = newBus();
    const topic = uniqueName('test.reconnect');
    const groupId = uniqueName('group');
    const { received, handler } = recorder();
    await newBus().subscribe({ groupId, topics: [topic], handler });
    await publisher.publish([{ topic, key: 'k', value: 'before' }]);

    const admin = new Client({ connectionString: pg.connectionString });
    await admin.connect();
    try {
      await waitFor(
        async () =>
          (await admin.query('SELECT 1 FROM bus_consumer_offsets WHERE group_id = $1', [groupId])).rowCount === 1,
        { timeoutMs: DELIVERY_TIMEOUT_MS, intervalMs: 20, description: '"before" to be committed' },
      );
      // What a PostgreSQL restart, a failover or an administrator's pg_terminate_backend does to
      // the session that holds the group's advisory lock (an int8 key: objid is its low 32 bits).
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND objsubid = 1
            AND objid::bigint = (hashtext($1)::bigint & 4294967295)`,
        [groupId],
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }

    await publisher.publish([{ topic, key: 'k', value: 'after' }]);
    await waitForCount(received, 2, '"after" to be delivered on a new session');
    expect(valuesOf(received)).toEqual(['before', 'after']);
  });
});
