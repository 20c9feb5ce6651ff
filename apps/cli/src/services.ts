import { readFile } from 'node:fs/promises';
import { CannotRunError, RefusedError } from './cli-errors';

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

/** JSON over HTTP to one of the services, with the operator's token when there is one. */
export class ServiceClient {
  constructor(
    private readonly endpoints: Endpoints,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get urls(): Endpoints {
    return this.endpoints;
  }

  async call<T>(
    service: keyof Endpoints,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.endpoints[service]);
    const token = await bearerToken(this.env);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CannotRunError(`${service.replace('Url', '')} service at ${url.origin} is unreachable (${cause})`);
    }
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (response.status >= 500) {
      throw new CannotRunError(`${url.pathname}: ${describeRefusal(response.status, parsed)}`);
    }
    if (response.status >= 400) {
      throw new RefusedError(describeRefusal(response.status, parsed), response.status, parsed);
    }
    return { status: response.status, body: parsed as T };
  }

  async get<T>(service: keyof Endpoints, path: string): Promise<T> {
    return (await this.call<T>(service, 'GET', path)).body;
  }
}
