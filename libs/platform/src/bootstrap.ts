import 'reflect-metadata';
import { type DynamicModule, type ExceptionFilter, type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ByPathExceptionFilter } from './by-path.filter';
import { DatabaseBusyFilter } from './database-busy.filter';
import { BusServer, createBus, type MessageBus } from '@writeback/messaging';
import { createLogger, startTelemetry, stopTelemetry, type Logger } from '@writeback/observability';
import { Logger as NestPinoLogger, LoggerModule } from 'nestjs-pino';
import { httpMetrics } from './http-metrics';
import { methodNotAllowed, type RouterLayer } from './method-not-allowed';
import { unparsableBody } from './unparsable-body';
import { MetricsController } from './metrics.controller';
import { setTimeout as delay } from 'node:timers/promises';
import { markNotReady } from './health.controller';
import { readServiceConfig, type ServiceConfig } from './service-config';
import { readSettings } from './settings';
import { BUS, LOGGER, SERVICE_CONFIG, SERVICE_SETTINGS } from './tokens';
import type { ZodType } from 'zod';

type Topics = Record<string, ReadonlyArray<string | RegExp>>;

export interface ServiceDefinition<S = unknown> {
  name: string;
  defaultPort: number;
  /** The service's own module; it can inject BUS, LOGGER, SERVICE_CONFIG and SERVICE_SETTINGS. */
  module: Type<unknown>;
  /** The schema of the service's own settings (settings.ts), checked before anything starts. */
  settings: ZodType<S>;
  /** Maps `@EventPattern` names to topics; omit for a service that consumes nothing. */
  topics?: Topics | ((settings: S) => Topics);
  /** Consumer group prefix; instances with the same prefix share the work. Default: the name. */
  groupIdPrefix?: string | ((settings: S) => string);
  /** `@EventPattern` names whose messages are rare and waited on by no caller (`SubscriptionSpec.quiet`). */
  quiet?: readonly string[];
  /** Media types besides `application/json` whose bodies are JSON (SCIM's `application/scim+json`). */
  jsonMediaTypes?: readonly string[];
  /** Path prefixes whose routes answer an unsupported method themselves (SCIM's 405 is a SCIM error). */
  ownMethodAnswers?: readonly string[];
  /**
   * Path prefixes whose errors a filter of the service's own answers, those raised before a route
   * is reached included (a body that is not JSON): SCIM's are SCIM error bodies.
   */
  ownErrorAnswers?: (app: INestApplication) => ReadonlyArray<readonly [string, ExceptionFilter]>;
}

export interface RunningService {
  app: INestApplication;
  url: string;
  stop(): Promise<void>;
}

function platformModule(config: ServiceConfig, settings: unknown, logger: Logger, bus: MessageBus): DynamicModule {
  @Module({})
  class PlatformModule {}
  return {
    module: PlatformModule,
    global: true,
    imports: [LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false } })],
    controllers: [MetricsController],
    providers: [
      { provide: BUS, useValue: bus },
      { provide: LOGGER, useValue: logger },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_SETTINGS, useValue: settings },
    ],
    exports: [BUS, LOGGER, SERVICE_CONFIG, SERVICE_SETTINGS],
  };
}

/**
 * Starts one service the same way everywhere: telemetry first, then Nest with the HTTP API
 * (and `/metrics`) and the message consumers, and a shutdown that stops consuming before
 * closing and flushes the spans last.
 */
export async function bootstrapService<S>(definition: ServiceDefinition<S>): Promise<RunningService> {
  // Settings first: a bad value stops the service before it connects to anything.
  const config = readServiceConfig(definition.name, definition.defaultPort);
  const settings = readSettings(definition.settings);
  startTelemetry(definition.name);
  const logger = createLogger(definition.name);
  const bus = createBus(config.bus, logger);

  @Module({ imports: [platformModule(config, settings, logger, bus), definition.module] })
  class RootModule {}

  // The body parser is ours (JSON only, as Nest's default, plus the service's own JSON types),
  // so that a body it cannot read is answered without quoting it.
  const app = await NestFactory.create<NestExpressApplication>(RootModule, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(NestPinoLogger));
  app.use(httpMetrics);
  const express = app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  app.use(methodNotAllowed(() => express.router.stack, definition.ownMethodAnswers));
  app.useBodyParser('json', { type: ['application/json', ...(definition.jsonMediaTypes ?? [])], limit: '100kb' });
  app.use(unparsableBody);
  const databaseBusy = new DatabaseBusyFilter(app.getHttpAdapter());
  const ownErrors = definition.ownErrorAnswers?.(app) ?? [];
  app.useGlobalFilters(ownErrors.length > 0 ? new ByPathExceptionFilter(ownErrors, databaseBusy) : databaseBusy);
  const { topics, groupIdPrefix } = definition;
  if (topics) {
    app.connectMicroservice({
      strategy: new BusServer(bus, {
        groupIdPrefix:
          typeof groupIdPrefix === 'function' ? groupIdPrefix(settings) : (groupIdPrefix ?? definition.name),
        topics: typeof topics === 'function' ? topics(settings) : topics,
        ...(definition.quiet ? { quiet: definition.quiet } : {}),
      }),
    });
    await app.startAllMicroservices();
  }
  await app.listen(config.httpPort, config.httpHost);
  const url = await app.getUrl();
  logger.info({ url, transport: config.bus.transport }, `${definition.name} started`);
  return {
    app,
    url,
    stop: async () => {
      // Not ready first; then, after the drain delay, consumers stop: a handler in flight
      // finishes, a message not yet handled stays uncommitted and goes to another instance.
      markNotReady();
      logger.info({ drainMs: config.shutdownDrainMs }, `${definition.name} stopping`);
      await delay(config.shutdownDrainMs);
      await app.close();
      await bus.close();
      await stopTelemetry();
    },
  };
}

/**
 * A service started by a supervisor with an IPC channel (`npm start`, the test fixtures) stops
 * when that channel closes: the supervisor is gone, even if it was killed and could not stop it.
 */
function stopWithSupervisor(stop: () => void): void {
  if (typeof process.send !== 'function') return; // started without one
  if (!process.connected) return stop();
  process.once('disconnect', stop);
  // Listening for 'disconnect' refs the channel; the service's own handles keep it alive.
  process.channel?.unref();
}

/** For `main.ts`: start, and exit non-zero with the reason if start-up fails. */
export function runService<S>(definition: ServiceDefinition<S>): void {
  bootstrapService(definition)
    .then((service) => {
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        service.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      stopWithSupervisor(stop);
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    });
}
