import { startTelemetry } from '@writeback/observability';

// First, before anything loads pg, http or express, so that their instrumentations patch them.
startTelemetry('writeback-executor');

import { EXECUTOR_TOPIC_PATTERN, executorTopic } from '@writeback/contracts';
import { ExecutorSettings, runService } from '@writeback/platform';
import { ExecutorModule } from './app.module';
import { servedDomains } from './writeback/served-domains';

runService({
  name: 'writeback-executor',
  defaultPort: 8082,
  module: ExecutorModule,
  settings: ExecutorSettings,
  topics: (settings) => {
    const domains = servedDomains(settings.WRITEBACK_EXECUTOR_DOMAINS);
    return { commands: domains.length ? domains.map(executorTopic) : [EXECUTOR_TOPIC_PATTERN] };
  },
  // Replicas serving the same domains share a consumer group; executors of other forests,
  // subscribed to other topics, must never join it.
  groupIdPrefix: (settings) => {
    const domains = servedDomains(settings.WRITEBACK_EXECUTOR_DOMAINS);
    return `writeback-executor.${domains.length ? domains.join('+') : 'all'}`;
  },
});
