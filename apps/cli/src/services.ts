import { readFile } from 'node:fs/promises';
import type { Connection, Endpoints, TokenSource } from './cli-config';
import { CannotRunError, RefusedError } from './cli-errors';

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

/** JSON over HTTP to one of the services, with the operator's token when there is one. */
export class ServiceClient {
  constructor(
    readonly connection: Connection,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get urls(): Endpoints {
    return this.connection.endpoints;
  }

  async call<T>(
    service: keyof Endpoints,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.connection.endpoints[service]);
    const token = await bearerToken(this.connection.token, this.env);
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
