import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics of a Writeback process, served at `/metrics`. Label values are
 * bounded sets (kinds, domains, topics, consumer groups, DC host names, reason and LDAP result
 * codes); never a user, a password, a DN or an operation id.
 */
export const registry = new Registry();
// The standard process_* and nodejs_* series, named as the common Node.js dashboards expect.
collectDefaultMetrics({ register: registry });

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const metrics = {
  operations: new Counter({
    name: 'writeback_operations_total',
    help: 'Operations that ended, by kind, domain, outcome (applied, rejected, failed) and reason code.',
    labelNames: ['kind', 'domain', 'outcome', 'reason'] as const,
    registers: [registry],
  }),
  operationDuration: new Histogram({
    name: 'writeback_operation_duration_seconds',
    help: 'End to end: from the accepted request to its outcome.',
    labelNames: ['kind', 'domain', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  stageDuration: new Histogram({
    name: 'writeback_stage_duration_seconds',
    help: 'One stage of an operation: policy (request to decision), dispatch (approval to executor), directory (AD write, all attempts), audit (event to audit record).',
    labelNames: ['stage', 'domain'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  httpDuration: new Histogram({
    name: 'writeback_http_server_request_duration_seconds',
    help: 'HTTP requests served, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  messagesPublished: new Counter({
    name: 'writeback_messages_published_total',
    help: 'Messages handed to the bus, by topic.',
    labelNames: ['topic'] as const,
    registers: [registry],
  }),
  outboxPublishFailures: new Counter({
    name: 'writeback_outbox_publish_failures_total',
    help: 'Outbox rounds whose publish failed (the messages stay and are sent later).',
    labelNames: ['producer'] as const,
    registers: [registry],
  }),
  messageDuration: new Histogram({
    name: 'writeback_message_processing_duration_seconds',
    help: 'Handling of one consumed message (one attempt), by topic, consumer group and result (ok, retry, dead_letter).',
    labelNames: ['topic', 'group', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  messageRetries: new Counter({
    name: 'writeback_message_retries_total',
    help: 'Consumed messages whose handling failed with a retriable error and will be delivered again.',
    labelNames: ['topic', 'group'] as const,
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'writeback_dead_letters_total',
    help: 'Consumed messages sent to the dead-letter topic (they broke their contract).',
    labelNames: ['topic', 'group'] as const,
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'writeback_consumer_lag_messages',
    help: 'Messages of a topic partition not yet handled by a consumer group, as last seen by this consumer.',
    labelNames: ['topic', 'group', 'partition'] as const,
    registers: [registry],
  }),
  directoryRetries: new Counter({
    name: 'writeback_directory_retries_total',
    help: 'AD writes tried again after a retriable failure, by domain and reason code.',
    labelNames: ['domain', 'reason'] as const,
    registers: [registry],
  }),
  scimLookups: new Counter({
    name: 'writeback_scim_lookups_total',
    help: 'LookupDirectoryUser commands an executor served, by domain and result: found, the absence (not-found, several, out-of-scope, protected), failed, or expired (dropped unanswered).',
    labelNames: ['domain', 'result'] as const,
    registers: [registry],
  }),
  ldapDuration: new Histogram({
    name: 'writeback_ldap_request_duration_seconds',
    help: 'LDAP requests to domain controllers, by domain, DC host and operation (bind, search, modify).',
    labelNames: ['domain', 'dc', 'operation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  ldapErrors: new Counter({
    name: 'writeback_ldap_errors_total',
    help: 'LDAP requests that failed, by domain, DC host, operation, LDAP result code (none: no answer) and reason code.',
    labelNames: ['domain', 'dc', 'operation', 'result_code', 'reason'] as const,
    registers: [registry],
  }),
  dcUp: new Gauge({
    name: 'writeback_dc_up',
    help: '1 when the last exchange with this domain controller succeeded, 0 when it could not be reached.',
    labelNames: ['domain', 'dc'] as const,
    registers: [registry],
  }),
};

export const METRICS_CONTENT_TYPE = registry.contentType;

export function metricsText(): Promise<string> {
  return registry.metrics();
}

/** Seconds between an ISO timestamp and now (never negative: clocks of two hosts may disagree). */
export function secondsSince(iso: string, now = Date.now()): number {
  return Math.max(0, (now - Date.parse(iso)) / 1000);
}
