import { AndFilter, Attribute, Change, Client, EqualityFilter } from 'ldapts';
import type { SambaForest } from '@writeback/testing';

/**
 * What an application would do without Writeback: its own LDAPS connections to the DC, bound
 * as the same service account, and per reset the executor's own directory work (find the user
 * by UPN, replace unicodePwd). `connections` bound clients per forest; a reset waits for one.
 */
export class DirectLdap {
  private readonly idle: Client[];
  private readonly waiting: Array<(client: Client) => void> = [];

  private constructor(
    private readonly forest: SambaForest,
    clients: Client[],
  ) {
    this.idle = clients;
  }

  static async open(forest: SambaForest, connections: number): Promise<DirectLdap> {
    const clients = await Promise.all(
      Array.from({ length: connections }, async () => {
        const client = new Client({
          url: forest.ldapsUrl,
          tlsOptions: { ca: [forest.caPem], minVersion: 'TLSv1.2' },
          timeout: 30_000,
          connectTimeout: 10_000,
        });
        await client.bind(forest.serviceAccount.upn, forest.serviceAccount.password);
        return client;
      }),
    );
    return new DirectLdap(forest, clients);
  }

  /** Resets one password; resolves with the milliseconds from the call (queueing included). */
  async reset(userPrincipalName: string, password: string): Promise<number> {
    const started = performance.now();
    const client = await this.acquire();
    try {
      const { searchEntries } = await client.search(this.forest.baseDn, {
        scope: 'sub',
        filter: new AndFilter({
          filters: [
            new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
            new EqualityFilter({ attribute: 'userPrincipalName', value: userPrincipalName }),
          ],
        }),
        attributes: ['userAccountControl', 'adminCount'],
        sizeLimit: 2,
      });
      const dn = searchEntries[0]?.dn;
      if (!dn) throw new Error(`no user ${userPrincipalName}`);
      await client.modify(
        dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }),
        }),
      );
    } finally {
      this.release(client);
    }
    return performance.now() - started;
  }

  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((client) => client.unbind().catch(() => undefined)));
  }

  private acquire(): Promise<Client> {
    const client = this.idle.pop();
    if (client) return Promise.resolve(client);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(client: Client): void {
    const next = this.waiting.shift();
    if (next) next(client);
    else this.idle.push(client);
  }
}
