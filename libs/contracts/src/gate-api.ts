import { z } from 'zod';
import { Caller, Reason, WritebackRequest } from './request';

/** AD takes at most 256 characters in unicodePwd; C0/C1 control characters never belong in one. */
const NewPassword = z
  .string()
  .min(1)
  .max(256)
  .refine((p) => !/\p{Cc}/u.test(p), 'must not contain control characters');

/** Body of `POST /v1/operations`: the request plus, except for a plain unlock, the new password. */
export const CreateOperationRequest = WritebackRequest.extend({
  newPassword: NewPassword.optional().meta({ description: 'Sealed at once; never stored or logged.' }),
})
  .strict()
  .refine((b) => b.kind === 'unlock' || b.newPassword !== undefined, {
    message: 'newPassword is required for this kind',
    path: ['newPassword'],
  });
export type CreateOperationRequest = z.infer<typeof CreateOperationRequest>;

export const OperationStatus = z.enum(['requested', 'approved', 'applied', 'rejected', 'failed']);

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
