import { readFile } from 'node:fs/promises';
import { AuditClient } from './clients/audit.client';
import { ConfigClient } from './clients/config.client';
import { GateClient } from './clients/gate.client';
import type { Connection, Endpoints, TokenSource } from './cli-config';
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

export type { Endpoints } from './cli-config';

/**
 * The operator's bearer token, from WRITEBACK_TOKEN, the file WRITEBACK_TOKEN_FILE names, or
 * the context's token file or variable; never from a flag, which any user of the machine could
 * read in the process list.
 */
async function bearerToken(source: TokenSource | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!source) return undefined;
  if (source.kind === 'variable') {
    const token = env[source.name];
    if (!token) throw new CannotRunError(`the token variable ${source.name} (named by ${source.from}) is unset`);
    return token;
  }
  return (
    await readFile(source.path, 'utf8').catch(() => {
      throw new CannotRunError(`the token file ${source.path} (named by ${source.from}) cannot be read`);
    })
  ).trim();
}

function describeRefusal(status: number, body: unknown): string {
  const b = (body ?? {}) as { message?: unknown; issues?: Array<{ path?: string; message?: string }> };
  const message = Array.isArray(b.message) ? b.message.join('; ') : typeof b.message === 'string' ? b.message : '';
  const issues = (b.issues ?? []).map((i) => `${i.path ? `${i.path}: ` : ''}${i.message ?? ''}`);
  const hint =
    status === 401
      ? " (set WRITEBACK_TOKEN or WRITEBACK_TOKEN_FILE, or the context's token source, to an operator token)"
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
    readonly connection: Connection,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.config = new ConfigClient(this);
    this.gate = new GateClient(this);
    this.audit = new AuditClient(this);
  }

  get urls(): Endpoints {
    return this.connection.endpoints;
  }

  /** One request; `accept` other than JSON (CSV) leaves the body as text. */
  async send(
    service: keyof Endpoints,
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; accept?: string } = {},
  ): Promise<RawResponse> {
    const { body, headers = {}, accept = 'application/json' } = options;
    const url = new URL(path, this.connection.endpoints[service]);
    const token = await bearerToken(this.connection.token, this.env);
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
