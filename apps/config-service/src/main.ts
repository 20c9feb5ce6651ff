import { startTelemetry } from '@writeback/observability';

// First, before anything loads pg, http or express, so that their instrumentations patch them.
startTelemetry('config-service');

import { ConfigServiceSettings, runService } from '@writeback/platform';
import { ConfigServiceModule } from './app.module';

runService({ name: 'config-service', defaultPort: 8081, module: ConfigServiceModule, settings: ConfigServiceSettings });
