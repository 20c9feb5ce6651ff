import { EXECUTOR_TOPIC_PATTERN, executorTopic } from '@writeback/contracts';
import { requireEnv, runService } from '@writeback/platform';
import { ExecutorModule } from './app.module';

/**
 * Which domains this executor serves: a comma list (one deployment per forest in production,
 * so no executor ever receives another forest's sealed passwords), or `*` for every domain
 * whose key it holds (the embedded default).
 */
const setting = requireEnv('WRITEBACK_EXECUTOR_DOMAINS').trim();
const domains =
  setting === '*'
    ? []
    : [
        ...new Set(
          setting
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean),
        ),
      ].sort();

runService({
  name: 'writeback-executor',
  defaultPort: 8082,
  module: ExecutorModule,
  topics: { commands: domains.length ? domains.map(executorTopic) : [EXECUTOR_TOPIC_PATTERN] },
  // Replicas serving the same domains share a consumer group; executors of other forests,
  // subscribed to other topics, must never join it.
  groupIdPrefix: `writeback-executor.${domains.length ? domains.join('+') : 'all'}`,
});
