import type { DomainConfigView, DomainSwitchChanges } from '@writeback/contracts';
import type { ServiceClient } from '../services';

/** A domain as `PUT /v1/domains/:id` takes it: the view without what config-service derives. */
export type DomainBody = Omit<DomainConfigView, 'keyId' | 'version' | 'createdAt' | 'updatedAt'>;

export function domainBody(view: DomainConfigView): DomainBody {
  const { keyId: _k, version: _v, createdAt: _c, updatedAt: _u, ...config } = view;
  return config;
}

const domainPath = (id: string): string => `/v1/domains/${encodeURIComponent(id)}`;

/** config-service's domain API (`docs/openapi/config-service.json`), typed. */
export class ConfigClient {
  constructor(private readonly http: ServiceClient) {}

  async listDomains(): Promise<DomainConfigView[]> {
    return (await this.http.get<{ items: DomainConfigView[] }>('configUrl', '/v1/domains')).items;
  }

  async getDomain(id: string): Promise<DomainConfigView> {
    return this.http.get<DomainConfigView>('configUrl', domainPath(id));
  }

  async addDomain(body: Record<string, unknown>): Promise<DomainConfigView> {
    return (await this.http.call<DomainConfigView>('configUrl', 'POST', '/v1/domains', body)).body;
  }

  /**
   * Changes a domain as read: the PUT carries the version it was read at (If-Match), so a change
   * someone made in between (an `enable`) is never undone; config-service refuses it with 412.
   * `readAt` overrides that version when the changes come from an older read (an edited file).
   */
  async updateDomain(
    current: DomainConfigView,
    changes: Partial<DomainBody>,
    readAt: number = current.version,
  ): Promise<DomainConfigView> {
    return (
      await this.http.call<DomainConfigView>(
        'configUrl',
        'PUT',
        domainPath(current.id),
        { ...domainBody(current), ...changes },
        { 'if-match': `"${readAt}"` },
      )
    ).body;
  }

  /** Only the switches named: a concurrent change to anything else stands. */
  async setSwitches(id: string, switches: DomainSwitchChanges): Promise<DomainConfigView> {
    return (await this.http.call<DomainConfigView>('configUrl', 'PATCH', `${domainPath(id)}/switches`, switches)).body;
  }

  async removeDomain(id: string): Promise<void> {
    await this.http.call('configUrl', 'DELETE', domainPath(id));
  }
}
