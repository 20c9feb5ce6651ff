import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '@writeback/supervisor';
import { harnessCacheDir } from './harness-files';
import { hasExited, runCommand, spawnProcessGroup, stopProcessGroup } from './processes';
import { waitFor } from './wait-for';

/** The Go module that pins Jaeger (`tool github.com/jaegertracing/jaeger/cmd/jaeger`, go.sum committed). */
const TOOL_DIR = join('tools', 'jaeger');
const JAEGER_MODULE = 'github.com/jaegertracing/jaeger';
/** Jaeger v2: the OpenTelemetry Collector with Jaeger's storage and query extensions. */
const JAEGER_PACKAGE = `${JAEGER_MODULE}/cmd/jaeger`;
/** Debian's golang-go (1.19, for tools/helm-render) may be first on PATH; Jaeger needs Go >= 1.24. */
const DEFAULT_GO = '/usr/local/go/bin/go';
// About 7 CPU-minutes; generous for a machine whose two cores are busy with other work.
const BUILD_TIMEOUT_MS = 60 * 60_000;

/** One span as Jaeger's query API returns it, flattened for assertions. */
export interface JaegerSpan {
  /** The process's `service.name`. */
  service: string;
  traceId: string;
  spanId: string;
  /** The CHILD_OF reference; empty for a root span. */
  parentSpanId: string;
  name: string;
  /** Jaeger's `span.kind` tag: `server`, `client`, `producer`, `consumer` or `internal`. */
  kind: string;
  /** The span's tags, without those Jaeger derives from the OTLP span (`span.kind`, `otel.*`). */
  attributes: Record<string, string | number | boolean>;
  /** Jaeger's `error` tag: the span's status was ERROR. */
  error: boolean;
}

export interface TraceSearch {
  service: string;
  /** The span name (Jaeger's "operation"). */
  operation?: string;
  /** Span or process tags that one span must all carry. */
  tags?: Record<string, string>;
  /** Default 20, Jaeger UI's. */
  limit?: number;
}

export interface Jaeger {
  /** Base URL of the OTLP/HTTP receiver, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpEndpoint: string;
  /** Base URL of the query service (UI and `/api/...`). */
  queryUrl: string;
  /** Environment that points a service at this Jaeger, flushing spans briskly. */
  env: Record<string, string>;
  /** GET /api/traces: the traces holding a span that matches, each with all its spans. */
  searchTraces(search: TraceSearch): Promise<JaegerSpan[][]>;
  /** GET /api/traces/:id: every span of one trace. */
  trace(traceId: string): Promise<JaegerSpan[]>;
  /** The body of GET /api/traces as Jaeger answers it: where a leaked secret would show. */
  rawSearch(search: TraceSearch): Promise<string>;
  /** Jaeger's own log, for failures. */
  logFile: string;
  stop(): Promise<void>;
}

interface JaegerTag {
  key: string;
  type: string;
  value: string | number | boolean;
}

interface JaegerTraceJson {
  traceID: string;
  spans: Array<{
    traceID: string;
    spanID: string;
    operationName: string;
    references?: Array<{ refType: string; traceID: string; spanID: string }>;
    tags?: JaegerTag[];
    processID: string;
  }>;
  processes: Record<string, { serviceName: string; tags?: JaegerTag[] }>;
}

interface JaegerResponse {
  data: JaegerTraceJson[] | null;
  errors: Array<{ code: number; msg: string }> | null;
}

/** Tags Jaeger adds when it converts an OTLP span; they are span fields here, not attributes. */
const DERIVED_TAGS = new Set(['span.kind', 'error', 'otel.status_code', 'otel.status_description']);

function flatten(trace: JaegerTraceJson): JaegerSpan[] {
  return trace.spans.map((span) => {
    const tags = span.tags ?? [];
    const tag = (key: string): JaegerTag['value'] | undefined => tags.find((t) => t.key === key)?.value;
    return {
      service: trace.processes[span.processID]?.serviceName ?? '',
      traceId: span.traceID,
      spanId: span.spanID,
      parentSpanId: span.references?.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '',
      name: span.operationName,
      kind: String(tag('span.kind') ?? 'internal'),
      attributes: Object.fromEntries(
        tags.filter((t) => !DERIVED_TAGS.has(t.key) && !t.key.startsWith('otel.scope.')).map((t) => [t.key, t.value]),
      ),
      error: tag('error') === true,
    };
  });
}

function searchPath({ service, operation, tags, limit = 20 }: TraceSearch): string {
  const query = new URLSearchParams({ service, limit: String(limit), lookback: '1h' });
  if (operation) query.set('operation', operation);
  if (tags) query.set('tags', JSON.stringify(tags));
  return `/api/traces?${query.toString()}`;
}

/** Finds `tools/jaeger` by walking up from this module (from `src` under ts-jest and from `dist`). */
function toolDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, TOOL_DIR);
    if (existsSync(join(candidate, 'go.mod'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`Cannot find ${TOOL_DIR}/go.mod in any parent of ${__dirname}`);
  }
}

