import { execFile } from 'node:child_process';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@writeback/testing';

interface Received {
  path: string;
  contentType: string;
  body: Buffer;
}

/**
 * The two OTLP transports other than the JSON one the system tests use, each answered the way
 * a collector answers: OTLP/HTTP with protobuf, and gRPC over cleartext HTTP/2 (a length-prefixed
 * empty ExportTraceServiceResponse, then `grpc-status: 0`).
 */
async function receiver(
  protocol: 'grpc' | 'http/protobuf',
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server =
    protocol === 'grpc'
      ? createHttp2Server((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            received.push({
              path: req.url,
              contentType: String(req.headers['content-type']),
              body: Buffer.concat(chunks),
            });
            res.writeHead(200, { 'content-type': 'application/grpc' });
            res.addTrailers({ 'grpc-status': '0' });
            res.end(Buffer.alloc(5));
          });
        })
      : createHttpServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            received.push({
              path: req.url ?? '',
              contentType: String(req.headers['content-type']),
              body: Buffer.concat(chunks),
            });
            res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
          });
        });
  await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', resolve));
  const { port } = (server as Server).address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => (server as Server).close(() => resolve())),
  };
}

/**
 * A service process in miniature: starts telemetry from the built library, ends one span, stops.
 * A child process rather than this one, because jest's module sandbox refuses the dynamic
 * import the OTLP/HTTP exporter makes (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG).
 */
const exportOneSpan = `
  const { isSpanContextValid, trace } = require('@opentelemetry/api');
  const { startTelemetry, stopTelemetry } = require('./libs/observability/dist/telemetry.js');
  startTelemetry('telemetry-test');
  const span = trace.getTracer('test').startSpan('export-probe');
  span.end();
  stopTelemetry()
    .then(() => {
      const loaded = Object.keys(require.cache)
        .map((file) => new RegExp('node_modules/(@opentelemetry/exporter-[^/]+|@grpc/grpc-js)/').exec(file)?.[1])
        .filter(Boolean);
      console.log(JSON.stringify({ loaded: [...new Set(loaded)].sort(), traced: isSpanContextValid(span.spanContext()) }));
    })
    .catch((error) => { console.error(error); process.exitCode = 1; });
`;

/** Runs `exportOneSpan`: the exporter packages the process loaded, and whether its span had a trace id. */
async function runService(env: Record<string, string>): Promise<{ loaded: string[]; traced: boolean }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', exportOneSpan], {
    timeout: 30_000,
    cwd: join(__dirname, '../../..'),
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { loaded: string[]; traced: boolean };
}

describe('startTelemetry', () => {
  it.each([
    ['grpc', '/opentelemetry.proto.collector.trace.v1.TraceService/Export', 'application/grpc'],
    ['http/protobuf', '/v1/traces', 'application/x-protobuf'],
  ] as const)('exports spans over OTLP %s, loading only that exporter', async (protocol, path, contentType) => {
    const collector = await receiver(protocol);
    try {
      const { loaded } = await runService({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      });
      // sdk-node requires every exporter it can build; patched, it loads the configured one (ADR 0014).
      expect(loaded).toEqual(
        protocol === 'grpc'
          ? ['@grpc/grpc-js', '@opentelemetry/exporter-trace-otlp-grpc']
          : ['@opentelemetry/exporter-trace-otlp-proto'],
      );
      const exported = await waitFor(() => collector.received.find((r) => r.body.includes('export-probe')), {
        timeoutMs: 10_000,
        description: `an OTLP ${protocol} export holding the span`,
      });
      expect(exported).toMatchObject({ path, contentType: expect.stringContaining(contentType) as string });
      // Protobuf, not JSON: the service name is a length-delimited string, never a quoted one.
      expect(exported.body.includes('telemetry-test')).toBe(true);
      expect(exported.body.includes('"telemetry-test"')).toBe(false);
    } finally {
      await collector.close();
    }
  });

  it('loads no exporter when no OTLP endpoint is set, and still traces', async () => {
    const env = { ...process.env } as Record<string, string>;
    delete env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    await expect(runService(env)).resolves.toEqual({ loaded: [], traced: true });
  });
});
