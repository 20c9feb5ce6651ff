import { Topics } from '@writeback/contracts';
import { runService } from '@writeback/platform';
import { AuditServiceModule } from './app.module';

runService({
  name: 'audit-service',
  defaultPort: 8083,
  module: AuditServiceModule,
  topics: { events: [Topics.events], config: [Topics.config], deadLetters: [Topics.deadLetters] },
});
