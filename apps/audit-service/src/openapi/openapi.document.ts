import { z } from 'zod';
import { DeadLetterView } from '@writeback/contracts';
import { BEARER_SECURITY_SCHEMES, READER_SCOPES, Scopes, tokenRequired } from '@writeback/platform';
import { RetentionRun } from '../audit/audit.controller';
import { AuditQuery } from '../audit/audit.repository';
import { DeadLetterQuery } from '../dead-letters/dead-letters.repository';

const entry = {
  type: 'object',
  properties: {
    recordId: { type: 'string', description: 'Position in the audit log; the pagination cursor.' },
    hash: { type: 'string', description: "This record's hash in its domain's chain." },
    eventId: { type: 'string', format: 'uuid' },
    operationId: { type: 'string', format: 'uuid' },
    type: { type: 'string' },
    domainId: { type: ['string', 'null'] },
    targetUpn: { type: ['string', 'null'] },
    occurredAt: { type: 'string', format: 'date-time' },
    recordedAt: { type: 'string', format: 'date-time' },
    correlationId: { type: 'string' },
    causationId: { type: ['string', 'null'] },
    traceparent: { type: ['string', 'null'] },
    data: { type: 'object', description: 'The recorded event, as published (never a password).' },
  },
};

const ok = (description: string, schema: Record<string, unknown>): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * The audit service's OpenAPI document, its query parameters taken from the zod schema that
 * validates them. Served at `GET /openapi.json`; `docs/openapi/audit-service.json` is a copy a
 * test keeps equal.
 */
const queryParameters = (schema: z.ZodType): Array<Record<string, unknown>> => {
  const query = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Record<string, unknown>>;
  };
  return Object.entries(query.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
  }));
};

const operator = tokenRequired([Scopes.operator]);
const operatorOnly = operator.responses;
const reader = tokenRequired(READER_SCOPES);

export function buildOpenApiDocument(): Record<string, unknown> {
  const parameters = queryParameters(AuditQuery);
  const deadLetter = z.toJSONSchema(DeadLetterView, { io: 'output', unrepresentable: 'any' });
  const page = {
    type: 'object',
    properties: { items: { type: 'array', items: entry }, nextCursor: { type: ['string', 'null'] } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Writeback audit service',
      version: '1',
      description: 'The tamper-evident record of every writeback and every domain configuration change.',
    },
    paths: {
      '/v1/audit/records': {
        get: {
          operationId: 'queryAuditRecords',
          security: reader.security,
          summary: 'Records by operation, user, domain, outcome and time range, a page at a time',
          parameters,
          responses: {
            '200': {
              description: 'One page, oldest first; `nextCursor` fetches the next (CSV: header `X-Next-Cursor`).',
              content: { 'application/json': { schema: page }, 'text/csv': { schema: { type: 'string' } } },
            },
            '400': { description: 'A parameter is invalid; `issues` names it and why.' },
            ...reader.responses,
          },
        },
      },
      '/v1/audit/operations/{operationId}': {
        get: {
          operationId: 'getOperationHistory',
          security: reader.security,
          summary: "An operation's full history, in order",
          parameters: [{ name: 'operationId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            '200': ok('The history.', {
              type: 'object',
              properties: { operationId: { type: 'string' }, events: { type: 'array', items: entry } },
            }),
            ...reader.responses,
            '400': { description: 'The id is not a UUID.' },
            '404': { description: 'No record of that operation.' },
          },
        },
      },
      '/v1/audit/domains/{domainId}/changes': {
        get: {
          operationId: 'getDomainChanges',
          security: reader.security,
          summary: "Who changed a domain's configuration, when, from what to what",
          parameters: [{ name: 'domainId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': ok('The changes, oldest first.', {
              type: 'object',
              properties: { domainId: { type: 'string' }, changes: { type: 'array', items: entry } },
            }),
            ...reader.responses,
          },
        },
      },
      '/v1/audit/retention/run': {
        post: {
          operationId: 'runRetention',
          summary: "Apply every domain's retention now (operators)",
          security: operator.security,
          requestBody: {
            content: {
              'application/json': {
                schema: z.toJSONSchema(RetentionRun, { io: 'input' }),
              },
            },
          },
          responses: {
            '200': ok('Records removed per domain.', {
              type: 'object',
              properties: { removed: { type: 'object', additionalProperties: { type: 'integer' } } },
            }),
            '400': { description: 'The body is not JSON, or `asOf` is not an instant.' },
            '413': { description: 'The body is larger than the API takes (100 kB).' },
            ...operatorOnly,
          },
        },
      },
      '/v1/dead-letters': {
        get: {
          operationId: 'listDeadLetters',
          summary: 'Messages consumers could not accept, with the reason, oldest first (operators)',
          security: operator.security,
          parameters: queryParameters(DeadLetterQuery),
          responses: {
            '200': ok('One page; `nextCursor` fetches the next.', {
              type: 'object',
              properties: { items: { type: 'array', items: deadLetter }, nextCursor: { type: ['string', 'null'] } },
            }),
            '400': { description: 'A parameter is invalid; `issues` names it and why.' },
            ...operatorOnly,
          },
        },
      },
      '/v1/dead-letters/{id}/replay': {
        post: {
          operationId: 'replayDeadLetter',
          summary: 'Publish a dead letter to its source topic again (operators)',
          security: operator.security,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }],
          responses: {
            '200': ok('The dead letter, marked replayed.', deadLetter),
            '400': { description: 'The id is not a positive integer.' },
            '404': { description: 'No such dead letter.' },
            '409': { description: 'The message holds NUL characters, which no consumer accepts.' },
            ...operatorOnly,
          },
        },
      },
    },
    components: { securitySchemes: BEARER_SECURITY_SCHEMES },
  };
}
