import { z } from 'zod';
import { Caller, Channel, OperationOptions, Reason, Target, WritebackRequest } from './request';

/**
 * user@dns.domain, stricter at the edge than on the topics (events already recorded must keep
 * decoding): the prefix may not hold LDAP filter or DN metacharacters (`*()\\,;"<>/[]:`),
 * whitespace, control or invisible format characters (zero-width, bidirectional overrides) or
 * unpaired surrogates. AD does not take them in a UPN, and refusing them here keeps hostile
 * input out of logs and directory searches (which escape it anyway).
 */
const EdgeUpn = z
  .string()
  .trim()
  .min(3)
  .max(256)
  .regex(
    /^[^\s@*()\\,;"<>/[\]:\p{Cc}\p{Cf}\p{Cs}]+@[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*$/u,
    'must look like user@domain, without whitespace, control characters or any of *()\\,;"<>/[]:',
  );

/**
 * Free text that ends up in logs and the audit trail. Patterns rather than refinements: the
 * OpenAPI document then says what is refused.
 */
const PrintableText = (max: number) =>
  z
    .string()
    .regex(/\S/, 'must not be blank')
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cf}\p{Cs}]*$/u, 'must not contain control or invisible format characters');

/**
 * AD takes at most 256 characters in unicodePwd; C0/C1 control characters never belong in one,
 * and an unpaired surrogate has no UTF-16LE encoding the DC would accept as typed.
 */
export const NewPassword = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .regex(/^[^\p{Cs}]*$/u, 'must be valid Unicode (no unpaired surrogates)');

/** Body of `POST /v1/operations`: the request plus the new password, which a plain unlock never carries. */
export const CreateOperationRequest = WritebackRequest.extend({
  // `scim` is the SCIM endpoint's own (`/scim/v2`, ADR 0023): its caller is a SCIM client, and the
  // domain's scimPush, not the body, says what the push is.
  channel: Channel.exclude(['scim']),
  initiator: z.object({ id: PrintableText(256), isAdministrator: z.boolean() }).strict(),
  target: Target.extend({ userPrincipalName: EdgeUpn }).strict(),
  options: OperationOptions.strict().default({ forceChangeAtNextLogon: false, unlockAccount: false }),
  newPassword: NewPassword.optional().meta({ description: 'Sealed at once; never stored or logged.' }),
})
  .strict()
  .refine((b) => b.kind === 'unlock' || b.newPassword !== undefined, {
    message: 'newPassword is required for this kind',
    path: ['newPassword'],
  })
  // An unlock sets no password; a reset that also unlocks is a reset with options.unlockAccount.
  .refine((b) => b.kind !== 'unlock' || b.newPassword === undefined, {
    message: 'an unlock carries no password: omit newPassword, or send a reset with options.unlockAccount',
    path: ['newPassword'],
  });
export type CreateOperationRequest = z.infer<typeof CreateOperationRequest>;

export const OperationStatus = z.enum(['requested', 'approved', 'applied', 'rejected', 'failed']);
export type OperationStatus = z.infer<typeof OperationStatus>;

/** What `POST /v1/operations` and `GET /v1/operations/:id` answer. */
export const OperationView = z.object({
  operationId: z.uuid(),
  status: OperationStatus,
  kind: z.string(),
  channel: z.string(),
  targetUpn: z.string(),
  domainId: z.string().nullable(),
  caller: Caller,
  reason: Reason.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
  history: z.array(z.object({ type: z.string(), occurredAt: z.string() })),
});
export type OperationView = z.infer<typeof OperationView>;

/** Every 4xx/5xx body: what went wrong, and for a 400 which field and why. */
export const ApiError = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.union([z.string(), z.array(z.string())]),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** One operation in `GET /v1/operations`: its view without the event history (one GET shows it). */
export const OperationSummary = OperationView.omit({ history: true });
export type OperationSummary = z.infer<typeof OperationSummary>;

/**
 * A filter's text in a query API (the gate's, the audit service's): PostgreSQL's text cannot hold
 * NUL, so one in a filter is a 400, not a 500.
 */
export const FilterText = (max: number) =>
  z
    .string()
    .regex(/\S/, 'must not be blank')
    .regex(/^[^\u0000]*$/, 'must not contain NUL')
    .trim()
    .min(1)
    .max(max);

/** Where a page ended: the last operation's creation time (epoch ms) and id. */
const OPERATION_CURSOR = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const operationCursor = (createdAt: string, operationId: string): string =>
  `${Date.parse(createdAt)}.${operationId}`;

/** `GET /v1/operations`: every filter given must match; newest first, a page at a time. */
export const OperationQuery = z.object({
  domainId: FilterText(63).optional(),
  status: OperationStatus.optional(),
  reasonCode: FilterText(100).optional().meta({ description: 'A stable reason code, e.g. AD.PASSWORD_TOO_YOUNG.' }),
  targetUpn: FilterText(256).optional().meta({ description: 'The target user, case-insensitively.' }),
  since: z
    .union([z.iso.date(), z.iso.datetime({ offset: true })])
    .pipe(z.coerce.date())
    .optional()
    .meta({ description: 'Only operations created at or after this instant.' }),
  cursor: z
    .string()
    .regex(OPERATION_CURSOR, 'must be a cursor from a previous page')
    .transform((c) => {
      const [, at, id] = OPERATION_CURSOR.exec(c) as unknown as [string, string, string];
      return { createdAt: new Date(Number(at)), operationId: id };
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type OperationQuery = z.output<typeof OperationQuery>;
/** The query as a client writes it (strings and numbers). */
export type OperationQueryInput = { [K in keyof OperationQuery]?: K extends 'limit' ? number : string };

export const OperationPage = z.object({ items: z.array(OperationSummary), nextCursor: z.string().nullable() });
export type OperationPage = z.infer<typeof OperationPage>;
