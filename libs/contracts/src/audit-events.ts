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
      recordId: z.string().regex(/^\d+$/).describe('Position in the audit log; never null.'),
      chain: z
        .string()
        .describe("The hash chain this record belongs to: the domain's id, or `_global` for a record of no domain."),
      chainSeq: z.string().regex(/^\d+$/).describe('Place of the record in its chain, from 1.'),
      prevHash: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .describe('Hash of the previous record of the chain (64 zeros for the first).'),
      hash: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .describe("This record's hash: `writeback audit verify` recomputes the chain."),
      eventId: z.uuid().describe('Id of the recorded event.'),
      eventType: z
        .string()
        .describe('Type of the recorded event: a lifecycle event of a writeback, or `DomainConfigurationChanged`.'),
      occurredAt: z.iso.datetime({ offset: true }).describe('When the recorded event happened.'),
      recordedAt: z.iso.datetime({ offset: true }).describe('When the audit service recorded it.'),
      operationId: z
        .uuid()
        .describe('The writeback operation the record belongs to, or the change id of a configuration change.'),
      domainId: z
        .string()
        .nullable()
        .describe(
          "The domain concerned. Null only for a request refused before a domain was chosen (the target's UPN suffix matched none, or several).",
        ),
      targetUpn: z
        .string()
        .nullable()
        .describe(
          'The user whose password the operation is about. Null for a configuration change, which concerns no user.',
        ),
      caller: Caller.nullable().describe(
        "Who caused the record: the gate's API caller who asked for the operation, on every record of the operation (the approval, refusal and outcome name the request's caller); the operator who made the change, on `DomainConfigurationChanged`. Null only when the operation's request is no longer in the audit trail (removed by retention) when a later record is written. With authentication off the caller is `anonymous` with a null issuer.",
      ),
      reasonCode: z
        .string()
        .nullable()
        .describe('Stable reason code (docs/policy.md) of a refusal or failure; null on every other record.'),
      traceId: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .nullable()
        .describe(
          "W3C trace id of the recorded event, to find it in the tracing backend (Jaeger); the envelope's `traceparent` carries the whole trace context. Null only for an event produced without trace context: a configuration change recorded by a config-service older than this field's description.",
        ),
    }),
  })
  .meta({ title: 'AuditRecorded v1', description: 'One record appended to the Writeback audit trail.' });
export type AuditRecordedV1 = z.infer<typeof AuditRecordedV1>;
