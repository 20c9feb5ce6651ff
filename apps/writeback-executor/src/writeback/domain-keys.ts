import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '@writeback/platform';
import { isDomainKeyFile, keyIdOf, publicKeyOf } from '@writeback/sealing';

/**
 * The executor's private keys: files named `<domainId>.key` or `<domainId>.<keyId>.key`
 * (base64url), typically a mounted Kubernetes Secret. Several keys of one domain may be present
 * during a rotation: a password opens with whichever key it was sealed for, so operations
 * sealed before the new public key was published still complete. Read on use, so a key added
 * to the Secret is picked up without a restart.
 */
export class DomainKeys {
  /**
   * Key id by a digest of the file's content: deriving a public key is the costly step, and the
   * content, not the file name, decides the id. Keyed by digest so that no key material stays
   * in memory after use; bounded by the keys ever present in the directory.
   */
  private readonly keyIds = new Map<string, string | null>();

  constructor(private readonly directory: string) {}

  /** Whether this executor holds a key of the domain (and so, with `*`, serves it). */
  async has(domainId: string): Promise<boolean> {
    return (await this.keyFiles(domainId).catch(() => [])).length > 0;
  }

  private async keyFiles(domainId: string): Promise<string[]> {
    const files = await readdir(this.directory).catch(() => {
      throw new ConfigurationError(`the key directory ${this.directory} cannot be read`);
    });
    return files.filter((f) => isDomainKeyFile(domainId, f)).sort();
  }

  async privateKey(domainId: string, keyId: string): Promise<string> {
    for (const file of await this.keyFiles(domainId)) {
      const key = (await readFile(join(this.directory, file), 'utf8').catch(() => '')).trim();
      if (this.keyIdOf(key) === keyId) return key;
    }
    throw new ConfigurationError(`no private key ${keyId} for domain ${domainId} in ${this.directory}`);
  }

  private keyIdOf(key: string): string | null {
    const digest = createHash('sha256').update(key).digest('hex');
    let id = this.keyIds.get(digest);
    if (id === undefined) {
      try {
        id = keyIdOf(publicKeyOf(key));
      } catch {
        // Not a key: other files may share the directory.
        id = null;
      }
      this.keyIds.set(digest, id);
    }
    return id;
  }
}
