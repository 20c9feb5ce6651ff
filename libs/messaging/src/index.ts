export * from './message-bus';
export { DEFAULT_MAX_UNCLASSIFIED_ATTEMPTS, DEFAULT_RETRY, waitKeepingSession, type RetryPolicy } from './delivery';
export { KafkaBus, type KafkaBusOptions, type KafkaSasl, type KafkaTls } from './kafka/kafka.bus';
export { PostgresBus, type PostgresBusOptions } from './postgres/postgres.bus';
export { BusConsumer, BusServer, RethrowRpcErrorsFilter, type BusServerOptions } from './nest/bus.server';
export * from './create-bus';
export { PublishRefused, TransportUnavailable } from './transport-errors';
export { MessageHeaders } from './telemetry';
