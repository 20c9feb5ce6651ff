import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import pLimit from 'p-limit';
import { Prisma, retryOnUniqueViolation, type AuditRecord, type PrismaClient } from '@writeback/persistence';

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

/**
 * Appends audit records to their domain chains.
 *
 * Within a process, appends to one chain run one at a time, in arrival order, so they never
 * compete for a position. Each is two round trips and no transaction: read the chain's head
 * (and whether the event is already recorded), hash, then insert in one statement. Across
 * replicas, the `(chain, chain_seq)` key is the concurrency check: a writer that lost the race
 * for a position wrote nothing and tries again on the new head. (This replaced an advisory
 * lock and six statements in an interactive transaction: docs/benchmarks.md.)
 */
export class AuditLedger {
  private readonly chains = new Map<string, ReturnType<typeof pLimit>>();

  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Appends to the entry's domain chain. Returns false for an event already recorded
   * (redelivery). `alongside` is a statement committed atomically with the record (e.g.
   * queueing the record's public event in an outbox): it runs in the same `WITH` clause.
   */
  append(entry: AuditEntry, alongside?: (record: AuditRecord) => Prisma.Sql): Promise<boolean> {
    const chain = chainOf(entry.domainId);
    let serial = this.chains.get(chain);
    if (!serial) {
      serial = pLimit(1);
      this.chains.set(chain, serial);
    }
    return serial(() => retryOnUniqueViolation(APPEND_ATTEMPTS, () => this.appendOnce(chain, entry, alongside)));
  }

  private async appendOnce(
    chain: string,
    entry: AuditEntry,
    alongside?: (record: AuditRecord) => Prisma.Sql,
  ): Promise<boolean> {
    const [head] = await this.prisma.$queryRaw<
      Array<{ known: boolean; id: bigint | null; chain_seq: bigint | null; hash: string | null }>
    >`
      SELECT known, id, COALESCE(last.chain_seq, cp.chain_seq) AS chain_seq, COALESCE(last.hash, cp.hash) AS hash
        FROM (SELECT EXISTS (SELECT 1 FROM audit_records WHERE event_id = ${entry.eventId}::uuid) AS known) k
        CROSS JOIN LATERAL (SELECT CASE WHEN NOT k.known
                                        THEN nextval(pg_get_serial_sequence('audit_records', 'id')) END AS id) n
        LEFT JOIN LATERAL (SELECT chain_seq, hash FROM audit_records WHERE chain = ${chain}
                            ORDER BY chain_seq DESC LIMIT 1) last ON true
        -- After retention emptied a chain, it resumes from its checkpoint.
        LEFT JOIN audit_checkpoints cp ON cp.chain = ${chain}`;
    if (!head || head.known || head.id === null) return false;
    const chainSeq = BigInt(head.chain_seq ?? 0n) + 1n;
    const prevHash = head.hash ?? GENESIS_HASH;
    const record: AuditRecord = {
      ...entry,
      id: BigInt(head.id),
      payload: entry.payload as AuditRecord['payload'],
      recordedAt: new Date(),
      chain,
      chainSeq,
      prevHash,
      hash: recordHash(prevHash, chain, chainSeq, entry),
    };
    await this.prisma.$queryRaw`
      WITH record AS (
        INSERT INTO audit_records (id, event_id, operation_id, type, domain_id, target_upn, occurred_at,
                                   recorded_at, correlation_id, traceparent, payload, chain, chain_seq,
                                   prev_hash, hash)
        VALUES (${record.id}, ${record.eventId}::uuid, ${record.operationId}::uuid, ${record.type},
                ${record.domainId}, ${record.targetUpn},
                ${record.occurredAt.toISOString()}::timestamptz AT TIME ZONE 'UTC',
                ${record.recordedAt.toISOString()}::timestamptz AT TIME ZONE 'UTC',
                ${record.correlationId}, ${record.traceparent}, ${JSON.stringify(entry.payload)}::jsonb,
                ${chain}, ${chainSeq}, ${prevHash}, ${record.hash})
      ), alongside AS (${alongside ? alongside(record) : Prisma.sql`SELECT 1`})
      SELECT 1`;
    return true;
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
