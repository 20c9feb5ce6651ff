import { EXECUTOR_TOPIC_PATTERN, executorTopic } from '@writeback/contracts';
import { requireEnv, runService } from '@writeback/platform';
import { ExecutorModule } from './app.module';

/**
 * Which domains this executor serves: a comma list (one deployment per forest in production,
 * so no executor ever receives another forest's sealed passwords), or `*` for every domain
 * whose key it holds (the embedded default).
 */
const domains = requireEnv('WRITEBACK_EXECUTOR_DOMAINS');
const topics =
  domains.trim() === '*'
    ? [EXECUTOR_TOPIC_PATTERN]
    : domains
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean)
        .map(executorTopic);

runService({ name: 'writeback-executor', defaultPort: 8082, module: ExecutorModule, topics: { commands: topics } });
