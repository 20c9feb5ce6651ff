import { readFile } from 'node:fs/promises';
import { AuditClient } from './clients/audit.client';
import { ConfigClient } from './clients/config.client';
import { GateClient } from './clients/gate.client';
import { CannotRunError, RefusedError } from './cli-errors';

/**
 * Longer than the gate holds a waiting answer (`waitSeconds`, at most 30 s), so a wait is never
 * cut short by the client.
 */
const REQUEST_TIMEOUT_MS = 40_000;

/** A body that is not JSON (a proxy's error page) is kept as text for the message. */
function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** Where the services are; the defaults are the embedded default's ports (`npm start`). */
export interface Endpoints {
  configUrl: string;
  gateUrl: string;
  auditUrl: string;
}

export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Endpoints {
  return {
    configUrl: env['WRITEBACK_CONFIG_URL'] ?? 'http://127.0.0.1:8081',
    gateUrl: env['WRITEBACK_GATE_URL'] ?? 'http://127.0.0.1:8080',
    auditUrl: env['WRITEBACK_AUDIT_URL'] ?? 'http://127.0.0.1:8083',
  };
}

/**
 * The operator's bearer token, from WRITEBACK_TOKEN or the file WRITEBACK_TOKEN_FILE names;
 * never from a flag, which any user of the machine could read in the process list.
 */
async function bearerToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env['WRITEBACK_TOKEN']) return env['WRITEBACK_TOKEN'];
  const file = env['WRITEBACK_TOKEN_FILE'];
  if (!file) return undefined;
  return (
    await readFile(file, 'utf8').catch(() => {
      throw new CannotRunError(`WRITEBACK_TOKEN_FILE ${file} cannot be read`);
    })
  ).trim();
}

function describeRefusal(status: number, body: unknown): string {
  const b = (body ?? {}) as { message?: unknown; issues?: Array<{ path?: string; message?: string }> };
  const message = Array.isArray(b.message) ? b.message.join('; ') : typeof b.message === 'string' ? b.message : '';
  const issues = (b.issues ?? []).map((i) => `${i.path ? `${i.path}: ` : ''}${i.message ?? ''}`);
  const hint =
    status === 401
      ? ' (set WRITEBACK_TOKEN or WRITEBACK_TOKEN_FILE to an operator token)'
      : status === 403
        ? ' (the token lacks the writeback.operator scope)'
        : status === 412
          ? ' (nothing was changed; run the command again to apply it to the current configuration)'
          : '';
  return [`${status} ${message || 'refused'}${hint}`, ...issues].join('\n  ');
}

/** An answer's status, headers and text, before it is parsed. */
export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * HTTP to one of the services, with the operator's token when there is one. Commands reach the
 * services through the typed clients (`config`, `gate`, `audit`); a 4xx is a `RefusedError`
 * (exit 1), anything else that keeps the answer from coming a `CannotRunError` (exit 3).
 */
export class ServiceClient {
  readonly config: ConfigClient;
  readonly gate: GateClient;
  readonly audit: AuditClient;

  constructor(
    private readonly endpoints: Endpoints,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.config = new ConfigClient(this);
    this.gate = new GateClient(this);
    this.audit = new AuditClient(this);
  }

  get urls(): Endpoints {
    return this.endpoints;
  }

  /** One request; `accept` other than JSON (CSV) leaves the body as text. */
  async send(
    service: keyof Endpoints,
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; accept?: string } = {},
  ): Promise<RawResponse> {
    const { body, headers = {}, accept = 'application/json' } = options;
    const url = new URL(path, this.endpoints[service]);
    const token = await bearerToken(this.env);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CannotRunError(`${service.replace('Url', '')} service at ${url.origin} is unreachable (${cause})`);
    }
    if (response.status >= 400) {
      const parsed = parseJson(text);
      if (response.status >= 500) {
        throw new CannotRunError(`${url.pathname}: ${describeRefusal(response.status, parsed)}`);
      }
      throw new RefusedError(describeRefusal(response.status, parsed), response.status, parsed);
    }
    return { status: response.status, headers: response.headers, text };
  }

  async call<T>(
    service: keyof Endpoints,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const { status, text } = await this.send(service, method, path, { body, headers });
    try {
      return { status, body: (text ? JSON.parse(text) : undefined) as T };
    } catch {
      throw new CannotRunError(`${path}: the ${service.replace('Url', '')} service answered ${status} without JSON`);
    }
  }

  async get<T>(service: keyof Endpoints, path: string): Promise<T> {
    return (await this.call<T>(service, 'GET', path)).body;
  }
}
