import {
  ApiError,
  CreateOperationRequest,
  OperationQuery,
  OperationSummary,
  OperationView,
} from '@writeback/contracts';
import { BEARER_SECURITY_SCHEMES, READER_SCOPES, tokenRequired } from '@writeback/platform';
import { z } from 'zod';
import { SCIM_PATHS, SCIM_SCHEMAS, SCIM_SECURITY_SCHEME } from './scim.openapi';

const schema = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> =>
  z.toJSONSchema(s, { io, unrepresentable: 'any' });

const error = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
});

/**
 * The gate's OpenAPI document, built from the same zod contracts that validate requests, so
 * it cannot drift from the code. Served at `GET /openapi.json`; `docs/openapi/policy-gate.json`
 * is a copy a test keeps equal.
 */
/**
 * An instant as the formats say it, without the patterns zod writes for them: the same strings,
 * but a fuzzer spends minutes generating values for those patterns and none for the formats.
 */
const INSTANT = {
  anyOf: [
    { type: 'string', format: 'date' },
    { type: 'string', format: 'date-time' },
  ],
};

/** Each filter of a query schema as an optional query parameter. */
function queryParameters(query: z.ZodType, instants: readonly string[]): Array<Record<string, unknown>> {
  const { properties } = schema(query, 'input') as { properties: Record<string, Record<string, unknown>> };
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    const documented = instants.includes(name) ? INSTANT : rest;
    return { name, in: 'query', required: false, ...(description ? { description } : {}), schema: documented };
  });
}

export function buildOpenApiDocument(): Record<string, unknown> {
  const operation = { 'application/json': { schema: { $ref: '#/components/schemas/OperationView' } } };
  const reader = tokenRequired(READER_SCOPES);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Writeback policy gate',
      version: '1',
      description:
        'Accepts password writeback requests from the cloud side, decides them against the operation matrix, ' +
        'and reports their outcome; takes password pushes from a cloud identity service over SCIM 2.0 at /scim/v2 ' +
        '(docs/scim.md). Passwords are sealed on arrival and never returned or logged.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/operations': {
        get: {
          operationId: 'listOperations',
          summary:
            'Operations by domain, status, reason, user and time, newest first, a page at a time (auditors and operators)',
          security: reader.security,
          parameters: queryParameters(OperationQuery, ['since']),
          responses: {
            '200': {
              description: 'One page, newest first; `nextCursor` fetches the next.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['items', 'nextCursor'],
                    properties: {
                      items: { type: 'array', items: { $ref: '#/components/schemas/OperationSummary' } },
                      nextCursor: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
            '400': error('A parameter is invalid; `issues` names it and why.'),
            ...reader.responses,
          },
        },
        post: {
          operationId: 'createOperation',
          summary: 'Request a password writeback',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateOperationRequest' } } },
          },
          responses: {
            '202': {
              description:
                "Accepted and durable, with the policy's decision: `approved` (the write follows asynchronously; wait on GET /v1/operations/{operationId}) or `rejected` with its reason.",
              content: operation,
            },
            '400': error('The body breaks the contract; `issues` names each field and why.'),
            '401': error('Missing or invalid bearer token.'),
            '413': error('The body is larger than the API takes.'),
            '429': {
              ...error(
                'Too many requests from this caller, or for this target user, in a minute (WRITEBACK_RATE_LIMIT_PER_CALLER, WRITEBACK_RATE_LIMIT_PER_TARGET); nothing was accepted.',
              ),
              headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
            },
            '503': error('Domain configuration is unavailable; nothing was accepted, retry shortly.'),
          },
        },
      },
      '/v1/operations/{operationId}': {
        get: {
          operationId: 'getOperation',
          summary: "An operation's status, optionally waiting for its outcome",
          parameters: [
            { name: 'operationId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
            {
              name: 'waitSeconds',
              in: 'query',
              required: false,
              description: 'Hold the answer until the operation ends or this many seconds (at most 30) pass.',
              schema: { type: 'integer', minimum: 0, maximum: 30 },
            },
          ],
          responses: {
            '200': { description: 'The operation as it stands.', content: operation },
            '400': error('The id is not a UUID, or waitSeconds is not a whole number from 0 to 30.'),
            '401': error('Missing or invalid bearer token.'),
            '404': error('No such operation.'),
          },
        },
      },
      ...SCIM_PATHS,
    },
    components: {
      securitySchemes: { ...BEARER_SECURITY_SCHEMES, ...SCIM_SECURITY_SCHEME },
      schemas: {
        CreateOperationRequest: {
          ...schema(CreateOperationRequest, 'input'),
          // The contract's refinements, which JSON Schema cannot take from zod: an unlock carries
          // no password, every other kind carries one.
          anyOf: [
            { properties: { kind: { const: 'unlock' } }, not: { required: ['newPassword'] } },
            { properties: { kind: { not: { const: 'unlock' } } }, required: ['newPassword'] },
          ],
        },
        OperationView: schema(OperationView, 'output'),
        OperationSummary: schema(OperationSummary, 'output'),
        ApiError: schema(ApiError, 'output'),
        ...SCIM_SCHEMAS,
      },
    },
  };
}
