import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '@writeback/platform';

/**
 * The executor's private keys, one file per domain (`<domainId>.key`, base64url), typically a
 * mounted Kubernetes Secret. Read on use, so a rotated key is picked up without a restart.
 */
export class DomainKeys {
  constructor(private readonly directory: string) {}

  /** Whether this executor holds the domain's key (and so, with `*`, serves it). */
  async has(domainId: string): Promise<boolean> {
    return access(this.fileOf(domainId)).then(
      () => true,
      () => false,
    );
  }

  private fileOf(domainId: string): string {
    return join(this.directory, `${domainId}.key`);
  }

  async privateKey(domainId: string): Promise<string> {
    try {
      return (await readFile(this.fileOf(domainId), 'utf8')).trim();
    } catch {
      throw new ConfigurationError(`no private key for domain ${domainId} in ${this.directory}`);
    }
  }
}
