import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { executorTopic } from '@writeback/contracts';
import type { MessageBus } from '@writeback/messaging';
import { BUS, readTopicDefaults } from '@writeback/platform';

/**
 * A domain's executor topic exists before the domain does: the gate may send its first command
 * as soon as the domain is enabled, and brokers do not create topics on a producer's demand.
 * On the PostgreSQL transport there is nothing to create.
 */
@Injectable()
export class ExecutorTopics {
  private readonly defaults = readTopicDefaults();

  constructor(@Inject(BUS) private readonly bus: MessageBus) {}

  async ensure(domainId: string): Promise<void> {
    const topic = executorTopic(domainId);
    try {
      await this.bus.ensureTopics([{ name: topic, ...this.defaults }]);
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new ServiceUnavailableException(
        `Kafka topic ${topic} is missing and could not be created (${cause}); create it with ` +
          `\`writeback kafka topics create --domain ${domainId}\` or your Kafka tooling, then add the domain again`,
      );
    }
  }
}
