import { IncomingMessage, type ClientRequest } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

let sdk: NodeSDK | undefined;

/** Probes and scrapes: frequent, and no part of any writeback. */
const UNTRACED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const isUntraced = (request: IncomingMessage): boolean => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? '');

/**
 * The HTTP instrumentation records a request's query (`url.query`), redacting only a few
 * well-known signature names; a query may carry anything, a password in a SCIM filter too. So the
 * whole query is replaced, as the instrumentation spells a redaction.
 */
function withoutQuery(span: Span, request: ClientRequest | IncomingMessage): void {
  if (request instanceof IncomingMessage && request.url?.includes('?')) span.setAttribute('url.query', 'REDACTED');
}

/**
 * Starts OpenTelemetry once per process, before NestJS. With OTEL_EXPORTER_OTLP_ENDPOINT (or
 * ..._TRACES_ENDPOINT) set, spans are exported over OTLP: `http/protobuf` by default, or
 * `grpc` / `http/json` through OTEL_EXPORTER_OTLP_PROTOCOL (Jaeger accepts all three). Without
 * it spans still exist, so trace ids reach messages and logs.
 *
 * Instrumented: HTTP server and client (node:http, fetch), Express routes, and PostgreSQL
 * queries made inside a traced unit of work (the relays' and pollers' idle queries are not).
 * Only the stable semantic conventions are emitted; query parameters and headers never are.
 */
export function startTelemetry(serviceName: string): void {
  if (sdk) return;
  const endpoint = process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  process.env['OTEL_SERVICE_NAME'] ??= serviceName;
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  process.env['OTEL_SEMCONV_STABILITY_OPT_IN'] ??= 'http,database';
  sdk = new NodeSDK({
    serviceName,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: isUntraced, requestHook: withoutQuery }),
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
    // Without an exporter the SDK would register no tracer provider at all, and no trace id
    // would reach messages or logs; a no-op processor keeps tracing on without shipping spans.
    // With one, the SDK builds the exporter the OTEL_EXPORTER_OTLP_* variables describe.
    ...(endpoint ? {} : { spanProcessors: [new tracing.NoopSpanProcessor()] }),
  });
  sdk.start();
}

/** Flushes the spans still buffered, then stops. */
export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
