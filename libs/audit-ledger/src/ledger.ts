import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditRecord, Prisma, PrismaClient } from '@writeback/persistence';

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
 * Appends to the entry's domain chain; one writer per chain at a time. Returns false for an
 * event already recorded (redelivery).
 */
export async function appendAuditRecord(
  prisma: PrismaClient,
  entry: AuditEntry,
  /** Runs in the same transaction, e.g. to queue the record's public event in an outbox. */
  onAppended?: (tx: Prisma.TransactionClient, record: AuditRecord) => Promise<void>,
): Promise<boolean> {
  const chain = chainOf(entry.domainId);
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`audit:${chain}`}))`;
    if (await tx.auditRecord.findUnique({ where: { eventId: entry.eventId }, select: { id: true } })) return false;
    // After retention emptied a chain, it resumes from its checkpoint.
    const last =
      (await tx.auditRecord.findFirst({
        where: { chain },
        orderBy: { chainSeq: 'desc' },
        select: { chainSeq: true, hash: true },
      })) ?? (await tx.auditCheckpoint.findUnique({ where: { chain }, select: { chainSeq: true, hash: true } }));
    const chainSeq = (last?.chainSeq ?? 0n) + 1n;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const record = await tx.auditRecord.create({
      data: { ...entry, chain, chainSeq, prevHash, hash: recordHash(prevHash, chain, chainSeq, entry) },
    });
    await onAppended?.(tx, record);
    return true;
  });
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
