import { z } from 'zod';
import { Caller, ObjectGuid, OperationKind, Reason, SealedCredential, WritebackRequest } from './request';

const OperationId = z.uuid();
const Iso = z.iso.datetime({ offset: true });

export const PasswordChangeRequestedV1 = z.object({
  type: z.literal('PasswordChangeRequested'),
  version: z.literal(1),
  data: z.object({
    operationId: OperationId,
    request: WritebackRequest,
    caller: Caller,
    /** How the target's UPN suffix routed at the edge; the password is sealed for `domainId`. */
    routing: z.enum(['resolved', 'no-match', 'ambiguous']),
    /** Null unless `routing` is `resolved`. */
    domainId: z.string().nullable(),
    requestedAt: Iso,
  }),
});

export const WritebackApprovedV1 = z.object({
  type: z.literal('WritebackApproved'),
  version: z.literal(1),
  data: z.object({
    operationId: OperationId,
    domainId: z.string(),
    targetUpn: z.string(),
    kind: OperationKind,
    policyVersion: z.string(),
    /** Id of the matrix rule that allowed it (docs/policy.md). */
    policyRule: z.string(),
    approvedAt: Iso,
  }),
});

export const WritebackRejectedV1 = z.object({
  type: z.literal('WritebackRejected'),
  version: z.literal(1),
  data: z.object({
    operationId: OperationId,
    domainId: z.string().nullable(),
    targetUpn: z.string(),
    /** Who refused: the policy gate before anything was sent, or the executor/AD. */
    stage: z.enum(['policy', 'executor']),
    reason: Reason,
    /** Id of the matrix rule that refused it, when the matrix did. */
    policyRule: z.string().nullable().default(null),
    rejectedAt: Iso,
  }),
});

export const WritebackAppliedV1 = z.object({
  type: z.literal('WritebackApplied'),
  version: z.literal(1),
  data: z.object({
    operationId: OperationId,
    domainId: z.string(),
    targetUpn: z.string(),
    /** Host of the DC that took the write. */
    domainController: z.string(),
    actions: z.array(z.enum(['password', 'unlock', 'force-change-at-next-logon'])),
    policyHintsUsed: z.boolean(),
    appliedAt: Iso,
  }),
});

export const WritebackFailedV1 = z.object({
  type: z.literal('WritebackFailed'),
  version: z.literal(1),
  data: z.object({
    operationId: OperationId,
    domainId: z.string().nullable(),
    targetUpn: z.string(),
    reason: Reason,
    attempts: z.number().int().nonnegative(),
    failedAt: Iso,
  }),
});

/** Every lifecycle event, as carried on `Topics.events`. */
export const WritebackEvent = z.discriminatedUnion('type', [
  PasswordChangeRequestedV1,
  WritebackApprovedV1,
  WritebackRejectedV1,
  WritebackAppliedV1,
  WritebackFailedV1,
]);
export type WritebackEvent = z.infer<typeof WritebackEvent>;
export type WritebackEventType = WritebackEvent['type'];
export type EventOf<T extends WritebackEventType> = Extract<WritebackEvent, { type: T }>;

/** The user an event is about: its message key, so one user's events stay in order. */
export function targetOf(event: WritebackEvent): string {
  return event.type === 'PasswordChangeRequested' ? event.data.request.target.userPrincipalName : event.data.targetUpn;
}

/** Imperative: sent to one domain's executors only, carries the sealed password. */
export const ApplyPasswordWritebackV1 = z.object({
  type: z.literal('ApplyPasswordWriteback'),
  version: z.literal(1),
  data: z.object({
    operationId: OperationId,
    domainId: z.string(),
    request: WritebackRequest,
    /** Absent only for an unlock without a password change. */
    credential: SealedCredential.nullable(),
    /**
     * The version of the domain's configuration the gate decided on: an executor holding an
     * older one reads it again first. Absent from commands of gates before it was added.
     */
    domainConfigVersion: z.number().int().positive().optional(),
  }),
});

/**
 * Imperative, read-only: find one user in the domain with the executor's own bind account, and
 * answer `DirectoryUserLookedUp` on `Topics.lookups` (ADR 0023). Carries no secret; an executor
 * drops it once `expiresAt` has passed, since the asker has stopped waiting.
 */
export const LookupDirectoryUserV1 = z.object({
  type: z.literal('LookupDirectoryUser'),
  version: z.literal(1),
  data: z.object({
    lookupId: z.uuid(),
    domainId: z.string(),
    by: z.union([
      z.object({ userPrincipalName: z.string().trim().min(1).max(256) }).strict(),
      z.object({ objectGuid: ObjectGuid }).strict(),
    ]),
    expiresAt: Iso,
  }),
});

export const ExecutorCommand = z.discriminatedUnion('type', [ApplyPasswordWritebackV1, LookupDirectoryUserV1]);
export type ExecutorCommand = z.infer<typeof ExecutorCommand>;
