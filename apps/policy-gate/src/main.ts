import { Topics } from '@writeback/contracts';
import { runService } from '@writeback/platform';
import { PolicyGateModule } from './app.module';

runService({
  name: 'policy-gate',
  defaultPort: 8080,
  module: PolicyGateModule,
  topics: { events: [Topics.events] },
});
