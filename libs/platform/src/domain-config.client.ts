import { readFile } from 'node:fs/promises';
import { DomainConfigView } from '@writeback/contracts';
import { ConfigurationError } from './service-config';
import { z } from 'zod';

const DomainList = z.object({ items: z.array(DomainConfigView) });

export class ConfigServiceUnavailable extends Error {
  /** Config-service being down is a reason to retry, never to reject. */
  readonly retriable = true;

  constructor(message: string) {
    super(message);
    this.name = 'ConfigServiceUnavailable';
  }
}

/**
 * Reads domain configuration from config-service, caching it briefly so that decisions
 * follow changes within `ttlMs` without a restart.
 */
export class DomainConfigClient {
  private cache: { at: number; domains: DomainConfigView[] } | undefined;
  private inFlight: Promise<DomainConfigView[]> | undefined;

  /**
   * `tokenFile`: a bearer token with the `writeback.auditor` scope, for a config-service with
   * authentication on. Read again on every request, so whatever issues it can renew it in place.
   */
  constructor(
    private readonly baseUrl: string,
    private readonly ttlMs = 2000,
    private readonly tokenFile?: string,
  ) {}

  async list(): Promise<DomainConfigView[]> {
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.domains;
    // Everyone who finds the cache stale at the same time waits for one request, not one each.
    this.inFlight ??= this.fetchList().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchList(): Promise<DomainConfigView[]> {
    let response: Response;
    try {
      response = await fetch(new URL('/v1/domains', this.baseUrl), {
        headers: await this.authorization(),
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      if (error instanceof ConfigServiceUnavailable) throw error;
      throw new ConfigServiceUnavailable(`config-service unreachable: ${(error as Error).message}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new ConfigServiceUnavailable(
        `config-service answered ${response.status}: WRITEBACK_CONFIG_SERVICE_TOKEN_FILE must hold a valid token with the writeback.auditor scope`,
      );
    }
    if (!response.ok) throw new ConfigServiceUnavailable(`config-service answered ${response.status}`);
    const { items } = DomainList.parse(await response.json());
    this.cache = { at: Date.now(), domains: items };
    return items;
  }

  private async authorization(): Promise<Record<string, string>> {
    if (!this.tokenFile) return {};
    let token: string;
    try {
      token = (await readFile(this.tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new ConfigServiceUnavailable(
        `WRITEBACK_CONFIG_SERVICE_TOKEN_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    return { authorization: `Bearer ${token}` };
  }

  async get(domainId: string): Promise<DomainConfigView | null> {
    return (await this.list()).find((d) => d.id === domainId) ?? null;
  }
}

/**
 * From WRITEBACK_CONFIG_SERVICE_URL, WRITEBACK_CONFIG_CACHE_MS (default 2000) and
 * WRITEBACK_CONFIG_SERVICE_TOKEN_FILE (unset: no token, for a config-service with authentication off).
 */
export function domainConfigClientFromEnv(env: NodeJS.ProcessEnv = process.env): DomainConfigClient {
  const url = env['WRITEBACK_CONFIG_SERVICE_URL'];
  if (!url) throw new ConfigurationError('WRITEBACK_CONFIG_SERVICE_URL is required');
  const ttl = Number(env['WRITEBACK_CONFIG_CACHE_MS'] ?? 2000);
  const tokenFile = env['WRITEBACK_CONFIG_SERVICE_TOKEN_FILE']?.trim() || undefined;
  return new DomainConfigClient(url, Number.isFinite(ttl) && ttl >= 0 ? ttl : 2000, tokenFile);
}
