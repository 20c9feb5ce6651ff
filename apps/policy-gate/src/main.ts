import { startTelemetry } from '@writeback/observability';

// First, before anything loads pg, http or express, so that their instrumentations patch them.
startTelemetry('policy-gate');

import { Topics } from '@writeback/contracts';
import { GateSettings, runService } from '@writeback/platform';
import { PolicyGateModule } from './app.module';

runService({
  name: 'policy-gate',
  defaultPort: 8080,
  module: PolicyGateModule,
  settings: GateSettings,
  topics: { events: [Topics.events] },
  // SCIM clients send their bodies as `application/scim+json` (RFC 7644 §3.1).
  jsonMediaTypes: ['application/scim+json'],
  ownMethodAnswers: ['/scim/v2/'],
});
