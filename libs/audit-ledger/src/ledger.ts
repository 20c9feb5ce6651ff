import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import pLimit from 'p-limit';
import { Prisma, retryOnUniqueViolation, type AuditRecord, type PrismaClient, type Sql } from '@writeback/persistence';

/** The chain of records that belong to no domain (e.g. a request no domain matched). */
export const GLOBAL_CHAIN = '_global';
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  eventId: string;
  operationId: string;
  type: string;
  domainId: string | null;
  targetUpn: string | null;
  occurredAt: Date;
  correlationId: string;
  traceparent: string | null;
  payload: Prisma.InputJsonValue;
}

export const chainOf = (domainId: string | null): string => domainId ?? GLOBAL_CHAIN;

/**
 * SHA-256 over the previous hash and the record's content in RFC 8785 canonical JSON, so the
 * same record hashes the same however PostgreSQL orders its JSON keys.
 */
export function recordHash(prevHash: string, chain: string, chainSeq: bigint, entry: AuditEntry): string {
  const content = canonicalize([
    chain,
    chainSeq.toString(),
    entry.eventId,
    entry.operationId,
    entry.type,
    entry.domainId,
    entry.targetUpn,
    entry.occurredAt.toISOString(),
    entry.correlationId,
    entry.traceparent,
    entry.payload,
  ]);
  return createHash('sha256')
    .update(prevHash)
    .update(content ?? '')
    .digest('hex');
}

/**
 * How many times an append reads its chain's head again after another replica took the
 * position it meant to use (appends from one process never race: see `AuditLedger`). The last
 * loss is thrown, and the message is delivered again.
 */
const APPEND_ATTEMPTS = 25;

/** A record as the ledger chains it, before PostgreSQL assigns its id. */
export type ChainedRecord = Omit<AuditRecord, 'id'>;

/**
 * A statement committed atomically with the record, in the same `WITH` clause (e.g. queueing
 * the record's public event in an outbox). `recordId` is an SQL expression for the id
 * PostgreSQL gives the record: a `bigint`, or NULL when the event was already recorded and
 * nothing is written.
 */
export type Alongside = (record: ChainedRecord, recordId: Prisma.Sql) => Prisma.Sql;

interface Head {
  chainSeq: bigint;
  hash: string;
}

/**
 * Appends audit records to their domain chains.
 *
 * Within a process, appends to one chain run one at a time, in arrival order, so they never
 * compete for a position, and the process remembers each chain's head after its own appends.
 * An append is then one round trip and no transaction: hash on the remembered head, insert in
 * one statement, which also skips an event already recorded. The head is read from the
 * database only when the process has none for the chain yet (one more round trip) or lost it.
 * Across replicas, the `(chain, chain_seq)` key is the concurrency check: a writer whose head
 * was stale loses the race for the position, writes nothing, forgets the head and tries again
 * on the one it reads. (This replaced an advisory lock and six statements in an interactive
 * transaction, then a read before every insert: docs/benchmarks.md.)
 */
export class AuditLedger {
  private readonly chains = new Map<string, ReturnType<typeof pLimit>>();
  private readonly heads = new Map<string, Head>();

  constructor(private readonly sql: Sql) {}

  /** Appends to the entry's domain chain. Returns false for an event already recorded (redelivery). */
  append(entry: AuditEntry, alongside?: Alongside): Promise<boolean> {
    const chain = chainOf(entry.domainId);
    let serial = this.chains.get(chain);
    if (!serial) {
      serial = pLimit(1);
      this.chains.set(chain, serial);
    }
    return serial(() => retryOnUniqueViolation(APPEND_ATTEMPTS, () => this.appendOnce(chain, entry, alongside)));
  }

  /** The chain's last position and hash, from its last record or, after retention, its checkpoint. */
  private async readHead(chain: string): Promise<Head> {
    const [head] = await this.sql.query<{ chain_seq: bigint | null; hash: string | null }>(Prisma.sql`
      SELECT COALESCE(last.chain_seq, cp.chain_seq) AS chain_seq, COALESCE(last.hash, cp.hash) AS hash
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT chain_seq, hash FROM audit_records WHERE chain = ${chain}
                            ORDER BY chain_seq DESC LIMIT 1) last ON true
        -- After retention emptied a chain, it resumes from its checkpoint.
        LEFT JOIN audit_checkpoints cp ON cp.chain = ${chain}`);
    return { chainSeq: BigInt(head?.chain_seq ?? 0n), hash: head?.hash ?? GENESIS_HASH };
  }

