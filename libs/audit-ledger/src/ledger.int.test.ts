import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient, type Sql } from '@writeback/persistence';
import { startMigratedDatabase, type MigratedDatabase } from '@writeback/testing';
import { applyRetention, AuditLedger, verifyAuditChains, type Alongside, type AuditEntry } from './ledger';

jest.setTimeout(60_000);

/**
 * The hash-chained audit ledger against a real PostgreSQL: serial appends within a process,
 * the chain's position key between processes, and the statement committed alongside a record.
 */
describe('AuditLedger', () => {
  let database: MigratedDatabase | undefined;

  beforeAll(async () => {
    database = await startMigratedDatabase('wb-ledger', { poolSize: 8 });
  });

  afterAll(() => database?.stop());

  function db(): PrismaClient {
    if (!database) throw new Error('PostgreSQL not started');
    return database.prisma;
  }

  /** What the ledger appends with: prepared statements on the same pool. */
  function sql(): Sql {
    if (!database) throw new Error('PostgreSQL not started');
    return database.sql;
  }

  function entry(domainId: string | null, occurredAt = new Date()): AuditEntry {
    const operationId = randomUUID();
    return {
      eventId: randomUUID(),
      operationId,
      type: 'WritebackApplied',
      domainId,
      targetUpn: 'ada@corp.example.test',
      occurredAt,
      correlationId: operationId,
      traceparent: null,
      payload: { note: 'ünïcode and "quotes"', n: 1.5, nested: { b: 2, a: [1, null] } },
    };
  }

  const positions = async (chain: string): Promise<number[]> =>
    (await db().auditRecord.findMany({ where: { chain }, orderBy: { chainSeq: 'asc' } })).map((r) =>
      Number(r.chainSeq),
    );
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('appends a burst to two chains at once: every record lands, each chain gapless and verifiable', async () => {
    const ledger = new AuditLedger(sql());
    const [a, b] = [`burst-a-${randomUUID()}`, `burst-b-${randomUUID()}`];

    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.append(entry(i % 2 ? a : b))));

    expect(results.every(Boolean)).toBe(true);
    expect(await positions(a)).toEqual(range(1, 20));
    expect(await positions(b)).toEqual(range(1, 20));
    expect(await verifyAuditChains(db())).toMatchObject({ ok: true, firstBroken: null });
  });

  it('keeps one chain whole when two replicas append to it at the same time', async () => {
    const [one, two] = [new AuditLedger(sql()), new AuditLedger(sql())];
    const chain = `replicas-${randomUUID()}`;

    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).append(entry(chain))));

    expect(results.every(Boolean)).toBe(true);
    expect(await positions(chain)).toEqual(range(1, 30));
    expect(await verifyAuditChains(db())).toMatchObject({ ok: true });
  });

  it('takes the next position when the head it remembered went stale (another replica appended)', async () => {
    const [one, two] = [new AuditLedger(sql()), new AuditLedger(sql())];
    const chain = `stale-${randomUUID()}`;

    expect(await one.append(entry(chain))).toBe(true); // one remembers position 1
    expect(await two.append(entry(chain))).toBe(true); // two reads the head: position 2
    expect(await one.append(entry(chain))).toBe(true); // one's head is stale: it loses 2, reads, takes 3

    expect(await positions(chain)).toEqual([1, 2, 3]);
    expect(await verifyAuditChains(db())).toMatchObject({ ok: true });
  });

  it('records a redelivered event once, also when two replicas receive it at the same time', async () => {
    const [one, two] = [new AuditLedger(sql()), new AuditLedger(sql())];
    const chain = `redelivery-${randomUUID()}`;
    const first = entry(chain);
    expect(await one.append(first)).toBe(true);
    expect(await one.append(first)).toBe(false);

    const both = entry(chain);
    const results = await Promise.all([one.append(both), two.append(both)]);

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await positions(chain)).toEqual([1, 2]);
  });

  it('commits the alongside statement with the record, and neither when it fails', async () => {
    const ledger = new AuditLedger(sql());
    const chain = `alongside-${randomUUID()}`;
    const producer = `ledger-test-${randomUUID()}`;
    const queue: Alongside = (record, recordId) =>
      Prisma.sql`INSERT INTO outbox_messages (producer, topic, key, headers, value)
                 SELECT ${producer}, 'audit', 'k', '{}'::jsonb, ${`record ${record.chainSeq} id `} || ${recordId}
                  WHERE ${recordId} IS NOT NULL`;

    const first = entry(chain);
    expect(await ledger.append(first, queue)).toBe(true);
    // A redelivery writes neither the record nor what goes alongside it.
    expect(await ledger.append(first, queue)).toBe(false);
    const [stored] = await db().auditRecord.findMany({ where: { chain } });
    const queued = await db().outboxMessage.findMany({ where: { producer } });
    expect(queued.map((m) => m.value)).toEqual([`record 1 id ${stored?.id}`]);

    const failing = (): Prisma.Sql => Prisma.sql`INSERT INTO outbox_messages (producer) VALUES (NULL)`;
    await expect(ledger.append(entry(chain), failing)).rejects.toThrow();
    expect(await positions(chain)).toEqual([1]);
    // The failed append left no hole: the next takes position 2.
    expect(await ledger.append(entry(chain))).toBe(true);
    expect(await positions(chain)).toEqual([1, 2]);
    expect(await verifyAuditChains(db())).toMatchObject({ ok: true });
  });

  it('resumes a chain from its checkpoint after retention removed every record', async () => {
    const ledger = new AuditLedger(sql());
    const chain = `retention-${randomUUID()}`;
    const old = new Date(Date.now() - 86_400_000);
    for (let i = 0; i < 3; i++) expect(await ledger.append(entry(chain, old))).toBe(true);

    expect(await applyRetention(db(), chain, new Date())).toBe(3);
    expect(await ledger.append(entry(chain))).toBe(true);

    expect(await positions(chain)).toEqual([4]);
    expect(await verifyAuditChains(db())).toMatchObject({ ok: true });
  });
});
