import { Inject, Injectable } from '@nestjs/common';
import { ContractViolation, DeadLetterMessage, type DeadLetterView } from '@writeback/contracts';
import { OutboxRelay, writeOutbox, type IncomingMessage } from '@writeback/messaging';
import { sqlOverPrisma, type PrismaClient } from '@writeback/persistence';
import { PRISMA } from '@writeback/platform';
import { z } from 'zod';
import { FilterText } from '@writeback/contracts';
import { AUDIT_PRODUCER, RecordPosition } from '../audit/audit.repository';

export const DeadLetterQuery = z
  .object({
    sourceTopic: FilterText(256).optional(),
    /** `false` lists only dead letters not replayed yet. */
    replayed: z.enum(['true', 'false']).optional(),
    /** Ids above this one (the previous page's `nextCursor`). */
    after: RecordPosition.transform(BigInt).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type DeadLetterQuery = z.infer<typeof DeadLetterQuery>;

type Row = Awaited<ReturnType<PrismaClient['deadLetter']['findFirstOrThrow']>>;

/** PostgreSQL's text and jsonb refuse NUL; hostile input may carry it anywhere. */
const printable = (text: string): string => text.replaceAll('\u0000', '\ufffd');

const view = (r: Row): DeadLetterView => ({
  id: r.id.toString(),
  key: r.key,
  sourceTopic: r.sourceTopic,
  sourcePosition: r.sourcePosition,
  consumerGroup: r.consumerGroup,
  reason: r.reason,
  issues: r.issues as string[],
  headers: r.headers as Record<string, string>,
  value: Buffer.from(r.value).toString('utf8'),
  deadLetteredAt: r.deadLetteredAt.toISOString(),
  recordedAt: r.recordedAt.toISOString(),
  replayedAt: r.replayedAt?.toISOString() ?? null,
  replayedBy: r.replayedBy,
});

/** The dead-letter topic kept as a table, for operators to list and replay. */
@Injectable()
export class DeadLettersRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly outbox: OutboxRelay,
  ) {}

  /**
   * Keeps one dead letter; the same one delivered again is kept once. A dead letter that is not
   * itself readable is kept as it came: dead-lettering it again would only loop.
   */
  async record(message: IncomingMessage): Promise<void> {
    let letter: DeadLetterMessage;
    try {
      letter = DeadLetterMessage.parse(JSON.parse(message.value));
    } catch {
      letter = {
        sourceTopic: message.topic,
        sourcePosition: message.position,
        consumerGroup: '(unreadable dead letter)',
        reason: new ContractViolation('dead letter is not a DeadLetterMessage', []).message,
        issues: [],
        deadLetteredAt: new Date().toISOString(),
        value: message.value,
        headers: message.headers,
      };
    }
    await this.prisma.deadLetter.createMany({
      data: [
        {
          sourceTopic: printable(letter.sourceTopic),
          sourcePosition: printable(letter.sourcePosition),
          consumerGroup: printable(letter.consumerGroup),
          key: printable(message.key),
          reason: printable(letter.reason),
          issues: letter.issues.map(printable),
          headers: Object.fromEntries(Object.entries(letter.headers).map(([k, v]) => [printable(k), printable(v)])),
          value: Buffer.from(letter.value, 'utf8'),
          deadLetteredAt: new Date(letter.deadLetteredAt),
        },
      ],
      skipDuplicates: true,
    });
  }

  async list(query: DeadLetterQuery): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
    const rows = await this.prisma.deadLetter.findMany({
      where: {
        ...(query.sourceTopic ? { sourceTopic: query.sourceTopic } : {}),
        ...(query.replayed ? { replayedAt: query.replayed === 'true' ? { not: null } : null } : {}),
        ...(query.after !== undefined ? { id: { gt: query.after } } : {}),
      },
      orderBy: { id: 'asc' },
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(view),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.id.toString() ?? null) : null,
    };
  }

  /**
   * Publishes the original message to its topic again, through the outbox, and notes who did
   * it. Consumers deduplicate by eventId, so replaying
   * one that had been handled after all changes nothing.
   */
  async replay(id: bigint, by: string): Promise<DeadLetterView | 'missing' | 'holds-nul'> {
    const replayed = await this.prisma.$transaction(async (tx) => {
      const row = await tx.deadLetter.findUnique({ where: { id } });
      if (!row) return 'missing';
      const value = Buffer.from(row.value).toString('utf8');
      // No consumer accepts it, and the outbox (text) cannot carry it: nothing to replay.
      if (value.includes('\u0000')) return 'holds-nul';
      await writeOutbox(sqlOverPrisma(tx), AUDIT_PRODUCER, [
        { topic: row.sourceTopic, key: row.key, value, headers: row.headers as Record<string, string> },
      ]);
      return view(await tx.deadLetter.update({ where: { id }, data: { replayedAt: new Date(), replayedBy: by } }));
    });
    if (typeof replayed !== 'string') this.outbox.kick();
    return replayed;
  }
}