  private async appendOnce(chain: string, entry: AuditEntry, alongside?: Alongside): Promise<boolean> {
    // A redelivered event is found by the insert itself (`ON CONFLICT (event_id)`).
    const head = this.heads.get(chain) ?? (await this.readHead(chain));
    // Forgotten until this append's outcome is known: a failed one leaves the next to read it.
    this.heads.delete(chain);
    const chainSeq = head.chainSeq + 1n;
    const record: ChainedRecord = {
      ...entry,
      payload: entry.payload as AuditRecord['payload'],
      recordedAt: new Date(),
      chain,
      chainSeq,
      prevHash: head.hash,
      hash: recordHash(head.hash, chain, chainSeq, entry),
    };
    const inserted = await this.sql.query<{ id: bigint }>(Prisma.sql`
      WITH record AS (
        INSERT INTO audit_records (event_id, operation_id, type, domain_id, target_upn, occurred_at,
                                   recorded_at, correlation_id, traceparent, payload, chain, chain_seq,
                                   prev_hash, hash)
        VALUES (${record.eventId}::uuid, ${record.operationId}::uuid, ${record.type},
                ${record.domainId}, ${record.targetUpn},
                ${record.occurredAt.toISOString()}::timestamptz AT TIME ZONE 'UTC',
                ${record.recordedAt.toISOString()}::timestamptz AT TIME ZONE 'UTC',
                ${record.correlationId}, ${record.traceparent}, ${JSON.stringify(entry.payload)}::jsonb,
                ${chain}, ${chainSeq}, ${record.prevHash}, ${record.hash})
        -- A redelivered event: nothing is written, alongside included (its record id is NULL).
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id
      ), alongside AS (${alongside ? alongside(record, Prisma.sql`(SELECT id FROM record)`) : Prisma.sql`SELECT 1`})
      SELECT id FROM record`);
    // Already recorded: the head is as it was.
    this.heads.set(chain, inserted.length > 0 ? { chainSeq, hash: record.hash } : head);
    return inserted.length > 0;
  }
}

export interface BrokenLink {
  chain: string;
  chainSeq: string;
  recordId: string;
  eventId: string;
  problem: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  chains: number;
  firstBroken: BrokenLink | null;
}

const BATCH = 1000;

/** Recomputes every chain from its start; reports the first record that does not hold. */
export async function verifyAuditChains(prisma: PrismaClient): Promise<VerifyResult> {
  const chains = (await prisma.auditRecord.findMany({ distinct: ['chain'], select: { chain: true } })).map(
    (c) => c.chain,
  );
  let records = 0;
  for (const chain of chains.sort()) {
    const checkpoint = await prisma.auditCheckpoint.findUnique({ where: { chain } });
    let prevHash = checkpoint?.hash ?? GENESIS_HASH;
    let expectedSeq = (checkpoint?.chainSeq ?? 0n) + 1n;
    for (let after = checkpoint?.chainSeq ?? 0n; ;) {
      const rows: AuditRecord[] = await prisma.auditRecord.findMany({
        where: { chain, chainSeq: { gt: after } },
        orderBy: { chainSeq: 'asc' },
        take: BATCH,
      });
      if (rows.length === 0) break;
      for (const row of rows) {
        records++;
        const broken = (problem: string): VerifyResult => ({
          ok: false,
          records,
          chains: chains.length,
          firstBroken: {
            chain,
            chainSeq: row.chainSeq.toString(),
            recordId: row.id.toString(),
            eventId: row.eventId,
            problem,
          },
        });
        if (row.chainSeq !== expectedSeq) return broken(`expected position ${expectedSeq}: a record is missing`);
        if (row.prevHash !== prevHash) return broken('its link to the previous record does not match');
        const entry: AuditEntry = {
          eventId: row.eventId,
          operationId: row.operationId,
          type: row.type,
          domainId: row.domainId,
          targetUpn: row.targetUpn,
          occurredAt: row.occurredAt,
          correlationId: row.correlationId,
          traceparent: row.traceparent,
          payload: row.payload as Prisma.InputJsonValue,
        };
        if (recordHash(prevHash, chain, row.chainSeq, entry) !== row.hash) {
          return broken('its content does not match its hash: the record was altered');
        }
        prevHash = row.hash;
        expectedSeq++;
        after = row.chainSeq;
      }
    }
  }
  return { ok: true, records, chains: chains.length, firstBroken: null };
}

/**
 * Removes a chain's records that occurred before `cutoff`, oldest first and without gaps,
 * leaving a checkpoint (position and hash of the last removed record) from which the rest of
 * the chain still verifies.
 */
export async function applyRetention(prisma: PrismaClient, chain: string, cutoff: Date): Promise<number> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`audit:${chain}`}))`;
    // The first record to keep bounds the removal, so a late-arriving old event cannot open a gap.
    const firstKept = await tx.auditRecord.findFirst({
      where: { chain, occurredAt: { gte: cutoff } },
      orderBy: { chainSeq: 'asc' },
      select: { chainSeq: true },
    });
    const lastRemoved = await tx.auditRecord.findFirst({
      where: { chain, ...(firstKept ? { chainSeq: { lt: firstKept.chainSeq } } : {}) },
      orderBy: { chainSeq: 'desc' },
      select: { chainSeq: true, hash: true },
    });
    if (!lastRemoved) return 0;
    await tx.auditCheckpoint.upsert({
      where: { chain },
      create: { chain, chainSeq: lastRemoved.chainSeq, hash: lastRemoved.hash },
      update: { chainSeq: lastRemoved.chainSeq, hash: lastRemoved.hash, createdAt: new Date() },
    });
    const { count } = await tx.auditRecord.deleteMany({ where: { chain, chainSeq: { lte: lastRemoved.chainSeq } } });
    return count;
  });
}
