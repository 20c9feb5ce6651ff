import { z } from 'zod';

const SecretRef = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'must be env:NAME or file:/absolute/path');

/**
 * One on-premises domain as config-service stores and serves it. Secrets appear only as
 * references (`env:NAME`, `file:/path`), resolved where they are used.
 */
export const DomainConfig = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  displayName: z.string().trim().min(1).max(200),
  ldapUrls: z
    .array(z.string().regex(/^ldaps:\/\/[^\s/]+(:\d+)?\/?$/i, 'must be an ldaps:// URL'))
    .min(1)
    .max(10),
  baseDn: z.string().trim().min(3).max(1024),
  upnSuffixes: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9.-]+\.[a-z0-9-]+$/, 'must be a DNS suffix'),
    )
    .min(1)
    .max(50),
  bindDn: z.string().trim().min(1).max(1024),
  bindSecretRef: SecretRef,
  tlsCaPem: z.string().includes('BEGIN CERTIFICATE').max(65536).nullable().default(null),
  tlsServerName: z.string().trim().max(255).nullable().default(null),
  /** base64url of the executor's X25519 public key. */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url X25519 public key'),
  writebackEnabled: z.boolean().default(true),
});
export type DomainConfig = z.infer<typeof DomainConfig>;

export const DomainConfigView = DomainConfig.extend({
  keyId: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DomainConfigView = z.infer<typeof DomainConfigView>;
