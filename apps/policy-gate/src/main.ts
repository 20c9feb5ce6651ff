import { startTelemetry } from '@writeback/observability';

// First, before anything loads pg, http or express, so that their instrumentations patch them.
startTelemetry('policy-gate');

import { Topics } from '@writeback/contracts';
import { GateSettings, LOGGER, runService } from '@writeback/platform';
import { PolicyGateModule } from './app.module';
import { ScimExceptionFilter } from './scim/scim-exception.filter';

runService({
  name: 'policy-gate',
  defaultPort: 8080,
  module: PolicyGateModule,
  settings: GateSettings,
  topics: { events: [Topics.events] },
  // SCIM clients send their bodies as `application/scim+json` (RFC 7644 §3.1).
  jsonMediaTypes: ['application/scim+json'],
  ownMethodAnswers: ['/scim/v2/'],
  // A body that is not JSON is refused before the controller: still a SCIM error, not Nest's own.
  ownErrorAnswers: (app) => [['/scim/v2/', new ScimExceptionFilter(app.get(LOGGER))]],
});
