import { NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry once per process, before NestJS. Traces are exported over OTLP/HTTP
 * when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, e.g. to Jaeger's :4318;
 * without it spans still exist, so trace ids reach events and logs.
 */
export function startTelemetry(serviceName: string): void {
  if (sdk) return;
  const endpoint = process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  process.env['OTEL_SERVICE_NAME'] ??= serviceName;
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  sdk = new NodeSDK({
    serviceName,
    // Without an exporter the SDK would register no tracer provider at all, and no trace id
    // would reach events or logs; a no-op processor keeps tracing on without shipping spans.
    ...(endpoint ? { traceExporter: new OTLPTraceExporter() } : { spanProcessors: [new tracing.NoopSpanProcessor()] }),
  });
  sdk.start();
}

export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
