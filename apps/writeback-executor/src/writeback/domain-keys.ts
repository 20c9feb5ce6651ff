import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, fileVersionOf, unchangedSince, type FileVersion } from '@writeback/platform';
import { importDomainPrivateKey, isDomainKeyFile, type DomainPrivateKey } from '@writeback/sealing';

/** What was read from one key file, and the metadata of the file it was read from. */
interface KeyFile extends FileVersion {
  digest: string;
  /** null: the file is not a key (other files may share the directory). */
  key: DomainPrivateKey | null;
}

/**
 * The executor's private keys: files named `<domainId>.key` or `<domainId>.<keyId>.key`
 * (base64url), typically a mounted Kubernetes Secret. Several keys of one domain may be present
 * during a rotation: a password opens with whichever key it was sealed for, so operations
 * sealed before the new public key was published still complete.
 *
 * Each key is imported once and kept, non-extractable, for as long as its file stays the same
 * (ADR 0021). The directory is listed on every use and each candidate file's version checked
 * (`fileVersionOf`), so a key added, replaced or removed is followed without a restart.
 */
export class DomainKeys {
  /** By file name; a name no longer listed is forgotten with its key. */
  private readonly files = new Map<string, KeyFile>();

  constructor(
    private readonly directory: string,
    private readonly importKey: (privateKey: string) => Promise<DomainPrivateKey> = importDomainPrivateKey,
  ) {}

  /** Whether this executor holds a key of the domain (and so, with `*`, serves it). */
  async has(domainId: string): Promise<boolean> {
    return (await this.keyFiles(domainId).catch(() => [])).length > 0;
  }

  async privateKey(domainId: string, keyId: string): Promise<DomainPrivateKey> {
    for (const file of await this.keyFiles(domainId)) {
      const key = await this.load(file);
      if (key?.keyId === keyId) return key;
    }
    throw new ConfigurationError(`no private key ${keyId} for domain ${domainId} in ${this.directory}`);
  }

  private async keyFiles(domainId: string): Promise<string[]> {
    const files = await readdir(this.directory).catch(() => {
      throw new ConfigurationError(`the key directory ${this.directory} cannot be read`);
    });
    const listed = new Set(files);
    for (const file of this.files.keys()) if (!listed.has(file)) this.files.delete(file);
    return files.filter((f) => isDomainKeyFile(domainId, f)).sort();
  }

  private async load(file: string): Promise<DomainPrivateKey | null> {
    const path = join(this.directory, file);
    const version = await fileVersionOf(path);
    if (!version) {
      this.files.delete(file);
      return null;
    }
    const known = this.files.get(file);
    if (known && unchangedSince(known, version)) return known.key;
    const content = (await readFile(path, 'utf8').catch(() => '')).trim();
    const digest = createHash('sha256').update(content).digest('hex');
    const key =
      known?.digest === digest
        ? known.key
        : await this.importKey(content).catch(
            // Not a key: other files may share the directory.
            () => null,
          );
    this.files.set(file, { ...version, digest, key });
    return key;
  }
}
