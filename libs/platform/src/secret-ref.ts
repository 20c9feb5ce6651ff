import { readFile } from 'node:fs/promises';
import { ConfigurationError } from './service-config';

/** Resolves `env:NAME` or `file:/path` (a mounted Kubernetes Secret) to the secret itself. */
export async function resolveSecretRef(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (!value) throw new ConfigurationError(`secret reference ${ref} names an unset variable`);
    return value;
  }
  if (ref.startsWith('file:')) {
    const text = await readFile(ref.slice(5), 'utf8').catch(() => {
      throw new ConfigurationError(`secret reference ${ref} names an unreadable file`);
    });
    return text.replace(/\r?\n$/, '');
  }
  throw new ConfigurationError(`unsupported secret reference ${ref}`);
}
