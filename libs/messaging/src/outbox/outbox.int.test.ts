import { randomUUID } from 'node:crypto';
import { createLogger } from '@writeback/observability';
import { Prisma, sqlOverPrisma, type PrismaClient, type Sql } from '@writeback/persistence';
import { startMigratedDatabase, waitFor, type MigratedDatabase } from '@writeback/testing';
import { Writable } from 'node:stream';
import type { MessageBus, OutgoingMessage } from '../message-bus';
import { PostgresBus } from '../postgres/postgres.bus';
import { outboxInsert, writeOutbox } from './outbox';
import { OutboxRelay } from './outbox.relay';

jest.setTimeout(60_000);

const quiet = createLogger(
  'outbox-test',
  new Writable({
    write: (_chunk, _encoding, done) => done(),
  }),
);

/**
 * The outbox relay against a real PostgreSQL and the embedded transport (its log is a table,
 * so what was published can be read back in order): every committed message published once,
 * in commit order, and kept when a publish fails.
 */
describe('OutboxRelay', () => {
  let database: MigratedDatabase | undefined;
  let bus: PostgresBus | undefined;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    database = await startMigratedDatabase('wb-outbox', { poolSize: 6 });
    bus = new PostgresBus({ connectionString: database.connectionString, logger: quiet });
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await bus?.close();
    await database?.stop();
  });

  function db(): PrismaClient {
    if (!database) throw new Error('PostgreSQL not started');
    return database.prisma;
  }

  function sql(): Sql {
    if (!database) throw new Error('PostgreSQL not started');
    return database.sql;
  }

  function start(producer: string, through: MessageBus | undefined = bus, lingerMs = 0): OutboxRelay {
    if (!through) throw new Error('bus not started');
    const relay = new OutboxRelay(sql(), through, quiet, { producer, lingerMs });
    relays.push(relay);
    relay.start();
    return relay;
  }

  const messages = (topic: string, from: number, count: number): OutgoingMessage[] =>
    Array.from({ length: count }, (_, i) => ({ topic, key: `k${(from + i) % 7}`, value: String(from + i) }));

  const published = async (topic: string): Promise<string[]> =>
    (await db().busMessage.findMany({ where: { topic }, orderBy: { offset: 'asc' } })).map((m) => m.value);

  const waitForPublished = (topic: string, count: number): Promise<string[]> =>
    waitFor(async () => ((await published(topic)).length >= count ? published(topic) : undefined), {
      timeoutMs: 30_000,
      description: `${count} messages published on ${topic}`,
    });

  it('publishes every committed message once, in commit order, over several batches', async () => {
    const producer = `p-${randomUUID()}`;
    const topic = `t-${randomUUID()}`;
    // 250 messages in 12 commits, through both ways of writing the outbox: more than two batches.
    for (let c = 0; c < 12; c++) {
      const batch = messages(topic, c * 21, c === 11 ? 19 : 21);
      if (c % 2) await sql().transaction((tx) => writeOutbox(tx, producer, batch));
      else await sql().execute(Prisma.sql`WITH queued AS (${outboxInsert(producer, batch)}) SELECT 1`);
    }
    start(producer).kick();

    const values = await waitForPublished(topic, 250);

    expect(values).toEqual(Array.from({ length: 250 }, (_, i) => String(i)));
    expect(await db().outboxMessage.count({ where: { producer } })).toBe(0);
  });

  it('keeps the messages of a failed publish and sends them on the next round, still in order', async () => {
    const producer = `p-${randomUUID()}`;
    const topic = `t-${randomUUID()}`;
    let failures = 2;
    // A bus the relay publishes to and then deletes (as on Kafka), not the log it drains into.
    const flaky: MessageBus = Object.assign(Object.create(bus as object) as MessageBus, {
      drainOutbox: undefined,
      publish: async (batch: readonly OutgoingMessage[]) => {
        if (failures-- > 0) throw new Error('broker unavailable');
        await bus?.publish(batch);
      },
    });
    // Inside a Prisma transaction, as the config service and the dead-letter replay write it.
    await db().$transaction((tx) => writeOutbox(sqlOverPrisma(tx), producer, messages(topic, 0, 30)));
    start(producer, flaky).kick();

    const values = await waitForPublished(topic, 30);

    expect(failures).toBeLessThan(0);
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    expect(await db().outboxMessage.count({ where: { producer } })).toBe(0);
  });

  it('publishes each message once and in order when two replicas run a relay for one producer', async () => {
    const producer = `p-${randomUUID()}`;
    const topic = `t-${randomUUID()}`;
    const [one, two] = [start(producer), start(producer)];
    for (let c = 0; c < 20; c++) {
      await writeOutbox(sql(), producer, messages(topic, c * 10, 10));
      (c % 2 ? one : two).kick();
    }

    const values = await waitForPublished(topic, 200);

    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('with a linger, publishes the messages announced meanwhile in one round, in order', async () => {
    const producer = `p-${randomUUID()}`;
    const topic = `t-${randomUUID()}`;
    const rounds: number[] = [];
    const counting: MessageBus = Object.assign(Object.create(bus as object) as MessageBus, {
      drainOutbox: undefined,
      publish: async (batch: readonly OutgoingMessage[]) => {
        rounds.push(batch.length);
        await bus?.publish(batch);
      },
    });
    const relay = start(producer, counting, 1000);
    // Past its first rounds (the one at start may take a commit as it lands): a message sent alone.
    await writeOutbox(sql(), producer, messages(topic, 0, 1));
    relay.kick();
    await waitForPublished(topic, 1);
    // Five commits, each announced as it commits, all within the linger the first one starts.
    for (let c = 0; c < 5; c++) {
      await writeOutbox(sql(), producer, messages(topic, 1 + c * 10, 10));
      relay.kick();
    }

    const values = await waitForPublished(topic, 51);

    expect(values).toEqual(Array.from({ length: 51 }, (_, i) => String(i)));
    expect(rounds).toEqual([1, 50]);
  });

  it('finds messages nobody announced with a kick (another replica left them) on its idle rounds', async () => {
    const producer = `p-${randomUUID()}`;
    const topic = `t-${randomUUID()}`;
    await writeOutbox(sql(), producer, messages(topic, 0, 5));
    start(producer).kick();
    await waitForPublished(topic, 5);

    // The relay has drained its outbox and idles; these arrive without a kick.
    await writeOutbox(sql(), producer, messages(topic, 5, 5));
    const values = await waitForPublished(topic, 10);

    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(await db().outboxMessage.count({ where: { producer } })).toBe(0);
  });

  it('sets a field of each queued value to what the statement computes, and queues nothing unless asked', async () => {
    const producer = `p-${randomUUID()}`;
    const topic = `t-${randomUUID()}`;
    const message = { topic, key: 'k', value: JSON.stringify({ data: { recordId: '0', kept: 'yes' } }) };
    const queue = (id: Prisma.Sql) =>
      sql().execute(
        Prisma.sql`WITH computed AS (SELECT ${id}::bigint AS id), queued AS (${outboxInsert(
          producer,
          [message],
          Prisma.sql`(SELECT id FROM computed) IS NOT NULL`,
          { path: ['data', 'recordId'], to: Prisma.sql`(SELECT id FROM computed)` },
        )}) SELECT 1`,
      );

    await queue(Prisma.sql`42`);
    await queue(Prisma.sql`NULL`);

    const queued = await db().outboxMessage.findMany({ where: { producer } });
    expect(queued.map((m) => JSON.parse(m.value) as unknown)).toEqual([{ data: { recordId: '42', kept: 'yes' } }]);
  });
});
