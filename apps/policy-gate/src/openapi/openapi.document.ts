import { ApiError, CreateOperationRequest, OperationView } from '@writeback/contracts';
import { BEARER_SECURITY_SCHEMES } from '@writeback/platform';
import { z } from 'zod';

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
export function buildOpenApiDocument(): Record<string, unknown> {
  const operation = { 'application/json': { schema: { $ref: '#/components/schemas/OperationView' } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Writeback policy gate',
      version: '1',
      description:
        'Accepts password writeback requests from the cloud side, decides them against the operation matrix, ' +
        'and reports their outcome. Passwords are sealed on arrival and never returned or logged.',
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/operations': {
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
    },
    components: {
      securitySchemes: BEARER_SECURITY_SCHEMES,
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
        ApiError: schema(ApiError, 'output'),
      },
    },
  };
}