/** The Jaeger version tools/jaeger/go.mod pins: the one place it is written. */
async function pinnedVersion(dir: string): Promise<string> {
  const goMod = await readFile(join(dir, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*${JAEGER_MODULE.replace(/\./g, '\\.')} (v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${join(dir, 'go.mod')} requires no ${JAEGER_MODULE}`);
  return match[1];
}

/**
 * Builds Jaeger (`cmd/jaeger`, the version tools/jaeger/go.mod pins) from the Go module proxy
 * with the machine's Go (`$WRITEBACK_GO`, else /usr/local/go/bin/go) into
 * `<cache>/jaeger-<version>/jaeger`, unless it is there already. Minutes on a fresh machine:
 * the jest global setup calls it, outside any test's timeout.
 */
export async function ensureJaegerBinary(): Promise<string> {
  const dir = toolDir();
  const version = await pinnedVersion(dir);
  const binary = join(harnessCacheDir(), `jaeger-${version}`, 'jaeger');
  if (existsSync(binary)) return binary;
  const go = process.env['WRITEBACK_GO'] || DEFAULT_GO;
  if (!existsSync(go)) {
    throw new Error(`${go} is missing: building Jaeger needs Go >= 1.24 (set WRITEBACK_GO to its go binary)`);
  }
  await mkdir(dirname(binary), { recursive: true });
  process.stderr.write(`Building Jaeger ${version} into ${binary} (once; minutes on a fresh machine)\n`);
  const partial = `${binary}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await runCommand(go, ['build', '-C', dir, '-trimpath', '-ldflags=-s -w', '-o', partial, JAEGER_PACKAGE], {
      timeoutMs: BUILD_TIMEOUT_MS,
      env: {
        ...process.env,
        PATH: `${dirname(go)}:${process.env['PATH'] ?? ''}`,
        // Never fetch another toolchain; a static binary needs no C compiler.
        GOTOOLCHAIN: 'local',
        CGO_ENABLED: '0',
        GOFLAGS: '-mod=readonly -buildvcs=false',
      },
    });
    await rename(partial, binary);
  } finally {
    await rm(partial, { force: true });
  }
  return binary;
}

/**
 * The smallest Jaeger v2 configuration: OTLP over HTTP in, memory storage, the query API out,
 * all on loopback; the collector's own metrics, the other receivers and Jaeger's own tracing
 * off, so that nothing listens on or sends to a fixed port.
 */
function config(ports: { otlp: number; query: number; queryGrpc: number; health: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${ports.health}
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: 100000
  jaeger_query:
    # On by default: it would send Jaeger's own spans to localhost:4317.
    enable_tracing: false
    storage:
      traces: memory_store
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
`;
}

/** Starts Jaeger (building it first if the cache lacks it) and resolves once it is ready. */
export async function startJaeger(): Promise<Jaeger> {
  const binary = await ensureJaegerBinary();
  const workDir = await mkdtemp(join(tmpdir(), 'writeback-jaeger-'));
  const ports = {
    otlp: await freePort(),
    query: await freePort(),
    queryGrpc: await freePort(),
    health: await freePort(),
  };
  const configFile = join(workDir, 'config.yaml');
  await writeFile(configFile, config(ports));
  const logFile = join(workDir, 'jaeger.log');
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawnProcessGroup(binary, ['--config', configFile], ['ignore', log, log]);
  } finally {
    closeSync(log);
  }
  const otlpEndpoint = `http://127.0.0.1:${ports.otlp}`;
  const queryUrl = `http://127.0.0.1:${ports.query}`;
  try {
    await waitFor(
      async () => {
        if (hasExited(child)) throw new Error(`jaeger exited: ${(await readFile(logFile, 'utf8')).slice(-2000)}`);
        const [health, services, otlp] = await Promise.all([
          fetch(`http://127.0.0.1:${ports.health}/status`),
          fetch(`${queryUrl}/api/services`),
          // An empty export: the receiver answers 200 once its pipeline runs.
          fetch(`${otlpEndpoint}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          }),
        ]);
        return health.ok && services.ok && otlp.ok;
      },
      { timeoutMs: 30_000, description: `jaeger to be ready (log: ${logFile})` },
    );
  } catch (error) {
    await stopProcessGroup(child);
    throw error;
  }

  async function get(path: string): Promise<string> {
    const response = await fetch(new URL(path, queryUrl));
    const body = await response.text();
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${body.slice(0, 500)}`);
    return body;
  }
  const traces = (body: string): JaegerTraceJson[] => (JSON.parse(body) as JaegerResponse).data ?? [];

  return {
    otlpEndpoint,
    queryUrl,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
    logFile,
    searchTraces: async (search) => traces(await get(searchPath(search))).map(flatten),
    trace: async (traceId) => traces(await get(`/api/traces/${traceId}`)).flatMap(flatten),
    rawSearch: (search) => get(searchPath(search)),
    stop: async () => {
      await stopProcessGroup(child);
      if (process.env['WRITEBACK_KEEP_TEST_DIRS'] !== 'true') await rm(workDir, { recursive: true, force: true });
    },
  };
}
