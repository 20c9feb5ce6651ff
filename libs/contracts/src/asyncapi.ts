import { z } from 'zod';
import { AuditMessage } from './envelope';
import { Topics } from './topics';

export const AUDIT_SCHEMA_FILE = 'audit-recorded.v1.schema.json';

/**
 * JSON Schema (draft 2020-12) of one message of the public audit topic. Objects stay open
 * (the input view), so a consumer's copy keeps validating when version 1 gains a field.
 */
export function auditMessageJsonSchema(): Record<string, unknown> {
  return {
    $id: `https://writeback.dev/schemas/${AUDIT_SCHEMA_FILE}`,
    ...(z.toJSONSchema(AuditMessage, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
    title: 'Writeback AuditRecorded v1 message',
  };
}

/** The AsyncAPI 3.0 document of what other services may subscribe to. */
export function auditAsyncApiDocument(): Record<string, unknown> {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Writeback audit stream',
      version: '1.0.0',
      description:
        'One message per record appended to the Writeback audit trail: every lifecycle event of every ' +
        'password writeback and every domain configuration change. Never carries a password, sealed or not. ' +
        'Within version 1 the schema only grows by optional fields; a breaking change gets a new topic.',
    },
    defaultContentType: 'application/json',
    channels: {
      audit: {
        address: Topics.audit,
        description: 'Keyed by chain (the domain id, or `_global`), so one domain’s records arrive in chain order.',
        messages: { AuditRecorded: { $ref: '#/components/messages/AuditRecorded' } },
      },
    },
    operations: {
      receiveAuditRecords: {
        action: 'receive',
        channel: { $ref: '#/channels/audit' },
        messages: [{ $ref: '#/channels/audit/messages/AuditRecorded' }],
      },
    },
    components: {
      messages: {
        AuditRecorded: {
          name: 'AuditRecorded',
          title: 'A record appended to the audit trail',
          contentType: 'application/json',
          headers: {
            type: 'object',
            properties: {
              'writeback-type': { type: 'string', const: 'AuditRecorded' },
              'writeback-version': { type: 'string', const: '1' },
              'writeback-correlation-id': { type: 'string' },
              traceparent: { type: 'string' },
            },
          },
          payload: { $ref: `./${AUDIT_SCHEMA_FILE}` },
        },
      },
    },
  };
}
