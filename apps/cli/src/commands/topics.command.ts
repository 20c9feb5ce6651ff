import type { Command } from 'commander';
import { executorTopic, isValidDomainId, TopicConfigs, Topics } from '@writeback/contracts';
import { KafkaBus, type TopicSpec } from '@writeback/messaging';
import { readKafkaConfig, readTopicDefaults } from '@writeback/platform';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { table } from '../output';

interface CreateOptions {
  domain?: string[];
  partitions?: number;
  replicationFactor?: number;
  config?: string[];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${value}" is not a positive integer`);
  return n;
}

function topicConfig(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`--config takes key=value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** One spec per topic: the settings given for all, and a topic's own configs (`TopicConfigs`) over `config`. */
export function topicSpecs(names: readonly string[], common: Omit<TopicSpec, 'name'>): TopicSpec[] {
  return names.map((name) => ({ name, ...common, config: { ...common.config, ...TopicConfigs[name] } }));
}

/** The domains named, or every domain config-service knows. */
async function domainsOf(ctx: CliContext, named: readonly string[] | undefined): Promise<string[]> {
  if (named?.length) {
    const invalid = named.filter((d) => !isValidDomainId(d));
    if (invalid.length > 0) throw new UsageError(`not a domain id: ${invalid.join(', ')}`);
    return [...named];
  }
  const items = await ctx.services.config.listDomains();
  return items.map((d) => d.id);
}

export function registerTopicCommands(program: Command, context: () => CliContext): void {
  const topics = program
    .command('topics')
    .description(
      'the Kafka topics of the distributed mode, for installs without the chart (WRITEBACK_KAFKA_* as the services read them)',
    );

  topics
    .command('create')
    .description(
      'create every topic Writeback uses that does not exist yet (as `kafka-topics.sh --create --if-not-exists`): the shared ones and one executor topic per domain',
    )
    .option('-d, --domain <ids...>', 'executor topics of these domains (default: every domain config-service lists)')
    .option(
      '--partitions <n>',
      "partitions of each new topic (default WRITEBACK_KAFKA_TOPIC_PARTITIONS, else the brokers' num.partitions)",
      positiveInteger,
    )
    .option(
      '--replication-factor <n>',
      "replicas of each new topic (default WRITEBACK_KAFKA_TOPIC_REPLICATION_FACTOR, else the brokers' default)",
      positiveInteger,
    )
    .option(
      '--config <key=value...>',
      'topic configs for new topics, e.g. min.insync.replicas=2 (writeback.lookups.v1 keeps its own retention.ms and segment.ms)',
    )
    .action((options: CreateOptions) =>
      context().run(async () => {
        const ctx = context();
        const kafka = readKafkaConfig('writeback-cli', ctx.env);
        if (!kafka) {
          throw new UsageError('WRITEBACK_KAFKA_BROKERS is not set (the embedded default has no topics to create)');
        }
        const defaults = readTopicDefaults(ctx.env);
        const config = topicConfig(options.config ?? []);
        const names = [...Object.values(Topics), ...(await domainsOf(ctx, options.domain)).map(executorTopic)];
        const specs = topicSpecs(names, {
          ...defaults,
          ...(options.partitions ? { partitions: options.partitions } : {}),
          ...(options.replicationFactor ? { replicationFactor: options.replicationFactor } : {}),
          config,
        });
        const target = ctx.changing({ what: 'the Kafka topics', endpoint: kafka.brokers.join(',') });
        const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
        const bus = new KafkaBus({ ...kafka, logger: quiet });
        try {
          const { created, existing } = await bus.ensureTopics(specs);
          const rows = names.map((name) => ({ topic: name, status: created.includes(name) ? 'created' : 'exists' }));
          ctx.out.result({ brokers: kafka.brokers, topics: rows, created, existing, ...target }, () =>
            table(
              ['topic', 'status'],
              rows.map((r) => [r.topic, r.status]),
            ),
          );
          return ExitCode.OK;
        } finally {
          await bus.close();
        }
      }),
    );
}
