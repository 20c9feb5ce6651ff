import { z } from 'zod';
import { Caller } from './request';

/**
 * The public audit stream (`Topics.audit`), for other teams' services. Version 1 only ever
 * grows by optional fields; anything else is a new version on a new topic.
 */
export const AuditRecordedV1 = z
  .object({
    type: z.literal('AuditRecorded'),
    version: z.literal(1),
    data: z.object({
      /** Position in the audit log. */
      recordId: z.string().regex(/^\d+$/),
      /** The domain's hash chain this record belongs to (`_global` for none), and its place in it. */
      chain: z.string(),
      chainSeq: z.string().regex(/^\d+$/),
      prevHash: z.string().regex(/^[0-9a-f]{64}$/),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      /** The recorded event: its id, type and when it happened. */
      eventId: z.uuid(),
      eventType: z.string(),
      occurredAt: z.iso.datetime({ offset: true }),
      recordedAt: z.iso.datetime({ offset: true }),
      /** The operation (or configuration change) it belongs to. */
      operationId: z.uuid(),
      domainId: z.string().nullable(),
      targetUpn: z.string().nullable(),
      /** Who called the API, when the event says. */
      caller: Caller.nullable(),
      /** Stable reason code of a refusal or failure, when there is one. */
      reasonCode: z.string().nullable(),
      /** W3C trace id, to find the writeback in Jaeger. */
      traceId: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .nullable(),
    }),
  })
  .meta({ title: 'AuditRecorded v1', description: 'One record appended to the Writeback audit trail.' });
export type AuditRecordedV1 = z.infer<typeof AuditRecordedV1>;
