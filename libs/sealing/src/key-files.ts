/**
 * How executors' private keys are named in their key directory: `<domain>.key` for the first
 * key of a domain, `<domain>.<keyId>.key` for imported and rotated ones. A domain id holds no
 * dot, so `corp.…` never matches `corp-eu`.
 */
export function domainKeyFileName(domainId: string, keyId?: string): string {
  return keyId ? `${domainId}.${keyId}.key` : `${domainId}.key`;
}

export function isDomainKeyFile(domainId: string, file: string): boolean {
  if (file === `${domainId}.key`) return true;
  return (
    file.startsWith(`${domainId}.`) &&
    file.endsWith('.key') &&
    /^[A-Za-z0-9_-]+$/.test(file.slice(domainId.length + 1, -'.key'.length))
  );
}
