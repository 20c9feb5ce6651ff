import { startTelemetry } from '@writeback/observability';

// First, before anything loads pg, http or express, so that their instrumentations patch them.
startTelemetry('audit-service');

import { Topics } from '@writeback/contracts';
import { AuditSettings, runService } from '@writeback/platform';
import { AuditServiceModule } from './app.module';

runService({
  name: 'audit-service',
  defaultPort: 8083,
  module: AuditServiceModule,
  settings: AuditSettings,
  topics: { events: [Topics.events], config: [Topics.config], deadLetters: [Topics.deadLetters] },
  quiet: ['config', 'deadLetters'],
});
