import { runService } from '@writeback/platform';
import { ConfigServiceModule } from './app.module';

runService({ name: 'config-service', defaultPort: 8081, module: ConfigServiceModule });
