import { WritebackRequest } from '@writeback/contracts';
import { z } from 'zod';

/** AD accepts at most 256 characters in unicodePwd; NUL and other C0 controls never belong in one. */
const NewPassword = z
  .string()
  .min(1)
  .max(256)
  .refine((p) => !/\p{Cc}/u.test(p), 'must not contain control characters');

/** The HTTP body of POST /v1/operations: the request plus, except for a plain unlock, the new password. */
export const CreateOperationBody = WritebackRequest.extend({ newPassword: NewPassword.optional() })
  .strict()
  .refine((b) => b.kind === 'unlock' || b.newPassword !== undefined, {
    message: 'newPassword is required for this kind',
    path: ['newPassword'],
  });
export type CreateOperationBody = z.infer<typeof CreateOperationBody>;
