import { z } from 'zod';
import { ObjectGuid, Reason } from './request';

/** What an executor found for a `LookupDirectoryUser`: only what SCIM's core User needs. */
export const DirectoryUser = z.object({
  objectGuid: ObjectGuid,
  userPrincipalName: z.string(),
  givenName: z.string().nullable(),
  familyName: z.string().nullable(),
  displayName: z.string().nullable(),
  mail: z.string().nullable(),
  /** `userAccountControl` without ACCOUNTDISABLE (2). */
  enabled: z.boolean(),
});
export type DirectoryUser = z.infer<typeof DirectoryUser>;

/**
 * Why no user is shown. Privileged and out-of-scope users are absent, never "forbidden", so a
 * lookup reveals nothing Writeback would refuse to write.
 */
export const LookupAbsence = z.enum(['not-found', 'several', 'out-of-scope', 'protected']);
export type LookupAbsence = z.infer<typeof LookupAbsence>;

export const LookupResult = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('found'), user: DirectoryUser }),
  z.object({ outcome: z.literal('absent'), why: LookupAbsence }),
  z.object({ outcome: z.literal('failed'), reason: Reason, retriable: z.boolean() }),
]);
export type LookupResult = z.infer<typeof LookupResult>;

/** An executor's answer, on `Topics.lookups`; `correlationId` is the `lookupId`. */
export const DirectoryUserLookedUpV1 = z.object({
  type: z.literal('DirectoryUserLookedUp'),
  version: z.literal(1),
  data: z.object({
    lookupId: z.uuid(),
    domainId: z.string(),
    result: LookupResult,
    answeredAt: z.iso.datetime({ offset: true }),
  }),
});
export type DirectoryUserLookedUpV1 = z.infer<typeof DirectoryUserLookedUpV1>;
