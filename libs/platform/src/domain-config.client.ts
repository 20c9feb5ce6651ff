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

/** A read of config-service's list, numbered in the order reads began. */
interface ConfigRead {
  seq: number;
  at: number;
  domains: DomainConfigView[];
}

/**
 * A point in this client's reads (`mark()`): a read that begins after it sees every change
 * config-service committed before it was taken.
 */
export type ReadMark = number;

/**
 * Reads domain configuration from config-service. A read is reused until a change is announced
 * (`invalidate()`, called by `DomainConfigFollower` on each config event) or, should the events
 * stop, for `ttlMs` at most. Whoever is about to refuse or fail something because of what the
 * configuration says asks for a read begun after its request arrived (`readAfter`, `current`)
 * instead of trusting the reused one (ADR 0019).
 */
export class DomainConfigClient {
  private cache: ConfigRead | undefined;
  private inFlight: { seq: number; read: Promise<ConfigRead> } | undefined;
  /** Reads begun so far. */
  private begun = 0;
  /** Reads numbered up to this one began before the last announced change. */
  private staleUpTo = 0;

  /**
   * `tokenFile`: a bearer token with the `writeback.auditor` scope, for a config-service with
   * authentication on. Read again on every request, so whatever issues it can renew it in place.
   */
  constructor(
    private readonly baseUrl: string,
    private readonly ttlMs = 2000,
    private readonly tokenFile?: string,
  ) {}

  /** The configuration as last read, unless a change was announced since or `ttlMs` passed. */
  async list(): Promise<DomainConfigView[]> {
    return (await this.read(this.staleUpTo)).domains;
  }

  async get(domainId: string): Promise<DomainConfigView | null> {
    return (await this.list()).find((d) => d.id === domainId) ?? null;
  }

  /** Marks the present: `readAfter(mark)` then returns nothing read before this call began. */
  mark(): ReadMark {
    return this.begun;
  }

  /** The configuration from a read begun after `mark` (the one in flight or cached if it did). */
  async readAfter(mark: ReadMark): Promise<DomainConfigView[]> {
    return (await this.read(Math.max(mark, this.staleUpTo))).domains;
  }

  /**
   * A domain's configuration, at least at `atLeastVersion`: the reused read when it has that,
   * else a read begun after this call. Null only when that read has no such domain.
   */
  async current(domainId: string, atLeastVersion = 0): Promise<DomainConfigView | null> {
    const mark = this.mark();
    const cached = await this.get(domainId);
    if (cached && cached.version >= atLeastVersion) return cached;
    return (await this.readAfter(mark)).find((d) => d.id === domainId) ?? null;
  }

  /** A change was announced: nothing read before now is reused. */
  invalidate(): void {
    this.staleUpTo = this.begun;
  }

  /** A read numbered above `after`, not older than `ttlMs`; one request for all who wait on it. */
  private read(after: number): Promise<ConfigRead> {
    const cached = this.cache;
    if (cached && cached.seq > after && Date.now() - cached.at < this.ttlMs) return Promise.resolve(cached);
    const floor = Math.max(after, cached?.seq ?? 0);
    if (this.inFlight && this.inFlight.seq > floor) return this.inFlight.read;
    const seq = ++this.begun;
    const read = this.fetchList().then((domains) => {
      const done = { seq, at: Date.now(), domains };
      if (!this.cache || this.cache.seq < seq) this.cache = done;
      return done;
    });
    this.inFlight = { seq, read };
    const clear = (): void => {
      if (this.inFlight?.seq === seq) this.inFlight = undefined;
    };
    read.then(clear, clear);
    return read;
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
    return DomainList.parse(await response.json()).items;
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
