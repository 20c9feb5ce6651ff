import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope } from '@writeback/contracts';
import type { PrismaClient } from '@writeback/persistence';
import { eventMessage, OutboxRelay, PRISMA, writeOutbox } from '@writeback/platform';

export const EXECUTOR_PRODUCER = 'writeback-executor';

/**
 * What this domain's executors did per operation. The outcome and its event commit together
 * (outbox), so an applied password is always announced, and a command seen again is answered
 * with the very same event instead of a second write.
 */
@Injectable()
export class OutcomesRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly outbox: OutboxRelay,
  ) {}

  async find(operationId: string): Promise<EventEnvelope | null> {
    const row = await this.prisma.executorOutcome.findUnique({ where: { operationId } });
    return row ? EventEnvelope.parse(row.event) : null;
  }

  async record(operationId: string, domainId: string, outcome: EventEnvelope): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.executorOutcome.createMany({
        data: [{ operationId, domainId, event: outcome }],
        skipDuplicates: true,
      });
      if (count === 1) await writeOutbox(tx, EXECUTOR_PRODUCER, [eventMessage(outcome)]);
    });
    this.outbox.kick();
  }

  /** Publishes a recorded outcome again; consumers deduplicate it by its eventId. */
  async republish(outcome: EventEnvelope): Promise<void> {
    await this.prisma.$transaction((tx) => writeOutbox(tx, EXECUTOR_PRODUCER, [eventMessage(outcome)]));
    this.outbox.kick();
  }
}
