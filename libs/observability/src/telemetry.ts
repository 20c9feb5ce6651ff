import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

let sdk: NodeSDK | undefined;

/**
 * Starts OpenTelemetry once per process, before NestJS. Traces are exported over OTLP/HTTP
 * when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, e.g. to Jaeger's :4318;
 * without it spans still exist, so trace ids reach events and logs.
 */
export function startTelemetry(serviceName: string): void {
  if (sdk) return;
  const endpoint =
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  process.env['OTEL_SERVICE_NAME'] ??= serviceName;
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  sdk = new NodeSDK({
    serviceName,
    ...(endpoint ? { traceExporter: new OTLPTraceExporter() } : { spanProcessors: [] }),
  });
  sdk.start();
}

export async function stopTelemetry(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
