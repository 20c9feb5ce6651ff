import { z } from 'zod';

/** What the cloud side asked for, in the terms of the seed's supported-operations table. */
export const OperationKind = z.enum([
  'change', // voluntary change by the user
  'forced-change', // change of an expired password
  'self-service-reset', // reset from the SSPR page
  'admin-reset', // an administrator resets someone's password
  'unlock', // self-service account unlock without a reset
]);
export type OperationKind = z.infer<typeof OperationKind>;

export const Channel = z.enum([
  'sspr-portal',
  'change-password-page',
  'admin-center',
  'frontline-portal',
  'graph-api',
  'powershell',
  'm365-admin-center',
  /** A SCIM 2.0 client (a cloud identity service's password push, docs/scim.md, ADR 0023). */
  'scim',
]);
export type Channel = z.infer<typeof Channel>;

const Upn = z
  .string()
  .trim()
  .min(3)
  .max(256)
  .regex(/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u, 'must look like user@domain');

export const Actor = z.object({
  /** The cloud identity of whoever initiated the operation. */
  id: z.string().trim().min(1).max(256),
  isAdministrator: z.boolean(),
});
export type Actor = z.infer<typeof Actor>;

/**
 * An AD objectGUID in the string form AD tools show (its first three fields byte-swapped),
 * lowercase: `2b2ad8a4-1f0e-4d6c-9a51-0c7f2e4b9d10`.
 */
export const ObjectGuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase GUID');
export type ObjectGuid = z.infer<typeof ObjectGuid>;

export const Target = z.object({
  userPrincipalName: Upn,
  isAdministrator: z.boolean().default(false),
  /**
   * The entry the caller looked up (SCIM's `id`): the executor writes only if the entry it finds
   * by the UPN still has this GUID, and refuses with AD.USER_CHANGED otherwise.
   */
  objectGuid: ObjectGuid.optional(),
});
export type Target = z.infer<typeof Target>;

export const OperationOptions = z.object({
  forceChangeAtNextLogon: z.boolean().default(false),
  unlockAccount: z.boolean().default(false),
});
export type OperationOptions = z.infer<typeof OperationOptions>;

/** The authenticated client of the gate's API (the SSPR portal, an admin console...). */
export const Caller = z.object({
  subject: z.string().min(1).max(512),
  /** Token issuer; null when authentication is off (local use only). */
  issuer: z.string().max(2048).nullable(),
});
export type Caller = z.infer<typeof Caller>;

/** The non-secret part of a writeback request; travels in events. */
export const WritebackRequest = z.object({
  kind: OperationKind,
  channel: Channel,
  initiator: Actor,
  target: Target,
  options: OperationOptions.default({ forceChangeAtNextLogon: false, unlockAccount: false }),
});
export type WritebackRequest = z.infer<typeof WritebackRequest>;

/** A password sealed for one domain's executors (HPKE, see @writeback/sealing). */
export const SealedCredential = z.object({
  keyId: z.string().min(1).max(128),
  enc: z.string().min(1).max(4096),
  ciphertext: z.string().min(1).max(8192),
});
export type SealedCredential = z.infer<typeof SealedCredential>;

export const Reason = z.object({
  /** Stable, documented, e.g. `TARGET.NO_MATCHING_DOMAIN`. */
  code: z.string().min(1),
  /** What an administrator should know or do; never raw directory text. */
  message: z.string(),
});
export type Reason = z.infer<typeof Reason>;
