import { z } from 'zod';
import { DOMAIN_ID_PATTERN } from './topics';

const SecretRef = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'must be env:NAME or file:/absolute/path');

/**
 * Per-domain changes to the operation matrix, by rule id (docs/policy.md). Refusing a rule
 * only narrows; allowing a rule the matrix refuses widens it and needs `allowWidening`.
 */
export const PolicyOverrides = z
  .object({
    refuse: z.array(z.string().min(1).max(100)).max(100).default([]),
    allow: z.array(z.string().min(1).max(100)).max(100).default([]),
    allowWidening: z.boolean().default(false),
  })
  .strict();
export type PolicyOverrides = z.infer<typeof PolicyOverrides>;

export const ScimPush = z.enum(['off', 'change', 'admin-reset']);
export type ScimPush = z.infer<typeof ScimPush>;

const Dn = z.string().trim().min(3).max(1024);

/**
 * Who the engine may write for in this domain; empty lists mean "anyone under the base DN".
 * Privileged accounts are never in scope (docs/policy.md).
 */
export const DomainScope = z
  .object({
    /** The user must be under one of these OUs (DNs). */
    organizationalUnits: z.array(Dn).max(100).default([]),
    /** The user must be a (nested) member of one of these groups (DNs). */
    groups: z.array(Dn).max(100).default([]),
    /** An extra LDAP filter the user entry must match, e.g. `(department=Sales)`. */
    ldapFilter: z
      .string()
      .trim()
      .regex(/^\(.*\)$/s, 'must be a parenthesised LDAP filter')
      .max(4096)
      .nullable()
      .default(null),
    /**
     * Groups (DNs) whose direct or nested members are never written for, refused with
     * AD.PROTECTED_ACCOUNT like AD's own protected groups, which need no listing here.
     */
    protectedGroups: z.array(Dn).max(100).default([]),
  })
  .strict();
export type DomainScope = z.infer<typeof DomainScope>;

/**
 * One on-premises domain as config-service stores and serves it. Secrets appear only as
 * references (`env:NAME`, `file:/path`), resolved where they are used.
 */
export const DomainConfig = z.object({
  id: z.string().regex(DOMAIN_ID_PATTERN, 'lowercase letters, digits and dashes, starting with a letter'),
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
  /**
   * "Enable password write back": off refuses every request for the domain. A domain is added
   * with it off, like the seed's check box, until an operator enables it.
   */
  writebackEnabled: z.boolean().default(false),
  /** This engine writes back for the domain; off when another engine owns it (side by side). */
  engineOwnsDomain: z.boolean().default(true),
  /** "Allow users to unlock accounts without resetting their password". */
  allowUnlockWithoutReset: z.boolean().default(false),
  /**
   * What a SCIM client's password push is for this domain (ADR 0023, docs/scim.md): `off` refuses
   * it with POLICY.SCIM_PUSH_DISABLED; `change` records it as the user's own change;
   * `admin-reset` as a reset by the SCIM client.
   */
  scimPush: ScimPush.default('off'),
  policy: PolicyOverrides.default({ refuse: [], allow: [], allowWidening: false }),
  scope: DomainScope.default({ organizationalUnits: [], groups: [], ldapFilter: null, protectedGroups: [] }),
  /** Audit records of this domain older than this many days are removed (chain kept by a checkpoint); null keeps them. */
  auditRetentionDays: z.number().int().min(1).max(36_500).nullable().default(null),
});
export type DomainConfig = z.infer<typeof DomainConfig>;

/** A domain's switches, any one or more of them: what `PATCH /v1/domains/:id/switches` changes. */
export type DomainSwitchChanges = Partial<
  Pick<DomainConfig, 'writebackEnabled' | 'engineOwnsDomain' | 'allowUnlockWithoutReset' | 'scimPush'>
>;

export const DomainConfigView = DomainConfig.extend({
  keyId: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DomainConfigView = z.infer<typeof DomainConfigView>;
